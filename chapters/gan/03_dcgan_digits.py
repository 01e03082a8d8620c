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
#   and against a trivial baseline.

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
from course_lib.notebook import plot_history
from course_lib.utils import count_parameters, set_seed

set_seed(0)
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
# ## Summary
#
# - DCGAN = strided (transposed) convolutions + batch norm + Adam(2e-4, β₁ = 0.5); on 8×8
#   digits it trains on a CPU in the time printed above.
# - Evaluate against the real data *and* a baseline, with several numbers: FD in a trained
#   classifier's feature space (not FID), precision/recall for quality vs coverage, per-class
#   counts for collapse.
# - Sample in eval mode.
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
