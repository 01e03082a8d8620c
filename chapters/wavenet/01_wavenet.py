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
# - compute the receptive field of a dilated causal stack and *verify* it with a gradient probe;
# - describe the gated activation unit, the residual and skip paths and the 1×1 convolutions;
# - explain the 256-way µ-law softmax output and its alternatives;
# - compare a WaveNet's test likelihood with honest baselines, in bits per sample;
# - generate audio naively and with per-layer caches, and measure the difference.
#
# The code lives in `course_lib/wavenet.py`; the notebook calls it and shows the ideas.

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

from course_lib import wavenet as wn
from course_lib.audio import SAMPLE_RATE, mu_law_decode
from course_lib.checkpoints import committed_result
from course_lib.data import load_fsdd
from course_lib.notebook import audio_player, glue, markdown_table, plot_history, read_csv_rows
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
# so output $t$ never sees inputs after $t$. Stacking layers with dilations
# $1, 2, 4, \dots, 2^{L-1}$, and repeating that block $B$ times, gives a **receptive field**
#
# $$
# \mathrm{RF} = (k-1) \sum_{\ell} d_\ell + 1 = (k-1)\, B\, (2^{L} - 1) + 1
# $$
#
# samples, exponential in the depth of one block. The figure draws which samples feed output
# $t$ through four layers with $k = 2$.

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(8, 3))
T, t_out, dil = 16, 15, [1, 2, 4, 8]
active = {t_out}
for level in range(len(dil), 0, -1):
    d = dil[level - 1]
    below = set()
    for t in active:
        for s in (t - d, t):
            if s >= 0:
                ax.plot([t, s], [level, level - 1], color="C0", lw=1)
                below.add(s)
    active = below
for level in range(len(dil) + 1):
    ax.scatter(range(T), [level] * T, s=18, color="lightgray", zorder=2)
ax.scatter(sorted(active), [0] * len(active), s=24, color="C1", zorder=3, label="inputs output 15 depends on")
ax.set_yticks(range(len(dil) + 1), ["input"] + [f"layer {i + 1} (d={d})" for i, d in enumerate(dil)])
ax.set_xlabel("time index t (samples)")
ax.set_title("causal dilated convolutions, k = 2: receptive field 16")
ax.legend(loc="lower left", fontsize=8)
plt.tight_layout()
plt.show()
print("inputs reached:", len(active), "= (k - 1) * (1 + 2 + 4 + 8) + 1 =", 1 * sum(dil) + 1)

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
# ### Verifying the receptive field with a gradient probe
#
# The formula is easy to get wrong (off-by-one in the padding, a layer that is not causal).
# Differentiation checks it: take random inputs, pick an output position $t$, and compute
# $\partial y_t / \partial h_{t'}$ for every $t'$. For a causal model with receptive field RF
# the gradient must be non-zero **exactly** for $t - \mathrm{RF} < t' \le t$.
# `wn.input_gradient_support` returns the positions with a non-zero gradient.

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
# ## µ-law codes and a 256-way softmax
#
# WaveNet does not regress a real-valued amplitude. It companded the waveform with µ-law,
# $F(x) = \operatorname{sign}(x)\,\ln(1 + \mu |x|)/\ln(1 + \mu)$ with $\mu = 255$, quantises
# $F(x)$ to 256 levels and predicts the level with a softmax, a **categorical distribution**.
# A categorical output makes no assumption about the shape of $p(x_t \mid x_{<t})$: it can be
# skewed or multi-modal (e.g. "the wave goes up or down"), which a single Gaussian cannot
# express. The price is 256 output units per sample and no notion that level 100 is close to
# level 101. Later models replaced it with a **discretised mixture of logistics**
# {cite}`salimans2017pixelcnnpp` (used by Parallel WaveNet {cite}`vandenoord2018parallel`),
# which keeps ordinal structure with few parameters and allows 16-bit output; continuous
# Gaussian outputs are another option. The categorical choice was the simplest flexible one.
#
# Teacher forcing in code: the logits at column $t$ score code $t+1$.

# %%
train, test = load_fsdd("train"), load_fsdd("test")
train_set = wn.Utterances.encode(train.waveforms, train.digits)  # µ-law codes and digit labels
test_set = wn.Utterances.encode(test.waveforms[::5], test.digits[::5])  # 60: every speaker and digit
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
# {glue:text}`wn01_train_drop:.2f` bits per sample in these 40 steps. The bar this model must clear: the baselines of
# `benchmarks/wavenet_train.py`, fitted on the whole training split and scored on the 60 test
# utterances used here (every fifth, so every speaker and digit), next to the live model:

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
# After 40 steps the WaveNet needs {glue:text}`wn01_live_bits:.2f` bits per sample. The trained
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
# here than the naive one, and the gap grows with the field; the fast path is another
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
# ## Common pitfalls
#
# :::{admonition} "Dilated convolutions" with a constant dilation do not grow the field exponentially
# :class: warning
# A popular snippet stacks convolutions with the *same* dilation, ReLU activations, no gates,
# no residual or skip paths and no softmax. Its receptive field is
# $1 + n\,(k-1)\,d$: **linear** in the number of layers $n$. The gradient probe shows it.
# :::

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
