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
# # A DCGAN on digits, evaluated honestly
#
# Convolutional GANs became practical with DCGAN {cite}`radford2016dcgan`: strided
# convolutions instead of pooling, transposed convolutions to upsample, batch norm in both
# networks, ReLU in the generator, LeakyReLU in the discriminator, tanh output, Adam with
# lr 2e-4 and β₁ = 0.5. We train one on the 8×8 handwritten digits bundled with scikit-learn
# {cite}`pedregosa2011sklearn` and then *measure* it, because a grid of nice-looking samples
# proves little.
#
# **Learning goals.** After this notebook you can
# - build and train a DCGAN generator/discriminator pair with batch norm;
# - explore its latent space (interpolation, an interactive explorer);
# - evaluate a GAN with a Fréchet distance in a classifier's feature space, precision and
#   recall {cite}`kynkaanniemi2019improved`, and per-class coverage, against the real test set
#   and against a trivial baseline;
# - read the layer-by-layer shapes of the DCGAN and compute them from the convolution arithmetic;
# - condition a GAN on a label {cite}`mirza2014cgan` and check, with an independent classifier,
#   that it generates the digit requested, against the classifier's own accuracy and a
#   shuffled-label reference.

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

from course_lib import gan
from course_lib.data import load_digits_images
from course_lib.evaluators import digit_image_classifier
from course_lib.metrics import frechet_distance, precision_recall
from course_lib.notebook import glue, plot_history, use_course_style
from course_lib.teaching import quiz
from course_lib.utils import count_parameters, set_seed

set_seed(0)
use_course_style()
digits = load_digits_images()
print(f"train {tuple(digits.x_train.shape)}, test {tuple(digits.x_test.shape)}, pixels in [0, 1]")

# %% [markdown]
# ## The networks
#
# For 8×8 images two stride-2 stages suffice. The generator maps z ∈ ℝ³² to a 2×2 map with
# 4c channels, then doubles the resolution twice (2×2 → 4×4 → 8×8) with transposed
# convolutions; the discriminator mirrors it with strided convolutions and ends in one logit.

# %%
cfg = gan.DCGANConfig(latent_dim=32, channels=32)
G, D = gan.build_gan(cfg, seed=0)  # the pair of networks, initialised from the seed
print(G)
print(D)
print(f"parameters: G {count_parameters(G):,}, D {count_parameters(D):,}")

# %% [markdown]
# The diagram runs one batch of 64 noise vectors through the generator and its images through the
# discriminator, and writes down the shape after every layer that changes it (elementwise layers,
# batch norm and activations, are listed under the layer they follow). A transposed convolution
# with kernel 4, stride 2 and padding 1 doubles the side, $H_\text{out} = (H_\text{in} - 1)\cdot 2 -
# 2 + 4 = 2H_\text{in}$; the strided convolution of the same size halves it,
# $\lfloor (H_\text{in} + 2 - 4)/2 \rfloor + 1 = H_\text{in}/2$.

# %% tags=["hide-input"]
fig = gan.draw_dcgan((G, D), batch_size=64)
plt.show()

# %% [markdown]
# ## Training
#
# The images are mapped from [0, 1] to [−1, 1], the range of the generator's tanh, and
# `gan.train_gan` (the loop of the first notebook) trains the pair with the non-saturating
# loss, batch 64 and the DCGAN optimiser settings.

# %%
config = gan.GANTrainConfig(steps=800, batch_size=64, lr=2e-4, betas=(0.5, 0.999), seed=0)
hist = gan.train_gan((G, D), digits.x_train * 2 - 1, config)
print(f"{hist.steps} steps in {hist.wall_s:.0f} s wall")

fig = plot_history(hist, ["d", "g"], smooth=25)  # 25-step moving means, nats
for ax, title in zip(fig.axes, ["discriminator loss", "generator loss"], strict=True):
    ax.axhline(2 * torch.log(torch.tensor(2.0)), color="k", ls=":", label="2 log 2 (D = 1/2)")
    ax.set(title=title, xlabel="generator step")
fig.axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# GAN losses do not decrease like a classifier's: the two players push against each other,
# and the curves say little about sample quality. That is what the evaluation below is for.

# %%
def show_grid(images: torch.Tensor, title: str, nrow: int = 8) -> None:
    n = len(images)
    fig, axes = plt.subplots((n + nrow - 1) // nrow, nrow, figsize=(nrow * 0.8, (n // nrow) * 0.8))
    for ax, img in zip(axes.flat, images, strict=False):
        ax.imshow(img.squeeze(0), cmap="gray_r", vmin=0, vmax=1)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle(title)
    plt.show()


fake = (gan.sample(G, 360, seed=1) + 1) / 2  # back to [0, 1], (360, 1, 8, 8)
show_grid(fake[:32], "DCGAN samples (first 32 of 360)")
show_grid(digits.x_test[:16], "real test digits", nrow=8)

# %% [markdown]
# ## Latent interpolation
#
# Walking on a straight line between two noise vectors, the images change gradually: the
# generator has learned a smooth map, not a lookup table of training images.

# %%
g = torch.Generator().manual_seed(3)
z0, z1 = torch.randn(4, cfg.latent_dim, generator=g), torch.randn(4, cfg.latent_dim, generator=g)
t = torch.linspace(0, 1, 8).view(1, 8, 1)
z_path = (1 - t) * z0.unsqueeze(1) + t * z1.unsqueeze(1)  # (4, 8, latent)
with torch.no_grad():
    path_imgs = (G(z_path.reshape(-1, cfg.latent_dim)) + 1) / 2
show_grid(path_imgs, "four interpolations z0 → z1 (one per row)")

# %% [markdown]
# ## A latent explorer
#
# Move along two random directions of the latent space, starting from a sample. The sliders
# need a running kernel (Colab or local Jupyter); the website shows the static figure, the
# 5×5 grid of the same explorer.

# %%
import ipywidgets as widgets
from IPython.display import display

g = torch.Generator().manual_seed(7)
z_base = torch.randn(1, cfg.latent_dim, generator=g)
u, v = torch.randn(2, cfg.latent_dim, generator=g)


def decode(a: float, b: float) -> torch.Tensor:
    with torch.no_grad():
        return ((G(z_base + a * u + b * v) + 1) / 2)[0, 0]


steps = torch.linspace(-1.5, 1.5, 5)
fig, axes = plt.subplots(5, 5, figsize=(4, 4))
for i, a in enumerate(steps):
    for j, b in enumerate(steps):
        axes[i, j].imshow(decode(float(a), float(b)), cmap="gray_r", vmin=0, vmax=1)
        axes[i, j].axis("off")
fig.suptitle("static explorer: rows move along u, columns along v")
plt.show()

out = widgets.Output()


def show(a: float = 0.0, b: float = 0.0) -> None:
    with out:
        out.clear_output(wait=True)
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.imshow(decode(a, b), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
        plt.show()


sa = widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.25, description="along u")
sb = widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.25, description="along v")
sa.observe(lambda _: show(sa.value, sb.value), names="value")
sb.observe(lambda _: show(sa.value, sb.value), names="value")
show()
display(widgets.VBox([sa, sb, out]))

# %% [markdown]
# ## Evaluation
#
# **The feature space.** `course_lib.evaluators.DigitImageClassifier` is a small CNN trained on the
# training split of the same digits. We use its 64-unit penultimate layer as the feature
# space. The Fréchet distance {cite}`heusel2017gans` between Gaussians fitted to two feature
# sets,
#
# $$
# \mathrm{FD} = \|\mu_a - \mu_b\|^2 + \mathrm{Tr}\big(\Sigma_a + \Sigma_b - 2(\Sigma_a\Sigma_b)^{1/2}\big),
# $$
#
# is computed exactly like the FID, **but it is not the FID**: the FID uses Inception-v3
# features of ImageNet-scale images, and its values are not comparable with these.
#
# **Precision and recall** {cite}`kynkaanniemi2019improved`: each set is approximated by the
# union of balls around its points, radius = distance to the k-th nearest neighbour (k = 3).
# Precision = share of generated points inside the real manifold (quality); recall = share of
# real points inside the generated manifold (coverage).
#
# **Per-class coverage**: the classifier's predicted labels on generated images; a collapsed
# generator leaves classes empty.
#
# **References and baseline.** The real *training* images (a model that memorised them would
# score like this), and a trivial model: a Gaussian with the mean and full covariance of the
# training pixels, samples clipped to [0, 1].
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: which of the three sets will have the highest precision, and which
# the highest recall? Could a blurry Gaussian beat the DCGAN on one of them?
# ```

# %%
clf = digit_image_classifier(seed=0, epochs=15)
with torch.no_grad():
    acc = (clf(digits.x_test).argmax(1) == digits.y_test).float().mean().item()
print(f"digit classifier test accuracy: {100 * acc:.1f} %")

flat = digits.x_train.flatten(1).double()
gauss = torch.distributions.MultivariateNormal(
    flat.mean(0), covariance_matrix=torch.cov(flat.T) + 1e-4 * torch.eye(64, dtype=torch.float64)
)
baseline = gauss.sample((360,)).float().clamp(0, 1).view(-1, 1, 8, 8)
show_grid(baseline[:16], "baseline: Gaussian fitted to the pixels")

n = len(digits.x_test)  # 360: compare sets of equal size (FD is biased upward for small n)
candidates = {
    "real train images (reference)": digits.x_train[torch.randperm(len(digits.x_train))[:n]],
    "DCGAN": fake[:n],
    "Gaussian on pixels (baseline)": baseline[:n],
}
with torch.no_grad():
    f_test = clf.features(digits.x_test)
    rows = {}
    for name, imgs in candidates.items():
        feats = clf.features(imgs)
        counts = torch.bincount(clf(imgs).argmax(1), minlength=10)
        p, r = precision_recall(f_test, feats, k=3)
        rows[name] = {"FD": frechet_distance(f_test, feats), "precision": p, "recall": r,
                      "classes ≥ 2 %": int((counts >= 0.02 * n).sum()), "counts": counts.tolist()}

header = ["FD", "precision", "recall", "classes ≥ 2 %"]
print(f"{'against the 360 test images':32s} {header[0]:>7s} {header[1]:>9s} {header[2]:>7s} {header[3]:>14s}")
for name, m in rows.items():
    print(f"{name:32s} {m['FD']:7.1f} {m['precision']:9.2f} {m['recall']:7.2f} {m['classes ≥ 2 %']:14d}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3))
w = 0.27
for i, (name, m) in enumerate(rows.items()):
    ax.bar(torch.arange(10) + (i - 1) * w, torch.tensor(m["counts"]) / n * 100, width=w, label=name)
ax.axhline(10, color="k", ls=":", lw=1)
ax.set(xlabel="predicted digit", ylabel="share of samples (%)", xticks=range(10),
       title="Per-class coverage (classifier's predictions)")
ax.legend(fontsize=7)
plt.show()

dc, gs = rows["DCGAN"], rows["Gaussian on pixels (baseline)"]
assert acc > 0.95, "the feature extractor must itself be a good digit classifier"
assert dc["FD"] < 0.75 * gs["FD"], "the DCGAN should be closer to the data than the pixel Gaussian"
assert dc["recall"] > gs["recall"] and dc["classes ≥ 2 %"] >= 9

# %% [markdown]
# Read the table row by row. The training images set the floor for what a perfect model could
# reach with 360 samples. The DCGAN has a lower FD and a higher recall than the pixel Gaussian,
# and every class is represented. Now compare the precision column: in this feature space the
# blurry Gaussian samples are not as far from digits as they look, so one number alone could
# flatter a trivial model. That is why we report several, next to a baseline and a floor. The
# DCGAN's remaining gap to the floor is the honest measure of this small, briefly trained model.
#
# ## Common pitfalls
#
# :::{admonition} Sample in eval mode
# :class: warning
# With batch norm, `train()` mode normalises with the statistics of the *current* batch: a
# single sample cannot be generated at all, and a batch's images depend on each other.
# `gan.sample` switches to `eval()` (running statistics) and back.
# :::

# %%
G.train()
try:
    G(torch.randn(1, cfg.latent_dim))
except ValueError as e:
    print("train mode, batch of 1:", str(e).split(",")[0])
z = torch.randn(4, cfg.latent_dim)
with torch.no_grad():
    alone = G(z[:2])
    with_others = G(torch.cat([z[:2], 5 * z[2:]]))[:2]
print(f"train mode: same z, different batch -> max pixel change {(alone - with_others).abs().max():.2f}")
G.eval()
with torch.no_grad():
    change = (G(z[:2]) - G(torch.cat([z[:2], 5 * z[2:]]))[:2]).abs().max()
print(f"eval mode:  same z, different batch -> max pixel change {change:.2f}")

# %% [markdown]
# :::{admonition} A Fréchet distance is only comparable at equal sample size and features
# :class: warning
# FD is estimated from sample means and covariances and is biased upward for small sets: the
# same real distribution scores worse with fewer samples. Compare models with the same n and
# the same feature extractor, and never against FID values from papers.
# :::

# %%
with torch.no_grad():
    f_train = clf.features(digits.x_train)
for m in (50, 100, 360):
    print(f"train vs test, n = {m:3d}: FD {frechet_distance(f_test[:m], f_train[:m]):6.1f}")

# %% [markdown]
# ## A conditional GAN: asking for a digit
#
# The DCGAN above draws digits of whatever class its noise happens to map to. A **conditional
# GAN** {cite}`mirza2014cgan` gives both players the label y as an extra input: the generator
# makes G(z, y), the discriminator judges the pair (x, y). The game is the same game on labelled
# pairs, so D rejects a well-drawn 3 presented as a 7, and the only way for G to fool it is to draw
# the digit it was asked for.
#
# `gan.CGANConfig` builds the small version used here: one-hot labels concatenated to the noise
# (16 dimensions) and to the flattened image, MLPs with two hidden layers of 256 units, batch norm
# in the generator. `gan.labelled_pairs` turns the training set into pairs [image, one-hot label]
# of 74 numbers; the generator, asked by `train_gan` for a sample, draws a label uniformly from
# its first noise coordinate and returns the pair. We train three seeds for 400 steps (batch 64,
# Adam with lr 1e-3 for both players), then ask each for 50 images of every digit and let the
# classifier of the evaluation above read them.
#
# Two references frame the result: the classifier's accuracy on the *real* test digits, the best
# a perfect generator could score with this judge; and the same predictions scored against the
# requested labels *shuffled*, the score of a generator whose images have nothing to do with the
# label it was given.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: what accuracy does the shuffled reference have to be close to, and
# why? How close to the classifier's real-data accuracy do you expect a 400-step MLP to get?
# ```

# %%
CGAN = gan.CGANConfig(image_dim=64, n_classes=10, z_dim=16, hidden=256)
pairs = gan.labelled_pairs(digits.x_train * 2 - 1, digits.y_train, CGAN.n_classes)  # (1437, 74)
requested = torch.arange(10).repeat_interleave(50)  # 50 requests for each digit, (500,)
cgan = {}
for seed in (0, 1, 2):
    Gc, Dc = gan.build_gan(CGAN, seed=seed)
    hist_c = gan.train_gan((Gc, Dc), pairs, gan.GANTrainConfig(steps=400, batch_size=64, lr=1e-3, seed=seed))
    g = torch.Generator().manual_seed(100 + seed)
    with torch.no_grad():  # Gc is in eval mode after train_gan: batch norm uses its running statistics
        images = (Gc.generate(torch.randn(len(requested), CGAN.z_dim, generator=g), requested) + 1) / 2
        pred = clf(images.view(-1, 1, 8, 8)).argmax(1)
    shuffled = requested[torch.randperm(len(requested), generator=g)]
    cgan[seed] = {"images": images.view(-1, 1, 8, 8), "pred": pred, "wall_s": hist_c.wall_s,
                  "acc": (pred == requested).float().mean().item(),
                  "shuffled": (pred == shuffled).float().mean().item()}
    print(f"seed {seed}: accuracy on the requested labels {100 * cgan[seed]['acc']:.1f} %, "
          f"against shuffled labels {100 * cgan[seed]['shuffled']:.1f} % ({hist_c.wall_s:.1f} s wall)")
accs = torch.tensor([r["acc"] for r in cgan.values()])
shuf = torch.tensor([r["shuffled"] for r in cgan.values()])
per_digit = torch.stack([(r["pred"] == requested).float().view(10, 50).mean(1) for r in cgan.values()])  # (3, 10)
glue("gan03_cgan_acc", 100 * accs.mean().item())
glue("gan03_cgan_acc_std", 100 * accs.std().item())
glue("gan03_cgan_shuffled", 100 * shuf.mean().item())
glue("gan03_cgan_shuffled_std", 100 * shuf.std().item())
glue("gan03_clf_real_acc", 100 * acc)
glue("gan03_cgan_worst_digit", int(per_digit.mean(0).argmin()))
glue("gan03_cgan_worst_digit_acc", 100 * per_digit.mean(0).min().item())
print(f"classifier on real test digits: {100 * acc:.1f} %")
print("per requested digit (mean of 3 seeds):", [f"{100 * v:.0f} %" for v in per_digit.mean(0)])
# measured: about nine in ten requests obeyed; a generator that ignores the label sits at chance (10 %)
assert accs.min() > 0.7 and shuf.max() < 0.2, (accs, shuf)

# %% tags=["hide-input"]
fig, axes = plt.subplots(10, 10, figsize=(6, 6.4))
for digit in range(10):
    for j in range(10):
        ax = axes[digit, j]
        ax.imshow(cgan[0]["images"][digit * 50 + j, 0], cmap="gray_r", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
        if j == 0:
            ax.set_ylabel(str(digit), rotation=0, labelpad=10, fontsize=9)
fig.supylabel("requested digit")
fig.suptitle("Conditional GAN (seed 0): ten samples per requested digit")
plt.show()

# %% [markdown]
# The classifier reads the requested digit in {glue:text}`gan03_cgan_acc:.1f` ±
# {glue:text}`gan03_cgan_acc_std:.1f` % of the conditional GAN's images (mean ± std over three
# seeds), against {glue:text}`gan03_clf_real_acc:.1f` % on real test digits and
# {glue:text}`gan03_cgan_shuffled:.1f` ± {glue:text}`gan03_cgan_shuffled_std:.1f` % when the same
# predictions are scored against shuffled requests. The label steers the generator: the gap to the
# shuffled reference is the evidence, and the gap to the real digits is what the small, briefly
# trained model still misses (the hardest request, averaged over the seeds, is the digit
# {glue:text}`gan03_cgan_worst_digit`, read correctly in {glue:text}`gan03_cgan_worst_digit_acc:.0f` %
# of its images). Accuracy checks *obedience*, not variety: a generator that drew one perfect
# image per digit would score as well. The per-class coverage and the precision and recall above
# are the measurements for that.
#
# ## Summary
#
# - DCGAN = strided (transposed) convolutions + batch norm + Adam(2e-4, β₁ = 0.5); on 8×8
#   digits it trains on a CPU in the time printed above.
# - Evaluate against the real data *and* a baseline, with several numbers: FD in a trained
#   classifier's feature space (not FID), precision/recall for quality vs coverage, per-class
#   counts for collapse.
# - Sample in eval mode.
# - A conditional GAN plays the same game on labelled pairs (x, y); an independent classifier
#   checks that it draws the digit requested, next to the classifier's own accuracy on real data
#   and a shuffled-label reference at chance.
#
# ## Exercises
#
# ```{exercise} Where does the GAN lose?
# :label: ex-gan-dcgan-nearest
# For 16 generated digits, find the nearest training image in pixel space and in the
# classifier's feature space. Are the samples copies of training images?
# ```
#
# ```{solution} ex-gan-dcgan-nearest
# :class: dropdown
# Use `torch.cdist(fake.flatten(1), digits.x_train.flatten(1)).argmin(1)` (and the same on
# features) and plot each pair. Expect the nearest neighbours to be the same digit but to differ
# in stroke and position; if they do, the generator is not replaying training images. Check
# the pairs you plot before concluding either way.
# ```
#
# ```{exercise} Longer training, fairer comparison
# :label: ex-gan-dcgan-steps
# Train with 250, 500, 1000 and 2000 steps and plot FD, precision and recall against steps,
# with two seeds each. Which metric is the noisiest?
# ```
#
# ```{solution} ex-gan-dcgan-steps
# :class: dropdown
# For each, build the pair with `gan.build_gan(cfg, seed=k)`, train it with
# `GANTrainConfig(steps=s, batch_size=64, lr=2e-4, seed=k)` and run the evaluation cell. What to
# expect, to check on your own curves: FD falls quickly and then flattens, and recall rises later
# than precision. With 360 samples the k-NN precision and recall move between seeds; compare the
# two seeds' spread with the differences between step counts before calling a difference real.
# ```
#
# ```{exercise} The shapes, by hand
# :label: ex-gan03-shapes
# Using $H_\text{out} = (H_\text{in} - 1)s - 2p + k$ for a transposed convolution and
# $\lfloor (H_\text{in} + 2p - k)/s \rfloor + 1$ for a convolution, recompute every shape of the
# diagram for `DCGANConfig(latent_dim=32, channels=32)`. How many weights does the first
# transposed convolution have? What would `kernel_size=3, padding=1` give instead?
# ```
#
# ```{solution} ex-gan03-shapes
# :class: dropdown
# Generator: (B, 32) → linear → (B, 16c) = (B, 512) → reshape (B, 4c, 2, 2) = (B, 128, 2, 2) →
# (2 − 1)·2 − 2 + 4 = 4: (B, 64, 4, 4) → (B, 1, 8, 8). Discriminator: (8 + 2 − 4)/2 + 1 = 4:
# (B, 64, 4, 4) → (B, 128, 2, 2) → flatten (B, 512) → (B, 1) → squeeze (B,). The first transposed
# convolution has 4c · 2c · 4 · 4 = 128 · 64 · 16 = 131,072 weights (no bias: batch norm follows).
# With kernel 3, padding 1, stride 2: (2 − 1)·2 − 2 + 3 = 3, an odd size that no longer doubles;
# `output_padding=1` restores 4, which is why DCGANs use kernel 4 with stride 2.
# ```
#
# ```{exercise} A conditional GAN on shuffled labels
# :label: ex-gan03-cgan-shuffled
# Train the conditional GAN on `gan.labelled_pairs(x, y[torch.randperm(len(y))], 10)`, the
# training images with their labels shuffled. Predict its accuracy on the requested labels and its
# per-class coverage, then run three seeds.
# ```
#
# ```{solution} ex-gan03-cgan-shuffled
# :class: dropdown
# With shuffled labels, x and y are independent in the training pairs, so the discriminator cannot
# punish a mismatch and the best generator ignores y. Expect the accuracy on requested labels to
# fall to the shuffled reference (chance, about one in ten), while the images can still be good
# digits of every class: per-class coverage should stay broad. The conditional GAN learns the joint
# distribution it is shown, and that includes how labels and images go together.
# ```
#
# ```{exercise} What does z encode once y is given?
# :label: ex-gan03-style
# Take one conditional generator, fix eight noise vectors z and generate all ten digits for each
# (an 8 × 10 grid, one row per z). Predict whether a row shares a style (stroke width, slant,
# size) across digits. Then swap the roles: fix the digit and vary z.
# ```
#
# ```{solution} ex-gan03-style
# :class: dropdown
# Use `Gc.generate(z.repeat_interleave(10, 0), torch.arange(10).repeat(8))` and reshape to
# (8, 10, 8, 8). Since y carries the class, z is free to carry whatever varies within a class;
# with a small MLP and 400 steps the sharing is often partial, so look at several rows before
# concluding. Varying z with y fixed shows the within-class variety, which the classifier's
# accuracy does not measure.
# ```

# %% [markdown]
# ## Self-check
#
# Six questions on the whole chapter. Click an option to see whether it is right, and why.

# %% tags=["hide-input"]
quiz(
    "Self-check: generative adversarial networks",
    [
        {
            "q": "For a fixed generator with density p_g, which discriminator maximises V(D, G) at a point x?",
            "options": ["p_data(x) / (p_data(x) + p_g(x))", "p_g(x) / (p_data(x) + p_g(x))",
                        "1/2 everywhere", "p_data(x)"],
            "answer": "a",
            "why": [
                "Maximising p_data log D + p_g log(1 − D) pointwise gives D* = p_data / (p_data + p_g) "
                "(step 3 of the first notebook).",
                "This is the probability that x is *fake*: it is 1 − D*, the optimum of the generator's side.",
                "Only when p_g = p_data; otherwise D can do better where the densities differ.",
                "A density is not a probability: it can exceed 1, and D must compare the two densities.",
            ],
        },
        {
            "q": "Early in training D rejects every fake, D(G(z)) ≈ 0. Why does the non-saturating loss "
                 "−log D(G(z)) help?",
            "options": ["Its gradient with respect to the logit is −(1 − D) ≈ −1, while the saturating "
                        "loss's is −D ≈ 0",
                        "It makes the generator's ReLUs active",
                        "It changes the fixed point of the game to a better one",
                        "It lets the discriminator output probabilities instead of logits"],
            "answer": "a",
            "why": [
                "Right: the saturating loss log(1 − D) is flat where D ≈ 0; the non-saturating one is steep there.",
                "The vanishing factor D(G(z)) comes from the loss, whatever the activations (first notebook).",
                "Both losses have the same fixed point p_g = p_data; only the gradients on the way differ.",
                "Both losses take logits; a sigmoid inside the network followed by a with-logits loss is a bug.",
            ],
        },
        {
            "q": "In the factorial experiment on the ring, which change took the small GAN from collapse to "
                 "covering every mode, whatever the generator's loss?",
            "options": ["Switching the saturating loss for the non-saturating one",
                        "Making the discriminator learn faster than the generator (lr_D = 5 lr_G instead of lr_G / 5)",
                        "Giving the discriminator fewer steps per generator step",
                        "Nothing: mode collapse is random"],
            "answer": "b",
            "why": [
                "At a fixed ratio the loss moved the mode count much less than the ratio did.",
                "Right: with a slow discriminator both losses collapsed, with a fast one both covered the ring.",
                "The opposite: five discriminator steps per generator step at equal rates covered every mode.",
                "With lr_D = lr_G / 5 every seed collapsed, with lr_D = 5 lr_G every seed covered the ring; "
                "the seeds disagreed only at other ratios.",
            ],
        },
        {
            "q": "Why does WGAN-GP penalise the critic's gradient norm on interpolates between real and fake "
                 "samples?",
            "options": ["The optimal critic has gradient norm 1 on segments between coupled real and fake points",
                        "Interpolates are cheaper to compute than real samples",
                        "The critic only needs to be Lipschitz on the real data",
                        "The interpolates are the samples the generator will produce next"],
            "answer": "a",
            "why": [
                "Right: step 6 of the second notebook; the penalty enforces the constraint where it binds.",
                "They cost an extra double backward pass, not less.",
                "The bound in step 2 needs |f(x) − f(y)| ≤ ‖x − y‖ between real *and* fake points.",
                "They are a device for the penalty; the generator never outputs them.",
            ],
        },
        {
            "q": "The Fréchet distance in this notebook uses the digit classifier's features. Which "
                 "comparison is valid?",
            "options": ["Against FID values published for MNIST GANs",
                        "Between two models, each scored with the same classifier on the same number of samples",
                        "Between a model scored on 50 samples and one scored on 360",
                        "Between models scored with classifiers trained from different seeds"],
            "answer": "b",
            "why": [
                "The FID uses Inception features of large images; these numbers live in another space.",
                "Right: same features, same n; the FD is biased upward for small n.",
                "The same real data scored worse with fewer samples in the pitfall cell: n must match.",
                "A different classifier is a different feature space.",
            ],
        },
        {
            "q": "The conditional GAN's accuracy on requested labels is far above the shuffled-label reference. "
                 "What does that establish?",
            "options": ["That the generator draws the digit it is asked for, as far as the classifier can tell",
                        "That its samples are as varied as the real digits",
                        "That it memorised the training images",
                        "Nothing, since the classifier was trained on the same data"],
            "answer": "a",
            "why": [
                "Right: the shuffled reference is what images unrelated to the request would score.",
                "Accuracy measures obedience; one perfect image per digit would score as well.",
                "Accuracy cannot tell a copy from a new image; nearest-neighbour checks can.",
                "The classifier is an independent judge of the generator; its accuracy on real test digits "
                "is reported as the ceiling.",
            ],
        },
    ],
)
