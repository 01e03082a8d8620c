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

# %%

# %% [markdown]
# # A GAN for raw audio: the WaveGAN idea
#
# WaveGAN {cite}`donahue2019wavegan` carries the DCGAN recipe from images to waveforms: 2-D
# convolutions become 1-D convolutions with long kernels and stride 4, and one new layer,
# *phase shuffle*, keeps the discriminator from cheating on a flaw of generated audio. This
# notebook builds a CPU-sized WaveGAN for spoken digits (FSDD), listens to it, and scores it with
# the course's FSDD digit classifier, against real test recordings and against noise.
#
# **Learning goals.** After this notebook you can
# - describe the WaveGAN generator and discriminator and the role of phase shuffle;
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
from course_lib.checkpoints import committed_result, load
from course_lib.data import load_fsdd
from course_lib.evaluators import pretrained_spoken_digit_classifier
from course_lib.notebook import audio_player, glue, plot_spectrogram
from course_lib.utils import count_parameters, set_seed

set_seed(0)

# %% [markdown]
# ## Architecture
#
# Generator: $z \in \mathbb{R}^{32}$ → linear layer → 16 frames of $C$ channels → four
# transposed 1-D convolutions (kernel 25, stride 4), each upsampling time by 4 and halving the
# channels → $16 \cdot 4^4 = 4096$ samples (0.51 s at 8 kHz) through tanh. Discriminator: the
# mirror image, strided 1-D convolutions with LeakyReLU, and phase shuffle after each layer but
# the last; trained by the GAN chapter's `train_gan` with the Wasserstein loss and gradient
# penalty (`loss="wgan-gp"` in `gb.WAVEGAN_TRAIN`). The paper's model is 64 times wider, makes 16,384 samples at 16 kHz and
# trains for days on a GPU; ours is sized for a few CPU minutes.
#
# **Phase shuffle.** Transposed convolutions with stride 4 leave periodic artefacts: a pattern
# that repeats every few samples with a fixed phase. A discriminator can detect generated audio
# from that phase alone, a shortcut that teaches the generator nothing useful. Phase shuffle
# shifts each example's feature maps by a random $k \in \{-n, \dots, n\}$ samples (reflecting
# at the edges), so the exact phase is no longer informative:
# $$\tilde h_{c,t} = h_{c,\,t-k}, \qquad k \sim \mathcal{U}\{-n, \dots, n\},\; n = 2.$$

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
# ## The trained generator
#
# Training ran in `benchmarks/gan_beyond_wavegan.py` (command and settings below); its generator
# is committed as a small checkpoint, hash-checked on load, which also records the training run.

# %%
display(Markdown(committed_result("gan_beyond_wavegan.md").read_text()))
gen = gb.pretrained_wavegan()  # hash-checked; downloaded into the user cache when not in a clone
meta = load("gan_beyond_wavegan")["meta"]
glue("gb03_steps", meta["generator_steps"])
glue("gb03_cpu_s", meta["train_cpu_s"])
print("generator parameters:", count_parameters(gen), "| samples per clip:", gen.cfg.length)
print(f"training: {meta['generator_steps']} generator steps, {meta['train_cpu_s']:.0f} CPU seconds")
with torch.no_grad():
    fake = gen(torch.randn(200, gen.cfg.latent_dim, generator=torch.Generator().manual_seed(0)))

# %% [markdown]
# Real test recordings (FSDD's test split: takes 0–4), prepared like the training clips
# (trimmed, centred in 4,096 samples, peak 0.9), and white noise at the same peak level.

# %%
test = load_fsdd("test")
real = gb.prepare_fsdd_clips([test[i][0] for i in range(0, len(test), 3)][:100], gen.cfg.length)
noise = torch.randn(100, gen.cfg.length, generator=torch.Generator().manual_seed(1))
noise = 0.9 * noise / noise.abs().amax(1, keepdim=True)
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
for ax, (name, wave) in zip(axes, [("real test clip", real[0]), ("WaveGAN sample", fake[0])], strict=True):
    plot_spectrogram(ax, log_mel(wave, RATE), RATE, 80, mel=True, title=name)
plt.tight_layout()

# %%
display(audio_player(real[0], RATE))
display(audio_player(fake[0].clamp(-1, 1), RATE))

# %% [markdown]
# ## Scoring generated audio with a digit classifier
#
# The FSDD digit classifier of the recognition chapter (`pretrained_spoken_digit_classifier()`) gives
# $p(y \mid x)$ for each clip. Three figures, each with a name that says what it is:
# - **confident share**: fraction of clips with $\max_y p(y \mid x) > 0.9$ (does the clip
#   sound like *some* digit?);
# - **class entropy**: entropy in bits of the histogram of predicted digits (at most
#   $\log_2 10 = 3.32$; low means the generator says the same digit over and over);
# - **inception-score-like figure**: $\exp \mathbb{E}_x \mathrm{KL}(p(y\mid x) \,\|\, p(y))$
#   {cite}`salimans2016improved`, computed with our classifier instead of Inception, so only
#   comparable within this page.
#
# Real audio and noise calibrate the scale.

# %%
clf = pretrained_spoken_digit_classifier()
table = {}
for name, waves in [("real test audio", real), ("WaveGAN samples", fake), ("white noise", noise)]:
    table[name] = gb.confidence_and_entropy(clf.predict_proba(list(waves)))
    for figure, value in table[name].items():
        glue(f"gb03_{name.split()[0].lower()}_{figure}", value)
print(f"{'':18s} confident>0.9  class entropy (bits)  IS-like")
for name, s in table.items():
    print(f"{name:18s} {s['confident']:13.2f}  {s['class_entropy']:20.2f}  {s['inception_score']:7.2f}")
assert table["real test audio"]["confident"] > 0.7
assert table["real test audio"]["inception_score"] > table["white noise"]["inception_score"]
ws = table["WaveGAN samples"]
assert table["white noise"]["inception_score"] < ws["inception_score"] < table["real test audio"]["inception_score"]
assert ws["class_entropy"] > 1.0 and ws["confident"] < table["real test audio"]["confident"]

# %% [markdown]
# How to read the table. Real audio sets the ceiling: nearly every clip is classified
# confidently (a share of {glue:text}`gb03_real_confident:.2f`) and all ten digits appear (class
# entropy {glue:text}`gb03_real_class_entropy:.2f` of at most 3.32 bits). The surprise is the
# noise row: the classifier is *confident* on white noise too (a share of
# {glue:text}`gb03_white_confident:.2f`), and calls every noise clip the same digit (class
# entropy {glue:text}`gb03_white_class_entropy:.2f`). A classifier trained only on speech has never
# seen noise and extrapolates with high confidence, so **the confident share alone says nothing
# about quality**; only together with the class histogram (entropy) and the inception-score-like
# figure does it separate real speech from noise. Our CPU-trained WaveGAN (settings above, with its
# CPU time) lands in between: few of its clips are classified confidently
# ({glue:text}`gb03_wavegan_confident:.2f`), its predictions spread over several digits but far from
# all ten equally (class entropy {glue:text}`gb03_wavegan_class_entropy:.2f`), and its
# inception-score-like figure ({glue:text}`gb03_wavegan_inception_score:.2f`) is above the noise's
# ({glue:text}`gb03_white_inception_score:.2f`) but far below real speech's
# ({glue:text}`gb03_real_inception_score:.2f`). It makes speech-like sounds, rarely a word the
# classifier is sure of: the honest result of this budget.
#
# **What a GPU run would change.** The paper trains a model about 64 times wider for on the
# order of 100,000 generator steps (days on one GPU); ours had {glue:text}`gb03_steps:.0f`
# generator steps on the CPU. On a GPU,
# one would (i) use the full-width model and 16,384-sample clips, (ii) train for hours, and
# (iii) monitor the figures above during training, not only at the end. The evaluation code
# stays the same.
#
# ## Common pitfalls
#
# :::{admonition} Pitfall: "a GAN generates audio recurrently, like WaveNet"
# :class: warning
# It does not. The WaveGAN generator is a feed-forward convolutional network: all 4,096 samples
# come out of one forward pass, with no recurrent connection and no sample-by-sample loop. That
# is why it is fast at generation (WaveNet needs one network evaluation per sample). The cell
# checks the module types and times one batch.
# :::

# %%
import time

from torch import nn

assert not any(isinstance(m, (nn.RNNBase, nn.RNNCellBase)) for m in gen.modules())
t0 = time.perf_counter()
with torch.no_grad():
    out = gen(torch.randn(16, gen.cfg.latent_dim))
print(f"16 clips x {out.shape[1]} samples in one call: {1e3 * (time.perf_counter() - t0):.0f} ms")

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
#   phase-based shortcuts of the discriminator.
# - Score generated audio with a fixed classifier, name the figures for what they are and
#   calibrate them with real audio and noise.
# - A CPU budget is far from what such a model needs; say so and report the figures anyway.
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
