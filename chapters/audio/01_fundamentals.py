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
#
# **Prerequisites.**
# - Python and a little PyTorch (tensors, `torch.fft`): [working with the course](../setup/working_with_the_course.ipynb)
#   shows how to run the notebooks.
# - Complex exponentials $e^{i\theta} = \cos\theta + i \sin\theta$, logarithms and decibels
#   ($10 \log_{10}$ of a power ratio), and the derivative of a function of one variable.
# - Nothing from the other chapters: this page comes first. [WaveNet](../wavenet/01_wavenet.ipynb)
#   reuses its µ-law, and [spoken-digit recognition](02_recognition.ipynb) its log-mel features.
#
# **Time.** About an hour to read and work through the derivations, plus the exercises. Running the
# whole notebook costs about {glue:text}`fund_cpu_s:.0f` seconds of CPU time on one core (measured
# when this page was built, the import of PyTorch included); no GPU is needed.
#
# **Further reading** (primary sources):
# - {cite}`shannon1949communication`: the sampling theorem, in the paper that made it an engineering tool.
# - {cite}`itu1988g711`: the telephone standard that defines 8-bit µ-law and A-law.
# - {cite}`harris1978windows`: windows, leakage and side lobes, with the figures of merit of each window.
# - {cite}`stevens1937mel` and {cite}`davis1980mfcc`: the mel scale, and the MFCC features built on it.
# - {cite}`mcfee2015librosa`: the conventions (centred frames, Slaney mel filters) this course follows.

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
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from scipy.signal import resample_poly

from course_lib.audio import (
    SAMPLE_RATE,
    companded_quantise,
    log_mel,
    mel_filterbank,
    melspectrogram,
    mfcc,
    mu_law_decode,
    mu_law_encode,
    mu_law_expand,
    stft,
)
from course_lib.data import load_fsdd
from course_lib.metrics import snr
from course_lib.notebook import audio_player, glue, plot_spectrogram
from course_lib.teaching import knobs
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
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: at the end of the chirp the true frequency is 7.5 kHz. Where will
# the unfiltered 8 kHz version put it, and how much energy should the *filtered* version keep in its
# last half second?
# ```

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
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: peak-normalised speech and a full-scale sine get the same quantiser.
# Which has the higher SNR with $b = 8$, and should the slope of SNR against bits differ between them?
# ```

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
# hardly depends on the level (derived in the next section). µ-law comes from `course_lib.audio`;
# A-law is three lines.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: uniform PCM loses one decibel of SNR for every decibel the level
# drops. Sketch the curves you expect for µ-law and A-law between −30 and 0 dBFS: flat, falling as
# fast, or in between?
# ```

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
# ### Why companding equalises the relative error
#
# A derivation in six steps, for µ-law with $b$ bits (the quantiser of
# `course_lib.audio.companded_quantise`: $2^b$ levels on $[-1, 1]$, both ends included).
#
# 1. The curve and its inverse. From $y = F_\mu(x)$, $\ln(1 + \mu|x|) = |y| \ln(1 + \mu)$, so
#
#    $$F_\mu(x) = \operatorname{sign}(x)\,\frac{\ln(1 + \mu|x|)}{\ln(1 + \mu)}, \qquad
#    F_\mu^{-1}(y) = \operatorname{sign}(y)\,\frac{(1 + \mu)^{|y|} - 1}{\mu}. \tag{1}$$
#
# 2. Uniform quantisation of $y$ with step $\Delta = 2 / (2^b - 1)$ adds an error $e_y$ that, for a
#    signal spread over many steps, is close to uniform on $[-\Delta/2, \Delta/2]$:
#
#    $$\hat y = y + e_y, \qquad \mathbb{E}[e_y^2] = \frac{\Delta^2}{12}. \tag{2}$$
#
# 3. Expanding maps a small error in $y$ to an error in $x$ divided by the slope of the curve:
#
#    $$\hat x - x \approx \frac{e_y}{F_\mu'(x)}, \qquad
#    F_\mu'(x) = \frac{\mu}{(1 + \mu|x|)\ln(1 + \mu)}. \tag{3}$$
#
# 4. So the step in $x$ grows with $|x|$, and the noise power is
#
#    $$\mathbb{E}\big[(\hat x - x)^2\big] \approx \frac{\Delta^2}{12}\,
#    \frac{\ln^2(1 + \mu)}{\mu^2}\, \mathbb{E}\big[(1 + \mu|x|)^2\big]. \tag{4}$$
#
# 5. Where $\mu|x| \gg 1$, $(1 + \mu|x|)^2 / \mu^2 \approx x^2$: the noise is proportional to the
#    signal power, and the level cancels from their ratio,
#
#    $$\mathrm{SNR} = \frac{\mathbb{E}[x^2]}{\mathbb{E}[(\hat x - x)^2]} \;\to\;
#    \frac{12}{\Delta^2 \ln^2(1 + \mu)} = \frac{3\,(2^b - 1)^2}{\ln^2(1 + \mu)}. \tag{5}$$
#
# 6. Uniform PCM is the limit $\mu \to 0$: then $F' = 1$, the noise is $\Delta^2/12$ whatever the
#    signal, and the SNR falls decibel for decibel with the level:
#
#    $$\mathrm{SNR}_{\text{uniform}} = \frac{12\, \mathbb{E}[x^2]}{\Delta^2}. \tag{6}$$
#
# The price of (5) is a ceiling: with $b = 8$ and $\mu = 255$ the SNR can never exceed
# $10 \log_{10}\big(3 \cdot 255^2 / \ln^2 256\big) \approx 38$ dB, about what uniform PCM gives a
# full-scale sine with six bits. The numerical check: the prediction of (4) at every level against the
# measured SNR, and the ceiling (5).

# %%
mu, b = 255.0, 8
delta = 2 / (2**b - 1)
ceiling_db = 10 * math.log10(3 * (2**b - 1) ** 2 / math.log1p(mu) ** 2)  # eq. (5)
check_rows = []
for lv in range(-40, 1, 5):
    x = speech * 10 ** (lv / 20)
    noise = delta**2 / 12 * math.log1p(mu) ** 2 / mu**2 * (1 + mu * x.abs()).pow(2).mean()  # eq. (4)
    predicted = 10 * torch.log10(x.pow(2).mean() / noise).item()
    measured = snr(x, companded_quantise(x, b, mu)).item()
    uniform = 10 * torch.log10(12 * x.pow(2).mean() / delta**2).item()  # eq. (6)
    check_rows.append((lv, predicted, measured, uniform, snr(x, companded_quantise(x, b, 0.0)).item()))
print("level (dBFS)  µ-law: eq. (4)  measured   uniform: eq. (6)  measured")
for row in check_rows:
    print("{:8d}      {:8.2f}   {:8.2f}       {:8.2f}      {:8.2f}".format(*row))
worst = max(abs(r[1] - r[2]) for r in check_rows)
glue("fund_mu_ceiling_db", ceiling_db)
glue("fund_mu_pred_err_db", worst)
glue("fund_mu_top_db", check_rows[-1][2])
print(f"ceiling (5): {ceiling_db:.2f} dB; largest gap between (4) and the measurement: {worst:.2f} dB")
assert worst < 1.5 and abs(check_rows[-1][2] - ceiling_db) < 0.5 and all(r[2] < ceiling_db + 0.2 for r in check_rows)
assert all(abs(r[3] - r[4]) < 1.5 for r in check_rows if r[0] >= -10)  # eq. (6), where steps 2-3 hold
glue("fund_uniform_gap_db", check_rows[0][3] - check_rows[0][4])

# %% [markdown]
# Equation (4) predicts the measured µ-law SNR within {glue:text}`fund_mu_pred_err_db:.2f` dB at every
# level from −40 to 0 dBFS, and at full scale the measurement ({glue:text}`fund_mu_top_db:.2f` dB) sits
# just under the ceiling (5), {glue:text}`fund_mu_ceiling_db:.2f` dB. The gap grows at the quietest
# levels, where many samples fall in the linear part of the curve ($\mu|x| < 1$) and step 5 no longer
# holds. Equation (6) for uniform PCM fails there for a different reason: step 2 assumes the signal
# crosses many quantiser steps, but at −40 dBFS most samples lie within one step of zero, where this
# mid-rise quantiser (no level at 0) errs by about $\Delta/2$ every time, not uniformly — the
# measured SNR is {glue:text}`fund_uniform_gap_db:.1f` dB below (6).
#
# ### Hear it: µ and the number of bits
#
# The same digit at a quiet −20 dBFS peak, quantised with $b$ bits and a given $\mu$ ($\mu = 0$ is
# uniform PCM). Left: the distance between neighbouring reconstruction levels at each amplitude — flat
# for uniform PCM, proportional to the amplitude for µ-law above $1/\mu$. Right: 40 ms of the signal
# and its quantisation error, with the SNR of the whole clip. Three settings first:

# %% tags=["hide-input"]
quiet = wave / wave.abs().max() * 0.1  # the digit with its peak at -20 dBFS
t_ms = torch.arange(len(quiet)) / SR * 1000


def draw_companding(mu: float, bits: int, axes=None) -> float:
    """Level spacing against amplitude, and 40 ms of signal and error; returns the clip's SNR (dB)."""
    alone = axes is None
    if alone:
        axes = plt.subplots(1, 2, figsize=(9.5, 3), constrained_layout=True)[1]
    levels = mu_law_expand(torch.linspace(-1, 1, 2**bits, dtype=torch.float64), mu)
    levels = levels[levels > 0]
    axes[0].loglog(levels[1:], levels.diff(), "o-", ms=2, label="this quantiser")
    axes[0].loglog([1e-4, 1], [1e-4, 1], "k:", lw=1, label="spacing = amplitude")
    axes[0].set(xlim=(1e-4, 1), ylim=(1e-5, 2), xlabel="amplitude |x|", ylabel="level spacing",
                title=f"µ = {mu:g}, {bits} bits")
    axes[0].legend(loc="lower right", fontsize=8)
    xh = companded_quantise(quiet, bits, mu)
    value = snr(quiet, xh).item()
    seg = slice(int(0.25 * SR), int(0.29 * SR))
    axes[1].plot(t_ms[seg], quiet[seg], label="signal")
    axes[1].plot(t_ms[seg], (xh - quiet)[seg], label="quantisation error")
    axes[1].set(xlabel="time (ms)", ylabel="amplitude", ylim=(-0.11, 0.11), title=f"SNR of the whole clip: {value:.1f} dB")
    axes[1].legend(loc="lower right", fontsize=8)
    if alone:
        plt.show()
        display(audio_player(xh, SR, label=f"the quiet digit, {bits} bits, µ = {mu:g}"))
        display(audio_player(xh - quiet, SR, label=f"its quantisation error alone ({bits} bits, µ = {mu:g})"))
    return value


settings = [(0.0, 4), (255.0, 4), (255.0, 8)]
fig, grid = plt.subplots(len(settings), 2, figsize=(9.5, 7.5), constrained_layout=True)
grid_snr = {(m, bb): draw_companding(m, bb, row) for (m, bb), row in zip(settings, grid, strict=True)}
plt.show()
glue("fund_grid_uniform4", grid_snr[0.0, 4])
glue("fund_grid_mu4", grid_snr[255.0, 4])
assert grid_snr[0.0, 4] < 0 < grid_snr[255.0, 4] and grid_snr[255.0, 8] > grid_snr[255.0, 4]

# %% [markdown]
# With four bits, uniform PCM gives the quiet digit an SNR of {glue:text}`fund_grid_uniform4:.1f` dB —
# the error is louder than the speech — and µ-law with the same four bits
# {glue:text}`fund_grid_mu4:.1f` dB. Listen:

# %%
display(audio_player(quiet, SR, label="the quiet digit (peak at -20 dBFS), unquantised"))
display(audio_player(companded_quantise(quiet, 4, 0.0), SR, label="4 bits, uniform PCM (µ = 0)"))
display(audio_player(companded_quantise(quiet, 4, 255.0), SR, label="4 bits, µ-law with µ = 255"))

# %% [markdown]
# With a running kernel (Jupyter or Colab; the website cannot run it), the sliders below redraw the
# figure and the two players for any $\mu$ and $b$. Try to find the $\mu$ that maximises the SNR at
# four bits, then at eight.

# %%
sliders = knobs(lambda mu, bits: draw_companding(float(mu), bits), mu=(0, 1000, 5, 255), bits=(2, 12, 1, 4))

# %% [markdown]
# ## Frames and windows
#
# Speech changes every few tens of milliseconds, so we analyse it in short **frames** of
# $N$ samples every $H$ samples (the *hop*). Cutting a frame multiplies the signal by a
# window $w[n]$; its spectrum is the true spectrum convolved with the window's transform.
# A rectangular window has high side lobes (−13 dB) and spreads a pure tone over the whole
# spectrum ("leakage"); the Hann window $w[n] = \tfrac12\big(1 - \cos\tfrac{2\pi n}{N}\big)$
# trades a wider main lobe for side lobes that fall off quickly {cite}`harris1978windows`. The
# framing itself, on 40 ms of the digit with this course's $N = 256$ and $H = 80$:

# %% tags=["hide-input"]
N, H = 256, 80
start = int(0.3 * SR)  # inside the vowel
seg_t = (torch.arange(start, start + N + 3 * H) - start) / SR * 1000  # ms from the first frame's start
fig, ax = plt.subplots(figsize=(10, 3), constrained_layout=True)
ax.plot(seg_t, wave[start : start + N + 3 * H] / wave.abs().max(), color="0.6", lw=1, label="waveform")
hann = torch.hann_window(N, periodic=True)
for m in range(4):
    ax.plot((torch.arange(N) + m * H) / SR * 1000, hann, lw=1.5, label=f"window of frame m + {m}")
ax.annotate("", xy=(N / SR * 1000, 1.08), xytext=(0, 1.08), arrowprops=dict(arrowstyle="<->"))
ax.text(N / SR * 500, 1.16, f"N = {N} samples = {1000 * N / SR:.0f} ms", ha="center")
ax.annotate("", xy=(H / SR * 1000, -1.08), xytext=(0, -1.08), arrowprops=dict(arrowstyle="<->"))
ax.text(H / SR * 500, -1.28, f"hop H = {H} samples = {1000 * H / SR:.0f} ms", ha="center")
ax.set(xlabel="time from the first frame's start (ms)", ylabel="amplitude (peak = 1)", ylim=(-1.4, 1.4),
       title="Framing: overlapping Hann windows, one spectrum per frame")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
plt.show()

# %% [markdown]
# Each frame overlaps the next by $N - H = 176$ samples, so every sample is seen by about
# $N / H \approx 3$ frames, and the Hann windows of successive frames sum to a nearly constant
# weight: no part of the signal is ignored.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: a 1003 Hz tone does not fall on an FFT bin (the bins are 31.25 Hz
# apart). Will the rectangular window's spectrum be lower or higher than the Hann window's 2 kHz
# away from the tone, and by roughly how many decibels?
# ```

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
# The short-time Fourier transform stacks the spectra of windowed frames. With centred frames
# (frame $m$ is centred on sample $mH$; $x = 0$ outside the recording):
#
# $$x_m[n] = w[n]\, x\!\left[n + mH - \tfrac{N}{2}\right], \qquad n = 0, \dots, N - 1, \tag{7}$$
#
# $$X[k, m] = \sum_{n=0}^{N-1} x_m[n]\, e^{-2\pi i k n / N},\qquad k = 0, \dots, N/2. \tag{8}$$
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
# After (7) and (8), the rest of the pipeline in four equations, for $J = 40$ bands and a
# $J \times (N/2 + 1)$ matrix $M$ of triangular filters:
#
# $$P[k, m] = |X[k, m]|^2 \quad\text{(power spectrogram)} \tag{9}$$
#
# $$E[j, m] = \sum_{k=0}^{N/2} M_{jk}\, P[k, m] \quad\text{(mel band energies)} \tag{10}$$
#
# $$L[j, m] = \max\!\Big(10 \log_{10} \max\big(E[j, m], 10^{-10}\big),\; \max_{j', m'} L - 80\Big)
# \quad\text{(log-mel, dB)} \tag{11}$$
#
# $$c[q, m] = \sum_{j=0}^{J-1} s_q \cos\!\frac{\pi q (2j + 1)}{2J}\, L[j, m],\quad
# s_0 = \sqrt{1/J},\ s_{q>0} = \sqrt{2/J} \quad\text{(MFCC)} \tag{12}$$
#
# Each line is a few tensor operations; the check below computes (7)–(12) by hand and compares them
# with `course_lib.audio`:

# %%
N, H, J = 256, 80, 40
padded = torch.nn.functional.pad(wave, (N // 2, N // 2))  # x = 0 outside the recording
frames = padded.unfold(0, N, H) * torch.hann_window(N, periodic=True)  # (7): (frames, N)
X = torch.fft.rfft(frames, dim=-1).T  # (8): (N/2 + 1, frames)
P = X.abs() ** 2  # (9)
E = mel_filterbank(SR, N, J) @ P  # (10): (J, frames)
L = 10 * torch.log10(E.clamp(min=1e-10))
L = torch.maximum(L, L.max() - 80)  # (11)
q, j = torch.arange(20)[:, None], torch.arange(J)[None, :]
dct = torch.cos(torch.pi * q * (2 * j + 1) / (2 * J)) * torch.where(q == 0, math.sqrt(1 / J), math.sqrt(2 / J))
C = dct @ L  # (12): (20, frames)
print(f"{len(wave)} samples, hop {H}: 1 + {len(wave)} // {H} = {1 + len(wave) // H} frames; by hand {tuple(L.shape)}")
print(f"largest difference from log_mel: {(L - log_mel(wave, SR)).abs().max():.1e} dB, "
      f"from mfcc: {(C - mfcc(wave, SR, n_mfcc=20)).abs().max():.1e}")
assert L.shape[1] == 1 + len(wave) // H and torch.allclose(L, log_mel(wave, SR), atol=1e-3)
assert torch.allclose(C, mfcc(wave, SR, n_mfcc=20), atol=1e-2)

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
#
# ```{exercise} The ceiling of µ-law
# :label: ex-audio-fund-ceiling
# Pencil: use equation (5) to compute the largest SNR of µ-law with $\mu = 255$ for $b = 8$ and for
# $b = 16$. How many bits of *uniform* PCM give a full-scale sine the same SNR as the 8-bit ceiling?
# Why is 8-bit µ-law still preferred to 6-bit uniform PCM for telephone speech?
# ```
#
# ```{solution} ex-audio-fund-ceiling
# :class: dropdown
# $\ln 256 = 5.545$, so for $b = 8$, $3 \cdot 255^2 / 5.545^2 = 6344$, i.e. $38.0$ dB; for $b = 16$,
# $3 \cdot 65535^2 / 5.545^2 \approx 4.19 \times 10^8$, i.e. $86.2$ dB. A full-scale sine reaches
# $38.0$ dB with $b = (38.0 - 1.76) / 6.02 \approx 6$ bits of uniform PCM. But uniform PCM reaches it
# only at full scale and loses a decibel per decibel below (equation 6), while µ-law keeps close to
# its ceiling over a range of levels of about $20 \log_{10} \mu \approx 48$ dB: a quiet talker is
# served as well as a loud one.
# ```
#
# ```{exercise} The best µ depends on the level
# :label: ex-audio-fund-best-mu
# Predict, then run: with $b = 4$, which of $\mu \in \{0, 5, 15, 50, 255, 1000, 4000\}$ gives the
# highest SNR for `wave` with its peak at full scale, at −20 dBFS and at −40 dBFS? Use
# `snr(x, companded_quantise(x, 4, mu))` (or the sliders).
# ```
#
# ```{solution} ex-audio-fund-best-mu
# :class: dropdown
# `for peak in (1.0, 0.1, 0.01): x = wave / wave.abs().max() * peak; print({mu: snr(x, companded_quantise(x, 4, mu)).item() for mu in (0, 5, 15, 50, 255, 1000, 4000)})`.
# The optimum moves up as the level falls: a small $\mu$ at full scale, a few hundred at −20 dBFS and
# about a thousand at −40 dBFS. Equation (4) says why: a larger $\mu$ makes the steps finer near zero
# (the quiet samples) but multiplies the steps at high amplitudes by $\ln(1 + \mu)$; the best trade-off
# depends on where the samples lie. G.711 fixes $\mu = 255$ for speech at telephone levels.
# ```
#
# ```{exercise} Counting frames
# :label: ex-audio-fund-frames
# Pencil: with centred frames (equation 7), how many frames does the STFT of a clip of $T$ samples
# have at hop $H$? How many for `wave` at $H = 80$, and for one second at 8 kHz with the recognition
# chapter's hop of 160? Check with `stft(wave, 256, 80).shape`.
# ```
#
# ```{solution} ex-audio-fund-frames
# :class: dropdown
# Frame $m$ is centred on sample $mH$ for $m = 0, 1, \dots$ as long as $mH \le T$ (padding supplies
# the missing half-frames at both ends), so there are $1 + \lfloor T / H \rfloor$ frames: for `wave`
# ($T = 5007$), $1 + 62 = 63$; for $T = 8000$ and $H = 160$, $1 + 50 = 51$, the 51 frames of the
# recognition chapter's $40 \times 51$ log-mel input.
# ```

# %%
glue("fund_cpu_s", time.process_time())  # CPU time of the whole notebook (the "Time" note at the top)
