# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Digital audio fundamentals
#
# A generative or recognition model never sees "sound": it sees a sequence of numbers that
# a microphone, a sampler and a quantiser produced, usually followed by a time–frequency
# transform. Each of these steps has one or two parameters that decide what the model can
# possibly learn. This chapter measures them on the Free Spoken Digit Dataset.
#
# **Learning goals.** After this notebook you can
# - explain sampling and aliasing, and hear what happens when a signal is downsampled
#   without a low-pass filter;
# - predict the quantisation noise of $b$-bit PCM (the 6.02 dB per bit rule) and check it;
# - say why µ-law and A-law keep the SNR nearly constant over a wide range of levels;
# - choose frame length, window and hop of a short-time Fourier transform, knowing the
#   time–frequency trade-off;
# - compute mel spectrograms, log-mel features and MFCCs with `course_lib.audio`;
# - state what a 1-D convolution on a waveform and a 2-D convolution on a spectrogram see,
#   and what "audio as a 128×128 image" really requires.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab only; never reinstalls torch or ipywidgets
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "course_lib @ git+https://github.com/dgm-seq-audio/course@v0.1.0"],
        check=True,
    )

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.signal import resample_poly

from course_lib.audio import (
    SAMPLE_RATE,
    log_mel,
    mel_filterbank,
    melspectrogram,
    mfcc,
    mu_law_decode,
    mu_law_encode,
    stft,
)
from course_lib.data import load_fsdd
from course_lib.metrics import snr
from course_lib.notebook import audio_player, glue, plot_spectrogram
from course_lib.utils import set_seed

set_seed(0)
SR = SAMPLE_RATE  # 8000 Hz, the rate of every recording in the course
test = load_fsdd("test")
wave, digit, speaker = test[3]
print(f"'{digit}' by {speaker}: {len(wave)} samples = {len(wave) / SR:.2f} s at {SR} Hz")

# %% [markdown]
# The recordings come from the **Free Spoken Digit Dataset** (FSDD v1.0.10)
# {cite}`jackson2016fsdd` by Zohar Jackson and contributors, licensed **CC BY-SA 4.0**; audio
# derived from it on this page is shared under the same licence.
#
# ## Sampling and the Nyquist frequency
#
# Sampling at rate $f_s$ keeps the values $x[n] = x(n / f_s)$. A sinusoid of frequency $f$
# and one of frequency $f_s - f$ give exactly the same samples:
#
# $$\cos\!\Big(2\pi (f_s - f)\frac{n}{f_s}\Big) = \cos\!\Big(2\pi n - 2\pi f \frac{n}{f_s}\Big)
# = \cos\!\Big(2\pi f \frac{n}{f_s}\Big).$$
#
# So only frequencies below the **Nyquist frequency** $f_s/2$ are represented unambiguously
# (the sampling theorem {cite}`shannon1949communication`); anything above is *folded* back
# ("aliased"). At FSDD's 8 kHz, a 5 kHz tone is indistinguishable from a 3 kHz tone:

# %%
n = torch.arange(64, dtype=torch.float64)
tone_5k = torch.cos(2 * math.pi * 5000 * n / SR)
tone_3k = torch.cos(2 * math.pi * 3000 * n / SR)
print(f"largest difference between the sampled 5 kHz and 3 kHz tones: {(tone_5k - tone_3k).abs().max():.1e}")
assert torch.allclose(tone_5k, tone_3k, atol=1e-9)

# %% [markdown]
# To *hear* aliasing, we synthesise a chirp at 16 kHz whose frequency rises from 100 Hz to
# 7.5 kHz, then bring it to 8 kHz in two ways: by keeping every second sample (no filter),
# and with `scipy.signal.resample_poly`, which low-pass filters below 4 kHz first. Above
# 4 kHz the unfiltered version folds back: its pitch *falls* while the true pitch rises.

# %%
fs_hi, dur = 16000, 1.5
t = torch.arange(int(fs_hi * dur), dtype=torch.float64) / fs_hi
f0, f1 = 100.0, 7500.0
chirp = 0.5 * torch.sin(2 * math.pi * (f0 * t + (f1 - f0) / (2 * dur) * t**2))  # f(t) = f0 + (f1 - f0) t / dur
naive = chirp[::2].float()  # 8 kHz, aliased
filtered = torch.from_numpy(resample_poly(chirp.numpy(), 1, 2)).float()  # 8 kHz, anti-aliased

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True, sharey=True)
for ax, x, title in [(axes[0], naive, "every 2nd sample (aliased)"), (axes[1], filtered, "low-pass, then downsample")]:
    spec = 20 * torch.log10(stft(x, 256, 64).abs().clamp(min=1e-5))
    plot_spectrogram(ax, spec, SR, 64, title=title)
plt.show()


# After t = 0.79 s the true chirp is above 4 kHz: a correct 8 kHz version is silent there,
# the unfiltered one plays the aliases at full level.
tail = slice(int(1.0 * SR), None)
ratio_db = 10 * torch.log10(filtered[tail].pow(2).sum() / naive[tail].pow(2).sum())
print(f"energy of the last 0.5 s, filtered vs unfiltered: {ratio_db:.0f} dB")
assert ratio_db < -20

# %% [markdown]
# Listen to both (1.5 s each): the aliased chirp turns round and comes back down.

# %%
audio_player(naive, SR, label="chirp resampled without a low-pass filter (aliased)")

# %%
audio_player(filtered, SR, label="chirp low-pass filtered, then resampled")

# %% [markdown]
# ## Quantisation noise: 6.02 dB per bit
#
# A $b$-bit uniform quantiser on $[-1, 1]$ has step $\Delta = 2 / 2^b$. If the error is
# uniform on $[-\Delta/2, \Delta/2]$ it has power $\Delta^2 / 12$, so for a full-scale sine
# (power $1/2$)
#
# $$\mathrm{SNR} = 10 \log_{10}\frac{1/2}{\Delta^2/12} = 6.02\,b + 1.76 \text{ dB}.$$
#
# Speech is far from full scale most of the time, so its SNR at the same $b$ is lower by
# its *crest factor* — but it still gains about 6 dB per bit. We measure both.

# %%
def uniform_quantise(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Mid-rise uniform quantiser on [-1, 1] with 2**bits levels."""
    levels = 2**bits
    idx = ((x + 1) / 2 * levels).floor().clamp(0, levels - 1)
    return (idx + 0.5) / levels * 2 - 1


speech = torch.cat([w for w, _, _ in list(test)[:60]])  # 60 test recordings end to end
speech = speech / speech.abs().max()  # peak at full scale
sine = torch.sin(2 * math.pi * 441.3 * torch.arange(40000) / SR).double()
bits = np.arange(2, 17)
snr_sine = np.array([snr(sine, uniform_quantise(sine, int(b))).item() for b in bits])
snr_speech = np.array([snr(speech, uniform_quantise(speech, int(b))).item() for b in bits])
slope_sine, icpt_sine = np.polyfit(bits, snr_sine, 1)
slope_speech, _ = np.polyfit(bits[4:], snr_speech[4:], 1)

fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
ax.plot(bits, snr_sine, "o-", label="full-scale sine (measured)")
ax.plot(bits, 6.02 * bits + 1.76, "k--", lw=1, label="6.02 b + 1.76 dB")
ax.plot(bits, snr_speech, "s-", label="FSDD speech, peak-normalised")
ax.set(xlabel="bits per sample b", ylabel="SNR (dB)", title="Uniform quantisation")
ax.legend()
plt.show()
print(f"sine: {slope_sine:.2f} dB/bit, intercept {icpt_sine:.2f} dB;  speech: {slope_speech:.2f} dB/bit")
print(f"speech is {np.mean(snr_sine - snr_speech):.1f} dB below the sine on average")
assert abs(slope_sine - 6.02) < 0.1 and abs(slope_speech - 6.02) < 0.3

# %% [markdown]
# ## µ-law and A-law: constant SNR over levels
#
# Telephony (ITU-T G.711 {cite}`itu1988g711`) spends 8 bits per sample on a *compressed*
# amplitude. µ-law (North America, Japan; also WaveNet's output layer
# {cite}`vandenoord2016wavenet`) uses
# $F_\mu(x) = \operatorname{sign}(x) \ln(1 + \mu|x|) / \ln(1 + \mu)$ with $\mu = 255$;
# A-law (Europe) uses, with $A = 87.6$,
#
# $$F_A(x) = \operatorname{sign}(x)\begin{cases} \dfrac{A|x|}{1 + \ln A}, & |x| < 1/A,\\[1ex]
# \dfrac{1 + \ln(A|x|)}{1 + \ln A}, & 1/A \le |x| \le 1.\end{cases}$$
#
# The compressed value is quantised uniformly, then expanded with $F^{-1}$. The quantisation
# step in $x$ is then roughly proportional to $|x|$, so the *relative* error — the SNR —
# hardly depends on the level. µ-law comes from `course_lib.audio`; A-law is three lines:

# %%
A = 87.6


def a_law(x: torch.Tensor) -> torch.Tensor:
    ax = x.abs()
    y = torch.where(ax < 1 / A, A * ax, 1 + torch.log((A * ax).clamp(min=1))) / (1 + math.log(A))
    return torch.sign(x) * y


def a_law_inverse(y: torch.Tensor) -> torch.Tensor:
    ay = y.abs() * (1 + math.log(A))
    return torch.sign(y) * torch.where(ay < 1, ay / A, torch.exp(ay - 1) / A)


levels_db = np.arange(-30, 1, 5)
curves = {"8-bit uniform": [], "8-bit µ-law": [], "8-bit A-law": []}
for lv in levels_db:
    x = speech * 10 ** (lv / 20)
    curves["8-bit uniform"].append(snr(x, uniform_quantise(x, 8)).item())
    curves["8-bit µ-law"].append(snr(x, mu_law_decode(mu_law_encode(x))).item())
    curves["8-bit A-law"].append(snr(x, a_law_inverse(uniform_quantise(a_law(x), 8))).item())

fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
for name, c in curves.items():
    ax.plot(levels_db, c, "o-", label=name)
ax.set(xlabel="peak level (dB below full scale)", ylabel="SNR (dB)", title="Companding keeps the SNR flat")
ax.legend()
plt.show()
spread = {k: max(v) - min(v) for k, v in curves.items()}
glue("fund_uniform_spread_db", spread["8-bit uniform"])
glue("fund_mulaw_spread_db", spread["8-bit µ-law"])
glue("fund_alaw_spread_db", spread["8-bit A-law"])
print("SNR range over 30 dB of levels:", {k: f"{v:.1f} dB" for k, v in spread.items()})
gap = curves["8-bit µ-law"][0] - curves["8-bit uniform"][0]
print(f"at -30 dB, µ-law is {gap:.1f} dB better than uniform PCM = {gap / 6.02:.1f} bits' worth")
assert spread["8-bit µ-law"] < 12 and spread["8-bit A-law"] < 15 and spread["8-bit uniform"] > 25

# %% [markdown]
# Uniform 8-bit PCM loses about 6 dB of SNR per 6 dB of level: its SNR varies by
# {glue:text}`fund_uniform_spread_db:.1f` dB between peak levels of −30 and 0 dBFS. The companded codes lose far
# less over the same 30 dB (µ-law {glue:text}`fund_mulaw_spread_db:.1f` dB, A-law
# {glue:text}`fund_alaw_spread_db:.1f` dB), so a quiet talker keeps a usable SNR. At
# even lower levels the companded SNR falls too: the law is logarithmic only above
# $|x| \approx 1/\mu$ (or $1/A$), and linear below.
#
# ## Frames and windows
#
# Speech changes every few tens of milliseconds, so we analyse it in short **frames** of
# $N$ samples every $H$ samples (the *hop*). Cutting a frame multiplies the signal by a
# window $w[n]$; its spectrum is the true spectrum convolved with the window's transform.
# A rectangular window has high side lobes (−13 dB) and spreads a pure tone over the whole
# spectrum ("leakage"); the Hann window $w[n] = \tfrac12\big(1 - \cos\tfrac{2\pi n}{N}\big)$
# trades a wider main lobe for side lobes that fall off quickly.

# %%
N = 256
frame = torch.sin(2 * math.pi * 1003.0 * torch.arange(N) / SR).double()  # not on an FFT bin
freqs = torch.fft.rfftfreq(N, 1 / SR)
fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
far = {}
for name, win in [("rectangular", torch.ones(N, dtype=torch.float64)), ("Hann", torch.hann_window(N, periodic=True, dtype=torch.float64))]:
    mag = torch.fft.rfft(frame * win).abs()
    db = 20 * torch.log10(mag / mag.max())
    ax.plot(freqs, db, label=name)
    far[name] = float(db[freqs > 2000].max())  # leakage more than 1 kHz away from the tone
ax.set(xlabel="frequency (Hz)", ylabel="magnitude (dB re peak)", ylim=(-120, 5), title="A 1003 Hz tone, 32 ms frame")
ax.legend()
plt.show()
print({k: f"{v:.0f} dB" for k, v in far.items()}, "= strongest leakage above 2 kHz")
assert far["Hann"] < far["rectangular"] - 30

# %% [markdown]
# ## The STFT and the time–frequency trade-off
#
# The short-time Fourier transform stacks the spectra of windowed frames:
#
# $$X[k, m] = \sum_{n=0}^{N-1} x[n + mH]\, w[n]\, e^{-2\pi i k n / N},\qquad k = 0, \dots, N/2.$$
#
# Its bins are $f_s / N$ apart and each frame lasts $N / f_s$: a longer frame resolves
# frequency better and time worse. `course_lib.audio.stft` uses a periodic Hann window and
# centred frames, as librosa does {cite}`mcfee2015librosa`.

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.2), constrained_layout=True, sharey=True)
for ax, n_fft in zip(axes, [64, 256, 1024], strict=True):
    spec = 20 * torch.log10(stft(wave, n_fft, n_fft // 4).abs().clamp(min=1e-5))
    plot_spectrogram(ax, spec, SR, n_fft // 4, title=f"N = {n_fft}: {1000 * n_fft / SR:.0f} ms, {SR / n_fft:.1f} Hz bins", colorbar=False)
plt.show()
print("spectrogram shapes (bins, frames):", {n: tuple(stft(wave, n, n // 4).shape) for n in (64, 256, 1024)})

# %% [markdown]
# With 8 ms frames the harmonics of the voice blur into broad bands, but each glottal pulse
# is visible; with 128 ms frames the harmonics are sharp lines and the onsets are smeared.
# 32 ms (256 samples at 8 kHz) is the usual compromise for speech and is this course's
# default, with a 10 ms hop (80 samples).
#
# ## Mel scale, log-mel and MFCC
#
# Pitch perception is roughly linear in frequency below 1 kHz and logarithmic above
# {cite}`stevens1937mel`. `course_lib.audio` uses Slaney's version of the **mel scale**:
# $m(f) = 3f/200$ below 1 kHz and $m(f) = 15 + 27 \ln(f / 1000) / \ln 6.4$ above.
# A **mel filterbank** of triangular filters, equally spaced in mel, turns the power
# spectrum $|X[k, m]|^2$ into band energies; their logarithm in dB is the **log-mel
# spectrogram**. **MFCCs** {cite}`davis1980mfcc` are the discrete cosine transform (DCT-II)
# of the log-mel frame along frequency: a few coefficients summarise the spectral envelope.

# %%
fb = mel_filterbank(SR, 256, n_mels=40)  # (40, 129)
mel_power = melspectrogram(wave, SR)  # (40, frames), power
lm = log_mel(wave, SR)  # (40, frames), dB
cc = mfcc(wave, SR, n_mfcc=20)  # (20, frames)
print(f"filterbank {tuple(fb.shape)}, mel power {tuple(mel_power.shape)}, log-mel {tuple(lm.shape)}, MFCC {tuple(cc.shape)}")

fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.4), constrained_layout=True)
axes[0].plot(np.linspace(0, SR / 2, fb.shape[1]), fb[::3].T.numpy())
axes[0].set(xlabel="frequency (Hz)", ylabel="weight", title="every 3rd of 40 mel filters")
plot_spectrogram(axes[1], lm, SR, 80, mel=True, title="log-mel (dB)")
im = axes[2].imshow(cc.numpy(), origin="lower", aspect="auto", cmap="coolwarm", extent=(0, cc.shape[1] * 80 / SR, 0, 20))
axes[2].set(xlabel="time (s)", ylabel="MFCC index", title="MFCC")
fig.colorbar(im, ax=axes[2], label="dB")
plt.show()
assert lm.shape == (40, len(wave) // 80 + 1) and cc.shape == (20, lm.shape[1])

# %% [markdown]
# The MFCCs are a linear, invertible (orthonormal) transform of the 40 log-mel values when
# all 40 coefficients are kept; keeping 20 discards the fine ripple across bands. The
# log-mel itself has already discarded phase and most of the harmonic detail: it is a
# description of the signal, not the signal.
#
# ## 1-D convolutions on waveforms, 2-D convolutions on spectrograms
#
# A model can read audio in two ways:
#
# - **waveform**: a 1-D convolution slides a kernel of $K$ samples along time; at 8 kHz a
#   kernel of 3 samples spans 0.375 ms, so many layers (or dilations, as in WaveNet) are
#   needed before a unit sees a whole syllable;
# - **spectrogram**: a 2-D convolution slides a $3 \times 3$ kernel over (mel band, frame);
#   one kernel spans 3 bands and 3 hops (20 ms at a 10 ms hop), and *translation* along the
#   frequency axis means a *pitch shift* — an assumption that holds only roughly for speech.
#
# The shapes and sizes of both, for one second of audio:

# %%
x = torch.randn(1, 1, SR)  # (batch, channel, time): 1 s of audio
conv1d = torch.nn.Conv1d(1, 16, kernel_size=3, padding=1)
spec_img = log_mel(x[:, 0], SR).unsqueeze(1)  # (batch, 1, 40 bands, 101 frames)
conv2d = torch.nn.Conv2d(1, 16, kernel_size=3, padding=1)
for name, layer, inp, span in [
    ("Conv1d on the waveform", conv1d, x, f"{3 / SR * 1000:.3f} ms"),
    ("Conv2d on the log-mel", conv2d, spec_img, "3 mel bands x 20 ms"),
]:
    out = layer(inp)
    print(f"{name:24s} in {tuple(inp.shape)} -> out {tuple(out.shape)}, {sum(p.numel() for p in layer.parameters())} parameters, one kernel spans {span}")

# %% [markdown]
# ### What "audio as a 128×128 image" needs
#
# Treating a spectrogram as an image is legitimate, but "128×128" is not a definition: it
# needs a sample rate, a clip length, a window, a hop and a number of frequency bands, and a
# way back to sound. At 8 kHz, 128 frames with a 64-sample hop (8 ms) cover
# $127 \times 64 = 8128$ samples, about 1.02 s. 128 mel bands need enough FFT bins: with
# $N = 256$ there are only 129 bins between 0 and 4 kHz (31 Hz apart), and the narrow mel
# filters rest on a single FFT bin each: neighbouring "bands" are then copies of one bin,
# and the image has fewer distinct rows than it seems.

# %%
for n_fft in (256, 1024):
    fb128 = mel_filterbank(SR, n_fft, n_mels=128)
    print(f"n_fft={n_fft}: {int(((fb128 > 0).sum(1) <= 1).sum())} of 128 mel filters rest on a single FFT bin")
clip = torch.nn.functional.pad(wave, (0, max(0, 8128 - len(wave))))[:8128]
image = log_mel(clip, SR, n_fft=1024, hop_length=64, n_mels=128)
print("log-mel 'image':", tuple(image.shape))
single_bin = lambda n: int(((mel_filterbank(SR, n, n_mels=128) > 0).sum(1) <= 1).sum())  # noqa: E731
assert image.shape == (128, 128) and single_bin(256) > 10 and single_bin(1024) == 0

# %% [markdown]
# The way back is the harder half: a generated 128×128 log-mel image has no phase and a
# blurred frequency axis. The best linear estimate of the power spectrum from the mel bands
# (the pseudo-inverse of the filterbank) is far from the original, so turning an image into
# sound needs phase reconstruction (Griffin–Lim) or a neural vocoder:

# %%
power = stft(clip, 1024, 64).abs() ** 2  # (513, 128)
fb1024 = mel_filterbank(SR, 1024, n_mels=128)
back = (torch.linalg.pinv(fb1024) @ (fb1024 @ power)).clamp(min=0)
err_db = 10 * torch.log10((back - power).pow(2).sum() / power.pow(2).sum())
print(f"relative error of the spectrum rebuilt from 128 mel bands: {err_db:.1f} dB (and the phase is still missing)")
assert err_db > -20

# %% [markdown]
# ## Common pitfalls
#
# :::{admonition} Downsampling by slicing
# :class: warning
# `x[::2]` halves the sample rate without removing what lies above the new Nyquist
# frequency; those components fold back as audible, wrong frequencies (the chirp above).
# Filter first: `scipy.signal.resample_poly(x, 1, 2)` or `librosa.resample`.
# :::
#
# :::{admonition} Integer PCM in a float pipeline
# :class: warning
# WAV files usually hold 16-bit integers. Feeding them unscaled gives values up to 32767
# instead of [−1, 1]; `course_lib.audio` refuses integer tensors with a message that says
# what to do:
# :::

# %%
pcm16 = (wave * 32768).round().clamp(-32768, 32767).to(torch.int16)  # the integers stored in the WAV file
try:
    log_mel(pcm16, SR)
except TypeError as err:
    print("TypeError:", err)
restored = pcm16.float() / 32768  # the convention of soundfile and librosa: int16 / 2**15
print(f"after x.float() / 32768 the samples are in [{restored.min():.3f}, {restored.max():.3f}] and "
      f"identical to the float samples read from the file: {torch.equal(restored, wave)}")
assert torch.equal(restored, wave)

# %% [markdown]
# :::{admonition} A decoder that does not return the input shape
# :class: warning
# A convolutional autoencoder with stride-2 layers maps 40 bands × 101 frames to 20 × 51
# and back to 40 × 102: sizes that are not divisible by $2^{\text{layers}}$ do not survive
# the round trip, and a loss between the two tensors either fails or silently broadcasts.
# Pad or crop the input to a multiple of $2^{\text{layers}}$ (or crop the output) and check
# the shape with an `assert`:
# :::

# %%
enc = torch.nn.Conv2d(1, 8, 3, stride=2, padding=1)
dec = torch.nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1)
one_second = torch.nn.functional.pad(wave, (0, max(0, SR - len(wave))))[:SR]
img = log_mel(one_second, SR).unsqueeze(0).unsqueeze(0)  # (1, 1, 40, 101)
print("in", tuple(img.shape), "-> out", tuple(dec(enc(img)).shape))
img_fixed = img[..., :100]  # 100 frames: divisible by 2
assert dec(enc(img_fixed)).shape == img_fixed.shape and dec(enc(img)).shape != img.shape

# %% [markdown]
# :::{admonition} The log of zero
# :class: warning
# Digital silence has zero power and $\log 0 = -\infty$. Features floor the power (here at
# $10^{-10}$) and clip to 80 dB below the peak; without that, one silent frame produces
# `-inf` and every gradient through it becomes NaN.
# :::
#
# ## Summary
#
# - Sampling at $f_s$ represents frequencies below $f_s/2$; anything above aliases, so
#   resample with a low-pass filter.
# - Uniform $b$-bit quantisation gains 6.02 dB per bit; speech sits below the full-scale
#   sine by its crest factor. µ-law and A-law vary far less with level than uniform PCM
#   (over the same range of levels: {glue:text}`fund_mulaw_spread_db:.1f` and
#   {glue:text}`fund_alaw_spread_db:.1f` dB against {glue:text}`fund_uniform_spread_db:.1f` dB).
# - The STFT's frame length sets the time–frequency trade-off (32 ms frames, 10 ms hop for
#   speech); mel filterbanks, the log and the DCT give log-mel and MFCC features.
# - A spectrogram "image" is defined only with its transform parameters, and it discards
#   phase: going back to audio needs a vocoder.
#
# ## Exercises
#
# ```{exercise} Where does the alias land?
# :label: ex-audio-fund-alias
# A 6.5 kHz tone is sampled at 8 kHz without a filter. At which frequency do you hear it?
# Check with `torch.fft.rfft` on 1 s of samples.
# ```
#
# ```{solution} ex-audio-fund-alias
# :class: dropdown
# Frequencies fold around $f_s/2 = 4$ kHz: $8000 - 6500 = 1500$ Hz.
# `f = torch.fft.rfftfreq(8000, 1/8000)[torch.fft.rfft(torch.cos(2*math.pi*6500*torch.arange(8000)/8000)).abs().argmax()]`
# gives 1500.0.
# ```
#
# ```{exercise} Bits for a quiet recording
# :label: ex-audio-fund-bits
# A recording peaks at −30 dBFS. How many bits of uniform PCM keep its SNR as high as 8-bit
# PCM gives the same recording at full scale? Use the 6.02 dB per bit rule, then measure it
# with `uniform_quantise` on `speech * 10 ** (-30 / 20)`.
# ```
#
# ```{solution} ex-audio-fund-bits
# :class: dropdown
# 30 dB less signal at the same noise floor costs $30 / 6.02 \approx 5$ bits, so 13 bits.
# Measured: `snr(x, uniform_quantise(x, 13))` for the quiet `x` is within a fraction of a
# dB of `snr(speech, uniform_quantise(speech, 8))`.
# ```
#
# ```{exercise} How many MFCCs?
# :label: ex-audio-fund-mfcc
# Rebuild the log-mel spectrogram of `wave` from its first $c$ MFCCs (the DCT matrix is
# orthonormal, so its transpose inverts it) for $c = 5, 10, 20, 40$ and plot the
# reconstruction error in dB against $c$. What does keeping 13–20 coefficients throw away?
# ```
#
# ```{solution} ex-audio-fund-mfcc
# :class: dropdown
# With `C = course_lib.audio._dct_matrix(40, 40)`, `lm_c = C[:c].T @ (C[:c] @ lm)`. The error
# falls to zero at $c = 40$. The first coefficients describe the smooth spectral envelope
# (formants, which identify the vowel); the high ones describe the fine ripple across bands
# — mostly pitch harmonics — which matter little for *what* was said.
# ```
