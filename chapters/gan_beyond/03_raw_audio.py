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
import statistics

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
from course_lib.teaching import quiz
from course_lib.utils import seeded, set_seed

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
# The committed generator and its discriminator, layer by layer; the shapes are read from one
# batch passed through models of the committed configuration (forward hooks), so they are the
# ones the model really uses:

# %% tags=["hide-input"]
fig = gb.draw_wavegan(gb.pretrained_wavegan().cfg, batch=16)
plt.show()

# %% [markdown]
# ## Derivation: the length of a transposed convolution
#
# Why do 16 frames become exactly $16 \cdot 4^4 = 4096$ samples? A transposed convolution with
# kernel $w_0, \dots, w_{k-1}$ and stride $s$ lets every input sample "paint" a scaled copy of the
# kernel into the output, the copies $s$ samples apart {cite}`dumoulin2016guide`.
#
# 1. Input $h_0, \dots, h_{T-1}$ (one channel, for clarity) gives
#
#    $$
#    \tilde y_t = \sum_{i=0}^{T-1} h_i\, w_{t - i s}, \qquad \text{with } w_j = 0 \text{ outside } 0 \le j < k. \tag{1}
#    $$
#
# 2. The last copy starts at $(T - 1)s$ and ends at $(T - 1)s + k - 1$, so the full output has
#    $(T - 1)s + k$ samples.
# 3. PyTorch's `padding` $p$ crops $p$ samples at each end and `output_padding` $q$ (less than $s$)
#    adds $q$ at the end:
#
#    $$
#    T_{\text{out}} = (T - 1)s - 2p + k + q. \tag{2}
#    $$
#
# 4. An exact factor $s$, $T_{\text{out}} = sT$, needs $k - 2p + q = s$. With $k = 25$, $s = 4$:
#    $2p - q = 21$, so $p = 11$ and $q = 1$, which is what `WaveGANGenerator` sets.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: what does (2) give for each of the four layers of the committed
# generator, starting from 16 frames? And which padding would a kernel of 24 need?
# ```

# %%
wave_cfg = gb.pretrained_wavegan().cfg  # the committed model's configuration
layer_lengths = []
for m, out_shape in gb.layer_shapes(gb.WaveGANGenerator(wave_cfg), torch.zeros(2, wave_cfg.latent_dim),
                                   (torch.nn.ConvTranspose1d,)):
    t_in = layer_lengths[-1][1] if layer_lengths else 16
    predicted = gb.transposed_conv_length(t_in, m.kernel_size[0], m.stride[0], m.padding[0], m.output_padding[0])
    layer_lengths.append((t_in, out_shape[2], predicted))
    print(f"T = {t_in:5d} -> {out_shape[2]:5d} samples; formula (2): {predicted}")
assert all(real_len == pred == 4 * t for t, real_len, pred in layer_lengths)
assert layer_lengths[-1][1] == wave_cfg.length == 4096

# %% [markdown]
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
# ## Derivation: where the artefacts come from, and what phase shuffle does to them
#
# 1. In (1), output sample $t$ only meets the taps $w_j$ with $j \equiv t \pmod s$: the kernel
#    splits into $s$ *phases*. For a constant input $h_i = c$, away from the edges,
#
#    $$
#    \tilde y_t = c \sum_{j \equiv t \ (\mathrm{mod}\ s)} w_j = c\, S_{t \bmod s}, \tag{3}
#    $$
#
#    a pattern of period $s$ unless the $s$ phase sums $S_0, \dots, S_{s-1}$ happen to be equal. With
#    $k = 25$ and $s = 4$ the phases do not even have the same number of taps (7, 6, 6, 6): the
#    "uneven overlap" behind the checkerboard artefacts of images {cite}`odena2016deconvolution`.
# 2. A pattern of period $s$ samples lives at the frequencies $m / s$ cycles per sample, for the
#    last layer at 8 kHz $m \cdot 2$ kHz, and its phase is fixed by the layer's grid: the same in
#    every generated clip. Real speech has no such fixed-phase component.
# 3. Shifting a feature map by $k$ samples multiplies its component at $1/s$ cycles per sample by
#    $e^{-2\pi i k / s}$. Averaged over phase shuffle's shifts $k \in \{-n, \dots, n\}$, the component
#    that keeps a fixed phase, the one a discriminator can key on, shrinks by the factor
#
#    $$
#    \rho = \Big| \frac{1}{2n + 1} \sum_{k=-n}^{n} e^{-2\pi i k / s} \Big|, \qquad
#    s = 4,\ n = 2: \ \rho = \tfrac{1}{5}\,\big|{-1} + i + 1 - i - 1\big| = \tfrac15. \tag{4}
#    $$
#
# 4. The artefact's *energy* is not changed by a shift, so phase shuffle weakens the shortcut
#    rather than removing it: a D that wants to use the artefact must now detect it by energy, and
#    its gradient pushes the generator to remove it rather than to match its phase.
#
# The check measures, at 2 kHz, the power relative to the neighbouring frequencies and the phase
# coherence across clips, $|\overline{X}| / \overline{|X|}$ of their DFT coefficients $X$
# (`gb.stride_artefacts`: 1 for a fixed phase, near $1/\sqrt{n}$ for random phases), for untrained
# generators of the committed shape, the committed generator, its clips after phase shuffle with
# $n = 2$, and real test clips; three seeds (or batches) of 200 clips each.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: will an *untrained* generator show the 2 kHz pattern, or only a
# trained one? How close to $\rho = 1/5$ will the shuffled clips' coherence be, given that
# phase shuffle reflects the edges?
# ```

# %%
test = load_fsdd("test")
real = gb.prepare_fsdd_clips([test[i][0] for i in range(len(test))], 4096)
wave_gen = gb.pretrained_wavegan()
art = {k: [] for k in ("untrained", "trained", "shuffled", "real")}
for seed in range(3):
    z = torch.randn(200, wave_cfg.latent_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad(), seeded(seed):
        art["untrained"].append(gb.stride_artefacts(gb.WaveGANGenerator(wave_cfg)(z)))
        clips = wave_gen(z)  # (200, 4096)
    art["trained"].append(gb.stride_artefacts(clips))
    art["shuffled"].append(gb.stride_artefacts(gb.phase_shuffle(clips.unsqueeze(1), 2, seed=seed).squeeze(1)))
    art["real"].append(gb.stride_artefacts(real[100 * seed: 100 * seed + 100]))
for name, runs in art.items():
    for fig_name in ("peak_db", "coherence"):
        values = [r[fig_name] for r in runs]
        glue(f"gb03_art_{name}_{fig_name}", statistics.fmean(values))
        glue(f"gb03_art_{name}_{fig_name}_sd", statistics.stdev(values))
    print(f"{name:9s} 2 kHz peak {statistics.fmean(r['peak_db'] for r in runs):6.1f} dB, "
          f"coherence {statistics.fmean(r['coherence'] for r in runs):.3f}")
mean = {n: {f: statistics.fmean(r[f] for r in runs) for f in ("peak_db", "coherence")} for n, runs in art.items()}
assert mean["untrained"]["peak_db"] > mean["trained"]["peak_db"] > mean["real"]["peak_db"] + 5
assert mean["trained"]["coherence"] > 0.9 > 0.35 > mean["real"]["coherence"]
assert 0.1 < mean["shuffled"]["coherence"] < 0.35  # near rho = 1/5 of (4)

# %% [markdown]
# The artefact is there from the start: an untrained generator's clips carry a 2 kHz pattern
# {glue:text}`gb03_art_untrained_peak_db:.0f` ± {glue:text}`gb03_art_untrained_peak_db_sd:.0f` dB above
# the neighbouring frequencies, with the same phase in every clip (coherence
# {glue:text}`gb03_art_untrained_coherence:.3f`). Training removed most of it but not all: the
# committed generator's peak is {glue:text}`gb03_art_trained_peak_db:.1f` ±
# {glue:text}`gb03_art_trained_peak_db_sd:.1f` dB, still phase-locked (coherence
# {glue:text}`gb03_art_trained_coherence:.3f`), while real speech shows
# {glue:text}`gb03_art_real_peak_db:.1f` ± {glue:text}`gb03_art_real_peak_db_sd:.1f` dB with random
# phases (coherence {glue:text}`gb03_art_real_coherence:.2f`). Phase shuffle with $n = 2$ brings the
# coherence of the generated clips down to {glue:text}`gb03_art_shuffled_coherence:.2f` ±
# {glue:text}`gb03_art_shuffled_coherence_sd:.2f`, close to the $1/5$ of (4); the reflected edges
# account for the small difference. (Mean ± standard deviation over three seeds or batches.)

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
# normalisation statistics are stored in the generator, so `G.generate(n)` returns audio. A sketch
# of both networks, with the shapes of the committed configuration:

# %% tags=["hide-input"]
fig = gb.draw_specgan(gb.pretrained_specgan().cfg, batch=16)
plt.show()

# %% [markdown]
# How much does the round trip itself lose? The cell passes a real test clip through the
# representation and back: if the classifier could not recognise *that*, no SpecGAN could score
# well.

# %%
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
#
# ```{admonition} Think!
# :class: tip
# Before reading the table: which of the two models should score higher on a CPU budget, the one
# that must get every sample's phase right, or the one that draws a 128 × 32 image and leaves the
# phase to Griffin–Lim? And where should white noise land on each figure?
# ```

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
# ## Self-check: GANs beyond images
#
# Five questions on the whole chapter (discrete sequences, noisy data, audio). Click an option to
# see whether it is right and why; in a notebook, `chapter_quiz.check({1: "b", ...})` scores a set
# of answers.

# %% tags=["hide-input"]
chapter_quiz = quiz("Self-check: GANs beyond images", [
    {"q": "Why can a token generator not learn from D by back-propagating through `torch.multinomial` and a one-hot vector?",
     "options": ["The one-hot vectors are too large for the discriminator.",
                 "The drawn token is piecewise constant in the logits: its derivative is zero almost everywhere, and autograd records no graph for it.",
                 "The discriminator cannot take one-hot inputs.",
                 "Back-propagation needs the generator to be recurrent."],
     "answer": "b",
     "why": ["Size does not matter here: the page's discriminator reads the flattened one-hot sequence without trouble.",
             "Right: a small change of the logits leaves the token unchanged (or makes it jump), so no useful gradient exists; an estimator has to supply one.",
             "It can: ST and REINFORCE show it exactly one-hot vectors, as the real data are.",
             "The generator here happens to be a GRU, but the problem is the draw, not the architecture; a feed-forward token generator has it too."]},
    {"q": "What does the straight-through estimator do?",
     "options": ["It gives an unbiased estimate of the gradient of the expected discriminator score.",
                 "It stabilises GAN training in general, also for images and audio.",
                 "It puts the one-hot sample forward and, backward, treats the draw as the identity on the probabilities: a biased gradient for discrete outputs.",
                 "It is Gumbel-softmax at temperature 1."],
     "answer": "c",
     "why": ["No: for a nonlinear D its average differs from the exact gradient (the first pitfall measured it); only for a linear function is it exact.",
             "A common misreading: with continuous outputs there is no discrete step to pass straight through, so it does nothing there.",
             "Right: y = h - sg(p) + p, one-hot in value, with the gradient of p.",
             "Gumbel-softmax shows D a soft vector and differentiates through it; straight-through shows D the one-hot sample."]},
    {"q": "REINFORCE subtracts a baseline b from the reward. Which statement is true?",
     "options": ["The baseline changes the expected gradient, so it must be tuned like a learning rate.",
                 "Any b that does not depend on the drawn sample leaves the expected gradient unchanged, because the score has mean zero; a good b lowers the variance.",
                 "The best baseline is the reward of the current sample itself.",
                 "A baseline is only needed when the rewards can be negative."],
     "answer": "b",
     "why": ["Its expectation is b times the mean score, which is zero by (6) of the first page.",
             "Right: (6) makes it unbiased for every constant b, and (8) gives the b that minimises the variance; the mean reward is close to it.",
             "Then r - b = 0 for every sample and the estimate is always zero: a baseline that depends on the sample is no longer unbiased.",
             "A baseline helps whatever the sign: on the first page all rewards were positive, and the variance without a baseline was clearly larger than with the mean reward."]},
    {"q": "When does AmbientGAN learn the clean distribution from corrupted samples only?",
     "options": ["When the discriminator also sees a few clean samples.",
                 "When the noise is small enough to be ignored.",
                 "When the measurement is known, can be simulated and differentiated on G's output, and determines the clean distribution from the measured one.",
                 "When the data are denoised before training."],
     "answer": "c",
     "why": ["AmbientGAN never needs a clean sample; the ring on the second page was learnt from noisy points alone.",
             "No: the noise on the second page made every mode more than twice as wide, and AmbientGAN still recovered the clean width.",
             "Right: the measured game is won when A p_g = A p_x, which forces p_g = p_x exactly when A is injective; a projection is a counter-example.",
             "Denoising single samples needs a model of the clean data, which is what is being learnt; a generic denoiser leaves artefacts that the GAN then copies."]},
    {"q": "What is phase shuffle in WaveGAN?",
     "options": ["A recurrent connection that passes the phase from one sample to the next.",
                 "A random shift by up to n samples of the discriminator's feature maps while training, so that the fixed phase of the upsampling artefacts is no longer a reliable cue.",
                 "A post-processing step that smooths the generator's output.",
                 "Griffin-Lim phase retrieval applied to the waveform."],
     "answer": "b",
     "why": ["GANs here have no recurrent connections: all 4,096 samples come from one feed-forward pass.",
             "Right: averaged over the shifts, the fixed-phase component shrinks by the factor rho of (4), 1/5 for s = 4 and n = 2.",
             "It acts inside the discriminator, during training only; the generator's output is not changed.",
             "Griffin-Lim belongs to SpecGAN, which has no phase to shuffle; phase shuffle is WaveGAN's."]},
    {"q": "The spoken-digit classifier is confident on most white-noise clips. What follows for evaluating audio GANs?",
     "options": ["A high confident share proves that generated clips are speech.",
                 "The classifier is broken and cannot be used.",
                 "Confidence alone says little; calibrate every figure with real clips and with noise, and prefer figures that also need variety, such as the inception-style score and the Fréchet distance.",
                 "White noise is a good generator."],
     "answer": "c",
     "why": ["Noise reaches a high confident share too, so the figure cannot separate speech from noise.",
             "It recognises real digits well; it merely extrapolates with confidence outside its training data, as most classifiers do.",
             "Right: noise gets one class for every clip (low class entropy), a low inception-style score and a large Fréchet distance.",
             "It is the table's floor: its inception-style score and Fréchet distance are the worst of all rows."]},
])
chapter_quiz

# %% [markdown]
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
#
# ```{exercise} The paper's generator, by formula
# :label: ex-gan-beyond-paper-length
# Pencil and paper. (a) With (2), which `padding` and `output_padding` make a transposed
# convolution with kernel 25 and stride 4 multiply the length by exactly 4, and how long is the
# output of five such layers starting from 16 frames? (b) Answer the same for a kernel of 24.
# (c) With a kernel of 24, do the four phases of (3) still get different numbers of taps?
# ```
# ```{solution} ex-gan-beyond-paper-length
# :class: dropdown
# (a) $k - 2p + q = s$ gives $2p - q = 21$: $p = 11$, $q = 1$ (since $0 \le q < 4$); five layers
# give $16 \cdot 4^5 = 16384$ samples, the paper's clip length. (b) $2p - q = 20$: $p = 10$, $q = 0$.
# (c) No: $24 = 6 \cdot 4$, so every phase gets 6 taps and the overlap is even. The phase sums
# $S_0, \dots, S_3$ of (3) can still differ, so a kernel divisible by the stride reduces the
# artefact's cause but does not remove it; training has to make the sums equal.
# ```
#
# ```{exercise} Predict, then run: the radius of phase shuffle
# :label: ex-gan-beyond-shuffle-radius
# Compute $\rho$ of (4) for $n = 1$ and $n = 3$ (with $s = 4$). Then measure the coherence of the
# committed generator's clips after `gb.phase_shuffle(clips.unsqueeze(1), n)` for both radii, as
# in the check above. Why might the paper have chosen $n = 2$ rather than a larger radius?
# ```
# ```{solution} ex-gan-beyond-shuffle-radius
# :class: dropdown
# $n = 1$: the factors are $e^{i\pi/2}, 1, e^{-i\pi/2}$, which sum to 1, so $\rho = 1/3$.
# $n = 3$: the seven factors $-i, -1, i, 1, -i, -1, i$ sum to $-1$, so $\rho = 1/7$. The measured
# coherences land near these values, with some spread from seed to seed: 200 clips draw the
# shifts only roughly uniformly. $n = 2$ is the smallest radius whose shifts visit every residue
# modulo 4 (with $n = 1$ one phase is never reached); a larger radius lowers $\rho$ further but
# also blurs the timing of everything else the discriminator looks at.
# ```
#
# ```{exercise} Predict, then run: resize-convolution instead of transposed convolution
# :label: ex-gan-beyond-resize-conv
# Odena et al. {cite}`odena2016deconvolution` replace a transposed convolution by nearest-neighbour
# upsampling followed by an ordinary convolution. Build an untrained WaveGAN generator, replace
# each `nn.ConvTranspose1d(a, b, 25, 4, ...)` in `G.net` by
# `nn.Sequential(nn.Upsample(scale_factor=4), nn.Conv1d(a, b, 25, padding=12))`, and measure
# `gb.stride_artefacts` of its clips. Predict first: will the 2 kHz peak remain?
# ```
# ```{solution} ex-gan-beyond-resize-conv
# :class: dropdown
# The peak turns into a dip (a negative `peak_db`). A convolution of a constant signal is
# constant, so (3) no longer produces a periodic pattern; and repeating each sample four times is
# a moving sum of length 4, whose frequency response is zero at 2 kHz. The coherence can stay high,
# because it measures the phase of whatever small component is left there; read it together
# with the peak. Whether such a generator trains as well is a separate question: the paper
# reports experiments with other upsampling choices.
# ```
