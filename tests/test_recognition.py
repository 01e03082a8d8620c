"""Tests of course_lib.recognition: augmentation, the trainer, scores, protocols, classical baselines.

Tiny models and synthetic tones only (the whole file runs in seconds). The models themselves and
the committed classifier are tested in tests/test_evaluators.py (spoken-digit section).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import recognition as R
from course_lib.data import FSDD_SPEAKERS
from course_lib.evaluators import build_classifier, prepare_waves
from tests.conftest import assert_rng_untouched


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models: a second intra-op thread only adds synchronisation cost (restored after)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def tone(freq: float, seconds: float, rate: int = 8000, amp: float = 0.5) -> torch.Tensor:
    t = torch.arange(int(seconds * rate)) / rate
    return amp * torch.sin(2 * torch.pi * freq * t)


def tones(n_per_class: int, seed: int = 0) -> list[tuple[torch.Tensor, int, str]]:
    """Four classes of pure tones of random lengths with a little noise: a data set in milliseconds."""
    g = torch.Generator().manual_seed(seed)
    items = []
    for k, f in enumerate([250, 500, 1000, 2000]):
        for _ in range(n_per_class):
            dur = 0.1 + 0.1 * float(torch.rand((), generator=g))
            items.append((tone(f, dur) + 0.01 * torch.randn(int(dur * 8000), generator=g), k, "synthetic"))
    return items


def separable(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """200 feature vectors in 12 dimensions; class k is feature k shifted by 4."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(10), 20)
    x = rng.normal(size=(200, 12)).astype(np.float32)
    x[np.arange(200), y] += 4.0
    return x, y


# ----------------------------------------------------------------------------- augmentation


def test_spec_augment_masks_whole_bands_and_frames_with_the_mean():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(4, 40, 51)
    out = R.spec_augment(f, R.AugmentConfig(freq_width=10, time_width=10), g)
    assert out.shape == f.shape and (out != f).any()
    changed = out != f
    mean = f.mean(dim=(1, 2), keepdim=True).expand_as(f)
    assert torch.equal(out[changed], mean[changed])
    none = R.AugmentConfig(freq_masks=0, time_masks=0)
    assert torch.equal(R.spec_augment(f, none, g), f)


def test_augment_waves_hits_the_snr_and_keeps_silence():
    x = torch.zeros(3, 800)
    x[1] = tone(440, 0.1)
    noisy = R.augment_waves(x, (10.0, 10.0), torch.Generator().manual_seed(0))
    assert torch.equal(noisy[0], x[0])  # silent clips stay silent
    snr = 10 * torch.log10(x[1].pow(2).sum() / (noisy[1] - x[1]).pow(2).sum())
    assert abs(float(snr) - 10.0) < 1e-3


def test_classification_loss_kinds():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    y = torch.tensor([0, 0])
    assert torch.isclose(R.classification_loss(logits, y), torch.nn.functional.cross_entropy(logits, y))
    p = logits.softmax(-1)
    expected = ((p - torch.tensor([[1.0, 0.0], [1.0, 0.0]])) ** 2).sum(-1).mean()
    assert torch.isclose(R.classification_loss(logits, y, "mse"), expected)
    w = torch.tensor([1.0, 3.0])
    assert torch.isclose(R.classification_loss(logits, y, "mse", w), expected)  # one class: weights cancel
    with pytest.raises(ValueError, match="'ce' or 'mse'"):
        R.classification_loss(logits, y, "hinge")


# ----------------------------------------------------------------------------- the trainer


def test_tiny_training_beats_chance_and_fills_the_history():
    """A tiny CNN must learn four pure tones, with every augmentation on."""
    model = build_classifier("cnn", tiny=True)
    cfg = R.RecognitionTrainConfig(epochs=6, lr=1e-2, batch_size=16, val_data=tones(3, seed=1))
    history = R.train_classifier(model, tones(24), cfg)
    steps_per_epoch = 6  # 96 items, batches of 16
    assert history.steps == history.metrics["train_loss"][-1][0] <= 6 * steps_per_epoch
    assert {"train_loss", "val_acc", "val_loss"} <= set(history.metrics)
    assert history.wall_s > 0 and not model.training
    test = [(tone(f, 0.15), k) for k, f in enumerate([250, 500, 1000, 2000]) for _ in range(2)]
    assert R.evaluate(model, test).accuracy >= 0.75  # chance is 0.1 over 10 outputs (0.25 over the 4 used)


def test_early_stopping_restores_the_best_epoch():
    model = build_classifier("gru", tiny=True)
    cfg = R.RecognitionTrainConfig(epochs=5, lr=1e-2, batch_size=32, val_data=tones(3, seed=1), patience=1)
    history = R.train_classifier(model, tones(8), cfg)
    val_acc = [v for _, v in history.metrics["val_acc"]]
    ((step, best),) = history.metrics["best_epoch"]
    assert val_acc[int(best) - 1] == max(val_acc)
    assert len(val_acc) <= int(best) + 1  # stopped one epoch after the best one (patience 1)


def test_training_is_reproducible_and_leaves_the_global_rng_alone():
    cfg = R.RecognitionTrainConfig(epochs=1, batch_size=16)
    a, b = (
        build_classifier("transformer", tiny=True, seed=3),
        build_classifier("transformer", tiny=True, seed=3),
    )
    h = assert_rng_untouched(R.train_classifier, a, tones(8), cfg)
    assert h.losses == R.train_classifier(b, tones(8), cfg).losses
    assert all(
        torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )
    x, y = separable()
    assert_rng_untouched(
        R.train_classifier, R.SoftmaxRegression(x), (x, y), R.RecognitionTrainConfig(epochs=1)
    )
    assert_rng_untouched(R.SoftmaxRegression, x, seed=1)
    assert_rng_untouched(R.augment_waves, torch.randn(2, 100), (5.0, 30.0), torch.Generator())


def test_bad_training_input_is_refused():
    model = build_classifier("cnn", tiny=True)
    with pytest.raises(ValueError, match="empty"):
        R.train_classifier(model, [], R.RecognitionTrainConfig(epochs=1))
    with pytest.raises(ValueError, match="optimizer must be"):
        R.train_classifier(model, tones(2), R.RecognitionTrainConfig(optimizer="lbfgs"))
    with pytest.raises(TypeError, match="float"):
        R.train_classifier(model, [(torch.zeros(800, dtype=torch.int16), 0)], R.RecognitionTrainConfig())


def test_softmax_regression_learns_separable_data_with_each_option():
    x, y = separable()
    for opts in [
        {},
        {"loss": "mse"},
        {"optimizer": "sgd", "lr": 0.1},
        {"optimizer": "adadelta", "lr": 1.0, "epochs": 40},  # Adadelta's steps start tiny
        {"optimizer": "rmsprop", "lr": 1e-2},
        {"class_weights": True},
        {"balanced_sampler": True},
    ]:
        cfg = R.RecognitionTrainConfig(
            **{"epochs": 10, "optimizer": "adam", "lr": 1e-2, "augment": None, **opts}
        )
        model = R.SoftmaxRegression(x)
        history = R.train_classifier(model, (x, y), cfg)
        assert (model.predict(x) == y).mean() > 0.5, opts  # chance is 0.1
        assert len(history.metrics["train_loss"]) == cfg.epochs


# ----------------------------------------------------------------------------- scores, protocols


def test_classification_scores_by_hand():
    # true 0 0 1 1 2, predicted 0 1 1 1 0: C = [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    s = R.classification_scores([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], n_classes=3)
    assert s.accuracy == pytest.approx(3 / 5)
    assert s.precision == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)  # class 2 never predicted: 0
    assert s.recall == pytest.approx((1 / 2 + 1 + 0) / 3)
    f1 = [2 * p * r / (p + r) if p + r else 0 for p, r in [(1 / 2, 1 / 2), (2 / 3, 1), (0, 0)]]
    assert s.f1 == pytest.approx(sum(f1) / 3)
    assert s.per_class_recall == pytest.approx([0.5, 1.0, 0.0])
    assert s.confusion.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert np.isnan(R.classification_scores([0, 1], [0, 1]).per_class_recall[5])  # digit 5 absent
    with pytest.raises(ValueError, match="equal length"):
        R.classification_scores([0, 1], [0])
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        R.classification_scores([0, 11], [0, 1])


def test_leave_one_speaker_out_never_shares_a_speaker():
    speakers = [FSDD_SPEAKERS[i % 6] for i in range(120)]
    folds = list(R.leave_one_speaker_out(speakers))
    assert [f[0] for f in folds] == sorted(FSDD_SPEAKERS)
    seen_test = []
    for spk, train, test in folds:
        assert {speakers[i] for i in test} == {spk}
        assert spk not in {speakers[i] for i in train}
        assert sorted(train + test) == list(range(120))
        seen_test.extend(test)
    assert sorted(seen_test) == list(range(120))


def test_imbalanced_subset():
    labels = np.repeat(np.arange(10), 20)
    idx = R.imbalanced_subset(labels, minority=[3, 7], keep=0.1, seed=0)
    counts = np.bincount(labels[idx], minlength=10)
    assert counts[3] == counts[7] == 2 and counts[0] == 20
    assert idx == sorted(set(idx))


# ----------------------------------------------------------------------------- classical baselines


def test_classical_features_shape_and_batching():
    """Batches of clips of different lengths give the same vectors as clips one at a time."""
    torch.manual_seed(0)
    items = [(torch.zeros(10), 0)]
    for k in range(5):
        dur = 0.1 + 0.05 * k
        items.insert(k, (tone(300 + 100 * k, dur) * (0.2 + 0.1 * k) + 0.01 * torch.randn(int(dur * 8000)), k))
    for opts, n_feat in [
        (dict(kind="logmel", n_segments=10), 40 * 11),
        (dict(kind="mfcc", n_segments=12, deltas=True, trim_db=40.0), 20 * 25),
    ]:
        x, y = R.classical_features(items, **opts)
        one = np.concatenate([R.classical_features([it], **opts)[0] for it in items])
        assert x.shape == (6, n_feat) and np.allclose(x, one, atol=1e-3)
        assert list(y) == [0, 1, 2, 3, 4, 0]
    with pytest.raises(ValueError, match="'logmel' or 'mfcc'"):
        R.classical_features(items, kind="mel")


def test_fit_classical_separates_separable_data():
    x, y = separable()
    for model in ("logreg", "svm"):
        assert (R.fit_classical(x, y, model).predict(x) == y).mean() > 0.9
    with pytest.raises(ValueError, match="'logreg' or 'svm'"):
        R.fit_classical(x, y, "forest")


# ----------------------------------------------------------------------------- robustness


def dominant_hz(x: torch.Tensor, rate: int = 8000) -> float:
    spec = torch.fft.rfft(x * torch.hann_window(len(x))).abs()
    return float(spec.argmax()) * rate / len(x)


def test_speed_perturb_changes_duration_and_pitch_together():
    x = tone(500, 0.5)
    y = R.speed_perturb(x, 1.25)
    assert len(y) == round(len(x) / 1.25)
    assert dominant_hz(y) == pytest.approx(625, abs=12)


def test_vocal_tract_warp_moves_frequencies_and_keeps_duration():
    x = tone(1000, 0.5)
    assert torch.allclose(R.vocal_tract_warp(x, 1.0), x, atol=1e-5)
    y = R.vocal_tract_warp(x, 1.1)
    assert len(y) == len(x)
    assert dominant_hz(y) == pytest.approx(1100, abs=35)  # the warp moves bins by 1/alpha, 31 Hz wide


def test_synthetic_room_decays_by_60_db_in_rt60():
    g = torch.Generator().manual_seed(0)
    h = R.synthetic_room(0.4, g)
    assert h[0] == 1 and len(h) == 1 + int(0.4 * 8000)
    tail = h[1:]
    early, late = tail[16:416].pow(2).mean(), tail[-400:].pow(2).mean()  # 2-52 ms and the last 50 ms
    drop_db = 10 * torch.log10(early / late).item()
    assert 45 < drop_db < 70  # 60 dB over 0.4 s, minus the 50 ms windows' spread


def test_augment_wave_is_seeded_bounded_and_each_part_acts():
    """Same seed, same copy; probability 0 leaves the clip; each perturbation alone changes it."""
    x = tone(300, 0.6, amp=0.4)
    cfg = R.WaveAugmentConfig(prob=1.0)
    a = R.augment_wave(x, cfg, torch.Generator().manual_seed(1))
    b = R.augment_wave(x, cfg, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.abs().max() <= 1
    off = R.WaveAugmentConfig(prob=0.0)
    assert torch.allclose(R.augment_wave(x, off, torch.Generator()), x, atol=1e-6)
    assert_rng_untouched(lambda: R.augment_wave(x, cfg, torch.Generator().manual_seed(2)))
    only = dict(speed=None, warp=None, rt60=None, noise=(), gain_db=None, prob=1.0)
    for part, value in [
        ("speed", (1.2, 1.2)),
        ("warp", (1.1, 1.1)),
        ("rt60", (0.3, 0.3)),
        ("noise", ("pink",)),
    ]:
        y = R.augment_wave(x, R.WaveAugmentConfig(**only | {part: value}), torch.Generator().manual_seed(0))
        assert y.shape != x.shape or (y - x).abs().max() > 0.01, part


def test_non_speech_kinds_levels_and_errors():
    for kind in R.NON_SPEECH:
        clips = R.non_speech(kind, 4, seed=3)
        assert len(clips) == 4 and all(len(c) == 6400 for c in clips)
        peaks = torch.stack([c.abs().max() for c in clips])
        if kind == "silence":  # digital zero, or hiss at -70 dBFS RMS
            rms = torch.stack([c.pow(2).mean().sqrt() for c in clips])
            assert rms.max() <= 1.01 * 10 ** (-70 / 20) and (rms == 0).sum() == 2
        else:
            assert ((peaks > 0.009) & (peaks < 0.51)).all()  # -40 to -6 dBFS
    assert torch.equal(R.non_speech("tone", 2, seed=5)[1], R.non_speech("tone", 2, seed=5)[1])
    with pytest.raises(ValueError, match="kind must be one of"):
        R.non_speech("music", 1)


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    g = torch.Generator().manual_seed(0)
    z = 3 * torch.randn(4000, 10, generator=g)
    labels = torch.multinomial((z / 2.5).softmax(-1), 1, generator=g)[:, 0]  # true temperature 2.5
    assert R.fit_temperature(z, labels) == pytest.approx(2.5, rel=0.08)
    probs = (z / R.fit_temperature(z, labels)).softmax(-1)
    assert (
        R.expected_calibration_error(probs, labels)
        < 0.03
        < R.expected_calibration_error(z.softmax(-1), labels)
    )


def test_ece_and_auroc_by_hand():
    probs = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    labels = torch.tensor([0, 1, 0, 0])
    # bins: {0.9, 0.9} accuracy 0.5 -> gap 0.4; {0.6, 0.6} accuracy 1 -> gap 0.4; ECE = 0.4
    assert R.expected_calibration_error(probs, labels) == pytest.approx(0.4)
    assert R.auroc([3, 4], [1, 2]) == 1.0 and R.auroc([1, 2], [3, 4]) == 0.0
    assert R.auroc([1, 3], [2, 2]) == 0.5 and R.auroc([1], [1]) == 0.5
    with pytest.raises(ValueError):
        R.auroc([], [1])


def test_outlier_exposure_separates_noise_from_the_classes():
    """Trained with non-speech clips, a tiny CNN trusts noise less: its top probability on noise falls
    and brown noise (which the plain model confuses with the low tone) is ranked below every tone."""
    kinds = ("white", "pink", "brown", "clicks", "silence")
    test = [tone(f, 0.15) for f in (250, 500, 1000, 2000) for _ in range(3)]
    noise_conf, brown_auroc = {}, {}
    for outliers in (0, 60):
        model = build_classifier("cnn", tiny=True)
        cfg = R.RecognitionTrainConfig(epochs=6, lr=1e-2, batch_size=16, outliers=outliers, seed=0)
        R.train_classifier(model, tones(24), cfg)
        top = {k: model.predict_proba(R.non_speech(k, 6, seed=100)).max(-1).values for k in kinds}
        noise_conf[outliers] = torch.cat(list(top.values())).mean().item()
        brown_auroc[outliers] = R.auroc(
            model.predict_proba(test).max(-1).values.tolist(), top["brown"].tolist()
        )
    assert noise_conf[60] < noise_conf[0] - 0.1
    assert brown_auroc[60] >= 0.95 and brown_auroc[0] < 0.9


def test_calibrate_keeps_the_requested_fraction_and_reject_answers_not_a_digit():
    from course_lib.evaluators import NOT_A_DIGIT

    model = build_classifier("cnn", tiny=True, seed=3)  # untrained: spread-out confidences
    with pytest.raises(ValueError, match="no rejection threshold"):
        model.predict([tone(250, 0.2)], reject=True)
    val = tones(10, seed=7)
    cal = R.calibrate(model, val, keep=0.8)
    assert cal["temperature"] > 0 and model.meta["reject_threshold"] == cal["reject_threshold"]
    waves = [w for w, _, _ in val]
    answers = model.predict(waves, reject=True)
    assert (answers != NOT_A_DIGIT).float().mean().item() == pytest.approx(0.8, abs=0.05)
    p = model.predict_proba(waves)
    expected = torch.where(p.max(-1).values >= cal["reject_threshold"], p.argmax(-1), NOT_A_DIGIT)
    assert torch.equal(answers, expected)
    model.meta["reject_threshold"] = 0.0  # accept everything the network scores ...
    silence = model.predict([torch.zeros(4000), 1e-5 * torch.ones(4000), tone(250, 0.2)], reject=True)
    assert silence[:2].tolist() == [NOT_A_DIGIT, NOT_A_DIGIT] and silence[2] != NOT_A_DIGIT  # ... but silence
    with pytest.raises(ValueError, match="keep"):
        R.calibrate(model, val, keep=0)


def test_predict_refuses_bad_input_and_reads_a_long_recording_at_its_loudest_second():
    model = build_classifier("cnn", tiny=True)
    for bad, match in [
        (torch.zeros(8000, 2), "stereo"),
        (torch.zeros(0), "empty"),
        (torch.full((800,), float("nan")), "NaN"),
        (torch.zeros(800, dtype=torch.int16), "float"),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            model.predict([bad])
    with pytest.raises(ValueError, match="8000 Hz"):
        model.predict([torch.zeros(800)], sample_rate=16000)
    digit = tone(500, 0.2)  # a minute of recording with the digit in the middle: the model reads the digit
    long = torch.cat([torch.zeros(30 * 8000), digit, torch.zeros(30 * 8000)])
    a, b = prepare_waves([long, digit], model.feature_cfg)
    inside = b != 0
    assert inside.sum() > 1500 and torch.equal(a[inside], b[inside])
    assert model.predict_proba([long]).shape == (1, 10)


def test_few_shot_support_draws_per_class_from_the_pool_reproducibly():
    labels = np.repeat(np.arange(10), 8)  # 8 items of each digit
    pool = [i for i in range(80) if i % 8 < 6]  # 6 of each in the pool
    sup = R.few_shot_support(labels, pool, 3, seed=1)
    assert sup == R.few_shot_support(labels, pool, 3, seed=1) != R.few_shot_support(labels, pool, 3, seed=2)
    assert set(sup) <= set(pool) and np.bincount(labels[sup]).tolist() == [3] * 10
    with pytest.raises(ValueError, match="fewer than per_class"):
        R.few_shot_support(labels, pool, 7)


def test_l1_penalty_gives_exact_zeros_that_satisfy_the_optimality_condition_and_l2_none():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 10
    x = torch.randn(200, 30, generator=g)
    x[:, :5] += 2 * torch.nn.functional.one_hot(y % 5, 5)  # 5 informative features, 25 noise
    l1 = R.fit_penalised_softmax(x.numpy(), y.numpy(), "l1", 0.05, steps=400)
    l2 = R.fit_penalised_softmax(x.numpy(), y.numpy(), "l2", 0.05, steps=400)
    w1 = l1.linear.weight.detach()
    assert (w1 == 0).float().mean() > 0.5 and (l2.linear.weight == 0).sum() == 0
    assert (w1[:, :5] != 0).float().mean() > (w1[:, 5:] != 0).float().mean()  # keeps the useful ones
    # optimality of the L1 fit: where w = 0 the data gradient is at most the strength
    xs = ((x - l1.mean) / l1.std).requires_grad_(False)
    w = w1.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(xs @ w.T + l1.linear.bias.detach(), y)
    (grad,) = torch.autograd.grad(loss, w)
    assert grad[w1 == 0].abs().max() <= 0.05 + 1e-3
    stronger = R.fit_penalised_softmax(x.numpy(), y.numpy(), "l1", 0.2).linear.weight
    assert (stronger == 0).sum() > (w1 == 0).sum()
    with pytest.raises(ValueError, match="penalty"):
        R.fit_penalised_softmax(x.numpy(), y.numpy(), "l0")


@pytest.mark.parametrize("arch", ["cnn", "gru"])
def test_draw_recognition_pipeline_labels_real_shapes(arch):
    import matplotlib.pyplot as plt

    model = build_classifier(arch, tiny=True)
    waves = [tone(500, 0.2), tone(1000, 0.15)]
    fig = R.draw_recognition_pipeline(model, waves)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    frames = model.features(torch.zeros(1, 2000)).shape[-1]
    assert "(B=2, T=2000)" in texts and f"(B=2, mel=16, frames={frames})" in texts
    assert "(B=2, K=10)" in texts and "no rejection threshold" in texts
    if arch == "cnn":
        assert "feature maps" in texts and "(B=2, D=" in texts
    model.meta.update(temperature=2.0, reject_threshold=0.4)
    fig2 = R.draw_recognition_pipeline(model, waves)
    assert "T = 2.00" in " ".join(t.get_text() for t in fig2.axes[0].texts)
    plt.close(fig)
    plt.close(fig2)
