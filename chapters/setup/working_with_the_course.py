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
# # Working with the course
#
# Every chapter of this book is a notebook that runs on a laptop CPU in a few minutes, on
# Colab, or inside the book's continuous integration, which re-executes all of them. This
# first notebook shows the conventions the other chapters rely on.
#
# **Learning goals.** After this notebook you can
# - start any chapter on Colab or locally, with the course's helper library `course_lib`;
# - make a run repeatable (seeds) and pick a device;
# - load the Free Spoken Digit Dataset, look at a recording as a waveform and as a log-mel
#   spectrogram, and listen to it;
# - quantise speech with 8-bit µ-law and *measure* what that costs in signal-to-noise ratio.
#
# ## The first cell of every notebook
#
# On Colab the library is not installed yet. The cell below installs it from the course
# repository, **only** when it detects Colab. It leaves PyTorch and ipywidgets alone: the
# library asks only for lower bounds that Colab's preinstalled versions already meet, so pip
# has nothing to upgrade. Locally, `make book` or `pip install -e .` has installed it already.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab only; never reinstalls torch or ipywidgets
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "course_lib @ git+https://github.com/dgm-seq-audio/course@v0.1.0"],
        check=True,
    )

# %% [markdown]
# ## Seeds and devices
#
# `set_seed` seeds Python's, NumPy's and PyTorch's generators once, at the top of a notebook.
# Library functions never reseed behind your back; those that draw random numbers take an
# explicit `seed` or `torch.Generator`. `get_device` picks CUDA, then Apple's MPS, then the CPU;
# all course code runs unchanged on each (the figures in this book come from a 2-core CPU).

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.audio import SAMPLE_RATE, log_mel, mu_law_decode, mu_law_encode
from course_lib.data import load_fsdd
from course_lib.metrics import snr
from course_lib.notebook import audio_player, glue, waveform_and_spectrogram
from course_lib.utils import Timer, get_device, set_seed

set_seed(0)
device = get_device()
print("device:", device, "| torch", torch.__version__)

# %% [markdown]
# ## The Free Spoken Digit Dataset
#
# The audio chapters use the **Free Spoken Digit Dataset** (FSDD, release v1.0.10)
# {cite}`jackson2016fsdd`: 3,000 recordings of the digits 0–9 spoken in English by 6 speakers,
# 50 takes of each digit per speaker, mono, 8 kHz, stored as 16-bit PCM (one speaker's
# recordings hold only 256 levels, 8-bit content; the compression chapter shows why that matters).
# It is the work of Zohar Jackson and
# contributors and is licensed **CC BY-SA 4.0**; audio derived from it in this book is shared
# under the same licence. By the dataset's own convention, takes 0–4 form the test split and
# takes 5–49 the training split.
#
# `load_fsdd` looks for a local copy (a `root` argument, the `COURSE_DATA` variable, the
# course's offline copy, the user cache) and otherwise downloads the release from GitHub. In
# every case it checks a content hash of all 3,000 files before it returns anything, and it
# unpacks archives into a temporary folder that is renamed into place only once verified, so
# an interrupted download never leaves a half-copy behind.

# %%
with Timer() as t:
    train, test = load_fsdd("train"), load_fsdd("test")
print(train, f"loaded in {t}")
print(f"train: {len(train)} recordings, test: {len(test)} recordings")
lengths = torch.tensor([len(w) for w, _, _ in train]) / SAMPLE_RATE
print(f"durations: min {lengths.min():.2f} s, median {lengths.median():.2f} s, max {lengths.max():.2f} s")
assert (len(train), len(test)) == (2700, 300)

# %% [markdown]
# A recording is a float tensor of shape `(time,)` with samples in [−1, 1], plus its digit
# and its speaker. Below, the waveform (amplitude over time) and its **log-mel spectrogram**:
# the energy in 40 mel-spaced frequency bands, in decibels, every 10 ms. The audio chapter
# derives both step by step; here we just look and listen.

# %%
wave, digit, speaker = test[0]
print(f"digit {digit}, speaker {speaker}, {len(wave)} samples = {len(wave) / SAMPLE_RATE:.2f} s")
fig = waveform_and_spectrogram(wave, SAMPLE_RATE, title=f"'{digit}' spoken by {speaker}")
plt.show()

# %%
audio_player(wave, SAMPLE_RATE, label=f"'{digit}' spoken by {speaker}")

# %% [markdown]
# ## µ-law: more out of 8 bits
#
# Telephone speech is stored with 8 bits per sample using **µ-law companding** (ITU-T G.711
# {cite}`itu1988g711`), and WaveNet predicts the same 256 µ-law codes {cite}`vandenoord2016wavenet`.
# The signal is first compressed with
#
# $$F(x) = \operatorname{sign}(x)\,\frac{\ln(1 + \mu |x|)}{\ln(1 + \mu)}, \qquad \mu = 255,$$
#
# then $F(x) \in [-1, 1]$ is quantised uniformly to 256 levels. Quiet samples, which are most
# of speech, get fine steps; loud ones get coarse steps, where the ear and the signal-to-noise
# ratio care less. Decoding applies the inverse
# $F^{-1}(y) = \operatorname{sign}(y)\,\big((1+\mu)^{|y|} - 1\big)/\mu$.
#
# We measure the cost as the **signal-to-noise ratio** of the round trip over the whole test
# split, $\mathrm{SNR} = 10 \log_{10} \big(\sum x^2 / \sum (x - \hat x)^2\big)$, and compare with
# plain (linear) 8-bit quantisation of the same samples.

# %%
test_audio = torch.cat([w for w, _, _ in test])  # all 300 test recordings, end to end
codes = mu_law_encode(test_audio)                # int64 codes in [0, 255]
decoded = mu_law_decode(codes)
print(f"codes in [{codes.min().item()}, {codes.max().item()}], dtype {codes.dtype}")


def linear_quantise(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Uniform mid-rise quantiser on [-1, 1] with 2**bits levels."""
    levels = 2**bits
    idx = ((x + 1) / 2 * levels).floor().clamp(0, levels - 1)
    return (idx + 0.5) / levels * 2 - 1


snr_mu = glue("setup_mulaw_snr_db", snr(test_audio, decoded).item())
snr_lin8 = glue("setup_linear8_snr_db", snr(test_audio, linear_quantise(test_audio, 8)).item())
glue("setup_mulaw_gain_db", snr_mu - snr_lin8)
print(f"8-bit mu-law SNR : {snr_mu:.1f} dB")
print(f"8-bit linear SNR : {snr_lin8:.1f} dB")
assert 36.5 < snr_mu < 39.0, snr_mu
assert snr_mu > snr_lin8 + 10, "mu-law should beat linear 8-bit quantisation on speech by > 10 dB"

# %% [markdown]
# How many bits would linear quantisation need to match µ-law? Each extra bit halves the
# step, which should add about 6 dB of SNR. The figure measures it on the same test audio.
# It is the website's static version of the interactive control below.

# %%
bits = np.arange(4, 17)
snr_linear = [snr(test_audio, linear_quantise(test_audio, int(b))).item() for b in bits]
match = glue("setup_linear_bits", int(bits[np.argmax(np.array(snr_linear) >= snr_mu)]))
fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
ax.plot(bits, snr_linear, "o-", label="linear PCM")
ax.axhline(snr_mu, color="C3", ls="--", label=f"8-bit µ-law ({snr_mu:.1f} dB)")
ax.set(xlabel="bits per sample", ylabel="SNR on FSDD test (dB)", title="Quantisation noise on speech")
ax.legend()
plt.show()
print(f"linear PCM needs {match} bits to reach 8-bit mu-law's SNR")
slope = glue("setup_db_per_bit", float(np.polyfit(bits, snr_linear, 1)[0]))
print(f"slope: {slope:.2f} dB per bit")

# %% [markdown]
# Linear PCM needs {glue:text}`setup_linear_bits` bits to reach 8-bit µ-law's
# {glue:text}`setup_mulaw_snr_db:.1f` dB on these recordings, and the measured slope,
# {glue:text}`setup_db_per_bit:.2f` dB per bit, is close to the textbook 6.02 dB per bit. SNR is not
# the whole story: µ-law's advantage is largest for quiet passages (see the exercises).
#
# ## An interactive control
#
# Notebooks use `ipywidgets` for controls like this one (it needs a running kernel: on the
# website you see the static figure above instead). Move the slider to hear and measure
# µ-law at fewer bits. The course requires ipywidgets 7.7 or later; `make colab` runs every
# chapter with ipywidgets 7.7.1.

# %%
import ipywidgets as widgets
from IPython.display import display

out = widgets.Output()


def show_mu_law(bits: int = 8) -> None:
    channels = 2**bits
    rt = mu_law_decode(mu_law_encode(wave, channels), channels)
    with out:
        out.clear_output(wait=True)
        print(f"{bits}-bit mu-law: SNR {snr(wave, rt).item():.1f} dB on this recording")
        display(audio_player(rt, SAMPLE_RATE, label=f"{bits}-bit mu-law"))


slider = widgets.IntSlider(value=8, min=2, max=10, description="bits")
slider.observe(lambda change: show_mu_law(change["new"]), names="value")
show_mu_law(slider.value)
display(widgets.VBox([slider, out]))

# %% [markdown]
# ## Log-mel features are tensors too
#
# Every feature in `course_lib.audio` works on a batch and returns a tensor, so it can sit
# inside a model. The shape is `(batch, mel bands, frames)`:

# %%
batch = torch.stack([w[:4000] for w, _, _ in list(test)[:8] if len(w) >= 4000])
feats = log_mel(batch, SAMPLE_RATE)
print(f"batch {tuple(batch.shape)} -> log-mel {tuple(feats.shape)}  (10 ms frames, 40 bands, dB)")

# %% [markdown]
# ## Summary
#
# - The first cell installs `course_lib` only on Colab and never touches torch or ipywidgets.
# - `set_seed` once per notebook; randomness inside the library is explicit.
# - `load_fsdd(split)` returns verified 8 kHz recordings; FSDD is CC BY-SA 4.0 by Zohar
#   Jackson and contributors.
# - 8-bit µ-law keeps speech at {glue:text}`setup_mulaw_snr_db:.1f` dB SNR,
#   {glue:text}`setup_mulaw_gain_db:.1f` dB better than 8-bit linear PCM
#   ({glue:text}`setup_linear8_snr_db:.1f` dB).
#
# ## Exercises
#
# ```{exercise} µ-law vs A-law
# :label: ex-setup-alaw
# G.711 also defines A-law (A = 87.6). Implement A-law companding for x in [-1, 1],
# quantise to 8 bits and measure its SNR on the FSDD test split. Which law gives the higher
# SNR here, and by how much?
# ```
#
# ```{exercise} Quiet speakers
# :label: ex-setup-quiet
# Scale the test audio by 0.1 before quantising. How do the SNRs of 8-bit linear PCM and
# 8-bit µ-law change? Explain the difference from the shape of F(x).
# ```
