"""course_lib.audio: µ-law, STFT/mel/MFCC against librosa, I/O and noise mixing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import audio
from course_lib.metrics import snr

librosa = pytest.importorskip("librosa")

RATE = 8000


@pytest.fixture(scope="module")
def speech(fsdd_archive, tmp_path_factory):
    import os

    os.environ.setdefault("COURSE_CACHE", str(tmp_path_factory.mktemp("cache")))
    from course_lib.data import load_fsdd

    test = load_fsdd("test", root=fsdd_archive.parent)
    return torch.cat([w for w, _, _ in test])


def chirp(seconds: float = 1.0) -> torch.Tensor:
    t = torch.arange(int(seconds * RATE)) / RATE
    return (0.5 * torch.sin(2 * torch.pi * (100 + 1500 * t) * t)).float()


# ---------------------------------------------------------------- µ-law


def test_mu_law_round_trip_snr_on_speech_is_37_to_38_db(speech):
    codes = audio.mu_law_encode(speech)
    assert codes.dtype == torch.int64 and codes.min() >= 0 and codes.max() <= 255
    value = snr(speech, audio.mu_law_decode(codes)).item()
    assert 37.0 <= value <= 38.5, value


def test_mu_law_codes_cover_0_to_255_and_decode_is_monotone():
    x = torch.linspace(-1, 1, 100001)
    codes = audio.mu_law_encode(x)
    assert codes.min() == 0 and codes.max() == 255 and len(torch.unique(codes)) == 256
    assert torch.all(codes[1:] >= codes[:-1])
    levels = audio.mu_law_decode(torch.arange(256))
    assert torch.all(levels[1:] > levels[:-1]) and levels[0] == -1 and levels[-1] == 1


def test_mu_law_decode_of_encode_is_identity_on_levels():
    levels = audio.mu_law_decode(torch.arange(256))
    assert torch.equal(audio.mu_law_encode(levels), torch.arange(256))


def test_companded_quantise_is_the_mu_law_codec_at_8_bits_and_uniform_pcm_at_mu_0():
    x = torch.linspace(-1, 1, 4001)
    assert torch.equal(audio.companded_quantise(x, 8, 255.0), audio.mu_law_decode(audio.mu_law_encode(x)))
    levels = audio.companded_quantise(x, 3, 0.0).unique()
    assert len(levels) == 8 and torch.allclose(levels.diff(), torch.full((7,), 2 / 7))
    for mu in (0.0, 5.0, 255.0):
        assert torch.allclose(audio.mu_law_expand(audio.mu_law_compress(x, mu), mu), x, atol=1e-6)
    with pytest.raises(ValueError, match="mu must be"):
        audio.mu_law_compress(x, -1.0)
    with pytest.raises(ValueError, match="bits"):
        audio.companded_quantise(x, 0)


def test_companded_snr_is_nearly_level_independent_as_derived(speech):
    """SNR of µ-law at b bits tends to 3 (2^b - 1)^2 / ln^2(1 + µ) when µ|x| >> 1."""
    x = speech / speech.abs().max()
    bound = 10 * np.log10(3 * 255**2 / np.log(256) ** 2)
    got = [snr(x * g, audio.companded_quantise(x * g, 8, 255.0)).item() for g in (1.0, 0.1)]
    assert all(v < bound + 0.5 for v in got) and got[0] > bound - 3 and got[0] - got[1] < 8


def test_mu_law_matches_librosa():
    # The companding curves agree exactly; only the rounding to codes differs: we round
    # F(x) to the nearest of 256 levels (as WaveNet implementations do), librosa takes the
    # bin above, so codes differ by at most one step.
    x = torch.linspace(-1, 1, 2001)
    levels = torch.arange(256)
    ref_levels = librosa.mu_expand(2 * levels.numpy() / 255 - 1, mu=255, quantize=False)
    np.testing.assert_allclose(audio.mu_law_decode(levels).numpy(), ref_levels, atol=1e-6)
    ours = audio.mu_law_encode(x).numpy() - 128
    ref = librosa.mu_compress(x.numpy(), mu=255, quantize=True)  # signed codes in [-128, 127]
    assert np.abs(ours - ref).max() <= 1


def test_mu_law_rejects_bad_input():
    with pytest.raises(TypeError, match="floating point"):
        audio.mu_law_encode(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        audio.mu_law_encode(torch.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match="codes must lie"):
        audio.mu_law_decode(torch.tensor([0, 256]))
    with pytest.raises(TypeError):
        audio.mu_law_decode(torch.tensor([0.5]))


# ---------------------------------------------------------------- STFT / mel / MFCC vs librosa
# Tolerances: mel power relative error < 1e-4 (float32 FFT vs float64), dB features within
# 0.01 dB where the signal is above librosa's 80 dB floor, MFCC within 0.01.


def test_stft_matches_librosa():
    x = chirp()
    ours = audio.stft(x, 256, 80).numpy()
    ref = librosa.stft(x.numpy(), n_fft=256, hop_length=80)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 1e-3 * np.abs(ref).max()


def test_mel_filterbank_matches_librosa():
    ours = audio.mel_filterbank(RATE, 256, 40).numpy()
    ref = librosa.filters.mel(sr=RATE, n_fft=256, n_mels=40)
    assert ours.shape == ref.shape == (40, 129)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n_mels", [40, 64])
def test_melspectrogram_and_log_mel_match_librosa(speech, n_mels):
    x = speech[:16000]
    ours = audio.melspectrogram(x, RATE, n_mels=n_mels).numpy()
    ref = librosa.feature.melspectrogram(y=x.numpy(), sr=RATE, n_fft=256, hop_length=80, n_mels=n_mels)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 1e-4 * ref.max()
    ours_db = audio.log_mel(x, RATE, n_mels=n_mels).numpy()
    ref_db = librosa.power_to_db(ref, ref=1.0, amin=1e-10, top_db=80.0)
    assert np.abs(ours_db - ref_db).max() < 0.01


def test_mfcc_matches_librosa(speech):
    x = speech[:16000]
    ours = audio.mfcc(x, RATE, n_mfcc=20).numpy()
    ref = librosa.feature.mfcc(y=x.numpy(), sr=RATE, n_mfcc=20, n_fft=256, hop_length=80, n_mels=40)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 0.01


def test_features_are_batched():
    x = torch.stack([chirp(), 0.5 * chirp()])
    feats = audio.log_mel(x, RATE)
    assert feats.shape[0] == 2 and feats.shape[1] == 40
    torch.testing.assert_close(feats[0], audio.log_mel(x[0], RATE))


def test_stft_rejects_bad_shapes_and_dtypes():
    with pytest.raises(ValueError, match=r"\(time,\) or \(batch, time\)"):
        audio.stft(torch.zeros(1, 2, 100))
    with pytest.raises(TypeError, match="floating point"):
        audio.stft(torch.zeros(100, dtype=torch.int16))
    with pytest.raises(ValueError, match="n_mfcc"):
        audio.mfcc(chirp(), RATE, n_mfcc=50, n_mels=40)


# ---------------------------------------------------------------- noise and I/O


def test_add_noise_reaches_requested_snr():
    g = torch.Generator().manual_seed(0)
    clean = chirp()
    noise = torch.randn(3000, generator=g)  # shorter: gets tiled
    for target in (-5.0, 0.0, 10.0, 30.0):
        noisy = audio.add_noise(clean, noise, target)
        assert abs(snr(clean, noisy).item() - target) < 1e-3


def test_add_noise_batched_and_bad_input():
    clean = torch.stack([chirp(), 0.1 * chirp()])
    noisy = audio.add_noise(clean, torch.randn(2, 8000), 5.0)
    assert torch.allclose(snr(clean, noisy), torch.tensor([5.0, 5.0]), atol=1e-3)
    with pytest.raises(ValueError, match="silent"):
        audio.add_noise(chirp(), torch.zeros(100), 5.0)
    with pytest.raises(ValueError, match="does not match"):
        audio.add_noise(clean, torch.randn(3, 8000), 5.0)


# ---------------------------------------------------------------- checks, inverse STFT, noise, crops


def test_check_wave_accepts_mono_and_batches_and_names_each_fix():
    assert audio.check_wave(np.zeros(10, dtype=np.float64)).dtype == torch.float32
    assert audio.check_wave(torch.zeros(2, 10)).shape == (2, 10)
    with pytest.raises(TypeError, match="32768"):
        audio.check_wave(torch.zeros(10, dtype=torch.int16))
    with pytest.raises(ValueError, match="resample_poly"):
        audio.check_wave(torch.zeros(10), 16000)
    with pytest.raises(ValueError, match="stereo"):
        audio.check_wave(torch.zeros(100, 2))
    with pytest.raises(ValueError, match="mono"):
        audio.check_wave(torch.zeros(2, 10), batch=False)
    with pytest.raises(ValueError, match="empty"):
        audio.check_wave(torch.zeros(0))
    with pytest.raises(ValueError, match="NaN"):
        audio.check_wave(torch.tensor([0.0, float("nan")]))


def test_istft_inverts_stft():
    x = chirp(0.5)
    y = audio.istft(audio.stft(x, 256, 64), 256, 64, length=len(x))
    assert torch.allclose(x, y, atol=1e-5)


@pytest.mark.parametrize("kind", audio.NOISE_TYPES)
def test_make_noise_unit_rms_reproducible_and_batched(kind):
    n = audio.make_noise(kind, 4000, batch=3, seed=1)
    assert n.shape == (3, 4000)
    assert torch.allclose(n.pow(2).mean(-1).sqrt(), torch.ones(3), atol=1e-4)
    assert torch.equal(n, audio.make_noise(kind, 4000, batch=3, seed=1))
    assert audio.make_noise(kind, 100, seed=2).shape == (100,)


def test_make_noise_spectral_slopes():
    """Pink noise falls 10 dB per decade of frequency, brown 20 dB: the fitted slopes say so."""
    freqs = torch.fft.rfftfreq(8000, 1 / RATE)[1:]
    band = (freqs > 50) & (freqs < 3000)
    for kind, slope in (("white", 0.0), ("pink", -10.0), ("brown", -20.0)):
        p = torch.fft.rfft(audio.make_noise(kind, 8000, batch=32, seed=0)).abs().pow(2).mean(0)[1:]
        fit = np.polyfit(np.log10(freqs[band].numpy()), 10 * np.log10(p[band].numpy()), 1)[0]
        assert abs(fit - slope) < 2.0, (kind, fit)


def test_make_noise_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        audio.make_noise("purple", 10)
    with pytest.raises(ValueError, match="length"):
        audio.make_noise("white", 0)


def test_trim_fix_length_and_random_crops():
    x = torch.cat([torch.zeros(800), chirp(0.25), torch.zeros(800)])
    trimmed = audio.trim_silence(x)
    assert len(trimmed) < len(x) and trimmed.abs().max() == x.abs().max()
    assert audio.fix_length(torch.ones(5), 9).tolist() == [0, 0, 1, 1, 1, 1, 1, 0, 0]
    loud = torch.zeros(100)
    loud[60:70] = 1
    assert audio.fix_length(loud, 10).sum() == 10  # the loudest window of a long clip
    crops = audio.random_crops([torch.arange(50.0), torch.ones(5)], 8, 20, seed=3)
    assert crops.shape == (8, 20)
    assert torch.equal(crops, audio.random_crops([torch.arange(50.0), torch.ones(5)], 8, 20, seed=3))


def test_griffin_lim_recovers_a_consistent_magnitude(global_rng_guard):
    t = torch.arange(4096) / audio.SAMPLE_RATE
    x = torch.sin(2 * torch.pi * (300 + 400 * t) * t) * torch.hann_window(4096)  # a windowed chirp
    mag = audio.stft(x, 256, 64).abs()

    def error(iterations: int) -> float:
        y = audio.griffin_lim(mag, 256, 64, len(x), iterations=iterations, seed=0)
        assert y.shape == x.shape
        return float((audio.stft(y, 256, 64).abs() - mag).norm() / mag.norm())  # spectral convergence

    assert error(0) > 0.3  # random phase: an inconsistent spectrogram
    assert error(64) < 0.5 * error(0) and error(64) < 0.15
    batch = audio.griffin_lim(mag.expand(2, -1, -1), 256, 64, len(x), iterations=2, seed=0)
    assert batch.shape == (2, len(x)) and torch.equal(batch[0], batch[1]) is False  # own phase per item


def test_griffin_lim_rejects_bad_magnitudes():
    with pytest.raises(ValueError, match="129"):
        audio.griffin_lim(torch.ones(128, 10), 256, 64)
    with pytest.raises(ValueError, match="non-negative"):
        audio.griffin_lim(-torch.ones(129, 10), 256, 64)
