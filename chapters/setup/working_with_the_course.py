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
# - quantise speech with 8-bit µ-law and *measure* what that costs in signal-to-noise ratio;
# - say what differs between PyTorch, TensorFlow and JAX for the models of this book.
#
# **Prerequisites.** Python and NumPy; calculus up to the chain rule; probability up to
# expectation, variance and the Gaussian. A first look at PyTorch tensors and `nn.Module` helps,
# but every chapter spells out its code. The symbols used throughout are collected on the
# [notation page](../../notation.md). After this notebook, start with
# [GAN foundations](../gan/01_foundations.ipynb), or go straight to
# [audio fundamentals](../audio/01_fundamentals.ipynb) for the audio chapters.
#
# **Time.** Reading and doing the exercises: about an hour. Running: the code cells of this
# notebook took {glue:text}`setup_run_seconds:.0f` seconds on the machine that built this page
# (measured by the last cell; the data download on a first run comes on top).
#
# **Further reading.**
# - {cite}`jackson2016fsdd`: the Free Spoken Digit Dataset, its recordings, speakers and licence.
# - {cite}`itu1988g711`: the telephone standard that defines µ-law and A-law at 8 bits per sample.
# - {cite}`shannon1949communication`: why 8000 samples per second carry everything below 4 kHz.
# - {cite}`paszke2019pytorch`: the design of PyTorch, the framework every chapter uses.
# - {cite}`vandenoord2016wavenet`: the WaveNet paper, which predicts the same 256 µ-law codes.
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
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.audio import SAMPLE_RATE, log_mel, mu_law_decode, mu_law_encode
from course_lib.data import load_fsdd
from course_lib.metrics import snr
from course_lib.notebook import audio_player, glue, waveform_and_spectrogram
from course_lib.utils import Timer, get_device, set_seed

started = time.perf_counter()
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
# $$
# F(x) = \operatorname{sign}(x)\,\frac{\ln(1 + \mu |x|)}{\ln(1 + \mu)}, \qquad \mu = 255,
# $$
#
# then $F(x) \in [-1, 1]$ is quantised uniformly to 256 levels. Quiet samples, which are most
# of speech, get fine steps; loud ones get coarse steps, where the ear and the signal-to-noise
# ratio care less. Decoding applies the inverse
# $F^{-1}(y) = \operatorname{sign}(y)\,\big((1+\mu)^{|y|} - 1\big)/\mu$.
#
# We measure the cost as the **signal-to-noise ratio** of the round trip over the whole test
# split, $\mathrm{SNR} = 10 \log_{10} \big(\sum x^2 / \sum (x - \hat x)^2\big)$, and compare with
# plain (linear) 8-bit quantisation of the same samples.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: both quantisers spend 8 bits per sample. Which one will have the
# higher SNR on speech, and by roughly how much?
# ```

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
# step, which should add about 6 dB of SNR. Where that rule comes from, in four steps, for a
# uniform quantiser with $b$ bits on $[-1, 1]$ and a signal of power $\sigma_x^2$:
#
# 1. The step is the range over the number of levels:
#    ```{math}
#    \Delta = 2 / 2^{b} . \tag{1}
#    ```
# 2. If the signal crosses many steps, the error $e = \hat x - x$ is spread evenly over one step,
#    uniform on $[-\Delta/2, \Delta/2]$, with power
#    ```{math}
#    \sigma_e^2 = \frac{1}{\Delta}\int_{-\Delta/2}^{\Delta/2} e^2\,de = \frac{\Delta^2}{12} = \frac{1}{3 \cdot 4^{b}} . \tag{2}
#    ```
# 3. Hence
#    ```{math}
#    \mathrm{SNR} = 10 \log_{10}\frac{\sigma_x^2}{\sigma_e^2}
#    = 10 \log_{10}(3\sigma_x^2) + b \cdot 20 \log_{10} 2 . \tag{3}
#    ```
# 4. $20 \log_{10} 2 \approx 6.02$: every bit adds about $6$ dB, and the offset
#    $10 \log_{10}(3\sigma_x^2)$ falls by $10$ dB each time the signal power falls tenfold.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: speech is quiet most of the time, so $\sigma_x^2$ is small. Will
# equation (3) hold for $b = 4$ as well as for $b = 12$? How many bits will linear PCM need to match
# 8-bit µ-law?
# ```
#
# The cell measures the SNR at every bit depth on the same test audio, next to equation (3);
# the figure is also the website's static version of the interactive control further down.

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
# Equation (3) next to the measurement. It assumes the error is spread evenly over a step, which
# fails for recordings that already sit on a grid: one speaker's files hold 8-bit content (see the
# FSDD section), so the check uses the other speakers' test recordings.

# %%
speakers = sorted(set(test.speakers))
eight_bit = [s for s in speakers
             if all(torch.equal(w * 128, (w * 128).round()) for w, _, spk in test if spk == s)]
fine = torch.cat([w for w, _, spk in test if spk not in eight_bit])
measured = np.array([snr(fine, linear_quantise(fine, int(b))).item() for b in bits])
predicted = 10 * np.log10(3 * fine.pow(2).mean().item()) + 20 * np.log10(2) * bits  # equation (3)
for b, m, p in zip(bits, measured, predicted, strict=True):
    print(f"{b:2d} bits: measured {m:6.2f} dB, equation (3) {p:6.2f} dB, difference {m - p:+.2f} dB")
gap = measured - predicted
middle = (bits >= 11) & (bits <= 13)
glue("setup_eq3_gap_middle", float(np.abs(gap[middle]).max()))
glue("setup_eq3_gap_4bit", float(-gap[bits == 4][0]))
glue("setup_eq3_gap_16bit", float(-gap[bits == 16][0]))
print(f"speakers left out (8-bit content): {eight_bit}")
assert np.abs(gap[middle]).max() < 0.25
assert abs(-gap[bits == 16][0] - 10 * np.log10(3)) < 0.2  # every sample on a cell boundary: see below

# %% [markdown]
# Linear PCM needs {glue:text}`setup_linear_bits` bits to reach 8-bit µ-law's
# {glue:text}`setup_mulaw_snr_db:.1f` dB on these recordings, and the measured slope,
# {glue:text}`setup_db_per_bit:.2f` dB per bit, is close to the textbook 6.02 dB per bit.
#
# For $b$ from $11$ to $13$, equation (3) matches the measurement to within
# {glue:text}`setup_eq3_gap_middle:.2f` dB. It fails at both ends, and each failure is step 2 failing:
# at $b = 4$ the measurement is {glue:text}`setup_eq3_gap_4bit:.1f` dB below it, because most speech
# samples then lie within a step or two of zero and the error is not spread evenly; at $b = 16$ it is
# {glue:text}`setup_eq3_gap_16bit:.2f` dB below, because the recordings are themselves 16-bit, so every
# sample sits exactly on a cell boundary of the 16-bit mid-rise quantiser. The error is then always
# half a step, with power $\Delta^2/4$ instead of $\Delta^2/12$: $10\log_{10} 3 \approx 4.77$ dB worse.
# SNR is not the whole story either: µ-law's advantage is largest for quiet passages (see the
# exercises).
#
# ## An interactive control
#
# Notebooks use `ipywidgets` for controls such as the slider below. It needs a running kernel; on
# the website you see only the static figure before it, drawn by the same function at four
# settings. The course requires ipywidgets 7.7 or later; `make colab` runs every chapter with
# ipywidgets 7.7.1.

# %% tags=["hide-input"]
from IPython.display import display

from course_lib.teaching import knobs

start = int(np.argmax(wave.abs().numpy()))  # 20 ms around the loudest sample
span = slice(max(0, start - 80), start + 80)


def show_mu_law(bits=8, ax=None):
    """20 ms of `wave` and its `bits`-bit mu-law round trip, with the SNR over the whole recording."""
    channels = 2**bits
    rt = mu_law_decode(mu_law_encode(wave, channels), channels)
    show = ax is None
    ax = ax or plt.subplots(figsize=(6, 3))[1]
    t = 1000 * np.arange(span.start, span.stop) / SAMPLE_RATE
    ax.plot(t, wave[span], "k", lw=1, label="original")
    ax.step(t, rt[span], where="mid", color="C3", lw=1, label=f"{bits}-bit µ-law")
    ax.set(xlabel="time (ms)", ylabel="amplitude", title=f"{bits} bits: SNR {snr(wave, rt).item():.1f} dB")
    ax.legend(fontsize=8, loc="lower right")
    if show:
        plt.show()
        display(audio_player(rt, SAMPLE_RATE, label=f"{bits}-bit mu-law"))


fig, axes = plt.subplots(2, 2, figsize=(9, 5.5), sharex=True, sharey=True)
for ax, b in zip(axes.ravel(), (2, 3, 4, 8), strict=True):
    show_mu_law(b, ax)
fig.suptitle(f"mu-law at four bit depths: '{digit}' spoken by {speaker}")
fig.tight_layout()
plt.show()

# %%
sliders = knobs(show_mu_law, bits=(2, 10, 1, 8))

# %% [markdown]
# ## Log-mel features are tensors too
#
# Every feature in `course_lib.audio` works on a batch and returns a tensor, so it can sit
# inside a model. The shape is `(batch, mel bands, frames)`.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: 4000 samples at 8 kHz, a hop of 80 samples (10 ms), frames centred
# on every hop, 40 mel bands. What shape comes out?
# ```

# %%
batch = torch.stack([w[:4000] for w, _, _ in list(test)[:8] if len(w) >= 4000])
feats = log_mel(batch, SAMPLE_RATE)
print(f"batch {tuple(batch.shape)} -> log-mel {tuple(feats.shape)}  (10 ms frames, 40 bands, dB)")

# %% [markdown]
# ## Choosing a framework
#
# Every model in this book is written in PyTorch {cite}`paszke2019pytorch`. TensorFlow
# {cite}`abadi2016tensorflow` and JAX {cite}`bradbury2018jax` can express all of them; what
# changes is how you write and run the code. The differences that matter for GANs, VAEs, WaveNet
# and recurrent models:
#
# | | PyTorch | TensorFlow 2 | JAX |
# |---|---|---|---|
# | execution | eager: each operation runs when Python reaches it {cite}`paszke2019pytorch`; `torch.compile` captures graphs from the same code {cite}`ansel2024pytorch2` | eager by default, `tf.function` traces Python into a dataflow graph {cite}`agrawal2019tfeager`; TensorFlow 1 required the graph first {cite}`abadi2016tensorflow,agrawal2019tfeager` | transformations of pure functions: `jax.jit` traces a function and compiles it with XLA {cite}`bradbury2018jax` |
# | gradients | reverse mode recorded while the forward pass runs; `loss.backward()` fills each parameter's `.grad` {cite}`paszke2019pytorch` | `tf.GradientTape` records the operations run inside it {cite}`agrawal2019tfeager` | `jax.grad(f)` returns a new function that computes the gradient of `f` {cite}`bradbury2018jax` |
# | randomness | generators with state: every draw advances it (a global one, or a `torch.Generator`; the cell below shows it) | `tf.random.Generator` objects with state, and stateless functions that take the seed as an argument {cite}`tensorflowdocs2024random` | an explicit key passed to every random call; the same key gives the same numbers, `jax.random.split` makes new keys {cite}`jaxdocs2024random` |
# | data | `Dataset` and `DataLoader`, batching and worker processes {cite}`pytorchdocs2024data` | `tf.data` pipelines {cite}`tensorflowdocs2024data` | no loader of its own; it works with the others' loaders {cite}`flaxdocs2024dataloaders` |
# | compilation, deployment | `torch.compile` compiles the captured graph into kernels {cite}`ansel2024pytorch2` | graphs permit compiler optimisations and simplify deployment {cite}`agrawal2019tfeager` | `jax.jit` compiles with XLA for CPUs, GPUs and TPUs {cite}`bradbury2018jax` |
#
# For this book, three consequences. Eager execution makes the debugging style of the chapters
# possible: print a shape or assert on a loss in the middle of a training step. Explicit
# randomness is a discipline in PyTorch (`course_lib` passes a `torch.Generator` or a seed to
# every function that draws) but the rule in JAX, where a GAN step must be handed its keys. And
# nothing here was benchmarked across frameworks, so this page makes no speed claim. The cell
# shows the three PyTorch behaviours in the table: eager values, a recorded gradient, and a
# generator whose state advances (next to the JAX habit of one fixed key per call, imitated with a
# freshly seeded generator).
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: a `torch.Generator` seeded with 0 draws three numbers, then three
# more. Are the two triples equal? What about two generators each seeded with 0?
# ```

# %%
x = torch.tensor(2.0, requires_grad=True)
y = x**3  # eager: the value exists now, and autograd has recorded how it was made
print("y =", y.item(), "| recorded by:", type(y.grad_fn).__name__)
y.backward()
print("dy/dx at 2 =", x.grad.item(), "(3 x^2 = 12)")
grad_fn = torch.func.grad(lambda v: v**3)  # the functional style, as jax.grad
print("torch.func.grad(v -> v^3)(2) =", grad_fn(torch.tensor(2.0)).item())

g = torch.Generator().manual_seed(0)
first, second = torch.randn(3, generator=g), torch.randn(3, generator=g)
same_key = [torch.randn(3, generator=torch.Generator().manual_seed(0)) for _ in range(2)]
print("stateful: two draws equal?", torch.equal(first, second))
print("one fixed 'key' per call: two draws equal?", torch.equal(*same_key))
assert x.grad.item() == 12 and not torch.equal(first, second) and torch.equal(*same_key)

# %% [markdown]
# ## Summary
#
# - The first cell installs `course_lib` only on Colab and never touches torch or ipywidgets.
# - `set_seed` once per notebook; randomness inside the library is explicit.
# - `load_fsdd(split)` returns verified 8 kHz recordings; FSDD is CC BY-SA 4.0 by Zohar
#   Jackson and contributors.
# - 8-bit µ-law keeps speech at {glue:text}`setup_mulaw_snr_db:.1f` dB SNR,
#   {glue:text}`setup_mulaw_gain_db:.1f` dB better than 8-bit linear PCM
#   ({glue:text}`setup_linear8_snr_db:.1f` dB); linear PCM gains about 6 dB per bit, as equation
#   (3) predicts once the signal spans many steps.
# - PyTorch runs eagerly and keeps random state in generators; JAX transforms pure functions and
#   passes keys; TensorFlow 2 sits between, eager with traced graphs. The models of this book
#   need none of the differences, but reproducibility and debugging look different in each.
#
# ## Exercises
#
# ```{exercise} µ-law vs A-law
# :label: ex-setup-alaw
# G.711 also defines A-law (A = 87.6). Implement A-law companding for x in [-1, 1],
# quantise to 8 bits and measure its SNR on the FSDD test split. Which law gives the higher
# SNR here, and by how much?
# ```
# ```{solution} ex-setup-alaw
# :class: dropdown
# A-law: $F(x) = \operatorname{sign}(x)\,\frac{A|x|}{1 + \ln A}$ for $|x| < 1/A$ and
# $\operatorname{sign}(x)\,\frac{1 + \ln(A|x|)}{1 + \ln A}$ otherwise, with inverse
# $|x| = |y|(1 + \ln A)/A$ for $|y| < 1/(1 + \ln A)$ and $e^{|y|(1 + \ln A) - 1}/A$ otherwise.
# Quantise $F(x)$ with `linear_quantise(F(x), 8)`, invert, and call `snr`. The two laws end up
# close: A-law is linear (fine, uniform steps) for the quietest samples and logarithmic above, so
# which wins depends on how much of the signal lies below $1/A$ of full scale. The audio chapter
# measures both on FSDD and quotes the spread of their SNRs.
# ```
#
# ```{exercise} Quiet speakers
# :label: ex-setup-quiet
# Scale the test audio by 0.1 before quantising. How do the SNRs of 8-bit linear PCM and
# 8-bit µ-law change? Explain the difference from the shape of F(x).
# ```
# ```{solution} ex-setup-quiet
# :class: dropdown
# Linear PCM loses about $20$ dB: by equation (3) its SNR follows $10\log_{10}\sigma_x^2$ and the
# power fell a hundredfold. µ-law loses far less: for $\mu|x| \gg 1$, $F(x)$ is close to
# $\ln|x|$ plus a constant, so scaling $x$ shifts $F(x)$ by a constant and the relative step stays
# the same; only the quietest samples, where $F$ is nearly linear, get coarser steps relative to
# their size. Code: `snr(0.1 * test_audio, linear_quantise(0.1 * test_audio, 8))` and the same with
# `mu_law_decode(mu_law_encode(0.1 * test_audio))`.
# ```
#
# ```{exercise} The full-scale sine
# :label: ex-setup-sine
# Use equation (3) to compute the SNR of 16-bit linear PCM on a sine of amplitude 1 (full scale).
# Check it with `linear_quantise` on a 440 Hz sine of one second. Why is the "$96$ dB" quoted for
# CDs a slightly different number?
# ```
# ```{solution} ex-setup-sine
# :class: dropdown
# A full-scale sine has $\sigma_x^2 = 1/2$, so the offset is $10\log_{10}(3/2) \approx 1.76$ and
# the SNR is $6.02 \cdot 16 + 1.76 \approx 98.1$ dB. Measuring:
# `s = torch.sin(2 * math.pi * 440 * torch.arange(8000) / 8000)` then
# `snr(s, linear_quantise(s, 16))` lands within a fraction of a dB of it (use `.double()` to stay
# clear of float32 rounding). The "$96$ dB" of a CD is $20\log_{10} 2^{16}$, the ratio of full scale to one
# step, a dynamic range rather than an SNR.
# ```
#
# ```{exercise} Predict, then run: repeatable noise
# :label: ex-setup-generator
# Write `add_hiss(x, generator)` that returns `x + 0.01 * torch.randn(x.shape, generator=generator)`.
# Predict whether two calls with the same generator return the same noise, and whether two calls
# with two generators seeded alike do. Then run both, and check with `torch.get_rng_state()` that
# the global generator did not move.
# ```
# ```{solution} ex-setup-generator
# :class: dropdown
# Same generator: different noise, because each draw advances its state (the cell of the
# framework section shows it). Two generators seeded alike: identical noise. The global state is
# unchanged since no draw used it: `torch.equal(before, torch.get_rng_state())` is `True`. This is
# why `course_lib` functions take a `seed` or a generator: a result depends only on its arguments,
# the property JAX enforces with keys.
# ```
#
# ```{exercise} Counting frames
# :label: ex-setup-frames
# With `n_fft=256`, hop 80 and frames centred on every hop, how many frames does a signal of $T$
# samples have? Check your formula against `log_mel` on a 4000-sample and a 7919-sample signal.
# ```
# ```{solution} ex-setup-frames
# :class: dropdown
# Centring pads $n_\text{fft}/2$ samples on both sides, so frames start at $0, 80, 160, \dots$ up
# to $T$: $1 + \lfloor T / 80 \rfloor$ frames. 4000 samples give 51 frames, the number printed
# above; 7919 samples give $1 + 98 = 99$.
# ```
#
# ## Self-check

# %% tags=["hide-input"]
from course_lib.teaching import quiz

glue("setup_run_seconds", time.perf_counter() - started)
quiz("Self-check: working with the course", [
    {"q": "A library function in `course_lib` needs random numbers. How does it get them?",
     "options": ["It calls `torch.manual_seed(0)` itself", "From a `seed` or `torch.Generator` argument",
                 "From the global generator, seeded by `set_seed` in each function"],
     "answer": "b",
     "why": ["Reseeding the global generator inside a library would silently change every later draw "
             "of the notebook; the course forbids it (a test checks it).",
             "Right: randomness is explicit, so a result depends only on the arguments.",
             "`set_seed` is called once at the top of a notebook, never inside library functions."]},
    {"q": "Why does 8-bit µ-law beat 8-bit linear PCM on speech?",
     "options": ["It uses more levels", "It spends fine steps near zero, where most speech samples are",
                 "It filters out the noise"],
     "answer": "b",
     "why": ["Both have 256 levels.",
             "Right: companding gives quiet samples small steps and loud ones large steps.",
             "µ-law is a quantiser, not a filter; it adds error, just less where speech spends its time."]},
    {"q": "By equation (3), what does one more bit of linear PCM add to the SNR?",
     "options": ["About 3 dB", "About 6 dB", "It doubles the SNR in dB"],
     "answer": "b",
     "why": ["3 dB would be a doubling of the *power* ratio; one bit halves the step, which quarters "
             "the error power.",
             r"Right: $20 \log_{10} 2 \approx 6.02$ dB, as the measured slope confirms.",
             "The SNR in dB grows by a constant per bit, it does not double."]},
    {"q": "Which FSDD takes form the test split?",
     "options": ["Takes 0-4 of every digit and speaker", "A random 10 % of the files",
                 "One speaker held out"],
     "answer": "a",
     "why": ["Right: the dataset's own convention, used by every chapter.",
             "A random split would differ between runs and papers; the convention is fixed.",
             "Holding out a speaker is a harder test, used in the audio chapter's page on new voices, "
             "not the default split."]},
    {"q": "In JAX, `jax.random.normal(key, (3,))` is called twice with the same `key`. What comes back?",
     "options": ["Two different triples", "The same triple twice", "An error: keys can be used once"],
     "answer": "b",
     "why": ["That is how a stateful generator behaves (PyTorch's, NumPy's), not a JAX key.",
             "Right: a key is a value, not a state; new numbers need `jax.random.split`.",
             "Reusing a key is allowed; it just gives the same numbers again, which is usually a bug."]},
])
