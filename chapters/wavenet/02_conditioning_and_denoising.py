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
# # WaveNet: trained models, conditioning, a vocoder, and denoising
#
# This notebook loads the chapter's trained checkpoints (made by
# `benchmarks/wavenet_train.py`, hash-checked, loaded with `weights_only=True`) and first
# scores the digit model's likelihood against the baselines of the previous notebook, then
# samples from it. An unconditioned WaveNet babbles. To make it say something, its gates receive extra
# inputs: a **global** label for the whole utterance (here the digit) or **local** features
# that change over time (here a log-mel spectrogram, which turns WaveNet into a vocoder)
# {cite}`vandenoord2016wavenet`. The last part leaves generation behind: a **non-causal**
# WaveNet that maps noisy speech to clean speech in one parallel pass {cite}`rethage2018denoising`.
#
# **Learning goals.** After this notebook you can
# - compare a trained WaveNet's test likelihood with the uniform, unigram and LPC baselines;
# - control samples with the temperature, and see why arg-max decoding fails;
# - add global and local conditioning to the gated unit, and upsample frame-rate features to
#   the sample rate;
# - evaluate conditional samples with an independent classifier;
# - compare a neural vocoder with Griffin–Lim on log-spectral distance and SI-SDR;
# - train and evaluate a denoising WaveNet against spectral subtraction and a Wiener filter,
#   including on a noise type it never saw.

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

from course_lib import restoration, utils
from course_lib import wavenet as wn
from course_lib.audio import SAMPLE_RATE, add_noise, make_noise, mu_law_decode
from course_lib.checkpoints import committed_result
from course_lib.data import load_fsdd
from course_lib.evaluators import pretrained_spoken_digit_classifier
from course_lib.metrics import log_spectral_distance, si_sdr
from course_lib.notebook import audio_player, glue, markdown_table, read_csv_rows

utils.set_seed(0)
test = load_fsdd("test")
print("torch", torch.__version__, "| threads", torch.get_num_threads(), "| load average", os.getloadavg())

# %% [markdown]
# ## The trained model against the baselines
#
# The digit model has the architecture of the previous notebook (two blocks of dilations
# 1 … 512, RF 2,047 samples, 16 channels) with a digit label (next section). Its test NLL on
# the 60 test utterances of the previous notebook, computed here, next to the baselines of
# `benchmarks/wavenet_train.py` (fitted on the training split, scored on the same utterances):

# %%
test_set = wn.Utterances.encode(test.waveforms[::5], test.digits[::5])
digits_model, meta = wn.pretrained_wavenet("wavenet_digits")
committed = {r["model"]: r for r in read_csv_rows(committed_result("wavenet_digits.csv"))}
table = [
    {"model": name, "test bits/sample": committed[key]["test_bits_per_sample"]}
    for name, key in (("uniform", "uniform (8 bits)"), ("unigram of µ-law codes", "unigram histogram of µ-law codes"),
                      ("LPC (order 16, Laplace residual)", "LPC order 16 + Laplace residual"))
]
nll_true = wn.nll_bits(digits_model, test_set)
table.append({"model": f"WaveNet ({meta['steps']} steps, RF {digits_model.cfg.receptive_field})",
              "test bits/sample": nll_true})
display(Markdown(markdown_table(table, digits=3)))
nll = [r["test bits/sample"] for r in table]
glue("wn02_nll_bits", nll_true)
glue("wn02_lpc_bits", nll[2])
glue("wn02_gain_over_lpc", nll[2] - nll_true)
assert nll[3] < min(nll[:3]), "WaveNet should beat all three baselines"

# %% [markdown]
# The trained WaveNet needs {glue:text}`wn02_nll_bits:.2f` bits per sample,
# {glue:text}`wn02_gain_over_lpc:.2f` fewer than linear prediction
# ({glue:text}`wn02_lpc_bits:.2f`): the 2,047-sample context and the non-linear stack predict
# speech far better than 16 linear taps.

# %% [markdown]
# ### Generation speed
#
# The previous notebook measured naive and cached generation live on small models;
# `OMP_NUM_THREADS=1 python benchmarks/wavenet_generation.py` goes up to RF 2,047 and batch 16
# (untrained stacks of this model's widths; speed does not depend on the weights). Samples per
# CPU second of one thread (wall-clock figures and the load average of the shared machine are in
# `benchmarks/results/wavenet_generation.csv`):

# %%
speed = read_csv_rows(committed_result("wavenet_generation.csv"))
display(Markdown(markdown_table(
    [{"RF": int(r["receptive_field"]), "naive": r["naive_samples_per_s_cpu"], "cached": r["cached_samples_per_s_cpu"],
      "cached, batch 16 (total)": r["cached_b16_total_samples_per_s_cpu"], "speed-up": r["speedup_cpu"]}
     for r in speed], digits=1)))
widest = max(speed, key=lambda r: r["receptive_field"])
glue("wn02_speedup_2047", widest["speedup_cpu"])
glue("wn02_cached_per_s_2047", widest["cached_samples_per_s_cpu"])
assert all(r["same_codes"] for r in speed), "naive and cached generation must give the same codes"

# %% [markdown]
# At RF 2,047 cached generation is {glue:text}`wn02_speedup_2047:.0f` times faster than naive
# generation, about {glue:text}`wn02_cached_per_s_2047:,.0f` samples per CPU second at batch 1:
# still far from real time at 8 kHz on one thread, which is why batching (the last column) and
# parallel-in-time models matter.

# %% [markdown]
# ### Sampling temperature
#
# Dividing the logits by a temperature $\tau$ before the softmax sharpens ($\tau < 1$) or
# flattens ($\tau > 1$) each step's distribution; $\tau \to 0$ is the arg-max. 0.3 s of
# the digit "seven" at two temperatures, and with arg-max decoding:

# %%
clips = {}
for tau in (1.0, 0.7, 0.0):
    out = wn.generate(digits_model, 2400, g=torch.tensor([7]), temperature=tau, seed=1)
    clips[tau] = mu_law_decode(out[0])
    print(f"temperature {tau}: RMS {clips[tau].pow(2).mean().sqrt():.4f},",
          f"{len(torch.unique(clips[tau]))} distinct levels")
for tau in (1.0, 0.7):
    display(audio_player(clips[tau], SAMPLE_RATE))
fig, ax = plt.subplots(figsize=(8, 2.5))
for tau, w in clips.items():
    ax.plot(np.arange(len(w)) / SAMPLE_RATE, w.numpy(), lw=0.5, label=f"τ = {tau}")
ax.set_xlabel("time (s)")
ax.set_ylabel("amplitude")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# :::{admonition} The output is a distribution over codes: sample it
# :class: warning
# Arg-max decoding ($\tau = 0$) is not "the most likely waveform": each confident choice feeds
# the next, and the output locks into a few levels (printed above), near-silence or a buzz.
# :::

# %% [markdown]
# ## Global conditioning
#
# A label $g$ (digit 0–9) is embedded as a vector $e_g$ and added, through a learned linear map
# per layer, inside both halves of every gate:
#
# $$
# z = \tanh\!\left(W_{f} * h + V_{f}\, e_g\right) \odot \sigma\!\left(W_{g} * h + V_{g}\, e_g\right).
# $$
#
# The chapter's checkpoint (made by `benchmarks/wavenet_train.py`, RF 2,047 samples) was
# trained this way (the table above used the true digit of each test utterance). Generation
# starts from silence, so its training crops sometimes began with silence before the
# utterance: the model learnt how a digit starts after silence. We draw three 0.5 s samples
# per digit with cached generation and ask the course's FSDD digit classifier (trained on
# real recordings, chapter "Audio") which digit it hears.

# %%
labels = torch.arange(10).repeat(3)  # three samples per digit
c0, w0 = time.process_time(), time.perf_counter()
samples = mu_law_decode(wn.generate(digits_model, 4000, g=labels, seed=0))  # (30, 4000)
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
print(f"30 x 4,000 samples: {cpu:.1f} CPU-s, {wall:.1f} s wall, {30 * 4000 / cpu:.0f} samples/CPU-s",
      f"(load average {os.getloadavg()[0]:.1f})")

# %%
clf = pretrained_spoken_digit_classifier("cpu")
pred = clf.predict(list(samples))
acc = glue("wn02_cond_acc", (pred == labels).float().mean().item())
real_acc = glue("wn02_real_acc", (clf.predict(test.waveforms[::10]) == torch.tensor(test.digits[::10])).float().mean().item())
print(f"classifier accuracy on 30 generated digits: {acc:.2f} (chance 0.10); on 30 real test recordings: {real_acc:.2f}")
print("asked for:", labels.tolist())
print("heard:    ", pred.tolist())
for d in (3, 7):
    display(audio_player(samples[d], SAMPLE_RATE))
assert real_acc > 0.8, "the classifier itself should recognise real recordings"
assert acc >= 0.2, "conditioned samples should be recognised at least twice as often as chance"

# %% [markdown]
# The classifier recognises {glue:text}`wn02_real_acc:.0%` of 30 real test recordings and
# {glue:text}`wn02_cond_acc:.0%` of the 30 generated digits, where chance is one in ten: the label
# steers the samples, far from reliably. Thirty samples give a coarse figure; the benchmark script
# scores 50 other samples (seed 123) at two temperatures:

# %%
cond = read_csv_rows(committed_result("wavenet_conditioning.csv"))
display(Markdown(markdown_table([{"temperature": r["temperature"], "samples": int(r["n_samples"]),
                                  "accuracy": r["accuracy"], "chance": r["chance"],
                                  "distinct digits heard": int(r["distinct_predictions"])} for r in cond])))

# %% [markdown]
# ## Local conditioning: a tiny WaveNet vocoder
#
# Local features $c$ arrive at the frame rate (a log-mel frame every 10 ms = 80 samples). They
# pass through a small convolution over frames (the whole spectrogram is known, so it may look
# ahead), are **upsampled** to the sample rate by repeating each frame for the samples nearest
# its centre, and enter every gate as $V_{f}\, y_t$ and $V_{g}\, y_t$. Given the mel
# spectrogram of a test utterance, the model re-synthesises a waveform. The classical
# reference inverts the mel filter bank by non-negative least squares and recovers a phase with
# Griffin–Lim {cite}`griffin1984signal`.

# %%
vocoder, _ = wn.pretrained_wavenet("wavenet_vocoder")
idx = [0, 150]  # two test utterances, different speakers and digits
clean = [test.waveforms[i][:3000] for i in idx]
feats = [wn.mel_features(w) for w in clean]
n = max(len(w) for w in clean)
c = torch.zeros(len(idx), 40, max(f.shape[1] for f in feats))  # (B, n_mels, frames), zero-padded
for b, f in enumerate(feats):
    c[b, :, : f.shape[1]] = f
c0 = time.process_time()
voc = mu_law_decode(wn.generate(vocoder, n, c=c, seed=0))  # (2, n)
print(f"vocoder: {time.process_time() - c0:.1f} CPU-s for {len(idx)} x {n} samples")
rows = []
for b, w in enumerate(clean):
    gl = wn.griffin_lim_from_mel(feats[b], len(w))
    v = voc[b, : len(w)]
    rows.append({"utterance": idx[b],
                 "LSD WaveNet (dB)": log_spectral_distance(w, v).item(),
                 "LSD Griffin-Lim (dB)": log_spectral_distance(w, gl).item(),
                 "SI-SDR WaveNet (dB)": si_sdr(w, v).item(),
                 "SI-SDR Griffin-Lim (dB)": si_sdr(w, gl).item()})
    if b == 0:
        gl0, v0 = gl, v
rows.append({"utterance": "mean", **{k: float(np.mean([r[k] for r in rows])) for k in list(rows[0])[1:]}})
display(Markdown(markdown_table(rows, digits=2)))
mean_row = rows[-1]
glue("wn02_lsd_wavenet", mean_row["LSD WaveNet (dB)"])
glue("wn02_lsd_gl", mean_row["LSD Griffin-Lim (dB)"])
for name, wave in (("original", clean[0]), ("Griffin-Lim", gl0), ("WaveNet vocoder", v0)):
    print(name)
    display(audio_player(wave.clamp(-1, 1), SAMPLE_RATE))

# %% [markdown]
# Both re-syntheses start from a magnitude-only description, so neither recovers the original
# phase: SI-SDR, a waveform-matching score, is low for both, and the log-spectral distance is the
# fairer comparison: {glue:text}`wn02_lsd_wavenet:.1f` dB for the WaveNet vocoder against
# {glue:text}`wn02_lsd_gl:.1f` dB for Griffin–Lim on these two utterances. A WaveNet vocoder of
# this size trained for a few CPU-minutes is far from the quality of the published ones, which
# trained for days on hours of speech.

# %%
assert all(np.isfinite(v) for v in list(mean_row.values())[1:])
assert mean_row["LSD WaveNet (dB)"] < 20, "the trained vocoder output should follow the mel envelope"

# %% [markdown]
# ## WaveNet on noisy data: a denoising WaveNet
#
# Rethage et al. {cite}`rethage2018denoising` kept WaveNet's dilated, gated, residual stack but
# changed its job: the whole noisy recording is known, so the convolutions are **centred**
# (non-causal, seeing the past and the future), and the output is the clean sample itself, a
# real number trained with an L1 loss, produced for all samples in **one parallel pass** (no
# sampling). The course's version (`wn.DenoisingWaveNet`, kernel 3, two blocks of dilations
# 1 … 128) was trained on FSDD's training split mixed with **white** noise at 0–10 dB SNR.
#
# Its gradient probe: centred, RF samples wide.

# %%
den, _ = wn.pretrained_wavenet("wavenet_denoiser")
rf = den.cfg.receptive_field
probe = wn.input_gradient_support(den.net, torch.randn(1, 1, 2000), 1000)
print(f"RF {rf}: output 1000 depends on inputs {probe.min().item()} .. {probe.max().item()}")
assert probe.tolist() == list(range(1000 - rf // 2, 1000 + rf // 2 + 1))

# %% [markdown]
# The baseline is the course's classical one, `course_lib.restoration` (chapter "Audio",
# part 2): power spectral subtraction and a Wiener filter, both with the noise spectrum
# estimated from the quietest frames. Test: 20 test utterances, white noise at 0 and 5 dB,
# and two noises the WaveNet never saw (pink and babble).

# %%
test_clean = test.waveforms[::15]  # 20 utterances, every speaker
conditions = [("white", 0.0), ("white", 5.0), ("pink", 0.0), ("babble", 5.0)]
rows, examples = [], {}
c0 = time.process_time()
with torch.no_grad():
    for kind, snr_db in conditions:
        scores = {"noisy": [], "spectral subtraction": [], "Wiener": [], "denoising WaveNet": []}
        for i, w in enumerate(test_clean):
            noisy = add_noise(w, make_noise(kind, len(w), seed=i), snr_db)
            outs = {"noisy": noisy, "spectral subtraction": restoration.spectral_subtraction(noisy),
                    "Wiener": restoration.wiener_filter(noisy), "denoising WaveNet": den(noisy)}
            for k, v in outs.items():
                scores[k].append(si_sdr(w, v).item())
            if i == 0:
                examples[(kind, snr_db)] = outs
        rows.append({"noise": kind, "SNR (dB)": snr_db, **{k: float(np.mean(v)) for k, v in scores.items()}})
        rows[-1]["WaveNet - spectral subtraction"] = rows[-1]["denoising WaveNet"] - rows[-1]["spectral subtraction"]
print(f"{time.process_time() - c0:.1f} CPU-s; mean SI-SDR (dB) over 20 test utterances:")
display(Markdown(markdown_table(rows, digits=2)))

# %%
fig, ax = plt.subplots(figsize=(7, 3))
xs = np.arange(len(rows))
for j, k in enumerate(["noisy", "spectral subtraction", "Wiener", "denoising WaveNet"]):
    ax.bar(xs + 0.2 * (j - 1.5), [r[k] for r in rows], width=0.2, label=k)
ax.set_xticks(xs, [f"{r['noise']} {r['SNR (dB)']:.0f} dB" for r in rows])
ax.set_ylabel("SI-SDR (dB)")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
gain = glue("wn02_gain_white0", rows[0]["WaveNet - spectral subtraction"])
glue("wn02_gain_pink0", rows[2]["WaveNet - spectral subtraction"])
print(f"white noise, 0 dB: WaveNet minus spectral subtraction = {gain:.2f} dB SI-SDR")
assert rows[0]["denoising WaveNet"] > rows[0]["noisy"] + 5.0
assert gain > 1.5, "the trained denoiser should clearly beat spectral subtraction on white noise at 0 dB"

# %% [markdown]
# On the white noise it was trained on, the denoising WaveNet beats spectral subtraction by
# {glue:text}`wn02_gain_white0:.1f` dB of SI-SDR at 0 dB SNR; on pink noise, which it never saw,
# the difference is {glue:text}`wn02_gain_pink0:.1f` dB. The benchmark script scores 30 other
# test utterances with other noise draws, adding white noise at 10 dB:

# %%
den_rows = read_csv_rows(committed_result("wavenet_denoiser.csv"))
display(Markdown(markdown_table(den_rows, ["noise", "snr_db", "noisy", "spectral subtraction", "Wiener",
                                           "denoising WaveNet", "wavenet_minus_spectral_subtraction"])))

# %% [markdown]
# Listen: white noise at 0 dB as noisy / spectral subtraction / denoising WaveNet, then pink
# noise at 0 dB (unseen in training) as noisy / denoising WaveNet.

# %%
for key, names in ((("white", 0.0), ("noisy", "spectral subtraction", "denoising WaveNet")),
                   (("pink", 0.0), ("noisy", "denoising WaveNet"))):
    for name in names:
        print(key[0], "noise,", name)
        display(audio_player(examples[key][name][:12000].clamp(-1, 1), SAMPLE_RATE))

# %% [markdown]
# ## Common pitfalls
#
# :::{admonition} A generator conditioned on a label is not proved to use it
# :class: warning
# A conditioned model can ignore $g$ and still reach a good likelihood (the digit carries few
# bits per *sample*). Check with an independent classifier, as above, or compare the NLL with
# the true label against a wrong one:
# :::

# %%
wrong_g = [(d + 5) % 10 for d in test_set.labels]
nll_wrong = glue("wn02_nll_wrong", wn.nll_bits(digits_model, wn.Utterances(test_set.codes, wrong_g)))
print(f"test NLL with the true digit {nll_true:.4f}, with a wrong digit {nll_wrong:.4f} bits/sample")
assert nll_true <= nll_wrong + 0.01

# %% [markdown]
# With the true digit the model needs {glue:text}`wn02_nll_bits:.3f` bits per sample, with a
# wrong one {glue:text}`wn02_nll_wrong:.3f`: the label is used, but it is worth little per sample.

# %% [markdown]
# :::{admonition} A denoiser trained on one noise is not a general denoiser
# :class: warning
# The table shows what happens on noises absent from training; report them, and compare with
# a classical method that has no training set to overfit to.
# :::
#
# ## Summary
#
# - Global conditioning adds a per-layer projection of a label embedding inside every gate;
#   local conditioning adds upsampled frame features, which makes WaveNet a vocoder.
# - Conditional samples are scored by an independent classifier; the vocoder is compared with
#   Griffin–Lim on log-spectral distance and SI-SDR.
# - The denoising WaveNet drops causality and sampling: centred dilated convolutions map
#   noisy to clean audio in one pass, and are compared above with spectral subtraction and a
#   Wiener filter on seen and unseen noises.
# - Pointers: Parallel WaveNet {cite}`vandenoord2018parallel` and WaveRNN
#   {cite}`kalchbrenner2018wavernn` make generation fast enough for production.
#
# ## Exercises
#
# ```{exercise} Wrong labels
# :label: ex-wavenet-wrong-label
# Generate 20 samples of the digit model with the label "3" and classify them. Then generate
# with label "3" but a prompt of a real recording of "8" (`prompt=` argument). Which wins, the
# label or the prompt, and how does the answer depend on the prompt's length relative to RF?
# ```
#
# ```{solution} ex-wavenet-wrong-label
# :class: dropdown
# Within the receptive field the prompt dominates: the model continues the waveform it sees,
# so the first generated samples follow the "8". Once the prompt has left the receptive field
# (after RF = 2,047 samples, about a quarter of a second) only the label and the model's own
# samples remain. Measure it by classifying the generated part only.
# ```
#
# ```{exercise} Upsampling the mel frames
# :label: ex-wavenet-upsample
# `WaveNet.conditioning` repeats each frame for the samples nearest its centre. Replace it
# with linear interpolation between frame centres. Does the vocoder's NLL on test utterances
# change after the same training budget?
# ```
#
# ```{solution} ex-wavenet-upsample
# :class: dropdown
# Compute `frame = target / hop` as a float, take the two neighbouring frames and mix them with
# weights `1 - frac` and `frac`. The WaveNet paper used a learned transposed convolution;
# repetition and interpolation are cheaper. Differences after a short training are small and
# must be measured over several seeds before being believed.
# ```
#
# ```{exercise} A causal denoiser
# :label: ex-wavenet-causal-denoiser
# Build the denoiser with causal convolutions (same depth and training). How much SI-SDR does
# it lose at 0 dB white noise, and why would a real-time hearing aid accept that loss?
# ```
#
# ```{solution} ex-wavenet-causal-denoiser
# :class: dropdown
# Replace the centred residual blocks by causal ones (`wn.ResidualBlock(..., causal=True)`). The model loses the half of its context that lies
# in the future, which helps most at word onsets; expect a lower SI-SDR. A hearing aid must
# output each sample within a few milliseconds, so it cannot wait for future samples: it trades
# quality for latency (or allows a small look-ahead).
# ```
