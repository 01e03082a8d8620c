"""Tests of course_lib.recognition: input handling, features, models, training, protocols,
scores and checkpoints. Tiny models only (the whole file runs in seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import recognition as R
from course_lib.data import FSDD_SPEAKERS
from course_lib.utils import sha256_file


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models: a second intra-op thread only adds synchronisation cost (restored after)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def tiny_model() -> R.DigitClassifier:
    torch.manual_seed(0)
    return R.build_classifier("cnn", tiny=True).eval()


def tone(freq: float, seconds: float, rate: int = 8000, amp: float = 0.5) -> torch.Tensor:
    t = torch.arange(int(seconds * rate)) / rate
    return amp * torch.sin(2 * torch.pi * freq * t)


# ----------------------------------------------------------------------------- input checks


def test_check_waves_accepts_list_batch_and_numpy():
    out = R.check_waves([torch.zeros(10), np.zeros(20, dtype=np.float32)])
    assert [w.shape[0] for w in out] == [10, 20] and all(w.dtype == torch.float32 for w in out)
    assert len(R.check_waves(torch.zeros(3, 100))) == 3
    assert len(R.check_waves(torch.zeros(100))) == 1


def test_wrong_sample_rate_and_dtype_give_clear_errors(tiny_model):
    with pytest.raises(ValueError, match="8000 Hz"):
        tiny_model.predict([torch.zeros(16000)], sample_rate=16000)
    with pytest.raises(TypeError, match="float"):
        tiny_model.predict([torch.zeros(800, dtype=torch.int16)])
    with pytest.raises(ValueError, match="NaN"):
        tiny_model.predict([torch.full((800,), float("nan"))])
    with pytest.raises(ValueError, match="mono"):
        tiny_model.predict([torch.zeros(2, 800)])


# ----------------------------------------------------------------------------- features


@pytest.mark.parametrize("n", [1, 100, 255, 2000, 8000, 20000])
def test_prepare_and_features_fixed_shape_for_any_length(n):
    cfg = R.FeatureConfig()
    x = R.prepare_waves([tone(440, n / 8000) + 0.0], cfg)
    assert x.shape == (1, cfg.clip_samples)
    f = R.compute_features(x, cfg)
    assert f.shape == (1, cfg.n_features, cfg.n_frames) and torch.isfinite(f).all()
    mf = R.compute_features(x, R.FeatureConfig(kind="mfcc"))
    assert mf.shape == (1, 20, cfg.n_frames)


def test_fix_length_crop_keeps_loudest_window_and_pad_centres():
    w = torch.zeros(1000)
    w[700:800] = 1.0
    assert R.fix_length(w, 100).sum() == 100  # the loud burst is kept
    p = R.fix_length(torch.ones(10), 30)
    assert p.shape == (30,) and p[10:20].sum() == 10 and p[:10].sum() == 0


def test_trim_silence_cuts_edges():
    w = torch.cat([torch.zeros(4000), tone(300, 0.5), torch.zeros(4000)])
    t = R.trim_silence(w)
    assert 4000 <= t.numel() < 4800
    assert R.trim_silence(torch.zeros(500)).numel() == 500  # silent clip returned as is


def test_features_are_level_invariant(tiny_model):
    torch.manual_seed(1)
    w = [torch.randn(3000) * 0.1, tone(500, 0.4)]
    p1 = tiny_model.predict_proba(w)
    p2 = tiny_model.predict_proba([0.05 * x for x in w])  # 26 dB quieter
    assert torch.allclose(p1, p2, atol=1e-3)  # equal up to float32 rounding near the dB floor


# ----------------------------------------------------------------------------- models


@pytest.mark.parametrize("arch", R.ARCHS)
def test_predict_handles_silence_short_and_long_input(arch):
    torch.manual_seed(0)
    model = R.build_classifier(arch, tiny=True)
    waves = [torch.zeros(8000), torch.zeros(3), tone(200, 0.001), tone(300, 5.0), torch.randn(12000) * 0.3]
    pred = model.predict(waves)
    proba = model.predict_proba(waves)
    assert pred.shape == (5,) and pred.dtype == torch.int64
    assert ((pred >= 0) & (pred < 10)).all()
    assert proba.shape == (5, 10) and torch.allclose(proba.sum(-1), torch.ones(5), atol=1e-5)
    assert torch.equal(model.predict(torch.zeros(2, 4000)), model.predict([torch.zeros(4000)] * 2))


def test_default_models_forward_shapes():
    x = torch.randn(2, R.FeatureConfig().clip_samples) * 0.1
    for arch in R.ARCHS:
        assert R.build_classifier(arch)(x).shape == (2, 10)


def test_augmentations_keep_shapes():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(4, 40, 51)
    out = R.spec_augment(f, R.AugmentConfig(), g)
    assert out.shape == f.shape and (out != f).any()
    s = R.shift_frames(f, torch.tensor([0, 2, -3, 0]))
    assert torch.equal(s[0], f[0]) and torch.equal(s[1, :, 2:], f[1, :, :-2])
    assert torch.equal(s[2, :, :-3], f[2, :, 3:])
    x = torch.zeros(3, 800)
    x[1] = tone(440, 0.1)
    noisy = R.augment_waves(x, (10.0, 10.0), g)
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
    with pytest.raises(ValueError):
        R.classification_loss(logits, y, "hinge")


def test_tiny_training_beats_chance():
    """Four pure tones, one per class (so the test needs no data set): a tiny CNN must learn them."""
    g = torch.Generator().manual_seed(0)
    items = []
    for k, f in enumerate([250, 500, 1000, 2000]):
        for _ in range(24):
            dur = 0.1 + 0.1 * float(torch.rand((), generator=g))
            items.append((tone(f, dur) + 0.01 * torch.randn(int(dur * 8000), generator=g), k, "synthetic"))
    model = R.train_digit_classifier(
        items, arch="cnn", tiny=True, epochs=6, seed=0, lr=1e-2, batch_size=16, progress=False
    )
    test = [(tone(f, 0.15), k) for k, f in enumerate([250, 500, 1000, 2000]) for _ in range(2)]
    acc = R.evaluate(model, test).accuracy
    assert acc >= 0.75  # chance is 0.1 over 10 outputs (0.25 over the 4 used)


# ----------------------------------------------------------------------------- scores, protocols


def test_classification_scores_match_sklearn():
    from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 200)
    p = np.where(rng.random(200) < 0.7, y, rng.integers(0, 10, 200))
    s = R.classification_scores(y, p)
    assert s.accuracy == pytest.approx((y == p).mean())
    assert s.precision == pytest.approx(precision_score(y, p, average="macro", zero_division=0))
    assert s.recall == pytest.approx(recall_score(y, p, average="macro", zero_division=0))
    assert s.f1 == pytest.approx(f1_score(y, p, average="macro", zero_division=0))
    assert np.array_equal(s.confusion, confusion_matrix(y, p, labels=range(10)))
    with pytest.raises(ValueError):
        R.classification_scores([0, 1], [0])


def test_leave_one_speaker_out_never_shares_a_speaker():
    speakers = [FSDD_SPEAKERS[i % 6] for i in range(120)]
    folds = list(R.leave_one_speaker_out(speakers))
    assert [f[0] for f in folds] == sorted(FSDD_SPEAKERS)
    seen_test = []
    for spk, train, test in folds:
        assert {speakers[i] for i in test} == {spk}
        assert spk not in {speakers[i] for i in train}
        assert sorted(train + test) == list(range(120))
        val = R.validation_speaker([speakers[i] for i in train], spk)
        assert val != spk
        tr, va = R.split_by_speaker(speakers, train, val)
        assert {speakers[i] for i in va} == {val} and val not in {speakers[i] for i in tr}
        seen_test.extend(test)
    assert sorted(seen_test) == list(range(120))


def test_official_validation_split_refuses_test_takes():
    takes = list(range(5, 50)) * 2
    tr, va = R.official_validation_split(takes)
    assert {takes[i] for i in va} == set(range(5, 10)) and min(takes[i] for i in tr) == 10
    with pytest.raises(ValueError):
        R.official_validation_split([0, 5, 6])


def test_imbalanced_subset():
    labels = np.repeat(np.arange(10), 20)
    idx = R.imbalanced_subset(labels, minority=[3, 7], keep=0.1, seed=0)
    counts = np.bincount(labels[idx], minlength=10)
    assert counts[3] == counts[7] == 2 and counts[0] == 20


def test_segment_statistics_length():
    v = R.segment_statistics(tone(400, 0.3), kind="mfcc", n_segments=12, deltas=True, trim_db=40.0)
    assert v.shape == (20 * (12 * 2 + 1),)
    assert R.segment_statistics(torch.zeros(10)).shape == (40 * 11,)


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_roundtrip_and_hash_check(tmp_path, tiny_model):
    path = tmp_path / "m.pt"
    digest = R.save_classifier(tiny_model, path, note="test")
    assert digest == sha256_file(path)
    loaded = R.load_classifier(path, digest, device="cpu")
    w = [tone(300, 0.3), torch.randn(5000) * 0.1]
    assert torch.allclose(loaded.predict_proba(w), tiny_model.predict_proba(w), atol=1e-6)
    assert loaded.meta["note"] == "test"
    with pytest.raises(ValueError, match="SHA-256"):
        R.load_classifier(path, "0" * 64)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        R.load_classifier(path, digest)


def test_shipped_checkpoint_matches_recorded_hash():
    assert R.PRETRAINED_PATH.is_file(), "the pretrained checkpoint is missing"
    assert R.PRETRAINED_PATH.stat().st_size <= 10_000_000
    assert sha256_file(R.PRETRAINED_PATH) == R.PRETRAINED_SHA256
    model = R.pretrained_digit_classifier(device="cpu")
    pred = model.predict([torch.zeros(100), tone(300, 0.5)])
    assert pred.shape == (2,) and ((pred >= 0) & (pred < 10)).all()


def test_softmax_regression_learns_separable_data_with_each_option():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 20)
    x = rng.normal(size=(200, 12)).astype(np.float32)
    x[np.arange(200), y] += 4.0  # class k is feature k
    for opts in [
        {},
        {"loss": "mse"},
        {"optimizer": "sgd", "lr": 0.1},
        {"optimizer": "adadelta", "lr": 1.0, "epochs": 40},
        {"optimizer": "rmsprop", "lr": 1e-2},
        {"class_weights": True},
        {"balanced_sampler": True},
    ]:
        opts = {"epochs": 10, **opts}  # Adadelta's steps start tiny: it needs more of them
        model = R.fit_softmax_regression(x, y, **opts)
        assert (model.predict(x) == y).mean() > 0.5, opts  # chance is 0.1
        assert len(model.history["train_loss"]) == opts["epochs"]


def test_batched_classical_features_match_clip_by_clip():
    torch.manual_seed(0)
    items = [(torch.zeros(10), 0)]
    for k in range(5):
        dur = 0.1 + 0.05 * k
        items.insert(k, (tone(300 + 100 * k, dur) * (0.2 + 0.1 * k) + 0.01 * torch.randn(int(dur * 8000)), k))
    for opts in [
        dict(kind="logmel", n_segments=10),
        dict(kind="mfcc", n_segments=12, deltas=True, trim_db=40.0),
    ]:
        x, y = R.classical_features(items, batch_size=4, **opts)
        ref = np.stack([R.segment_statistics(w, **opts) for w, _ in items])
        assert x.shape == ref.shape and np.allclose(x, ref, atol=1e-3)
        assert list(y) == [0, 1, 2, 3, 4, 0]
