"""course_lib.evaluators: the trained judges the chapters score generated data with.

One section per judge; each section imports what it needs and uses no fixture of another.
"""

from __future__ import annotations

import pytest
import torch

from course_lib import checkpoints
from course_lib import evaluators as E
from course_lib.data import sines
from course_lib.evaluators import (
    discriminative_score,
    predictive_score,
)

# =============================================================================================
# Time series: TimeGAN's post-hoc discriminative and predictive scores
# =============================================================================================

# Fixed seeds; post-hoc networks trained briefly with a larger learning rate so the tests stay
# fast. Tolerances: for two samples of one distribution the held-out accuracy of a classifier on
# 2 x 100 test sequences stays within 0.5 ± 0.1; sines against uniform noise are separated almost
# perfectly (score > 0.4).
FAST = dict(iterations=150, batch_size=64, lr=1e-2, seed=0)


@pytest.fixture(scope="module")
def _one_intra_op_thread_for_scores():
    """The post-hoc GRUs are tiny: one intra-op thread is as fast and spares a loaded machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


one_thread = pytest.mark.usefixtures("_one_intra_op_thread_for_scores")


@one_thread
def test_discriminative_score_same_distribution_is_near_zero():
    a, b = sines(500, seed=1), sines(500, seed=2)
    assert discriminative_score(a, b, **FAST) < 0.1


@one_thread
def test_discriminative_score_different_distributions_is_near_half():
    a = sines(500, seed=1)
    noise = torch.rand(a.shape, generator=torch.Generator().manual_seed(0))
    assert discriminative_score(a, noise, **FAST) > 0.4


@one_thread
def test_predictive_score_real_vs_real_matches_direct_computation():
    real = sines(300, seed=3)
    kw = dict(iterations=100, batch_size=64, lr=1e-2, seed=0)
    score = predictive_score(real, real, **kw)
    model = E._fit_next_step_predictor(real, **kw)
    assert score == pytest.approx(E._next_step_mae(model, real), abs=1e-7)
    with torch.no_grad():  # the MAE written out: last feature, one step ahead
        direct = (torch.sigmoid(model(real[:, :-1, :-1])) - real[:, 1:, -1:]).abs().mean()
    assert score == pytest.approx(float(direct), abs=1e-6)
    # and the predictor learnt something: it beats predicting the mean value
    baseline = (real[:, 1:, -1] - real[:, 1:, -1].mean()).abs().mean()
    assert score < 0.8 * float(baseline)


@one_thread
def test_predictive_score_numpy_input_and_shape():
    real = sines(50, seed=4)
    s = predictive_score(real.numpy(), real.numpy(), iterations=2, batch_size=8)
    assert isinstance(s, float) and 0 <= s <= 1


@one_thread
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


@one_thread
def test_predictive_score_rejects_bad_input():
    with pytest.raises(ValueError, match="dim >= 2"):
        predictive_score(torch.rand(10, 6, 1), torch.rand(10, 6, 1), iterations=1)
    with pytest.raises(ValueError, match="must have shape"):
        predictive_score(torch.rand(10, 6), torch.rand(10, 6), iterations=1)
    with pytest.raises(ValueError, match=r"expect \[0, 1\]"):
        predictive_score(torch.rand(10, 6, 3) - 0.5, torch.rand(10, 6, 3), iterations=1)


@one_thread
def test_scores_leave_the_global_rng_alone():
    real, fake = sines(20, seed=5), sines(20, seed=6)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    discriminative_score(real, fake, iterations=2, batch_size=8)
    predictive_score(real, fake, iterations=2, batch_size=8)
    assert torch.equal(before, torch.get_rng_state())


# =============================================================================================
# Spoken-digit classifier: front end, the three back ends, checkpoints, the committed one
# =============================================================================================


def _tone(freq: float, seconds: float, amp: float = 0.5) -> torch.Tensor:
    t = torch.arange(int(seconds * 8000)) / 8000
    return amp * torch.sin(2 * torch.pi * freq * t)


@pytest.fixture(scope="module")
def tiny_cnn() -> E.SpokenDigitClassifier:
    return E.build_classifier("cnn", tiny=True).eval()


@one_thread
def test_spoken_digit_input_errors_name_the_fix(tiny_cnn):
    with pytest.raises(ValueError, match="8000 Hz"):
        tiny_cnn.predict([torch.zeros(16000)], sample_rate=16000)
    with pytest.raises(TypeError, match="float"):
        tiny_cnn.predict([torch.zeros(800, dtype=torch.int16)])
    with pytest.raises(ValueError, match="NaN"):
        tiny_cnn.predict([torch.full((800,), float("nan"))])
    with pytest.raises(ValueError, match="mono"):
        tiny_cnn.predict([torch.zeros(2, 800)])
    with pytest.raises(ValueError, match="arch must be one of"):
        E.build_classifier("lstm")


@one_thread
@pytest.mark.parametrize("n", [1, 100, 255, 2000, 8000, 20000])
def test_front_end_gives_a_fixed_shape_for_any_length(n):
    cfg = E.FeatureConfig()
    x = E.prepare_waves([_tone(440, n / 8000)], cfg)
    assert x.shape == (1, cfg.clip_samples)
    frames = cfg.clip_samples // cfg.hop_length + 1
    f = E.compute_features(x, cfg)
    assert f.shape == (1, cfg.n_features, frames) and torch.isfinite(f).all()
    assert E.compute_features(x, E.FeatureConfig(kind="mfcc")).shape == (1, 20, frames)


@one_thread
def test_spoken_digit_features_are_level_invariant(tiny_cnn):
    w = [torch.randn(3000, generator=torch.Generator().manual_seed(1)) * 0.1, _tone(500, 0.4)]
    p1 = tiny_cnn.predict_proba(w)
    p2 = tiny_cnn.predict_proba([0.05 * x for x in w])  # 26 dB quieter
    assert torch.allclose(p1, p2, atol=1e-3)  # equal up to float32 rounding near the dB floor


@one_thread
@pytest.mark.parametrize("arch", E.ARCHS)
def test_predict_handles_silence_short_and_long_input(arch):
    model = E.build_classifier(arch, tiny=True)
    noise = torch.randn(12000, generator=torch.Generator().manual_seed(0)) * 0.3
    waves = [torch.zeros(8000), torch.zeros(3), _tone(200, 0.001), _tone(300, 5.0), noise]
    pred, proba = model.predict(waves), model.predict_proba(waves)
    assert pred.shape == (5,) and pred.dtype == torch.int64 and ((pred >= 0) & (pred < 10)).all()
    assert proba.shape == (5, 10) and torch.allclose(proba.sum(-1), torch.ones(5), atol=1e-5)
    assert torch.equal(model.predict(torch.zeros(2, 4000)), model.predict([torch.zeros(4000)] * 2))
    assert model.predict([]).shape == (0,)


@one_thread
def test_default_spoken_digit_models_forward_shapes_and_seeded_init():
    x = torch.randn(2, E.FeatureConfig().clip_samples) * 0.1
    for arch in E.ARCHS:
        assert E.build_classifier(arch)(x).shape == (2, 10)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a, b = E.build_classifier("gru", seed=5), E.build_classifier("gru", seed=5)
    assert torch.equal(before, torch.get_rng_state())
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@one_thread
def test_spoken_digit_checkpoint_roundtrip_and_hash_check(tmp_path, tiny_cnn):
    path = tmp_path / "m.pt"
    digest = checkpoints.save(tiny_cnn, path, config=tiny_cnn.config_dict(), note="test")
    loaded = E.classifier_from_checkpoint(checkpoints.load(path, sha256=digest), device="cpu")
    w = [_tone(300, 0.3), _tone(700, 0.6)]
    assert torch.allclose(loaded.predict_proba(w), tiny_cnn.predict_proba(w), atol=1e-6)
    assert loaded.meta["note"] == "test" and loaded.feature_cfg == tiny_cnn.feature_cfg
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        checkpoints.load(path, sha256=digest)


@one_thread
def test_committed_spoken_digit_classifier_loads_and_predicts():
    assert checkpoints.fetch("recognition_digit_classifier").stat().st_size <= 10_000_000
    model = E.pretrained_spoken_digit_classifier(device="cpu")
    assert model.arch == "cnn" and not model.training
    pred = model.predict([torch.zeros(100), _tone(300, 0.5)])
    assert pred.shape == (2,) and ((pred >= 0) & (pred < 10)).all()


# ---------------------------------------------------------------------------------------
# Digit-image judge
# ---------------------------------------------------------------------------------------


def test_digit_image_classifier_is_accurate_gives_features_and_leaves_the_rng_alone():
    from course_lib.data import load_digits_images

    torch.manual_seed(3)
    before = torch.get_rng_state()
    model = E.digit_image_classifier(seed=0, epochs=15)
    assert torch.equal(torch.get_rng_state(), before)
    d = load_digits_images()
    with torch.no_grad():
        acc = (model(d.x_test).argmax(1) == d.y_test).float().mean().item()
        feats = model.features(d.x_test[:5])
    assert acc > 0.95, acc
    assert feats.shape == (5, 64)
    with pytest.raises(ValueError, match=r"\(B, 1, 8, 8\)"):
        model.features(torch.zeros(5, 64))


def test_spoken_digit_embeddings_are_the_head_input():
    clf = E.build_classifier("cnn", tiny=True, seed=0).eval()
    waves = torch.randn(3, 2000, generator=torch.Generator().manual_seed(0)) * 0.1
    emb = clf.embeddings(waves)
    linear = clf.backbone.head[-1]
    assert emb.shape == (3, linear.in_features)
    logits = linear(emb)  # dropout is off in eval mode: the head is just the last linear layer
    assert torch.allclose(logits.softmax(-1), clf.predict_proba(waves), atol=1e-6)
    assert clf.embeddings([]).shape == (0, linear.in_features)


@one_thread
def test_timegan_scores_repeat_each_score_over_the_seeds():
    real, fake = sines(20, seed=5), torch.rand(20, 24, 5, generator=torch.Generator().manual_seed(0))
    out = E.timegan_scores(real, fake, seeds=[0, 1], which=["disc"])
    assert set(out) == {"disc", "disc_mean", "disc_std"} and len(out["disc"]) == 2
    assert out["disc"][1] == discriminative_score(real, fake, seed=1)  # the protocol's defaults
    assert abs(out["disc_mean"] - sum(out["disc"]) / 2) < 1e-12
    with pytest.raises(ValueError, match="at least one seed"):
        E.timegan_scores(real, fake, seeds=[])
    with pytest.raises(ValueError, match="scores among"):
        E.timegan_scores(real, fake, which=["fid"])
