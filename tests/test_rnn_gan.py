"""course_lib.rnn_gan: hand-written cells, sequence GANs, the teacher-forced baseline, trainers."""

from __future__ import annotations

import random

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from course_lib import rnn_gan as R
from course_lib.data import sines

TINY = dict(seq_len=6, dim=2, noise_dim=2, hidden=8)  # the smallest sizes that run every code path


@pytest.fixture(autouse=True, scope="module")
def _one_intra_op_thread():
    """These networks are tiny: a second intra-op thread brings no speed, and on a busy shared
    machine its spinning multiplied the CPU time of this file several times (measured 7x for a
    GRU on 2 loaded cores). Restored after the module."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _assert_rng_untouched(fn, *args, **kwargs):
    """Run ``fn`` and check that the global torch, NumPy and ``random`` states did not move."""
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    before = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    out = fn(*args, **kwargs)
    after = (torch.get_rng_state(), np.random.get_state()[1], random.getstate())
    assert torch.equal(before[0], after[0]), f"{fn.__name__} moved the global torch RNG"
    assert np.array_equal(before[1], after[1]), f"{fn.__name__} moved the global NumPy RNG"
    assert before[2] == after[2], f"{fn.__name__} moved the global random RNG"
    return out


# ---------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_hand_written_cell_matches_torch_layer(kind):
    torch.manual_seed(0)
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](3, 5, batch_first=True)
    cell = R.copy_weights_from_torch(R.make_cell(kind, 3, 5), layer)
    x = torch.randn(4, 7, 3)
    ours, state = R.unroll(cell, x)
    theirs, torch_state = layer(x)
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=1e-5)
    h_last = state[0] if kind == "lstm" else state
    torch.testing.assert_close(h_last, theirs[:, -1], atol=1e-6, rtol=1e-5)
    if kind == "lstm":
        torch.testing.assert_close(state[1], torch_state[1][0], atol=1e-6, rtol=1e-5)


def test_copy_weights_rejects_mismatches():
    with pytest.raises(ValueError, match="needs an nn.GRU"):
        R.copy_weights_from_torch(R.make_cell("gru", 3, 5), nn.LSTM(3, 5))
    with pytest.raises(ValueError, match="sizes differ"):
        R.copy_weights_from_torch(R.make_cell("rnn", 3, 5), nn.RNN(3, 6))
    with pytest.raises(ValueError, match="one-layer"):
        R.copy_weights_from_torch(R.make_cell("rnn", 3, 5), nn.RNN(3, 5, num_layers=2))
    with pytest.raises(ValueError, match="tanh"):
        R.copy_weights_from_torch(R.make_cell("rnn", 3, 5), nn.RNN(3, 5, nonlinearity="relu"))
    with pytest.raises(ValueError, match="unknown cell kind"):
        R.make_cell("transformer", 3, 5)
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, 3\)"):
        R.make_cell("rnn", 3, 5)(torch.zeros(2, 4), torch.zeros(2, 5))


def test_adding_problem_has_two_markers_and_target_is_their_sum():
    x, y = _assert_rng_untouched(R.adding_problem, 16, 10, seed=1)
    assert x.shape == (16, 10, 2) and y.shape == (16,)
    assert torch.equal(x[..., 1].sum(1), torch.full((16,), 2.0))
    assert (x[:, :5, 1].sum(1) == 1).all()  # one marker in each half
    torch.testing.assert_close(y, (x[..., 0] * x[..., 1]).sum(1))


def test_gradient_vanishes_with_length_and_gate_bias_slows_it():
    short, long_ = _assert_rng_untouched(R.grad_norm_wrt_h0, "rnn", 5), R.grad_norm_wrt_h0("rnn", 40)
    assert long_ < 1e-3 * short  # geometric decay over 35 extra steps
    plain = R.grad_norm_wrt_h0("lstm", 40)
    biased = R.grad_norm_wrt_h0("lstm", 40, gate_bias=1.0)
    assert biased > 10 * plain  # a forget gate open by default carries the gradient further
    # an orthogonal recurrent matrix with gain 3 makes the gradient explode instead
    assert R.grad_norm_wrt_h0("rnn", 40, recurrent_gain=3.0) > 1e3 * R.grad_norm_wrt_h0("rnn", 5)
    with pytest.raises(ValueError, match="tanh RNN only"):
        R.grad_norm_wrt_h0("gru", 5, recurrent_gain=3.0)


@pytest.mark.parametrize("gain", [0.5, 1.0, 3.0])
def test_state_gradients_obey_the_singular_value_bound(gain):
    """||dL/dh_t|| <= ||dL/dh_T|| sigma_max(U)^(T - t), per sequence, with sigma_max(U) = gain."""
    norms = _assert_rng_untouched(R.state_grad_norms, "rnn", 30, recurrent_gain=gain)  # (64, 31)
    assert norms.shape == (64, 31)
    cell, _ = R.probe_cell("rnn", recurrent_gain=gain)
    torch.testing.assert_close(torch.linalg.svdvals(cell.weight_hh.detach()), torch.full((32,), gain))
    bound = norms[:, -1:] * gain ** torch.arange(30, -1, -1.0)
    assert (norms <= bound * (1 + 1e-5)).all()
    assert R.grad_norm_wrt_h0("rnn", 30, recurrent_gain=gain) == pytest.approx(float(norms[:, 0].mean()))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cell_parts_reproduce_the_step_and_have_state_shapes(kind):
    torch.manual_seed(0)
    cell = R.make_cell(kind, 3, 5)
    x, state = torch.randn(4, 3), cell.init_state(4)
    parts = cell.parts(x, state)
    assert set(parts) == ({"i", "f", "g", "o", "c", "h"} if kind == "lstm" else {"r", "z", "u", "n", "h"})
    assert all(v.shape == (4, 5) for v in parts.values())
    out = cell(x, state)
    torch.testing.assert_close(out[0] if kind == "lstm" else out, parts["h"])


def _texts(fig) -> str:
    text = " ".join([ax.get_title() for ax in fig.axes] + [t.get_text() for ax in fig.axes for t in ax.texts])
    plt.close(fig)
    return text


def test_cell_diagrams_label_real_shapes():
    lstm = _texts(R.draw_lstm_cell(R.make_cell("lstm", 3, 7), batch=2))
    assert "(B=2, I=3)" in lstm and "(B=2, H=7)" in lstm and "(B=2, I+H=10)" in lstm
    assert all(g in lstm for g in ("forget gate", "input gate", "output gate", "⊙", "+"))
    gru = _texts(R.draw_gru_cell(R.make_cell("gru", 3, 7), batch=2))
    assert "(B=2, H=7)" in gru and "reset gate" in gru and "update gate" in gru and "1 − z" in gru


def test_sequence_gan_diagrams_show_shapes_and_the_condition():
    crnn = R.SeqModelConfig.crnn_gan(**TINY)
    text = _texts(R.draw_seq_gan(R.RecurrentGenerator(crnn), R.RecurrentDiscriminator(crnn), batch=3))
    assert "C-RNN-GAN" in text and "(B=3, T=6, D=2)" in text and "(B=3)" in text and "bidirectional" in text
    rc = R.SeqModelConfig.rcgan(cond_dim=4, **TINY)
    text = _texts(R.draw_seq_gan(R.RecurrentGenerator(rc), R.RecurrentDiscriminator(rc), batch=3))
    assert "RCGAN" in text and "(B=3, C=4)" in text and "(B=3, T=6)" in text and "bidirectional" not in text
    text = _texts(R.draw_timegan(R.TimeGAN(R.SeqModelConfig(**TINY)), batch=3))
    assert all(n in text for n in ("embedder", "recovery", "generator", "supervisor", "discriminator"))
    assert "$L_R$" in text and "$L_S$" in text and "$L_U$" in text and "(B=3, T=6, H=8)" in text


# ---------------------------------------------------------------------------------------
# sequence GANs
# ---------------------------------------------------------------------------------------


def _perturb_step_effect(gen: nn.Module, step: int) -> torch.Tensor:
    """Max change of each output step when only the noise at ``step`` changes: (T,)."""
    z = gen.noise(3, torch.Generator().manual_seed(0))
    z2 = z.clone()
    z2[:, step] += 1.0
    with torch.no_grad():
        return (gen(z2) - gen(z)).abs().amax(dim=(0, 2))


def test_recurrent_generator_output_depends_on_earlier_noise():
    gen = _assert_rng_untouched(R.RecurrentGenerator, R.SeqModelConfig.rcgan(**TINY), seed=0)
    effect = _perturb_step_effect(gen, step=1)
    assert torch.all(effect[:1] == 0)  # causal: the past does not see the future
    assert torch.all(effect[1:] > 1e-5)  # every later step remembers z_1


@pytest.mark.parametrize("preset", [R.SeqModelConfig.crnn_gan, R.SeqModelConfig.rcgan])
def test_discriminator_and_generator_shapes(preset):
    cfg = preset(**TINY, cond_dim=3)
    gen, disc = R.RecurrentGenerator(cfg), R.RecurrentDiscriminator(cfg, seed=1)
    cond = torch.eye(3)[[0, 1, 2, 0]]
    x = gen(torch.randn(4, cfg.seq_len, cfg.noise_dim), cond)
    assert x.shape == (4, cfg.seq_len, cfg.dim) and x.min() >= 0 and x.max() <= 1
    assert disc(x, cond).shape == (4, cfg.seq_len)
    with pytest.raises(ValueError, match="expected a condition of shape"):
        disc(x, None)
    with pytest.raises(ValueError, match="must have shape"):
        disc(x[0], cond)
    with pytest.raises(ValueError, match="no condition"):
        R.RecurrentDiscriminator(R.SeqModelConfig(**TINY))(x, cond)
    with pytest.raises(ValueError, match="cell must be"):
        R.SeqModelConfig(cell="transformer")


def _seq_gan(cfg: R.SeqModelConfig, seed: int = 0):
    return R.RecurrentGenerator(cfg, seed=seed), R.RecurrentDiscriminator(cfg, seed=seed + 1)


def test_train_seq_gan_runs_and_rejects_bad_data():
    cfg = R.SeqModelConfig.rcgan(**TINY, cond_dim=2)
    data = sines(16, seq_len=cfg.seq_len, dim=cfg.dim)
    cond = torch.eye(2)[torch.arange(16) % 2]
    gen, disc = _seq_gan(cfg)
    hist = R.train_seq_gan((gen, disc), (data, cond), R.SeqTrainConfig(steps=3, batch_size=8))
    assert len(hist.losses["d"]) == 3 and all(map(np.isfinite, hist.losses["g"])) and hist.wall_s > 0
    out = gen.sample(5, seed=1, cond=cond[:5])
    assert out.shape == (5, cfg.seq_len, cfg.dim)
    plain = _seq_gan(R.SeqModelConfig.rcgan(**TINY))
    with pytest.raises(ValueError, match=r"scaled to \[0, 1\]"):
        R.train_seq_gan(plain, data + 1, R.SeqTrainConfig(steps=1))
    with pytest.raises(ValueError, match="length"):
        R.train_seq_gan(plain, data[:, :5], R.SeqTrainConfig(steps=1))
    with pytest.raises(ValueError, match="expected a condition"):
        R.train_seq_gan((gen, disc), data, R.SeqTrainConfig(steps=1))
    with pytest.raises(ValueError, match="n must be positive"):
        gen.sample(0)


def test_training_is_reproducible_and_leaves_global_rng_alone():
    cfg = R.SeqModelConfig.crnn_gan(**TINY)
    data = sines(16, seq_len=cfg.seq_len, dim=cfg.dim)
    config = R.SeqTrainConfig(steps=3, batch_size=8, seed=3)
    runs = []
    for _ in range(2):
        gen, disc = _assert_rng_untouched(_seq_gan, cfg, seed=3)
        _assert_rng_untouched(R.train_seq_gan, (gen, disc), data, config)
        runs.append(_assert_rng_untouched(gen.sample, 4, seed=0))
    assert torch.equal(*runs)


def test_lr_decay_changes_the_updates_and_stays_finite():
    data = torch.rand(16, 6, 2, generator=torch.Generator().manual_seed(0))
    runs = {}
    for decay in (False, True):
        gen, disc = _seq_gan(R.SeqModelConfig.rcgan(**TINY))
        hist = R.train_seq_gan((gen, disc), data, R.SeqTrainConfig(steps=4, batch_size=8, lr_decay=decay))
        runs[decay] = torch.cat([p.detach().flatten() for p in gen.parameters()])
        assert torch.isfinite(runs[decay]).all() and len(hist.losses["d"]) == 4
    # same seed and data: only the learning-rate schedule differs
    assert not torch.allclose(runs[False], runs[True])


# ---------------------------------------------------------------------------------------
# teacher forcing
# ---------------------------------------------------------------------------------------


def test_teacher_forcing_lowers_nll_samples_in_range_and_leaves_global_rng_alone():
    cfg = R.SeqModelConfig(**TINY)
    data = sines(64, seq_len=cfg.seq_len, dim=cfg.dim)
    model = _assert_rng_untouched(R.AutoregressiveGRU, cfg, seed=0)
    config = R.SeqTrainConfig(steps=60, batch_size=8, lr=1e-2)
    nll = _assert_rng_untouched(R.train_teacher_forcing, model, data, config).losses["nll"]
    assert sum(nll[-10:]) / 10 < sum(nll[:10]) / 10 - 0.3
    x = _assert_rng_untouched(model.sample, 7, seed=0)
    assert x.shape == (7, cfg.seq_len, cfg.dim) and x.min() >= 0 and x.max() <= 1
    assert torch.equal(x, model.sample(7, seed=0))
    with pytest.raises(ValueError, match="n must be positive"):
        model.sample(0)


def test_minibatches_cover_each_epoch_once():
    model = R.AutoregressiveGRU(R.SeqModelConfig(**TINY))
    data = sines(10, seq_len=6, dim=2)
    x, _, batches = R.minibatches(model, data, R.SeqTrainConfig(batch_size=5))
    first_epoch = torch.cat([next(batches), next(batches)])
    assert torch.equal(first_epoch.sort().values, torch.arange(10)) and torch.equal(x, data)
    with pytest.raises(ValueError, match="features"):
        R.minibatches(model, sines(10, seq_len=6, dim=3), R.SeqTrainConfig())


# ---------------------------------------------------------------------------------------
# noise, centring, evaluation hooks
# ---------------------------------------------------------------------------------------


def test_sequence_noise_is_constant_over_time_and_step_noise_is_not():
    g = torch.Generator().manual_seed(0)
    per_seq = R.RecurrentGenerator(R.SeqModelConfig(**TINY, noise="sequence")).noise(3, g)
    per_step = R.RecurrentGenerator(R.SeqModelConfig(**TINY)).noise(3, g)
    assert per_seq.shape == per_step.shape == (3, TINY["seq_len"], TINY["noise_dim"])
    assert torch.equal(per_seq, per_seq[:, :1].expand_as(per_seq)) and per_seq.std(dim=1).max() == 0
    assert (per_step[:, 1:] != per_step[:, :1]).all()
    with pytest.raises(ValueError, match="noise must be"):
        R.SeqModelConfig(noise="white")


def test_discriminator_reads_its_input_centred():
    """D(x) equals the same recurrent layer and head applied to 2x - 1."""
    disc = R.RecurrentDiscriminator(R.SeqModelConfig.rcgan(**TINY), seed=0)
    x = torch.rand(4, TINY["seq_len"], TINY["dim"])
    by_hand = disc.out(disc.rnn(2 * x - 1)[0]).squeeze(-1)
    assert torch.allclose(disc(x), by_hand, atol=1e-6)


def test_evaluate_hook_is_called_on_schedule_in_eval_mode():
    data = sines(16, seq_len=TINY["seq_len"], dim=TINY["dim"])
    calls = []

    def evaluate(model, step):
        calls.append((step, model.training))
        return {"score": float(step)}

    gen, disc = _seq_gan(R.SeqModelConfig.rcgan(**TINY))
    config = R.SeqTrainConfig(steps=5, batch_size=8, eval_every=2, evaluate=evaluate)
    hist = R.train_seq_gan((gen, disc), data, config)
    assert calls == [(2, False), (4, False)] and hist.metrics["score"] == [(2, 2.0), (4, 4.0)]
    model = R.AutoregressiveGRU(R.SeqModelConfig(**TINY))
    calls.clear()
    config = R.SeqTrainConfig(steps=3, batch_size=8, eval_every=3, evaluate=evaluate)
    R.train_teacher_forcing(model, data, config)
    assert calls == [(3, False)]


# ---------------------------------------------------------------------------------------
# TimeGAN
# ---------------------------------------------------------------------------------------


def test_timegan_shapes_ranges_and_generator_losses():
    cfg = R.SeqModelConfig(**TINY)
    m = _assert_rng_untouched(R.TimeGAN, cfg, seed=0)
    x = sines(8, seq_len=cfg.seq_len, dim=cfg.dim)
    z = m.noise(8, torch.Generator().manual_seed(0))
    assert z.shape == (8, cfg.seq_len, cfg.noise_dim) and 0 <= z.min() and z.max() <= 1  # uniform
    h = m.embedder(x)
    assert h.shape == (8, cfg.seq_len, cfg.hidden) and h.min() >= 0 and h.max() <= 1  # sigmoid latent
    losses = R.timegan_generator_losses(m, x, z)
    assert set(losses) == {"unsup", "sup", "moments"} and all(v.dim() == 0 for v in losses.values())
    # the supervised loss compares s(h)_t with h_{t+1}, computed by hand
    assert torch.isclose(losses["sup"], ((m.supervisor(h)[:, :-1] - h[:, 1:]) ** 2).mean())
    # the moment loss: |√(var x̂ + ε) - √(var x + ε)| + |mean x̂ - mean x| over the batch, per (t, d)
    x_hat = m.recovery(m.supervisor(m.generator(z)))
    std = lambda a: (a.var(0, unbiased=False) + 1e-6).sqrt()  # noqa: E731
    by_hand = (std(x_hat) - std(x)).abs().mean()
    by_hand = by_hand + (x_hat.mean(0) - x.mean(0)).abs().mean()
    assert torch.isclose(losses["moments"], by_hand, atol=1e-4)
    s = _assert_rng_untouched(m.sample, 5, seed=1)
    assert s.shape == (5, cfg.seq_len, cfg.dim) and s.min() >= 0 and s.max() <= 1
    assert torch.equal(s, m.sample(5, seed=1))


def test_train_timegan_runs_its_three_phases_reproducibly():
    cfg = R.SeqModelConfig(**TINY)
    data = sines(32, seq_len=cfg.seq_len, dim=cfg.dim)
    runs = []
    for _ in range(2):
        m = R.TimeGAN(cfg, seed=1)
        ok = lambda m_, s: {"ok": 1.0}  # noqa: E731
        config = R.SeqTrainConfig(steps=3, batch_size=8, seed=2, eval_every=3, evaluate=ok)
        hist = _assert_rng_untouched(R.train_timegan, m, data, config, pre_steps=4)
        assert len(hist.losses["recon_pre"]) == len(hist.losses["sup_pre"]) == 4
        assert len(hist.losses["unsup"]) == len(hist.losses["disc"]) == 3 and hist.metrics["ok"] == [(3, 1.0)]
        assert not m.training
        runs.append(m.sample(4, seed=0))
    assert torch.equal(*runs)


def test_timegan_autoencoder_phase_lowers_reconstruction_error():
    cfg = R.SeqModelConfig(seq_len=8, dim=2, noise_dim=2, hidden=8)
    data = sines(128, seq_len=8, dim=2)
    config = R.SeqTrainConfig(steps=0, batch_size=32, lr=1e-2)
    hist = R.train_timegan(R.TimeGAN(cfg), data, config, pre_steps=80)
    recon = hist.losses["recon_pre"]
    assert sum(recon[-10:]) / 10 < 0.5 * sum(recon[:10]) / 10
