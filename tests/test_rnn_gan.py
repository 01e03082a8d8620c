"""course_lib.rnn_gan (cells, sequence GANs, baselines) and the TimeGAN scores of course_lib.metrics."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib import rnn_gan as R
from course_lib.data import sines
from course_lib.metrics import (
    discriminative_score,
    fit_next_step_predictor,
    next_step_mae,
    predictive_score,
)


@pytest.fixture(autouse=True, scope="module")
def _one_intra_op_thread():
    """These networks are tiny: a second intra-op thread brings no speed, and on a busy shared
    machine its spinning multiplied the CPU time of this file several times (measured 7x for a
    GRU on 2 loaded cores). Restored after the module."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
    with pytest.raises(ValueError, match="unknown cell kind"):
        R.make_cell("transformer", 3, 5)
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, 3\)"):
        R.make_cell("rnn", 3, 5)(torch.zeros(2, 4), torch.zeros(2, 5))


def test_adding_problem_has_two_markers_and_target_is_their_sum():
    x, y = R.adding_problem(16, 10, seed=1)
    assert x.shape == (16, 10, 2) and y.shape == (16,)
    assert torch.equal(x[..., 1].sum(1), torch.full((16,), 2.0))
    assert (x[:, :5, 1].sum(1) == 1).all()  # one marker in each half
    torch.testing.assert_close(y, (x[..., 0] * x[..., 1]).sum(1))


def test_gradient_vanishes_with_length_and_gate_bias_slows_it():
    short, long_ = R.grad_norm_wrt_h0("rnn", 5), R.grad_norm_wrt_h0("rnn", 40)
    assert long_ < 1e-3 * short  # geometric decay over 35 extra steps
    plain = R.grad_norm_wrt_h0("lstm", 40)
    biased = R.grad_norm_wrt_h0("lstm", 40, gate_bias=1.0)
    assert biased > 10 * plain  # a forget gate open by default carries the gradient further
    # an orthogonal recurrent matrix with gain 3 makes the gradient explode instead
    assert R.grad_norm_wrt_h0("rnn", 40, recurrent_gain=3.0) > 1e3 * R.grad_norm_wrt_h0("rnn", 5)


# ---------------------------------------------------------------------------------------
# sequence GANs
# ---------------------------------------------------------------------------------------


def _perturb_step_effect(gen: nn.Module, cfg: R.SeqGANConfig, step: int) -> torch.Tensor:
    """Max change of each output step when only the noise at ``step`` changes: (T,)."""
    z = torch.randn(3, cfg.seq_len, cfg.noise_dim, generator=torch.Generator().manual_seed(0))
    z2 = z.clone()
    z2[:, step] += 1.0
    with torch.no_grad():
        return (gen(z2) - gen(z)).abs().amax(dim=(0, 2))


def test_recurrent_generator_output_depends_on_earlier_noise():
    cfg = R.RCGANConfig.tiny()
    with R._seeded(0):
        gen = R.RecurrentGenerator(cfg)
    effect = _perturb_step_effect(gen, cfg, step=1)
    assert torch.all(effect[:1] == 0)  # causal: the past does not see the future
    assert torch.all(effect[1:] > 1e-5)  # every later step remembers z_1


def test_dense_generator_has_no_memory():
    cfg = R.RCGANConfig.tiny()
    with R._seeded(0):
        gen = R.DenseSequenceGenerator(cfg)
    effect = _perturb_step_effect(gen, cfg, step=1)
    assert effect[1] > 1e-5
    assert torch.all(effect[2:] == 0)  # later steps ignore z_1


@pytest.mark.parametrize("cfg_cls", [R.CRNNGANConfig, R.RCGANConfig])
def test_discriminator_and_generator_shapes(cfg_cls):
    cfg = cfg_cls.tiny(cond_dim=3)
    gen, disc = R.RecurrentGenerator(cfg), R.RecurrentDiscriminator(cfg)
    cond = torch.eye(3)[[0, 1, 2, 0]]
    x = gen(torch.randn(4, cfg.seq_len, cfg.noise_dim), cond)
    assert x.shape == (4, cfg.seq_len, cfg.dim) and x.min() >= 0 and x.max() <= 1
    assert disc(x, cond).shape == (4, cfg.seq_len)
    with pytest.raises(ValueError, match="expected a condition of shape"):
        disc(x, None)
    with pytest.raises(ValueError, match="must have shape"):
        disc(x[0], cond)


def test_train_seq_gan_runs_and_rejects_bad_data():
    cfg = R.RCGANConfig.tiny(cond_dim=2)
    data = sines(16, seq_len=cfg.seq_len, dim=cfg.dim)
    cond = torch.eye(2)[torch.arange(16) % 2]
    gen, disc, hist = R.train_seq_gan(cfg, data, cond, seed=0, device="cpu")
    assert len(hist.losses["d"]) == cfg.iterations and all(
        map(torch.isfinite, map(torch.tensor, hist.losses["g"]))
    )
    out = R.generate(gen, 5, seed=1, cond=cond[:5])
    assert out.shape == (5, cfg.seq_len, cfg.dim)
    with pytest.raises(ValueError, match=r"scaled to \[0, 1\]"):
        R.train_seq_gan(R.RCGANConfig.tiny(), data + 1, device="cpu")
    with pytest.raises(ValueError, match="length"):
        R.train_seq_gan(R.RCGANConfig.tiny(seq_len=5), data, device="cpu")
    with pytest.raises(ValueError, match="cond must be given"):
        R.train_seq_gan(cfg, data, device="cpu")


def test_training_is_reproducible_and_leaves_global_rng_alone():
    cfg = R.CRNNGANConfig.tiny()
    data = sines(16, seq_len=cfg.seq_len, dim=cfg.dim)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    g1, _, _ = R.train_seq_gan(cfg, data, seed=3, device="cpu")
    after = torch.rand(1)
    g2, _, _ = R.train_seq_gan(cfg, data, seed=3, device="cpu")
    assert torch.equal(before, after)
    assert torch.equal(R.generate(g1, 4, seed=0), R.generate(g2, 4, seed=0))


def test_teacher_forcing_lowers_nll_and_samples_in_range():
    cfg = R.TeacherForcingConfig.tiny(iterations=60, lr=1e-2)
    data = sines(64, seq_len=cfg.seq_len, dim=cfg.dim)
    model, hist = R.train_teacher_forcing(cfg, data, seed=0, device="cpu")
    nll = hist.losses["nll"]
    assert sum(nll[-10:]) / 10 < sum(nll[:10]) / 10 - 0.3
    x = R.generate(model, 7, seed=0)
    assert x.shape == (7, cfg.seq_len, cfg.dim) and x.min() >= 0 and x.max() <= 1


def test_timegan_tiny_trains_and_samples():
    cfg = R.TimeGANConfig.tiny()
    data = sines(16, seq_len=cfg.seq_len, dim=cfg.dim)
    model, hist = R.train_timegan(cfg, data, seed=0, device="cpu")
    assert {"recon", "sup", "g", "d"} <= set(hist.losses)
    x = R.generate(model, 5, seed=0)
    assert x.shape == (5, cfg.seq_len, cfg.dim) and x.min() >= 0 and x.max() <= 1
    with pytest.raises(ValueError, match="n must be positive"):
        R.generate(model, 0)


# ---------------------------------------------------------------------------------------
# TimeGAN's scores (course_lib.metrics)
# ---------------------------------------------------------------------------------------

# Fixed seeds; post-hoc classifiers trained briefly with a larger learning rate so the tests
# stay fast. Tolerances: for two samples of one distribution the held-out accuracy of a
# classifier on 2 x 100 test sequences stays within 0.5 ± 0.1; sines against uniform noise are
# separated almost perfectly (score > 0.4).
FAST = dict(iterations=150, batch_size=64, lr=1e-2, seed=0)


def test_discriminative_score_same_distribution_is_near_zero():
    a, b = sines(500, seed=1), sines(500, seed=2)
    assert discriminative_score(a, b, **FAST) < 0.1


def test_discriminative_score_different_distributions_is_near_half():
    a = sines(500, seed=1)
    noise = torch.rand(a.shape, generator=torch.Generator().manual_seed(0))
    assert discriminative_score(a, noise, **FAST) > 0.4


def test_predictive_score_real_vs_real_matches_direct_computation():
    real = sines(300, seed=3)
    kw = dict(iterations=100, batch_size=64, lr=1e-2, seed=0)
    score = predictive_score(real, real, **kw)
    model = fit_next_step_predictor(real, **kw)
    assert score == pytest.approx(next_step_mae(model, real), abs=1e-7)
    with torch.no_grad():  # the MAE written out: last feature, one step ahead
        direct = (torch.sigmoid(model(real[:, :-1, :-1])) - real[:, 1:, -1:]).abs().mean()
    assert score == pytest.approx(float(direct), abs=1e-6)
    # and the predictor learnt something: it beats predicting the mean value
    baseline = (real[:, 1:, -1] - real[:, 1:, -1].mean()).abs().mean()
    assert score < 0.8 * float(baseline)


def test_predictive_score_numpy_input_and_shape():
    real = sines(50, seed=4)
    s = predictive_score(real.numpy(), real.numpy(), iterations=2, batch_size=8)
    assert isinstance(s, float) and 0 <= s <= 1


@pytest.mark.parametrize(
    ("real", "fake", "match"),
    [
        (torch.rand(10, 6), torch.rand(10, 6), "must have shape"),  # wrong rank
        (torch.rand(10, 6, 3), torch.rand(10, 6, 3) + 1, r"expect \[0, 1\]"),  # out of range
        (torch.rand(10, 6, 3), torch.full((10, 6, 3), float("nan")), "NaN"),
        (torch.rand(10, 6, 3), torch.rand(10, 7, 3), "share seq_len and dim"),
        (torch.rand(1, 6, 3), torch.rand(10, 6, 3), "at least 2"),
    ],
)
def test_discriminative_score_rejects_bad_input(real, fake, match):
    with pytest.raises(ValueError, match=match):
        discriminative_score(real, fake, iterations=1)


def test_predictive_score_rejects_bad_input():
    with pytest.raises(ValueError, match="dim >= 2"):
        predictive_score(torch.rand(10, 6, 1), torch.rand(10, 6, 1), iterations=1)
    with pytest.raises(ValueError, match="must have shape"):
        predictive_score(torch.rand(10, 6), torch.rand(10, 6), iterations=1)
    with pytest.raises(ValueError, match=r"expect \[0, 1\]"):
        predictive_score(torch.rand(10, 6, 3) - 0.5, torch.rand(10, 6, 3), iterations=1)


def test_lr_decay_changes_the_updates_and_stays_finite():
    data = torch.rand(16, 6, 2)
    runs = {}
    for decay in (False, True):
        cfg = R.RCGANConfig.tiny(iterations=4, lr_decay=decay)
        gen, _, hist = R.train_seq_gan(cfg, data, seed=0, device="cpu")
        runs[decay] = torch.cat([p.detach().flatten() for p in gen.parameters()])
        assert torch.isfinite(runs[decay]).all() and len(hist.losses["d"]) == 4
    # same seed and data: only the learning-rate schedule differs
    assert not torch.allclose(runs[False], runs[True])
