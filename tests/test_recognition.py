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
from course_lib.evaluators import build_classifier
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
