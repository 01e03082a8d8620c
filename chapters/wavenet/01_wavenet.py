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
# # WaveNet: an autoregressive convolutional model of raw audio
#
# WaveNet {cite}`vandenoord2016wavenet` models a waveform one sample at a time, with a stack
# of *causal, dilated* convolutions that outputs a *categorical* distribution over 256 µ-law
# amplitude levels. This notebook builds it from its parts, checks its receptive field by
# differentiation, trains it on spoken digits, and generates audio with it, first the slow way
# and then with the exact cached algorithm of Paine et al. {cite}`paine2016fast`.
#
# **Learning goals.** After this notebook you can
# - write the autoregressive factorisation of a waveform and explain why training is parallel
#   (teacher forcing) while generation is sequential;
# - derive the receptive field of a dilated causal stack and *verify* it with a gradient probe;
# - describe the gated activation unit, the residual and skip paths and the 1×1 convolutions,
#   with the shape of every tensor;
# - derive why 8-bit µ-law codes keep the SNR nearly constant over levels, and explain the 256-way
#   softmax output next to its alternative, a discretised mixture of logistics;
# - predict what the sampling temperature does to the distribution and to the generated audio;
# - compare a WaveNet's test likelihood with honest baselines, in bits per sample;
# - generate audio naively and with per-layer caches, and measure the difference.
#
# The code lives in `course_lib/wavenet.py`; the notebook calls it and shows the ideas.
#
# ## Before you start
#
# **Prerequisites.**
# - Sampling, 8-bit quantisation and µ-law companding: [Audio fundamentals](../audio/01_fundamentals.ipynb).
#   This notebook re-derives only the part of µ-law that WaveNet needs.
# - 1-D convolutions over a waveform and the cross-entropy loss of a classifier:
#   [spoken-digit recognition](../audio/02_recognition.ipynb).
# - Sequence models, hidden states and what makes a network recurrent:
#   [recurrent networks](../rnn_gan/01_recurrent_networks.ipynb), to see what WaveNet is *not*.
# - Likelihoods measured in bits, and a model judged by its test log-likelihood:
#   [the ELBO and the VAE](../vae/01_elbo_and_vae.ipynb).
#
# **Time.** About an hour to read and work through the derivations, plus the exercises. Running
# the whole notebook costs about {glue:text}`wn01_cpu_s:.0f` seconds of CPU time on one core
# (measured when this page was built, the import of PyTorch included; the wall time is longer on a
# busy machine); no GPU is needed.
#
# **Further reading** (primary sources):
# - {cite}`vandenoord2016wavenet`: the WaveNet paper; the architecture, µ-law softmax, conditioning
#   and the listening tests.
# - {cite}`vandenoord2016conditional`: gated PixelCNN, where the gated activation unit and
#   conditioning by a learned bias inside the gate come from.
# - {cite}`yu2016dilated`: dilated convolutions and the exponential growth of the receptive field.
# - {cite}`paine2016fast`: the exact cached generation algorithm used below.
# - {cite}`salimans2017pixelcnnpp`: the discretised mixture of logistics output.
# - {cite}`vandenoord2018parallel`: Parallel WaveNet, which makes generation parallel by distillation.

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
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from scipy.signal import welch

from course_lib import wavenet as wn
from course_lib.audio import SAMPLE_RATE, mu_law_decode, mu_law_encode
from course_lib.checkpoints import committed_result
from course_lib.data import load_fsdd
from course_lib.notebook import audio_player, glue, markdown_table, plot_history, read_csv_rows
from course_lib.teaching import knobs
from course_lib.utils import count_parameters, set_seed

set_seed(0)
print("torch", torch.__version__, "| threads", torch.get_num_threads())

# %% [markdown]
# ## The autoregressive factorisation
#
# Write a recording as a sequence of quantised samples $x_1, \dots, x_T$. Without any
# approximation, the chain rule of probability gives
#
# $$
# p(x_1, \dots, x_T) = \prod_{t=1}^{T} p(x_t \mid x_1, \dots, x_{t-1}).
# $$
#
# WaveNet is one network $f_\theta$ that reads the past and returns the distribution of the
# next sample, $p_\theta(x_t \mid x_{<t}) = \mathrm{softmax}(f_\theta(x_{<t}))$. Its training
# loss is the negative log-likelihood $-\sum_t \log_2 p_\theta(x_t \mid x_{<t})$, reported
# here in **bits per sample**: a model that knows nothing pays $\log_2 256 = 8$ bits.
#
# During training all the true past samples are known, so the predictions for *every* $t$
# come out of one parallel pass (**teacher forcing**). During generation the past is the
# model's own output, so samples are drawn one after another.
#
# ## Causal, dilated convolutions
#
# A convolution with kernel size $k$ and dilation $d$ that is **causal** (padded on the left
# only) computes
#
# $$
# y_t = \sum_{j=0}^{k-1} W_j \, h_{t - (k-1-j)\,d},
# $$
#
# so output $t$ never sees inputs after $t$. Dilated convolutions {cite}`yu2016dilated` skip
# $d - 1$ samples between taps, so that a few layers see far back.
#
# **Derivation: the receptive field of a dilated stack.**
#
# 1. One layer with kernel $k$ and dilation $d$ reads $h_{t-(k-1)d}, \dots, h_t$: it reaches
#    $(k-1)\,d$ samples further into the past than its own output position.
# 2. Layer $\ell$ reads outputs of layer $\ell - 1$, each of which already reaches back
#    $(k-1)\sum_{m<\ell} d_m$ samples, so the reaches add. With doubling dilations no position in
#    between is skipped (for $k = 2$, an offset $0 \dots 2^L - 1$ written in binary says which
#    layers take their past tap). Counting the output position itself, $n$ layers see
#
#    $$ \mathrm{RF} = 1 + (k-1) \sum_{\ell=1}^{n} d_\ell \quad\text{samples.} \tag{1} $$
#
# 3. With dilations $1, 2, \dots, 2^{L-1}$ the geometric series gives
#    $\sum_{i=0}^{L-1} 2^i = 2^L - 1$; repeating that block $B$ times,
#
#    $$ \mathrm{RF} = (k-1)\, B\, (2^{L} - 1) + 1, \tag{2} $$
#
#    exponential in the depth $L$ of one block, linear in the number of blocks $B$.
# 4. With one constant dilation $d$ instead, (1) gives $1 + n\,(k-1)\,d$: linear in the depth
#    (a pitfall at the end of this notebook).
#
# The figure draws (1) for one block of four layers with $k = 2$: every input that reaches
# output $t$, and through which units.

# %% tags=["hide-input"]
fig = wn.draw_dilated_stack(wn.WaveNetConfig(layers_per_stack=4, n_stacks=1))
plt.show()

# %% [markdown]
# ## One layer: gate, residual and skip
#
# Each layer of `course_lib.wavenet.ResidualBlock` applies a dilated causal convolution with
# $2D$ output channels, splits them into a *filter* and a *gate* half and combines them with the
# **gated activation unit** of the paper,
#
# $$
# z = \tanh(W_{f} * h) \odot \sigma(W_{g} * h),
# $$
#
# then two **1×1 convolutions** (per-sample linear maps over channels) give the **residual**
# update $h \leftarrow h + W_{r} z$ and a **skip** output $s_\ell = W_{s} z$. The skips of all
# layers are summed, passed through ReLU → 1×1 → ReLU → 1×1, and give 256 logits per sample.
# The residual path lets a deep stack train; the skips let every layer speak directly to the
# output. Conditioning (next notebook) adds a term inside the gate.
#
# The chapter's model: two blocks of ten layers, 16 residual and gate channels.

# %%
cfg = wn.WaveNetConfig(residual_channels=16, gate_channels=16, skip_channels=32,
                       layers_per_stack=10, n_stacks=2)
model = wn.WaveNet(cfg)
print("dilations:", cfg.dilations)
print(f"receptive field: {cfg.receptive_field} samples = {1000 * cfg.receptive_field / SAMPLE_RATE:.0f} ms")
print("parameters:", count_parameters(model))
print(model.layers[0])

# %% [markdown]
# The whole model with its first layer opened up. The figure is drawn from one forward pass of
# this model over the first 1,000 µ-law codes of a test recording: every shape in it is read from
# the tensors of that pass ($B$ batch, $T$ samples, $R$ residual, $D$ gate, $S$ skip channels,
# $Q$ codes).

# %%
train, test = load_fsdd("train"), load_fsdd("test")
train_set = wn.Utterances.encode(train.waveforms, train.digits)  # µ-law codes and digit labels
test_set = wn.Utterances.encode(test.waveforms[::5], test.digits[::5])  # 60: every speaker and digit
x = test_set.codes[0][None, :1000]  # (1, 1000) int64 codes

# %% tags=["hide-input"]
fig = wn.draw_residual_block(model, x)
plt.show()

# %% [markdown]
# ### Verifying the receptive field with a gradient probe
#
# The formula is easy to get wrong (off-by-one in the padding, a layer that is not causal).
# Differentiation checks it: take random inputs, pick an output position $t$, and compute
# $\partial y_t / \partial h_{t'}$ for every $t'$. For a causal model with receptive field RF
# the gradient must be non-zero **exactly** for $t - \mathrm{RF} < t' \le t$.
# `wn.input_gradient_support` returns the positions with a non-zero gradient.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: the chapter's model has two blocks of ten layers with $k = 2$.
# Use (2) to predict how many input positions get a non-zero gradient. What would one non-zero
# gradient at a position $t' > t$ tell you about the code?
# ```

# %%
rf = cfg.receptive_field
h = torch.randn(1, cfg.residual_channels, rf + 300)
t = rf + 100
support = wn.input_gradient_support(model.forward_embedded, h, t)
print(f"output t = {t}: gradient non-zero for t' in [{support.min().item()}, {support.max().item()}],",
      f"{len(support)} positions")
assert support.tolist() == list(range(t - rf + 1, t + 1)), "RF or causality broken"
print("no gradient from the future, and the support has exactly RF =", rf, "samples")

# %% [markdown]
# The same probe checks formula (2) itself on five small stacks, kernel sizes 2 and 3:

# %%
checks = []
for k, L, B in [(2, 4, 1), (2, 3, 3), (3, 4, 1), (3, 5, 2), (2, 10, 2)]:
    small = wn.WaveNet(wn.WaveNetConfig(residual_channels=4, gate_channels=4, skip_channels=16,
                                        kernel_size=k, layers_per_stack=L, n_stacks=B))
    T = small.cfg.receptive_field + 50
    s = wn.input_gradient_support(small.forward_embedded, torch.randn(1, 4, T), T - 1)  # output T - 1
    checks.append({"k": k, "L": L, "B": B, "RF by (2)": (k - 1) * B * (2**L - 1) + 1,
                   "RF by gradient probe": T - s.min().item(), "causal": s.max().item() == T - 1})
display(Markdown(markdown_table(checks)))
assert all(r["RF by (2)"] == r["RF by gradient probe"] and r["causal"] for r in checks)

# %% [markdown]
# ## µ-law codes and a 256-way softmax
#
# WaveNet does not regress a real-valued amplitude. It compands the waveform with µ-law,
# quantises the result to 256 levels and predicts the level with a softmax. Two questions: why is
# an 8-bit code enough, and what kind of distribution does the network output?
#
# **Derivation: the SNR of 8-bit µ-law.** [Audio fundamentals](../audio/01_fundamentals.ipynb)
# compares µ-law with A-law and uniform PCM over many levels; here is the reason, in four steps.
#
# 1. Compand, $y = F(x) = \operatorname{sign}(x)\,\ln(1 + \mu|x|)/\ln(1 + \mu)$ with $\mu = 255$,
#    and round $y \in [-1, 1]$ to $\mu + 1 = 256$ levels, a step $\Delta = 2/\mu$. The rounding
#    error $e$ of $y$ is close to uniform on $[-\Delta/2, \Delta/2]$:
#
#    $$ \mathbb{E}[e^2] = \Delta^2 / 12. \tag{3} $$
#
# 2. Expand, $\hat x = F^{-1}(y + e) \approx x + e / F'(x)$, where
#
#    $$ \frac{1}{F'(x)} = \frac{(1 + \mu|x|)\ln(1 + \mu)}{\mu} = \ln(1 + \mu)\left(|x| + \frac{1}{\mu}\right). \tag{4} $$
#
# 3. The error of a sample grows in proportion to $|x| + 1/\mu$. Averaged over the signal,
#
#    $$ \mathrm{SNR} = \frac{\mathbb{E}[x^2]}{\mathbb{E}[(\hat x - x)^2]}
#       \approx \frac{12}{\ln^2(1 + \mu)\,\Delta^2} \cdot \frac{\mathbb{E}[x^2]}{\mathbb{E}[(|x| + 1/\mu)^2]}. \tag{5} $$
#
# 4. For samples well above $1/\mu$ the last ratio tends to 1, and the level drops out:
#
#    $$ \mathrm{SNR}_\infty = \frac{3\mu^2}{\ln^2(1 + \mu)} \approx 6.3 \times 10^{3},
#       \text{ i.e. } 38.0 \text{ dB}. \tag{6} $$
#
# Uniform PCM has a fixed *absolute* step instead, so its SNR falls by one decibel per decibel of
# level. With 8-bit µ-law codes, a quiet talker gets almost the SNR of a loud one, which is why
# telephony settled on them (G.711 {cite}`itu1988g711`); and for WaveNet, 8-bit codes mean a
# softmax over 256 classes, small enough to train on a CPU.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: a test recording is scaled to peaks of 0, −10, …, −40 dBFS
# (decibels below full scale). By how much will the µ-law SNR fall between the loudest and the
# −30 dBFS version? And the SNR of uniform 8-bit PCM?
# ```

# %%
w = test.waveforms[0] / test.waveforms[0].abs().max()  # peak at full scale
mu, step = 255, 2 / 255
snr_rows = []
for level_db in (0, -10, -20, -30, -40):
    xs = w * 10 ** (level_db / 20)
    err = mu_law_decode(mu_law_encode(xs)) - xs
    err_uniform = (torch.floor(xs * 128).clamp(-128, 127) + 0.5) / 128 - xs  # 8-bit uniform PCM
    predicted = 12 / (np.log1p(mu) ** 2 * step**2) * xs.pow(2).mean() / (xs.abs() + 1 / mu).pow(2).mean()  # (5)
    snr_rows.append({"peak level (dBFS)": level_db,
                     "µ-law SNR, measured (dB)": 10 * torch.log10(xs.pow(2).mean() / err.pow(2).mean()).item(),
                     "µ-law SNR by (5) (dB)": 10 * np.log10(predicted.item()),
                     "uniform 8-bit SNR (dB)": 10 * torch.log10(xs.pow(2).mean() / err_uniform.pow(2).mean()).item()})
display(Markdown(markdown_table(snr_rows, digits=2)))
snr = {r["peak level (dBFS)"]: r for r in snr_rows}
glue("wn01_snr_inf_db", 10 * np.log10(3 * mu**2 / np.log1p(mu) ** 2))
glue("wn01_mulaw_drop_30", snr[0]["µ-law SNR, measured (dB)"] - snr[-30]["µ-law SNR, measured (dB)"])
glue("wn01_uniform_drop_30", snr[0]["uniform 8-bit SNR (dB)"] - snr[-30]["uniform 8-bit SNR (dB)"])
glue("wn01_pred_err_max", max(abs(r["µ-law SNR, measured (dB)"] - r["µ-law SNR by (5) (dB)"]) for r in snr_rows))
bits_needed = glue("wn01_uniform_bits_needed",
                   8 + (snr[-30]["µ-law SNR, measured (dB)"] - snr[-30]["uniform 8-bit SNR (dB)"]) / 6.02)
assert all(abs(r["µ-law SNR, measured (dB)"] - r["µ-law SNR by (5) (dB)"]) < 1.0 for r in snr_rows), "(5) predicts"
assert snr[0]["µ-law SNR, measured (dB)"] - snr[-30]["µ-law SNR, measured (dB)"] < 5 < bits_needed

# %% [markdown]
# Formula (5) predicts every measured µ-law SNR to within {glue:text}`wn01_pred_err_max:.2f` dB.
# From the loudest version to the one at −30 dBFS, the µ-law SNR falls by only
# {glue:text}`wn01_mulaw_drop_30:.1f` dB, close to the limit (6) of {glue:text}`wn01_snr_inf_db:.1f` dB;
# uniform 8-bit PCM loses {glue:text}`wn01_uniform_drop_30:.1f` dB. To match µ-law at −30 dBFS, a
# uniform quantiser would need about {glue:text}`wn01_uniform_bits_needed:.1f` bits (6.02 dB per bit).
# At −40 dBFS many samples fall below $1/\mu$, where the law is nearly linear, and (5) shows the
# SNR dropping there too.
#
# **Derivation: what the output distribution is.** The network's last 1×1 convolution gives
# $Q = 256$ numbers $l_1, \dots, l_Q$ per time step, and
#
# $$ p_\theta(x_t = i \mid x_{<t}) = \frac{e^{l_i}}{\sum_{j=1}^{Q} e^{l_j}}, \tag{7} $$
#
# a **categorical distribution**: $Q - 1 = 255$ free numbers per step. It makes no assumption about
# the shape of $p(x_t \mid x_{<t})$: it can be skewed or have two peaks ("the wave goes up or
# down"), which a single Gaussian cannot. Its price: 256 outputs per sample, and no notion that
# code 100 is close to code 101. A **discretised mixture of logistics** {cite}`salimans2017pixelcnnpp`
# (the output of Parallel WaveNet {cite}`vandenoord2018parallel`) outputs $3K$ numbers instead, the
# weights $\pi_k$, locations $\mu_k$ and scales $s_k$ of $K$ logistic distributions on the companded
# axis (CDF $\sigma((v - \mu_k)/s_k)$, with $\sigma$ the sigmoid):
#
# 1. Code $i$ has the centre $v_i = 2i/(Q-1) - 1$ and half-width $\delta = 1/(Q-1)$, and gets the mass
#    that the mixture puts between its edges:
#
#    $$ P(i) = \sum_{k=1}^{K} \pi_k \left[\sigma\!\left(\frac{v_i + \delta - \mu_k}{s_k}\right)
#       - \sigma\!\left(\frac{v_i - \delta - \mu_k}{s_k}\right)\right], \tag{8} $$
#
#    with the lowest edge moved to $-\infty$ and the highest to $+\infty$.
# 2. Neighbouring codes share an edge, so the sum over codes telescopes:
#
#    $$ \sum_{i=1}^{Q} P(i) = \sum_{k=1}^{K} \pi_k \left[\sigma(+\infty) - \sigma(-\infty)\right] = 1. \tag{9} $$
#
# 3. Each component spreads its mass over *neighbouring* codes: order is built in, and the number
#    of outputs no longer grows with $Q$. For 16-bit audio a softmax needs 65,535 numbers per step,
#    a mixture still $3K$.
#
# The check: (9) in numbers, then how many components a *trained* WaveNet's softmax needs. The
# digit model of the next notebook gives its next-sample distributions (7) at 16 steps inside a test
# word; `wn.fit_logistic_mixture` fits (8) to each by gradient descent on the KL divergence, from
# three random starts.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: how many logistic components will approximate the trained
# softmax to within a few hundredths of a bit, 1, 2 or 4? What would your answer say about the
# shape of $p(x_t \mid x_{<t})$ for speech?
# ```

# %%
gen = torch.Generator().manual_seed(0)
mix = wn.discretized_logistic_mixture(*(torch.randn(3, 5, generator=gen, dtype=torch.float64) for _ in range(3)))
print("(9): sums of three random 5-component mixtures over 256 codes:", mix.sum(-1).tolist())
assert torch.allclose(mix.sum(-1), torch.ones(3, dtype=torch.float64), atol=1e-12)

digits_model, _ = wn.pretrained_wavenet("wavenet_digits")  # trained; the next notebook studies it
with torch.no_grad():
    word = digits_model(test_set.codes[0][None, :-1], g=torch.tensor(test_set.labels[:1]))[0]  # (Q, T - 1)
steps_in_word = torch.linspace(word.shape[1] // 4, 3 * word.shape[1] // 4, 16).long()
p_next = torch.softmax(word[:, steps_in_word].T.double(), -1)  # (16, Q): 16 categorical distributions
mix_rows, kl_mean = [], {}
for K in (1, 2, 4):
    kl = torch.stack([wn.fit_logistic_mixture(p_next, K, seed=seed)[1].mean() for seed in range(3)])  # (3,)
    mix_rows.append({"components K": K, "numbers per step (3K)": 3 * K,
                     "KL(softmax ‖ mixture), bits": f"{kl.mean():.3f} ± {kl.std():.3f}"})
    kl_mean[K] = glue(f"wn01_mol_kl_{K}", kl.mean().item())
    glue(f"wn01_mol_kl_{K}_std", kl.std().item())
display(Markdown(markdown_table(mix_rows)))
assert kl_mean[1] > 3 * kl_mean[4] and kl_mean[4] < 0.05, "a few logistics should describe the trained softmax"

# %% [markdown]
# Mean ± standard deviation over the three starts: one logistic misses by
# {glue:text}`wn01_mol_kl_1:.3f` ± {glue:text}`wn01_mol_kl_1_std:.3f` bits per step, two components
# by {glue:text}`wn01_mol_kl_2:.3f` ± {glue:text}`wn01_mol_kl_2_std:.3f`, four by
# {glue:text}`wn01_mol_kl_4:.3f` ± {glue:text}`wn01_mol_kl_4_std:.3f`. The trained softmax is
# smooth over neighbouring codes and has few peaks, so 12 numbers describe what 255 do, up to a
# few hundredths of a bit: the structure the mixture builds in is the structure the softmax had to
# learn. (One utterance and one model: a sketch of the argument, not a benchmark.)
#
# Teacher forcing in code: the logits at column $t$ score code $t+1$.

# %%
x = train_set.codes[0][None]  # (1, T) int64 µ-law codes
logits = model(x[:, :-1])  # (1, 256, T - 1)
print("codes", tuple(x.shape), "-> logits", tuple(logits.shape),
      "| codes in", (x.min().item(), x.max().item()))
bits = torch.nn.functional.cross_entropy(logits, x[:, 1:]).item() / np.log(2)
print(f"untrained model: {bits:.2f} bits/sample (uniform would be 8.00)")

# %% [markdown]
# What the model has to predict: a test recording and its 8-bit µ-law version, the exact
# signal WaveNet sees and produces.

# %%
w = test.waveforms[0]
w_mu = mu_law_decode(test_set.codes[0])
print(f"digit {test.digits[0]}, {len(w) / SAMPLE_RATE:.2f} s;",
      f"max |µ-law error| {(w - w_mu).abs().max():.4f}")
display(audio_player(w_mu, SAMPLE_RATE, label=f"digit {test.digits[0]}, 8-bit µ-law"))

# %% [markdown]
# ## Training on spoken digits, and the baselines it must beat
#
# A likelihood means little alone. Three baselines, scored on the same test targets:
#
# - **uniform**: 8 bits per sample;
# - **unigram**: the histogram of µ-law codes in the training set (no context at all);
# - **linear prediction (LPC)**: $\hat x_t = \sum_{k=1}^{16} a_k x_{t-k}$ fitted by least
#   squares on the training set, with a Laplace residual discretised onto the µ-law bins,
#   the classical model of speech.
#
# A short live run, to see the loss fall (a smaller stack, one block of dilations 1 … 128,
# RF 256 samples, with a digit label; 40 Adam steps on pairs of 500-sample crops; a real run
# takes thousands of steps). Every 10 steps the training loop calls an `evaluate` function,
# here the NLL of 10 test utterances:

# %%
live = wn.WaveNet(wn.WaveNetConfig(**{**cfg.__dict__, "n_global": 10, "layers_per_stack": 8, "n_stacks": 1}))
probe_set = wn.Utterances(test_set.codes[:10], test_set.labels[:10])
config = wn.WaveNetTrainConfig(steps=40, batch_size=2, segment=500, lr=1e-2, lr_decay=False, eval_every=10,
                               evaluate=lambda m, step: {"test_nll_bits": wn.nll_bits(m, probe_set)})
hist = wn.train_wavenet(live, train_set, config)
print(f"{hist.cpu_s:.0f} CPU-s; test NLL every 10 steps:", [round(v, 2) for _, v in hist.metrics["test_nll_bits"]])
plot_history(hist, ["nll_bits", "test_nll_bits"], smooth=5)
plt.show()
losses = hist.losses["nll_bits"]  # one per step; minibatch losses are noisy: compare averages
drop = glue("wn01_train_drop", np.mean(losses[:5]) - np.mean(losses[-15:]))
print(f"training NLL fell by {drop:.2f} bits/sample")
assert drop > 0.25, "the training NLL should fall by more than a quarter bit per sample in 40 steps"

# %% [markdown]
# From the mean of the first 5 steps to the mean of the last 15, the training NLL falls by
# {glue:text}`wn01_train_drop:.2f` bits per sample in these 40 steps (one run, seed 0). The bar this
# model must clear: the baselines of `benchmarks/wavenet_train.py`, fitted on the whole training split
# and scored on the 60 test utterances used here (every fifth, so every speaker and digit), next to
# the live model:
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: the unigram histogram knows no context, linear prediction knows the
# last 16 samples, and the live WaveNet sees 256 samples but has trained for 40 steps only. Rank
# the three by test bits per sample.
# ```

# %%
committed = {r["model"]: r["test_bits_per_sample"] for r in read_csv_rows(committed_result("wavenet_digits.csv"))}
bar = [
    {"model": "uniform", "test bits/sample": committed["uniform (8 bits)"]},
    {"model": "unigram of µ-law codes", "test bits/sample": committed["unigram histogram of µ-law codes"]},
    {"model": "LPC (order 16, Laplace residual)", "test bits/sample": committed["LPC order 16 + Laplace residual"]},
    {"model": "WaveNet after 40 steps", "test bits/sample": wn.nll_bits(live, test_set)},
]
display(Markdown(markdown_table(bar, digits=3)))
nll = [r["test bits/sample"] for r in bar]
glue("wn01_unigram_bits", nll[1])
glue("wn01_lpc_bits", nll[2])
glue("wn01_live_bits", nll[3])
print("after 40 steps the WaveNet", "beats" if nll[3] < nll[2] else "does not beat", "linear prediction")
assert nll[2] < nll[1] < 8.0, "LPC < unigram < uniform"

# %% [markdown]
# Context alone is worth a lot: the unigram histogram costs {glue:text}`wn01_unigram_bits:.2f`
# bits per sample, linear prediction from the last 16 samples {glue:text}`wn01_lpc_bits:.2f`.
# After 40 steps the WaveNet needs {glue:text}`wn01_live_bits:.2f` bits per sample (one run). The trained
# checkpoint of the chapter (2,047-sample field, 2,500 steps) and its comparison with these
# baselines are in the next notebook.
#
# ## Generation: naive and cached
#
# To sample, feed the model its own output. The **naive** way re-runs the whole stack on the
# last RF samples for each new sample: about RF × layers convolution work per sample, almost
# all of it recomputing values already computed one step earlier.
#
# The **cached** way {cite}`paine2016fast` keeps, for every layer, a queue of that layer's
# past inputs. A new sample then needs, per layer, only the inputs at $t - d$ (from the queue)
# and $t$ (just computed): a few small matrix-vector products per layer, independent of the
# receptive field. It is *exact*: same samples for the same random numbers.
#
# At batch 1 those products are tiny (16 × 32 weights here), so the time goes into calling
# them, not into arithmetic. The **fast** path, which `wn.generate` takes for one sequence on
# the CPU, runs the same queues in NumPy with three calls per layer:
#
# - the past tap of layer $i$ reads its input $h_i(t - d_i)$, known $d_i$ steps ago, so the
#   past-tap products of *all* layers are one batched matrix product at the start of the step,
#   $P_i = W^{\text{past}}_i h_i(t - d_i) + b_i + V_i\,\text{cond}$;
# - since $\sigma(a) = \tfrac12(1 + \tanh\tfrac a2)$, one $\tanh$ serves both halves of the gate:
#   $z_i = \tfrac12\left(\tanh a_f + \tanh a_f \tanh\tfrac{a_g}{2}\right)$, linear in
#   $\tanh a_f$ and $u_i = \tanh a_f \tanh\tfrac{a_g}{2}$;
# - the residual and the next layer's current tap are one product with weights multiplied
#   out in advance: $[h_{i+1};\, a_{i+1}] = F_i\,[1;\, h_i;\, \tanh a_f;\, \tanh\tfrac{a_g}{2};\,
#   u_i;\, P_{i+1}]$, since $a_{i+1} = P_{i+1} + W^{\text{cur}}_{i+1} h_{i+1}$.
#
# Only the rounding of the products changes (the next cell prints the largest logit
# difference), so all three draw the same samples.

# %% [markdown]
# The three generators on three untrained stacks of growing depth, at batch 1, with the same
# seed: the codes must be identical, and the time per sample tells the cost. Few samples are
# drawn, so the cached figures include filling the caches. Times are CPU seconds of this process
# (wall time depends on the machine's load, which is printed too; it is shown beside them).
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: the receptive field grows from 16 to 1,024 samples. By roughly what
# factor will the naive time per sample grow, and the cached one? (The exercise "Cost of naive
# generation" below counts the multiply-adds.)
# ```

# %%
rows, out = [], {}
methods = {"naive": (6, {"cached": False}), "cached": (300, {"fast": False}), "fast": (300, {"fast": True})}
for layers in (4, 7, 10):
    m = wn.WaveNet(wn.WaveNetConfig(residual_channels=16, gate_channels=16, skip_channels=32,
                                    layers_per_stack=layers, n_stacks=1))
    for name, (n, how) in methods.items():
        w0, c0 = time.perf_counter(), time.process_time()
        out[name] = wn.generate(m, n, seed=0, return_logits=True, **how)
        rows.append({"RF": m.cfg.receptive_field, "method": name,
                     "CPU ms/sample": 1e3 * (time.process_time() - c0) / n,
                     "wall ms/sample": 1e3 * (time.perf_counter() - w0) / n})
    (a, la), (b, lb), (f, lf) = out["naive"], out["cached"], out["fast"]
    diff = max((la - lb[:, :6]).abs().max().item(), (lb - lf).abs().max().item())
    same = torch.equal(a, b[:, :6]) and torch.equal(b, f)
    print(f"RF {m.cfg.receptive_field}: identical codes {same}, max |logit difference| {diff:.1e}")
    assert same and diff < 1e-5
print("load average:", os.getloadavg())
display(Markdown(markdown_table(rows, digits=3)))
fig, ax = plt.subplots(figsize=(5, 3))
for name in methods:
    pts = [(r["RF"], r["CPU ms/sample"]) for r in rows if r["method"] == name]
    ax.plot(*zip(*pts, strict=True), marker="o", label=name)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("receptive field (samples)")
ax.set_ylabel("CPU time per sample (ms)")
ax.legend()
plt.tight_layout()
plt.show()
big = {r["method"]: r["CPU ms/sample"] for r in rows if r["RF"] == max(q["RF"] for q in rows)}
speedup = glue("wn01_speedup", big["naive"] / big["cached"])
glue("wn01_fast_speedup", big["cached"] / big["fast"])
print(f"RF {max(q['RF'] for q in rows)}: cached is {speedup:.0f}x faster than naive (CPU time),",
      f"fast {big['cached'] / big['fast']:.1f}x faster than cached")
assert big["naive"] > 5 * big["cached"], "cached generation should be far faster at RF 1,024"
assert big["fast"] < big["cached"], "the fast path should beat the PyTorch queues"

# %% [markdown]
# At RF 1,024 the cached generator is {glue:text}`wn01_speedup:.0f` times faster in CPU time
# here than the naive one (one run on this machine), and the gap grows with the field; the fast path is another
# {glue:text}`wn01_fast_speedup:.1f` times faster.
#
# Is that real time? The committed measurements of `benchmarks/wavenet_generation.py`
# (`OMP_NUM_THREADS=1 python benchmarks/wavenet_generation.py`: 4,000 cached samples per model at
# batch 1, samples per CPU second of one thread; the next notebook shows its stacks up to RF 2,047
# and batch 16) for the two trained models of the next notebook, with the real-time factor: CPU
# seconds per second of audio at 8 kHz (below 1 is faster than real time):

# %%
speed = {r["row"]: r for r in read_csv_rows(committed_result("wavenet_generation.csv"))}
display(Markdown(markdown_table(
    [{"model": k, "RF": int(r["receptive_field"]), "naive": round(r["naive_samples_per_s_cpu"]),
      "cached": round(r["cached_samples_per_s_cpu"]), "fast": round(r["fast_samples_per_s_cpu"]),
      "fast (wall)": round(r["fast_samples_per_s_wall"]), "real-time factor (fast)": r["fast_real_time_factor"],
      "same codes": r["same_codes"] and r["same_codes_long"]}
     for k, r in speed.items() if k.startswith("wavenet_")], digits=2)))
digits = speed["wavenet_digits"]
glue("wn01_digits_fast_per_s", digits["fast_samples_per_s_cpu"])
glue("wn01_digits_cached_per_s", digits["cached_samples_per_s_cpu"])
glue("wn01_digits_rtf", digits["fast_real_time_factor"])
assert all(r["same_codes"] and r["same_codes_long"] for r in speed.values()), "generators disagree"
assert digits["fast_real_time_factor"] < 1, "the text below says the digit model generates in real time"

# %% [markdown]
# The digit model (20 layers, RF 2,047) draws {glue:text}`wn01_digits_fast_per_s:,.0f` samples
# per CPU second on the fast path against {glue:text}`wn01_digits_cached_per_s:,.0f` with the
# PyTorch queues: a real-time factor of {glue:text}`wn01_digits_rtf:.2f`, faster than real time
# at 8 kHz on one core, with the same samples. Every step is still sequential: a longer clip
# takes proportionally longer, and batching (next notebook) raises the throughput, not the
# speed of one sequence.

# %% [markdown]
# ## Sampling temperature
#
# Generation draws each code from (7). Dividing the logits by a **temperature** $\tau > 0$ first
# changes the distribution it draws from.
#
# **Derivation: what the temperature does.**
#
# 1. With $p_i = e^{l_i}/\sum_j e^{l_j}$, the tempered distribution is
#
#    $$ p_{\tau}(i) = \frac{e^{l_i/\tau}}{\sum_j e^{l_j/\tau}} = \frac{p_i^{1/\tau}}{\sum_j p_j^{1/\tau}}, \tag{10} $$
#
#    a power of the model's distribution, renormalised: $\tau < 1$ sharpens it, $\tau > 1$
#    flattens it, $\tau = 1$ is the model.
# 2. As $\tau \to 0$, the largest $p_i$ dominates every power: $p_\tau$ becomes a point mass on the
#    arg-max, of entropy 0. As $\tau \to \infty$, every $p_i^{1/\tau} \to 1$: $p_\tau$ becomes uniform,
#    of entropy $\log_2 Q = 8$ bits per step. In between, the entropy
#
#    $$ H(p_\tau) = -\sum_i p_\tau(i) \log_2 p_\tau(i) \tag{11} $$
#
#    grows with $\tau$ (`wn.tempered_entropy_bits`).
# 3. Only $\tau = 1$ samples the model that was trained. Any other temperature samples a different
#    distribution, which is not the model's estimate of speech.
#
# The check: the trained digit model says "seven" at seven temperatures from 0 to 1.5, three seeds
# each (2,400 samples, 0.3 s at 8 kHz, per clip), with the entropy (11) of the distributions it
# actually drew from.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: generation starts from silence. What will the model produce at
# $\tau = 0.5$: quieter speech, the same speech with fewer errors, or something else? And at
# $\tau = 1.5$?
# ```

# %%
taus, seeds = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5), (0, 1, 2)
clips, entropy, rms = {}, {}, {}
c0 = time.process_time()
for tau in taus:
    for seed in seeds:
        codes, step_logits = wn.generate(digits_model, 2400, g=torch.tensor([7]), temperature=tau, seed=seed,
                                         return_logits=True)  # (1, 2400), (1, 2400, Q)
        clips[tau, seed] = mu_law_decode(codes[0]).numpy()
        entropy[tau, seed] = wn.tempered_entropy_bits(step_logits[0], tau).mean().item()  # (11), mean over steps
        rms[tau, seed] = float(np.sqrt(np.mean(clips[tau, seed] ** 2)))
print(f"{len(clips)} clips of 2,400 samples in {time.process_time() - c0:.1f} CPU-s")
sevens = [w for w, d in zip(test.waveforms, test.digits, strict=True) if d == 7]  # real test recordings of 7
real_rms = glue("wn01_real_rms", float(np.mean([w.pow(2).mean().sqrt().item() for w in sevens])))
temp_rows = [{"τ": tau, "entropy (bits/step)": f"{np.mean([entropy[tau, s] for s in seeds]):.2f} ± "
              f"{np.std([entropy[tau, s] for s in seeds], ddof=1):.2f}",
              "RMS": f"{np.mean([rms[tau, s] for s in seeds]):.3f} ± {np.std([rms[tau, s] for s in seeds], ddof=1):.3f}"}
             for tau in taus]
display(Markdown(markdown_table(temp_rows)))
for tau, key in ((0.5, "05"), (1.0, "10"), (1.5, "15")):
    glue(f"wn01_temp_h_{key}", np.mean([entropy[tau, s] for s in seeds]))
    glue(f"wn01_temp_h_{key}_std", np.std([entropy[tau, s] for s in seeds], ddof=1))
    glue(f"wn01_temp_rms_{key}", np.mean([rms[tau, s] for s in seeds]))
mean_h = [np.mean([entropy[tau, s] for s in seeds]) for tau in taus]
assert mean_h == sorted(mean_h), "the entropy (11) should grow with the temperature"
assert np.mean([rms[0.5, s] for s in seeds]) < 0.3 * real_rms < np.mean([rms[1.0, s] for s in seeds])

# %% [markdown]
# The same drawing function at four temperatures: the seed-0 clip (0.3 s at 8 kHz), and the
# power spectra of all three seeds against the mean spectrum of the real test recordings of
# "seven" (dashed).

# %% tags=["hide-input"]
real_f, real_p = welch(np.concatenate([w.numpy() for w in sevens]), fs=SAMPLE_RATE, nperseg=256)


def draw_temperature(tau: float, axes=None) -> None:
    # waveform (top) and power spectra (bottom) of the precomputed clips at temperature tau
    tau = min(taus, key=lambda t: abs(t - tau))  # the nearest precomputed temperature
    show = axes is None
    if show:
        _, axes = plt.subplots(2, 1, figsize=(6, 4))
    top, bottom = axes
    top.plot(np.arange(2400) / SAMPLE_RATE, clips[tau, 0], lw=0.6)
    top.set(ylim=(-0.8, 0.8), xlabel="time (s)", ylabel="amplitude",
            title=f"τ = {tau}: {np.mean([entropy[tau, s] for s in seeds]):.1f} bits/step")
    for s in seeds:
        f, pw = welch(clips[tau, s], fs=SAMPLE_RATE, nperseg=256)
        bottom.plot(f, 10 * np.log10(pw + 1e-12), lw=0.8, color="C0")
    bottom.plot(real_f, 10 * np.log10(real_p), "k--", lw=1, label="real sevens")
    bottom.set(ylim=(-120, -20), xlabel="frequency (Hz)", ylabel="power (dB/Hz)")
    bottom.legend(fontsize=7, loc="upper right")
    if show:
        plt.tight_layout()
        plt.show()


fig, grid = plt.subplots(2, 4, figsize=(11, 4.6), sharey="row")
for j, tau in enumerate((0.0, 0.5, 1.0, 1.5)):
    draw_temperature(tau, axes=grid[:, j])
fig.suptitle("Generated 'seven' at four sampling temperatures (three seeds each)")
plt.tight_layout()
plt.show()

# %% [markdown]
# Means ± standard deviations over three seeds. At $\tau = 1$ the model draws from distributions
# of {glue:text}`wn01_temp_h_10:.2f` ± {glue:text}`wn01_temp_h_10_std:.2f` bits per step, and the
# clips are speech-like babble. At $\tau = 0.5$ the entropy falls to
# {glue:text}`wn01_temp_h_05:.2f` ± {glue:text}`wn01_temp_h_05_std:.2f` bits and the answer to the
# Think! question is "something else": the model never leaves the silence it started from (RMS
# {glue:text}`wn01_temp_rms_05:.3f` against {glue:text}`wn01_real_rms:.3f` for real sevens). Leaving
# silence is itself an unlikely step, which the sharpened distribution (10) almost never takes.
# At $\tau = 1.5$ ({glue:text}`wn01_temp_h_15:.2f` bits per step) the clips turn into loud hiss
# with a flat spectrum. Low temperatures do not give "cleaner" audio; they give the model's
# most probable local behaviour, which here is silence.
#
# With a running kernel, the slider below redraws the same figure for any of the seven
# temperatures (the clips are precomputed, so it is instant); on the website the static figure
# above stands in for it.

# %%
knobs(draw_temperature, tau=(0.0, 1.5, 0.25, 1.0))

# %% [markdown]
# ## Common pitfalls
#
# :::{admonition} "Dilated convolutions" with a constant dilation do not grow the field exponentially
# :class: warning
# A popular snippet stacks convolutions with the *same* dilation, ReLU activations, no gates,
# no residual or skip paths and no softmax. Its receptive field is
# $1 + n\,(k-1)\,d$: **linear** in the number of layers $n$. The gradient probe shows it.
# :::
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: with ten layers and kernel 2, predict both receptive fields from
# (1), for a constant dilation 2 and for dilations 1, 2, …, 512.
# ```

# %%
rf_plain, rf_wavenet = [], []
for n in (2, 4, 6, 8, 10):
    plain = wn.PlainConvStack(n, channels=16, kernel_size=2, dilation=2)
    s = wn.input_gradient_support(plain, torch.randn(2, 1, 1100), 1050)
    rf_plain.append(1050 - s.min().item() + 1)
    m = wn.WaveNet(wn.WaveNetConfig(residual_channels=4, gate_channels=4, skip_channels=16,
                                    layers_per_stack=n, n_stacks=1))
    s = wn.input_gradient_support(m.forward_embedded, torch.randn(1, 4, 1100), 1050)
    rf_wavenet.append(1050 - s.min().item() + 1)
print("layers 2..10, constant dilation 2:", rf_plain)
print("layers 2..10, dilations doubling: ", rf_wavenet)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot([2, 4, 6, 8, 10], rf_plain, marker="o", label="constant dilation 2 (snippet)")
ax.plot([2, 4, 6, 8, 10], rf_wavenet, marker="s", label="dilations 1, 2, 4, ... (WaveNet)")
ax.set_yscale("log")
ax.set_xlabel("number of layers")
ax.set_ylabel("measured receptive field (samples)")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
assert rf_plain == [1 + 2 * n for n in (2, 4, 6, 8, 10)] and rf_wavenet == [2**n for n in (2, 4, 6, 8, 10)]

# %% [markdown]
# :::{admonition} WaveNet is not a recurrent network
# :class: warning
# There is no recurrent connection and no "layer per time step": the same convolution weights
# slide over time, and the only dependence on the past is through the finite receptive field.
# Evidence: the teacher-forced logits of a whole utterance come from one call, and changing an
# input more than RF samples back leaves the output unchanged (a recurrent network would carry
# the change forward indefinitely).
# :::

# %%
x = torch.cat(train_set.codes[:3])[None, :3000]  # three utterances back to back, 3,000 samples
y0 = live(x, g=torch.tensor([train.digits[0]]))
x2 = x.clone()
x2[0, :100] = (x[0, :100] + 128) % 256  # change every one of the first 100 codes
y2 = live(x2, g=torch.tensor([train.digits[0]]))
changed = (y0 - y2).abs().amax(dim=1)[0] > 0
print("last output position affected:", changed.nonzero().max().item(),
      "| bound 99 + RF - 1 =", 99 + live.cfg.receptive_field - 1)
assert changed.any() and changed.nonzero().max().item() <= 99 + live.cfg.receptive_field - 1

# %% [markdown]
# :::{admonition} What the WaveNet paper claimed, and what more hardware buys
# :class: warning
# The WaveNet paper's headline result is about **text-to-speech naturalness**: in blind
# listening tests its speech received higher mean opinion scores (MOS, on a 1–5 scale) than
# the best parametric and concatenative systems of the time, for US English and Mandarin
# {cite}`vandenoord2016wavenet`. It also showed music samples, but made no claim of rivalling
# professional musicians. And sample-by-sample generation is sequential by construction: more
# hardware parallelises each step's matrix products and the batch, not the steps themselves.
# Making generation parallel took a different model: Parallel WaveNet distils WaveNet into an
# inverse-autoregressive flow {cite}`vandenoord2018parallel`; WaveRNN instead makes each
# sequential step very cheap {cite}`kalchbrenner2018wavernn`. The cell times it with the live
# model (PyTorch queues): more parallel work per step, as a bigger batch, against longer sequences.
# :::

# %%
timing = []
for batch in (1, 4, 16, 64):
    c0 = time.process_time()
    wn.generate(live, 400, seed=0, fast=False, g=torch.arange(batch) % 10)
    cpu = time.process_time() - c0
    timing.append({"batch": batch, "CPU ms per step": 1e3 * cpu / 400, "samples/s (all sequences)": batch * 400 / cpu})
display(Markdown(markdown_table(timing, digits=2)))
lengths = {}
for n in (200, 400, 800):
    c0 = time.process_time()
    wn.generate(live, n, seed=0, fast=False, g=torch.tensor([0]))
    lengths[n] = time.process_time() - c0
print("one sequence, CPU seconds for 200 / 400 / 800 samples:", [round(v, 3) for v in lengths.values()])
glue("wn01_batch_throughput_gain", timing[-1]["samples/s (all sequences)"] / timing[0]["samples/s (all sequences)"])
glue("wn01_batch_step_ratio", timing[-1]["CPU ms per step"] / timing[0]["CPU ms per step"])
glue("wn01_length_ratio", lengths[800] / lengths[200])
assert timing[-1]["samples/s (all sequences)"] > 3 * timing[0]["samples/s (all sequences)"]
assert timing[-1]["CPU ms per step"] >= timing[0]["CPU ms per step"] and lengths[800] > 2.5 * lengths[200]
glue("wn01_cpu_s", time.process_time())  # CPU time of this whole notebook so far (the "Time" note at the top)

# %% [markdown]
# Batch 64 draws {glue:text}`wn01_batch_throughput_gain:.0f` times as many samples per CPU second
# as batch 1, but each step takes {glue:text}`wn01_batch_step_ratio:.1f` times *longer*, not shorter:
# 64 sequences advance together, and none of them advances faster. Four times the samples of one
# sequence take {glue:text}`wn01_length_ratio:.1f` times the time. Hardware that absorbs more
# parallel work (more cores, a GPU) buys throughput, more clips at once; the time of one clip is
# still one step per sample.

# %% [markdown]
# ## Summary
#
# - WaveNet factorises $p(x)$ autoregressively and computes all conditionals in one parallel,
#   teacher-forced pass of causal dilated convolutions.
# - With dilations doubling up to $2^{L-1}$ in $B$ blocks, RF $= (k-1)B(2^L-1)+1$; the gradient
#   probe confirms it, and shows that a constant-dilation stack grows only linearly.
# - Gated units, residual and skip paths and 1×1 convolutions make up each layer; the output
#   is a 256-way softmax over µ-law codes.
# - 8-bit µ-law keeps the quantisation SNR near $3\mu^2/\ln^2(1+\mu)$ at every level well above
#   $1/\mu$ (derivation (3)–(6), checked against measurement); the softmax (7) is a categorical
#   distribution with 255 free numbers per step, and a mixture of a few discretised logistics (8)
#   describes a trained WaveNet's softmax closely with $3K$.
# - The temperature raises the model's distribution to the power $1/\tau$ (10). Below 1 the
#   sampler stays in the most probable state (here, silence); above 1 it hisses; only $\tau = 1$
#   samples the trained model.
# - Its test NLL must beat the uniform, unigram and LPC baselines above; the trained checkpoint
#   of the next notebook is compared with them.
# - Cached generation gives the same samples as naive generation at a cost per sample that does
#   not grow with the receptive field; batching the past taps over layers and fusing each layer
#   into three small products makes one sequence of the digit model faster than real time on a CPU.
#
# ## Exercises
#
# ```{exercise} Receptive field by hand
# :label: ex-wavenet-rf
# A WaveNet has kernel size 3, three blocks of dilations 1, 2, ..., 256. What is its
# receptive field in samples and in milliseconds at 8 kHz? Check your answer with
# `wn.WaveNetConfig(kernel_size=3, layers_per_stack=9, n_stacks=3).receptive_field`.
# ```
#
# ```{solution} ex-wavenet-rf
# :class: dropdown
# The dilations of one block sum to $2^9 - 1 = 511$; three blocks give $1533$; with $k - 1 = 2$
# the field is $2 \cdot 1533 + 1 = 3067$ samples, about 383 ms at 8 kHz.
# ```
#
# ```{exercise} Cost of naive generation
# :label: ex-wavenet-cost
# Count the multiply-adds per generated sample of naive and cached generation for a stack of
# $n$ layers, $R$ residual and $D$ gate channels, kernel 2 and receptive field RF (ignore the
# output head). How does the ratio grow with RF? Compare with the measured speed-up above.
# ```
#
# ```{solution} ex-wavenet-cost
# :class: dropdown
# Each layer costs about $2R \cdot 2D + D(R + S)$ multiply-adds per position. Naive generation
# evaluates every layer on all RF positions of the window, cached generation on one position,
# so the ratio is about RF (less in practice: per-step overheads of the cached loop, and fast
# convolution kernels for the naive pass, shrink the measured ratio).
# ```
#
# ```{exercise} Temperature and likelihood
# :label: ex-wavenet-temperature
# Generate 4,000 samples of one digit at $\tau \in \{0.6, 0.8, 1.0, 1.2\}$ and score each clip
# with the same model's teacher-forced NLL (`wn.nll_bits` of `wn.Utterances(codes, labels)`).
# Which temperature gives the lowest NLL, and why is a low NLL of a generated clip not a sign of
# a good sample?
# ```
#
# ```{solution} ex-wavenet-temperature
# :class: dropdown
# Lower temperatures choose likely codes, so the model finds its own clips more probable:
# the NLL falls as $\tau$ falls. But the lowest-NLL clips drift to near-silence or a
# repetitive pattern, which is likely under the model without sounding like speech; the
# likelihood of a model's own samples measures confidence, not quality.
# ```
#
# ```{exercise} µ-law with 16 bits
# :label: ex-wavenet-mulaw16
# Use (6) to compute the limiting SNR of µ-law with $2^{16}$ levels ($\mu = 65{,}535$). Then use
# (5) to say below which peak level it starts to fall, and check both by changing `channels=` in
# `mu_law_encode` and `mu_law_decode` in the SNR cell above. Why did WaveNet not simply predict
# 16-bit µ-law codes with a softmax?
# ```
#
# ```{solution} ex-wavenet-mulaw16
# :class: dropdown
# $\ln(1 + \mu) = 16 \ln 2 \approx 11.09$, so $\mathrm{SNR}_\infty = 3 \cdot 65535^2 / 11.09^2 \approx 1.05
# \times 10^8$, about $80$ dB (each doubling of $\mu$ adds about $6$ dB, less the slow growth of
# the logarithm). The ratio in (5) stays near 1 as long as most samples exceed $1/\mu \approx 1.5
# \times 10^{-5}$, so the SNR holds down to very low levels. A softmax over 65,536 classes would
# need 65,536 outputs per sample and a 65,536-column output layer, and most classes would be seen
# a handful of times in training: exactly the case for the discretised mixture (8), whose size
# does not depend on $Q$.
# ```
#
# ```{exercise} What a mixture of logistics cannot say
# :label: ex-wavenet-comb
# Predict, then run: build a target distribution over the 256 codes that puts equal mass on every
# *even* code and none on the odd ones (`p = torch.zeros(1, 256); p[0, ::2] = 1 / 128`). Fit
# mixtures with $K = 1, 4, 16$ components with `wn.fit_logistic_mixture`. What KL, in bits, do you
# expect, and why does the softmax (7) have no such trouble?
# ```
#
# ```{solution} ex-wavenet-comb
# :class: dropdown
# Each logistic component covers neighbouring codes almost equally, so any mixture with far fewer
# than 128 components puts about half its mass on odd codes; then $P(i) \approx 1/256$ on the even
# codes and the KL is about $\log_2 \frac{1/128}{1/256} = 1$ bit, whatever $K$ is (until $K$
# approaches 128 and each component can shrink onto one code). The softmax has one free logit per
# code and represents the comb exactly. The mixture's smoothness is a prior: right for audio
# amplitudes, where neighbouring codes are neighbouring voltages, wrong for arbitrary categories.
# ```
#
# ```{exercise} The receptive field with kernel 3, by the probe
# :label: ex-wavenet-kernel3
# Predict with (2) the receptive field of `wn.WaveNetConfig(kernel_size=3, layers_per_stack=5,
# n_stacks=3)`. Then change the five-stack check cell to measure it with the gradient probe. Next,
# probe the same stack with centred convolutions, as the denoiser of the next notebook has them:
# `wn.input_gradient_support(wn.DenoisingWaveNet(wn.StackConfig(kernel_size=3, layers_per_stack=5,
# n_stacks=3)).net, torch.randn(1, 1, 600), 300)`. Which positions does the probe find now?
# ```
#
# ```{solution} ex-wavenet-kernel3
# :class: dropdown
# $(k - 1)\,B\,(2^L - 1) + 1 = 2 \cdot 3 \cdot 31 + 1 = 187$ samples, found by the probe as the
# positions $t - 186, \dots, t$. With centred convolutions (odd $k$) each layer reaches
# $(k-1)d/2$ samples into the past *and* the future, so the probe finds the same number of
# positions, 187, from $t - 93$ to $t + 93$: the same field, centred on $t$.
# ```
