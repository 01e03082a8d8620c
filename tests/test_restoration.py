"""course_lib.restoration: damage models, classical baselines, mask network, training, checkpoints."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib import audio
from course_lib import restoration as R
from course_lib.audio import NOISE_TYPES, SAMPLE_RATE
from course_lib.metrics import si_sdr, snr
from tests.conftest import assert_rng_untouched

RATE = SAMPLE_RATE
TINY = R.MaskNetConfig(n_fft=64, hop_length=16, channels=8, layers=2)


def white_noise_damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """White noise at a random SNR in [0, 5] dB, one per batch."""
    return R.add_noise_at_snr(clean, 5 * float(torch.rand(1, generator=g)), kind="white", seed=g)


def speechlike(seconds: float = 1.0, seed: int = 0) -> torch.Tensor:
    """Voiced bursts (harmonics of 120-200 Hz) separated by silences, like a spoken digit."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(int(seconds * RATE)) / RATE
    f0 = 120 + 80 * torch.rand(1, generator=g).item()
    x = sum(torch.sin(2 * math.pi * k * f0 * t) / k for k in range(1, 8))
    envelope = ((t > 0.2) & (t < 0.45)) | ((t > 0.6) & (t < 0.8))
    return (0.3 * x * envelope).float()


@pytest.mark.parametrize("kind", NOISE_TYPES)
@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 7.5, 20.0])
def test_noise_mixing_reaches_requested_snr(kind, snr_db):
    clean = speechlike()
    noisy = R.add_noise_at_snr(clean, snr_db, kind=kind, seed=3)
    assert abs(snr(clean, noisy).item() - snr_db) < 0.01


def test_noise_mixing_batch_is_per_item():
    clean = torch.stack([speechlike(seed=0), 0.1 * speechlike(seed=1)])
    noisy = R.add_noise_at_snr(clean, 5.0, kind="pink", seed=0)
    assert noisy.shape == clean.shape
    assert torch.allclose(snr(clean, noisy), torch.tensor([5.0, 5.0]), atol=0.01)


def test_noise_mixing_is_seeded_and_leaves_global_rng_alone():
    clean = speechlike()
    a = assert_rng_untouched(R.add_noise_at_snr, clean, 0.0, kind="babble", seed=5)
    assert torch.equal(a, R.add_noise_at_snr(clean, 0.0, kind="babble", seed=5))
    assert not torch.equal(a, R.add_noise_at_snr(clean, 0.0, kind="babble", seed=6))
    damaged, keep = assert_rng_untouched(R.drop_packets, clean, seed=1)
    assert torch.equal(keep, R.drop_packets(clean, seed=1)[1])


@pytest.mark.parametrize("fn", [R.spectral_subtraction, R.wiener_filter])
def test_baselines_leave_clean_input_nearly_untouched(fn):
    clean = speechlike()
    assert si_sdr(clean, fn(clean)).item() > 25.0


@pytest.mark.parametrize("fn", [R.spectral_subtraction, R.wiener_filter])
def test_baselines_improve_white_noise_at_0db(fn):
    clean = torch.stack([speechlike(seed=s) for s in range(3)])
    noisy = R.add_noise_at_snr(clean, 0.0, kind="white", seed=0)
    gain = (si_sdr(clean, fn(noisy)) - si_sdr(clean, noisy)).min().item()
    assert gain > 4.0


@pytest.mark.parametrize("fn", [R.spectral_subtraction, R.wiener_filter])
@pytest.mark.parametrize("shape", [(1000,), (3, 1000), (1, 37)])
def test_baselines_keep_shape(fn, shape):
    x = 0.1 * torch.randn(shape)
    y = fn(x)
    assert y.shape == x.shape and y.dtype == torch.float32


@pytest.mark.parametrize("fn", [R.spectral_subtraction, R.wiener_filter])
def test_baselines_batch_equals_single(fn):
    x = torch.stack([R.add_noise_at_snr(speechlike(seed=s), 5.0, seed=s) for s in range(2)])
    y = fn(x)
    assert torch.allclose(y[1], fn(x[1]), atol=1e-5)


@pytest.mark.parametrize(
    "fn",
    [
        R.spectral_subtraction,
        R.wiener_filter,
        R.MaskNet(TINY),
        R.hum_filter,
        lambda x: R.consistent_declip(x, x),
    ],
)
def test_clear_errors_on_bad_input(fn):
    with pytest.raises(ValueError, match="8000 Hz"):
        R.spectral_subtraction(torch.zeros(100), sample_rate=16000)
    with pytest.raises(ValueError, match="stereo"):
        fn(torch.zeros(8000, 2))
    with pytest.raises(ValueError, match="empty"):
        fn(torch.zeros(0))
    with pytest.raises(ValueError, match="NaN"):
        fn(torch.full((800,), float("nan")))
    with pytest.raises(ValueError, match=r"\(time,\)"):
        fn(torch.zeros(1, 3, 100))
    with pytest.raises(TypeError, match="float"):
        fn(torch.zeros(100, dtype=torch.int16))


def test_clip_and_declip():
    clean = speechlike()
    clipped = R.clip(clean, threshold=0.7)
    assert clipped.abs().max().item() == pytest.approx(0.7 * clean.abs().max().item(), rel=1e-6)
    per_item = R.clip(torch.stack([clean, clean]), threshold=torch.tensor([[0.5], [0.7]]))
    assert torch.equal(per_item[1], clipped) and per_item[0].abs().max() < clipped.abs().max()
    with pytest.raises(ValueError, match="threshold"):
        R.clip(clean, threshold=0.0)
    repaired = R.declip(clipped)
    assert repaired.shape == clean.shape
    assert snr(clean, repaired).item() > snr(clean, clipped).item() + 3


def test_drop_packets_and_interpolation():
    clean = speechlike()
    damaged, keep = R.drop_packets(clean, packet_ms=10, loss_rate=0.2, seed=1)
    assert keep.shape == clean.shape and keep.dtype == torch.bool
    assert torch.all(damaged[~keep] == 0) and torch.equal(damaged[keep], clean[keep])
    lost = 1 - keep.float().mean().item()
    assert 0.05 < lost < 0.4
    for method in ("linear", "cubic", "pitch"):
        filled = R.interpolate_gaps(damaged, keep, method=method)
        assert filled.shape == clean.shape
        assert torch.equal(filled[keep], clean[keep]), method
    # a straight line joins the neighbours of each gap
    lin = R.interpolate_gaps(damaged, keep, method="linear")
    gap = torch.nonzero(~keep)[:, 0]
    a, b = int(gap[0]) - 1, int(gap[0]) + 80  # first lost 10 ms packet and its neighbours
    assert not keep[a + 1 : b].any()
    line = torch.linspace(float(clean[a]), float(clean[b]), b - a + 1)[1:-1] if keep[b] else None
    if line is not None:
        assert torch.allclose(lin[a + 1 : b], line, atol=1e-5)
    # on a voiced (periodic) signal, repeating the pitch period beats silence
    pitch = R.interpolate_gaps(damaged, keep, method="pitch")
    assert snr(clean, pitch).item() > snr(clean, damaged).item() + 3


def test_band_limit_removes_high_frequencies():
    t = torch.arange(8000) / RATE
    x = (torch.sin(2 * math.pi * 300 * t) + torch.sin(2 * math.pi * 2000 * t)).float()
    y = R.band_limit(x, cutoff_hz=1000)
    assert torch.allclose(y, torch.sin(2 * math.pi * 300 * t).float(), atol=1e-3)


def test_masknet_shapes_and_bounds():
    net = R.MaskNet(TINY)
    for shape in [(1000,), (3, 999)]:
        assert net(torch.randn(shape) * 0.1).shape == shape
    m = net.mask(torch.rand(2, 33, 10))
    assert m.shape == (2, 33, 10) and m.min() >= 0 and m.max() <= 1


def test_pair_discriminator_conditioning():
    cond = R.PairDiscriminator(channels=4, layers=2)
    uncond = R.PairDiscriminator(channels=4, layers=2, conditional=False)
    a, b = torch.randn(3, 512), torch.randn(3, 512)
    assert cond(a, b).shape == (3,) and uncond(a, b).shape == (3,)
    # the unconditional one cannot see the damaged input
    assert torch.equal(uncond(a, b), uncond(torch.zeros_like(a), b))
    assert not torch.equal(cond(a, b), cond(torch.zeros_like(a), b))


def test_pretrained_restorers_load_and_denoise():
    clean = speechlike()
    noisy = R.add_noise_at_snr(clean, 0.0, kind="white", seed=0)
    net = R.pretrained_restorer("restoration_l1")
    assert not net.training and net.cfg.mask_max == 1.0
    with torch.no_grad():
        assert si_sdr(clean, net(noisy)).item() > si_sdr(clean, noisy).item() + 3
    with pytest.raises(KeyError, match="restoration_gaps"):
        R.pretrained_restorer("restoration_unknown")


def test_train_restorer_l1_and_gan_reduce_loss_and_leave_global_rng_alone():
    torch.manual_seed(0)
    waves = [speechlike(0.5, seed=s) for s in range(4)]
    common = dict(damage=white_noise_damage, steps=30, batch_size=4, crop=2000, lr=5e-3, cosine=False)
    for model in (R.MaskNet(TINY), (R.MaskNet(TINY), R.PairDiscriminator(channels=4, layers=2))):
        config = R.RestorerTrainConfig(**common, spec_weight=1.0, sisdr_weight=0.0)
        history = assert_rng_untouched(R.train_restorer, model, waves, config)
        rec = history.losses["rec"]
        assert len(rec) == 30 and sum(rec[-5:]) < sum(rec[:5])
        assert ("d" in history.losses) == isinstance(model, tuple)
        net = model[0] if isinstance(model, tuple) else model
        assert not net.training


def test_sisdr_term_and_cosine_schedule_raise_sisdr():
    waves = [speechlike(0.5, seed=s) for s in range(4)]
    torch.manual_seed(0)
    net = R.MaskNet(TINY)
    config = R.RestorerTrainConfig(white_noise_damage, steps=30, batch_size=4, crop=2000, lr=5e-3)
    scores = R.train_restorer(net, waves, config).losses["si_sdr"]
    assert sum(scores[-5:]) > sum(scores[:5])


# ----------------------------------------------------------------------------- real noise


def band_power(x: torch.Tensor, lo: float, hi: float) -> float:
    spec = torch.fft.rfft(x).abs().pow(2)
    f = torch.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    return spec[(f >= lo) & (f < hi)].sum().item()


def test_speech_shaped_noise_follows_the_spectrum_it_is_given():
    g = torch.Generator().manual_seed(0)
    low = torch.sin(2 * math.pi * 300 * torch.arange(8000) / SAMPLE_RATE) + 0.01 * torch.randn(
        8000, generator=g
    )
    spectrum = R.long_term_spectrum([low])
    assert spectrum.argmax().item() == round(300 / (SAMPLE_RATE / 256))  # the 300 Hz bin
    n = R.speech_shaped_noise(spectrum, 16000, seed=1)
    assert n.pow(2).mean().item() == pytest.approx(1.0, rel=1e-4)
    assert band_power(n, 200, 400) > 50 * band_power(n, 2000, 4000)  # shaped like its source
    assert torch.equal(n, R.speech_shaped_noise(spectrum, 16000, seed=1))
    assert R.speech_shaped_noise(spectrum, 100, batch=3, seed=2).shape == (3, 100)


def test_babble_is_unit_rms_seeded_and_needs_enough_talkers():
    pool = [0.3 * torch.sin(2 * math.pi * f * torch.arange(3000) / SAMPLE_RATE) for f in (200, 300, 400, 500)]
    b = R.babble_noise(pool, 12000, seed=3)
    assert b.shape == (12000,) and b.pow(2).mean().item() == pytest.approx(1.0, rel=1e-4)
    assert torch.equal(b, R.babble_noise(pool, 12000, seed=3))
    assert not torch.equal(b, R.babble_noise(pool, 12000, seed=4))
    with pytest.raises(ValueError, match="at least 4 recordings"):
        R.babble_noise(pool[:3], 100)


def test_hum_filter_removes_mains_harmonics_and_keeps_the_speech_band_between():
    hum = audio.make_noise("hum", 16000, seed=0)
    between = torch.sin(
        2 * math.pi * 475 * torch.arange(16000) / SAMPLE_RATE
    )  # midway between 450 and 500 Hz
    assert R.hum_filter(hum, highpass_hz=100).pow(2).mean() < 0.05 * hum.pow(2).mean()
    kept = R.hum_filter(between)[2000:-2000].pow(2).mean() / between[2000:-2000].pow(2).mean()
    assert kept > 0.85  # within 0.7 dB: the notches are narrow (q = 10 everywhere would keep about half)
    assert R.hum_filter(torch.stack([hum, between])).shape == (2, 16000)


def test_consistent_declip_keeps_reliable_samples_and_respects_the_clip_level():
    x = 0.8 * torch.sin(2 * math.pi * 200 * torch.arange(800) / SAMPLE_RATE)
    clipped = R.clip(x, threshold=0.3)
    level = clipped.abs().max()
    guess = torch.zeros_like(x)  # a poor estimate: the projection still honours what is known
    out = R.consistent_declip(clipped, guess)
    reliable = clipped.abs() < 0.999 * level
    assert torch.equal(out[reliable], clipped[reliable])
    assert (out[~reliable] * torch.sign(clipped[~reliable]) >= level - 1e-6).all()
    assert si_sdr(x, R.consistent_declip(clipped, x)) > 60  # the truth is consistent: unchanged


def test_fold_spectrum_mirrors_a_tone_about_2_khz_and_gain_zero_leaves_the_band_empty():
    t = torch.arange(4000) / (RATE // 2)
    x4 = 0.5 * torch.sin(2 * math.pi * 500 * t)  # 1 s at 4 kHz
    folded, empty = R.fold_spectrum(x4), R.fold_spectrum(x4, gain=0.0)
    assert folded.shape == (8000,)
    f = torch.fft.rfftfreq(8000, 1 / RATE)
    spec, spec0 = torch.fft.rfft(folded).abs(), torch.fft.rfft(empty).abs()
    upper = f > 2000
    assert f[upper][spec[upper].argmax()] == 3500  # 4000 - 500
    assert spec0[upper].max() < 1e-3 * spec0.max()
    assert f[spec0.argmax()] == 500
    with pytest.raises(ValueError, match="gain"):
        R.fold_spectrum(x4, gain=-1)


def broadband(seed: int = 0) -> torch.Tensor:
    """speechlike() plus white noise, so that 2-4 kHz holds energy."""
    return speechlike(seed=seed) + 0.02 * torch.randn(RATE, generator=torch.Generator().manual_seed(seed))


def test_to_half_rate_removes_the_upper_band():
    x = broadband()
    x4 = R.to_half_rate(x)
    assert x4.shape == (4000,)
    back = R.fold_spectrum(x4, gain=0.0, length=len(x))
    assert R.band_lsd(x, back) > 10 and R.band_lsd(x, x) == 0


def test_band_lsd_ignores_errors_outside_its_band():
    x = broadband()
    damaged = R.band_limit(x, cutoff_hz=1500)  # loses 1.5-4 kHz
    assert R.band_lsd(x, damaged, low_hz=100, high_hz=1400) < 0.5
    assert R.band_lsd(x, damaged, low_hz=2000, high_hz=4000) > 10
    assert R.band_lsd(torch.stack([x, x]), torch.stack([x, damaged])).shape == (2,)
    with pytest.raises(ValueError, match="one shape"):
        R.band_lsd(x, x[:-1])


def test_train_band_extender_lowers_the_loss_and_leaves_rng_alone():
    torch.manual_seed(0)
    model = R.MaskNet(R.MaskNetConfig(channels=4, layers=1, mask_max=2.0))
    data = [broadband(seed=i) for i in range(2)]
    history = assert_rng_untouched(
        R.train_band_extender, model, data, steps=12, batch_size=2, crop=1000, lr=1e-2, seed=0
    )
    losses = history.losses["loss"]
    assert len(losses) == 12 and sum(losses[-3:]) < sum(losses[:3])
    assert not model.training


def test_draw_mask_network_labels_real_shapes():
    import matplotlib.pyplot as plt

    torch.manual_seed(0)
    model = R.MaskNet(TINY).eval()
    fig = R.draw_mask_network(model, speechlike(0.5))
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    frames = 4000 // TINY.hop_length + 1
    assert "(B=1, T=4000)" in texts and f"(B=1, F=33, frames={frames})" in texts
    assert "Conv1d 33->8" in texts and "dilation 1, 2" in texts
    assert "Mask estimation" in fig.axes[0].get_title()
    plt.close(fig)


def test_sparse_declip_recovers_a_sparse_signal_and_stays_consistent():
    t = torch.arange(2400) / SAMPLE_RATE
    x = 0.6 * torch.sin(2 * math.pi * 250 * t) + 0.3 * torch.sin(2 * math.pi * 625 * t + 1.0)
    clipped = R.clip(x, threshold=0.4)
    level = clipped.abs().max()
    out = R.sparse_declip(clipped)
    reliable = clipped.abs() < 0.999 * level
    assert torch.equal(out[reliable], clipped[reliable])  # the known samples are untouched
    assert (out[~reliable] * torch.sign(clipped[~reliable]) >= level - 1e-6).all()
    # two sinusoids are sparse in the DFT: A-SPADE rebuilds the peaks far better than the spline
    assert si_sdr(x, out) > si_sdr(x, clipped) + 10
    assert si_sdr(x, out) > si_sdr(x, R.declip(clipped)) + 5
    batch = R.sparse_declip(torch.stack([clipped, clipped * 0.5]))
    assert torch.allclose(batch[0], out, atol=1e-6) and torch.allclose(batch[1], out * 0.5, atol=1e-6)


def test_sparse_declip_leaves_an_unclipped_recording_alone_and_rejects_bad_input():
    x = 0.5 * torch.sin(2 * math.pi * 300 * torch.arange(1600) / SAMPLE_RATE)
    assert torch.equal(R.sparse_declip(x, threshold=0.9), x)  # nothing reaches the level
    with pytest.raises(ValueError, match="all-zero"):
        R.sparse_declip(torch.zeros(800))
    with pytest.raises(ValueError, match="hop"):
        R.sparse_declip(x, frame=256, hop=100)
    with pytest.raises(ValueError, match="redundancy"):
        R.sparse_declip(x, redundancy=0)
    with pytest.raises(ValueError, match="NaN"):
        R.sparse_declip(torch.full((800,), float("nan")))
