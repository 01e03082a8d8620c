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
# # GANs for audio: WaveGAN and SpecGAN
#
# Donahue et al. {cite}`donahue2019wavegan` carry the DCGAN recipe to audio in two ways.
# **WaveGAN** generates the waveform itself: 2-D convolutions become 1-D convolutions with long
# kernels and stride 4, and one new layer, *phase shuffle*, keeps the discriminator from cheating
# on a flaw of generated audio. **SpecGAN** generates an image, a log-magnitude spectrogram, with
# an ordinary 2-D DCGAN, and turns it into sound with a phase-retrieval algorithm. This notebook
# trains CPU-sized versions of both on spoken digits (FSDD), listens to them, and scores them with
# the course's spoken-digit classifier, against real test recordings and against noise.
#
# **Learning goals.** After this notebook you can
# - describe the WaveGAN generator and discriminator and the role of phase shuffle;
# - describe SpecGAN's representation (normalised log magnitude) and its inversion by
#   Griffin–Lim, and what that inversion costs;
# - evaluate generated audio with a pretrained classifier (confident share, entropy of the
#   predicted-class histogram, an inception-score-like figure) and calibrate those figures with
#   real audio and noise;
# - say what a CPU budget does to such a model and what a GPU run would change.

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
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from course_lib import gan_beyond as gb
from course_lib.audio import SAMPLE_RATE as RATE
from course_lib.audio import log_mel
from course_lib.checkpoints import committed_result
from course_lib.data import load_fsdd
from course_lib.evaluators import pretrained_spoken_digit_classifier
from course_lib.notebook import audio_player, glue, markdown_table, plot_spectrogram, read_csv_rows
from course_lib.utils import set_seed

set_seed(0)

# %% [markdown]
# ## Architecture
#
# Generator: $z \in \mathbb{R}^{32}$ → linear layer → 16 frames of $C$ channels → four
# transposed 1-D convolutions (kernel 25, stride 4), each upsampling time by 4 and halving the
# channels → $16 \cdot 4^4 = 4096$ samples (0.51 s at 8 kHz) through tanh. Discriminator: the
# mirror image, strided 1-D convolutions with LeakyReLU, and phase shuffle after each layer but
# the last; trained by the GAN chapter's `train_gan` with the Wasserstein loss and gradient
# penalty (`loss="wgan-gp"` in `gb.WAVEGAN_TRAIN`). The paper's generator {cite}`donahue2019wavegan`
# has {glue:text}`gb03_width_ratio:.0f` times more channels, layer for layer from the top (so about
# {glue:text}`gb03_weight_ratio:.0f` times more weights per convolution) and one upsampling layer
# more, makes 16,384 samples at 16 kHz and trains on a GPU; ours trains in tens of CPU-minutes
# (the table below gives each model's CPU time).
#
# **Phase shuffle.** Transposed convolutions with stride 4 leave periodic artefacts: a pattern
# that repeats every few samples with a fixed phase. A discriminator can detect generated audio
# from that phase alone, a shortcut that teaches the generator nothing useful. Phase shuffle
# shifts each example's feature maps by a random $k \in \{-n, \dots, n\}$ samples (reflecting
# at the edges), so the exact phase is no longer informative:
#
# $$
# \tilde h_{c,t} = h_{c,\,t-k}, \qquad k \sim \mathcal{U}\{-n, \dots, n\},\; n = 2.
# $$
#

# %%
t = torch.arange(40, dtype=torch.float32)
h = torch.sin(2 * torch.pi * t / 8).view(1, 1, -1).repeat(3, 1, 1)  # (3, 1, 40)
shuffled = gb.phase_shuffle(h, 2, shifts=torch.tensor([-2, 0, 2]))
fig, ax = plt.subplots(figsize=(7, 2.5))
for k, y in zip([-2, 0, 2], shuffled[:, 0], strict=True):
    ax.plot(t, y, marker=".", label=f"k = {k}")
ax.set(xlabel="time step", ylabel="feature value", title="phase shuffle of one feature map")
ax.legend()
plt.tight_layout()
assert shuffled.shape == h.shape and torch.equal(shuffled[0, 0, :-2], h[0, 0, 2:])

# %% [markdown]
# ## SpecGAN: a spectrogram, then a phase
#
# SpecGAN works on $L = \log(|\mathrm{STFT}(x)| + 10^{-5})$, here with a 256-sample window and a
# 128-sample hop, the Nyquist bin dropped: a 128 × 32 image per 4,096-sample clip. Each frequency
# bin $f$ is normalised with the training set's mean $\mu_f$ and standard deviation $\sigma_f$
# and clipped: $\tilde L = \mathrm{clip}\big((L - \mu_f) / 3\sigma_f, -1, 1\big)$. A DCGAN with
# four stride-2 layers in each network generates and judges those images. The magnitude alone
# is not a sound: the phase is missing. **Griffin–Lim** {cite}`griffin1984signal` finds one: start
# from a random phase and repeat "inverse STFT, STFT, keep the phase, restore the magnitude",
# which moves towards a *consistent* spectrogram (one that some signal actually has). The
# normalisation statistics are stored in the generator, so `G.generate(n)` returns audio.
#
# How much does the round trip itself lose? The cell passes a real test clip through the
# representation and back: if the classifier could not recognise *that*, no SpecGAN could score
# well.

# %%
test = load_fsdd("test")
real = gb.prepare_fsdd_clips([test[i][0] for i in range(len(test))], 4096)
spec_gen = gb.pretrained_specgan()  # hash-checked; downloaded into the user cache when not in a clone
round_trip = spec_gen.to_audio(spec_gen.normalise(gb.log_spectrogram(real[:1], spec_gen.cfg)))[0]
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
pair = [("real test clip", real[0]), ("after log |STFT| and Griffin–Lim", round_trip)]
for ax, (name, wave) in zip(axes, pair, strict=True):
    plot_spectrogram(ax, log_mel(wave, RATE), RATE, 80, mel=True, title=name)
plt.tight_layout()
display(audio_player(real[0], RATE, label="real test clip"))
display(audio_player(round_trip.clamp(-1, 1), RATE,
                     label="the same clip after SpecGAN's representation and Griffin–Lim (32 iterations)"))

# %% [markdown]
# ## Trained side by side
#
# Both models were trained by `benchmarks/gan_beyond_audio.py` with the same WGAN-GP recipe on
# the 2,700 training recordings (command, date and machine below) and committed as small
# checkpoints, hash-checked on load. The benchmark scores 300 generated clips of each with the
# spoken-digit classifier of the recognition chapter (`pretrained_spoken_digit_classifier()`):
#
# - **inception-style score** $\exp \mathbb{E}_x \mathrm{KL}(p(y\mid x) \,\|\, p(y))$
#   {cite}`salimans2016improved`, computed with our classifier instead of Inception: 10 if every
#   clip is a confident, different digit in equal numbers, 1 if the classifier's answers do not
#   depend on the clip;
# - **class entropy**: entropy in bits of the histogram of predicted digits (at most
#   $\log_2 10 = 3.32$);
# - **confident share**: fraction of clips with $\max_y p(y \mid x) > 0.9$;
# - **Fréchet distance (FD)** {cite}`heusel2017gans` between Gaussians fitted to the
#   classifier's penultimate features of the generated clips and of FSDD's 300 test recordings.
#
# Three reference rows, scored by the same code, set the scale: the real test clips, the test
# clips after the SpecGAN round trip, and white noise.

# %%
results = read_csv_rows(committed_result("gan_beyond_audio.csv"))
curve = read_csv_rows(committed_result("gan_beyond_audio_curve.csv"))
display(Markdown(committed_result("gan_beyond_audio.md").read_text().split("\n\n")[1]))
LABELS = {
    "generator_steps": "generator steps",
    "inception_score": "inception-style score",
    "class_entropy": "class entropy (bits)",
    "confident": "confident share",
    "fd": "FD to real test clips",
    "train_cpu_s": "training CPU s",
}
KEYS = {"wavegan": "wavegan", "specgan": "specgan", "reference: real test clips": "real",
        "reference: real clips through SpecGAN's Griffin-Lim": "roundtrip", "reference: white noise": "noise"}
score = {r["row"]: r for r in results}
for name, r in score.items():
    for key in LABELS:
        if r.get(key, "") == r.get(key, ""):  # NaN or missing: no figure
            glue(f"gb03_{KEYS[name]}_{key}", r[key])
table = [{"row": n, **{LABELS[k]: r.get(k, "") for k in LABELS}} for n, r in score.items()]
display(Markdown(markdown_table(table)))
better = max(["wavegan", "specgan"], key=lambda n: score[n]["inception_score"])
glue("gb03_better", {"wavegan": "WaveGAN", "specgan": "SpecGAN"}[better])
glue("gb03_better_inception_score", score[better]["inception_score"])
# width: the paper's generator starts at 16 d = 1,024 channels (d = 64) and halves them per layer
PAPER_TOP_CHANNELS = 16 * 64
wave_cfg = gb.pretrained_wavegan().cfg
ours_top = wave_cfg.width * 2 ** (wave_cfg.layers - 1)
width_ratio = glue("gb03_width_ratio", PAPER_TOP_CHANNELS / ours_top)
glue("gb03_weight_ratio", width_ratio**2)
print(f"generator channels: ours {ours_top} at the top, the paper's {PAPER_TOP_CHANNELS}: {width_ratio:.0f} times more")

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
for name, color, marker in [("wavegan", "C0", "o"), ("specgan", "C3", "s")]:
    pts = [c for c in curve if c["row"] == name]
    steps = [c["step"] for c in pts]
    axes[0].plot(steps, [c["inception_score"] for c in pts], marker=marker, color=color, label=name)
    axes[1].plot(steps, [c["fd"] for c in pts], marker=marker, color=color, label=name)
axes[0].axhline(score["reference: real test clips"]["inception_score"], color="k", ls="--", label="real clips")
axes[1].set_yscale("log")
axes[0].set(xlabel="generator step", ylabel="inception-style score (100 clips)")
axes[1].set(xlabel="generator step", ylabel="FD to real test clips (100 clips)")
axes[0].legend(fontsize=8)
plt.tight_layout()

# %% [markdown]
# Ten clips of the better model, each with the digit the classifier hears and its probability
# (the first ten of a fixed seed, not selected):

# %%
clf = pretrained_spoken_digit_classifier("cpu")
if better == "wavegan":
    gen = gb.pretrained_wavegan()
    with torch.no_grad():
        clips = gen(torch.randn(10, gen.cfg.latent_dim, generator=torch.Generator().manual_seed(0)))
else:
    clips = spec_gen.generate(10, seed=0)
probs = clf.predict_proba(list(clips))
for k, (clip, p) in enumerate(zip(clips, probs, strict=True)):
    heard = f"{better} clip {k}: the classifier hears '{int(p.argmax())}' (p = {float(p.max()):.2f})"
    display(audio_player(clip.clamp(-1, 1), RATE, label=heard))

# %%
wave_s, spec_s = score["wavegan"], score["specgan"]
real_s, noise_s = score["reference: real test clips"], score["reference: white noise"]
for s_ in (wave_s, spec_s):  # every model sits between noise and real speech on both scales
    assert noise_s["inception_score"] < s_["inception_score"] < real_s["inception_score"]
    assert real_s["fd"] < s_["fd"] < noise_s["fd"]
assert max(wave_s["inception_score"], spec_s["inception_score"]) >= 5.0  # the committed better model: 5.23

# %% [markdown]
# How to read the table. The real test clips set the ceiling (inception-style score
# {glue:text}`gb03_real_inception_score:.2f`, class entropy
# {glue:text}`gb03_real_class_entropy:.2f` bits), and the SpecGAN round trip barely lowers it
# (score {glue:text}`gb03_roundtrip_inception_score:.2f`, FD {glue:text}`gb03_roundtrip_fd:.1f`):
# the log-magnitude representation and 32 Griffin–Lim iterations keep what the classifier needs,
# so what limits SpecGAN is its generator, not the inversion. White noise sets the floor, and it
# holds a warning: the classifier is *confident* on noise (a confident share of
# {glue:text}`gb03_noise_confident:.2f`) but calls every noise clip the same digit (class entropy
# {glue:text}`gb03_noise_class_entropy:.2f`). A classifier trained only on speech extrapolates
# with high confidence, so **the confident share alone says nothing about quality**; the
# inception-style score (noise: {glue:text}`gb03_noise_inception_score:.2f`) and the FD (noise:
# {glue:text}`gb03_noise_fd:.0f`) do separate speech from noise.
#
# Both GANs land in between. SpecGAN, after {glue:text}`gb03_specgan_generator_steps:,.0f`
# generator steps ({glue:text}`gb03_specgan_train_cpu_s:,.0f` CPU seconds), scores
# {glue:text}`gb03_specgan_inception_score:.2f` with an FD of {glue:text}`gb03_specgan_fd:.0f`;
# WaveGAN, after {glue:text}`gb03_wavegan_generator_steps:,.0f` steps
# ({glue:text}`gb03_wavegan_train_cpu_s:,.0f` CPU seconds), scores
# {glue:text}`gb03_wavegan_inception_score:.2f` with an FD of {glue:text}`gb03_wavegan_fd:.0f`.
# The better model, {glue:text}`gb03_better`, scores {glue:text}`gb03_better_inception_score:.2f`,
# between white noise ({glue:text}`gb03_noise_inception_score:.2f`) and real speech
# ({glue:text}`gb03_real_inception_score:.2f`). The curves say why the
# budgets differ: WaveGAN's score had levelled off, so its run stopped, while SpecGAN's was still
# climbing and got more steps. SpecGAN has the easier job on a CPU budget: a digit is a few
# formant tracks in a 128 × 32 image, and the phase, which WaveGAN must get right sample by
# sample with a network {glue:text}`gb03_width_ratio:.0f` times narrower than the paper's, is
# supplied by Griffin–Lim.
#
# Listen to the ten clips above with the table in mind: the classifier's confident, varied
# answers on many of them are what the score counts; clips it hears as a digit with p near 1
# can still sound rough to a person, which the score does not see.
#
# **What a GPU run would change.** The paper trains models with
# {glue:text}`gb03_width_ratio:.0f` times more channels per layer on 16 kHz audio, on a GPU
# {cite}`donahue2019wavegan`. On a GPU one would use the full-width models and 16,384-sample
# clips, train far longer, and keep the same evaluation.
#
# ## Common pitfalls
#
# :::{admonition} Pitfall: "a GAN generates audio recurrently, like WaveNet"
# :class: warning
# It does not. Both generators are feed-forward convolutional networks: all 4,096 samples (or
# the whole spectrogram) come out of one forward pass, with no recurrent connection and no
# sample-by-sample loop. That is why they are fast at generation (WaveNet needs one network
# evaluation per sample); SpecGAN adds the Griffin–Lim iterations after its forward pass. The
# cell checks the module types and times one batch of each.
# :::

# %%
import time

from torch import nn

wave_gen = gb.pretrained_wavegan()
for model in (wave_gen, spec_gen):
    assert not any(isinstance(m, (nn.RNNBase, nn.RNNCellBase)) for m in model.modules())
t0 = time.perf_counter()
with torch.no_grad():
    out = wave_gen(torch.randn(16, wave_gen.cfg.latent_dim))
print(f"WaveGAN: 16 clips x {out.shape[1]} samples in one call: {1e3 * (time.perf_counter() - t0):.0f} ms")
t0 = time.perf_counter()
out = spec_gen.generate(16)
print(f"SpecGAN: 16 clips, one call plus 32 Griffin-Lim iterations: {1e3 * (time.perf_counter() - t0):.0f} ms")

# %% [markdown]
# :::{admonition} Pitfall: judging audio GANs by the training losses
# :class: warning
# The critic's Wasserstein estimate is a relative signal between two networks that both move; it
# does not say whether the samples are words. Listen, and score with a fixed external model as
# above, calibrated with real data and noise.
# :::
#
# ## Summary
#
# - WaveGAN = DCGAN in 1-D: long kernels, stride 4, WGAN-GP, and phase shuffle against
#   phase-based shortcuts of the discriminator. SpecGAN = DCGAN on normalised log-magnitude
#   spectrograms, with Griffin–Lim supplying the phase; check what the round trip alone costs.
# - Score generated audio with a fixed classifier, name the figures for what they are and
#   calibrate them with real audio, the representation's round trip and noise; follow them
#   during training and stop when they level off.
# - A CPU budget is far from what such models are trained with; say so and report the figures.
#
# ## Exercises
#
# ```{exercise} Phase shuffle off
# :label: ex-gan-beyond-phase-shuffle
# Train two tiny WaveGANs with `phase_shuffle=2` and `phase_shuffle=0`
# (`cfg = gb.WaveGANConfig.tiny(phase_shuffle=k)`, the networks `gb.WaveGANGenerator(cfg)` and
# `gb.WaveGANDiscriminator(cfg)`, clips from `gb.prepare_fsdd_clips(waves, cfg.length)`, and
# `train_gan((G, D), clips, dataclasses.replace(gb.WAVEGAN_TRAIN, steps=200))` from `course_lib.gan`)
# and compare the average magnitude spectra of their samples. Where do you expect differences?
# ```
# ```{solution} ex-gan-beyond-phase-shuffle
# :class: dropdown
# Transposed convolutions of stride 4 tend to leave peaks at multiples of a quarter of the
# sample rate of each layer (for the last layer: 2 kHz at 8 kHz). Compute
# `torch.fft.rfft(samples).abs().mean(0)` for both models: without phase shuffle the
# discriminator can latch on to the phase of these peaks, and the generator has less pressure to
# remove them; with it, the peaks are usually weaker. At 200 steps the differences are small and
# vary with the seed; compare several seeds before drawing a conclusion.
# ```
#
# ```{exercise} A score that a generator can game
# :label: ex-gan-beyond-gaming
# Construct, without training anything, a set of 100 "generated" clips that reach the maximum
# class entropy and a high confident share. What does this say about the metric?
# ```
# ```{solution} ex-gan-beyond-gaming
# :class: dropdown
# Take 10 real training clips of each digit (or the same clip 10 times per digit). The
# classifier labels them confidently and uniformly over digits, so the confident share is high,
# class entropy is 3.32 bits and the inception-score-like figure is near 10. The figures do not
# detect memorisation or a lack of variety *within* a class; pair them with a diversity measure
# (e.g. distances between generated clips and to their nearest training clip).
# ```
