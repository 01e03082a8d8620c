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
# # GANs on noisy data, and GANs as data augmentation
#
# Two practical questions about GANs outside the clean-image setting. What does a GAN learn
# when every training example is corrupted? And do GAN samples help a classifier that has few
# labelled examples?
#
# **Learning goals.** After this notebook you can
# - explain why a GAN trained on noisy samples reproduces the noise, and how AmbientGAN
#   {cite}`bora2018ambientgan` recovers the clean distribution when the corruption is known;
# - measure both on a Gaussian mixture against the *clean* modes;
# - set up a fair augmentation experiment (same labelled subset, same number of classifier
#   updates, several seeds) and read its spread.

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
from course_lib.checkpoints import committed_result
from course_lib.data import ring_mixture
from course_lib.gan import GANTrainConfig, MLPConfig, build_gan, sample, train_gan
from course_lib.metrics import mode_coverage
from course_lib.notebook import glue, read_csv_rows
from course_lib.utils import set_seed

set_seed(0)

# %% [markdown]
# ## Learning from noisy data: AmbientGAN
#
# Suppose we only observe measurements $y = f_\theta(x)$ of clean samples $x \sim p_x$, with a
# known random measurement $f_\theta$, $\theta \sim p_\theta$ (additive noise, missing
# coordinates, blur). A GAN trained on the $y$'s learns $p_y$, noise included: that is what it
# was asked to do. AmbientGAN applies the *same* measurement to the generator's output and lets
# the discriminator compare measured with measured:
# $$\min_G \max_D\; \mathbb{E}_{y \sim p_y}[\log D(y)] + \mathbb{E}_{z,\theta}\big[\log\big(1 - D(f_\theta(G(z)))\big)\big].$$
# If the measurement is such that $p_y$ determines $p_x$ (true for additive Gaussian noise and
# for random coordinate dropout), the optimum has $G(z) \sim p_x$: the generator learns the
# clean distribution without ever seeing a clean sample. In code this is one wrapper,
# `gb.MeasuredGenerator(G, f)`, passed to the GAN chapter's `train_gan`; afterwards we sample
# the inner, clean `G`.
#
# Data: 8 Gaussians on the unit circle with standard deviation 0.02; two corruptions: additive
# Gaussian noise of standard deviation 0.05, and dropout that zeroes each coordinate with
# probability 0.3. The metrics are the VEEGAN protocol's, computed against the **clean**
# mixture: modes captured (of 8) and the share of high-quality samples (within 3 standard
# deviations, 0.06, of a clean centre), plus the *spread*, the root-mean-square distance of the
# samples to their nearest clean centre.

# %%
STD, NOISE, DROP = 0.02, 0.05, 0.3
clean, centers = ring_mixture(4000, std=STD, seed=0)
noisy = gb.Measurement("noise", NOISE, seed=1)(clean)
dropped = gb.Measurement("dropout", DROP, seed=2)(clean)
cases = {
    "clean data, GAN": (clean, None),
    "noisy data, GAN": (noisy, None),
    "noisy data, AmbientGAN": (noisy, gb.Measurement("noise", NOISE, seed=3)),
    "dropout data, GAN": (dropped, None),
    "dropout data, AmbientGAN": (dropped, gb.Measurement("dropout", DROP, seed=4)),
}
# The GAN chapter's recipe for the mixtures: a discriminator that learns faster than the
# generator (lr 1e-3 vs 2e-4, two discriminator steps per generator step), learning rates
# decayed to 0.
TRAIN = GANTrainConfig(steps=3000, batch_size=128, lr=2e-4, lr_d=1e-3, d_steps=2, lr_decay=True, seed=0)


def spread(x: torch.Tensor) -> float:
    """Root-mean-square distance of the samples to their nearest clean centre."""
    return float(torch.cdist(x, centers).min(dim=1).values.pow(2).mean().sqrt())


for name, data in [("clean", clean), ("noisy", noisy), ("dropout", dropped)]:
    glue(f"gb02_{name}_data_spread", spread(data))
    glue(f"gb02_{name}_data_hq", mode_coverage(data, centers, STD)[1])
print(f"reference: clean data spread {spread(clean):.3f}, HQ {mode_coverage(clean, centers, STD)[1]:.3f}; "
      f"noisy data spread {spread(noisy):.3f}, HQ {mode_coverage(noisy, centers, STD)[1]:.3f}")
scores, fakes = {}, {}
for name, (data, measurement) in cases.items():
    G, D = build_gan(MLPConfig(g_hidden=128, d_hidden=128), seed=0)
    trained = G if measurement is None else gb.MeasuredGenerator(G, measurement)
    history = train_gan((trained, D), data, TRAIN)
    fakes[name] = sample(G, 2500, seed=5)  # the clean generator in every case
    modes, hq = mode_coverage(fakes[name], centers, STD)
    scores[name] = (modes, hq, spread(fakes[name]))
    key = name.replace(" data, ", "_").replace("AmbientGAN", "ambient").replace("GAN", "gan")
    glue(f"gb02_{key}_modes", modes)
    glue(f"gb02_{key}_hq", hq)
    glue(f"gb02_{key}_spread", scores[name][2])
    print(f"{name:26s} modes {modes}/8  high-quality {hq:.3f}  spread {scores[name][2]:.3f}  ({history.wall_s:.1f} s)")

# %%
fig, axes = plt.subplots(1, 5, figsize=(14, 3), sharex=True, sharey=True)
for ax, (name, (data, _)) in zip(axes, cases.items(), strict=True):
    ax.scatter(*data[:1000].T, s=2, alpha=0.3, label="training data")
    ax.scatter(*fakes[name][:1000].T, s=2, alpha=0.5, label="generator")
    ax.set_title(name, fontsize=9)
    ax.set_xlabel("$x_1$")
axes[0].set_ylabel("$x_2$")
axes[0].legend(loc="center", fontsize=7, markerscale=4)
plt.tight_layout()

# %%
assert scores["clean data, GAN"][0] == 8
assert scores["noisy data, AmbientGAN"][1] > scores["noisy data, GAN"][1] + 0.05
assert scores["dropout data, AmbientGAN"][1] > scores["dropout data, GAN"][1] + 0.05
assert scores["dropout data, AmbientGAN"][2] < scores["dropout data, GAN"][2]

# %% [markdown]
# How to read it. With clean data the GAN finds all eight modes. With **additive noise**, the
# plain GAN learns what it is shown: its samples spread around the centres more widely than the
# clean data do, and fewer of them are high-quality (a share of {glue:text}`gb02_noisy_gan_hq:.2f`).
# AmbientGAN, trained on exactly the same noisy points, puts more of its samples within 3 standard
# deviations of the clean centres ({glue:text}`gb02_noisy_ambient_hq:.2f`), without ever seeing a
# clean one; its spread barely changes ({glue:text}`gb02_noisy_ambient_spread:.3f` against
# {glue:text}`gb02_noisy_gan_spread:.3f`), because the spread of every generator here is dominated
# by the few samples it leaves between modes. With **coordinate dropout**, every mode is still
# present in the data (most points keep both coordinates), so both generators cover the modes;
# but the plain GAN also reproduces the points on the axes that lie far from every clean centre,
# while AmbientGAN puts far fewer samples there (spread {glue:text}`gb02_dropout_ambient_spread:.3f`
# against {glue:text}`gb02_dropout_gan_spread:.3f`, high-quality share
# {glue:text}`gb02_dropout_ambient_hq:.2f` against {glue:text}`gb02_dropout_gan_hq:.2f`). The
# asserts above check each of these comparisons.
#
# Neither generator is perfect: the reference line shows what a perfect fit would give (for
# AmbientGAN the clean data's spread {glue:text}`gb02_clean_data_spread:.3f` and high-quality share
# {glue:text}`gb02_clean_data_hq:.2f`; for the plain GAN the noisy data's,
# {glue:text}`gb02_noisy_data_spread:.3f` and {glue:text}`gb02_noisy_data_hq:.2f`), and one seed is a
# rough figure: GAN runs on mixtures vary between seeds (exercise 1).
#
# ## GAN samples as data augmentation
#
# Setting: the 8x8 digit images, but only 10 % of the training labels (about
# {glue:text}`gb02_labelled_per_class:.0f` images per class). We compare four classifiers (the
# course's small CNN, same number of updates each): no augmentation; classic augmentation (random
# shifts by up to one pixel); extra samples from a class-conditional GAN {cite}`mirza2014cgan`
# trained on the same 10 % only; and both. Each seed draws its own labelled subset and trains its
# own GAN. The experiment is too long for this page; the table is the committed result of
# `benchmarks/gan_beyond_augmentation.py` (command and settings in its header).

# %%
display(Markdown(committed_result("gan_beyond_augmentation.md").read_text()))
rows = read_csv_rows(committed_result("gan_beyond_augmentation.csv"))
label = "row" if "row" in rows[0] else "condition"  # the column's name in earlier tables
conditions = ["none", "classic", "gan", "gan+classic"]
acc = {c: [r["test_acc"] for r in rows if r[label] == c] for c in conditions}
mean = {c: statistics.fmean(v) for c, v in acc.items()}
sd = {c: statistics.stdev(v) for c, v in acc.items()}
for c in conditions:
    glue(f"gb02_acc_{c.replace('+', '_')}", mean[c])
    glue(f"gb02_acc_{c.replace('+', '_')}_sd", sd[c])
glue("gb02_gan_minus_none", mean["none"] - mean["gan"])
glue("gb02_ganclassic_minus_classic", mean["classic"] - mean["gan+classic"])
labelled = glue("gb02_labelled", rows[0]["labelled"])
glue("gb02_labelled_per_class", labelled / 10)
glue("gb02_gan_samples", next(r["gan_samples"] for r in rows if r[label] == "gan"))
print({c: round(m, 3) for c, m in mean.items()}, "| seeds:", len(acc["none"]))
assert len(acc["none"]) >= 3
assert max(mean, key=mean.get) == "classic"
assert mean["gan"] < mean["none"] and mean["gan+classic"] < mean["classic"]
assert mean["classic"] - mean["gan+classic"] > 2 * max(sd["classic"], sd["gan+classic"])

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for i, (c, v) in enumerate(acc.items()):
    ax.scatter([i] * len(v), v, color="C0")
    ax.plot([i - 0.2, i + 0.2], [mean[c]] * 2, color="k")
ax.set_xticks(range(len(acc)), list(acc))
ax.set_ylabel("test accuracy")
ax.set_title("10 % of the labels: one dot per seed, bar = mean")
plt.tight_layout()

# %% [markdown]
# Read the table for what it says, not for what one hopes. In our runs, classic shift
# augmentation gives the best accuracy ({glue:text}`gb02_acc_classic:.3f`, against
# {glue:text}`gb02_acc_none:.3f` without augmentation), and the conditional-GAN samples do **not**
# help: adding them lowers the mean accuracy, alone by {glue:text}`gb02_gan_minus_none:.3f` (about
# the seed spread, {glue:text}`gb02_acc_gan_sd:.3f`) and on top of the shifts by
# {glue:text}`gb02_ganclassic_minus_classic:.3f`, far more than the spread (printed means and
# per-seed dots above). A conditional GAN trained on 14 images per class can
# at best re-draw those images with small variations, and its mistakes (blurry strokes, an
# image that looks like another class) become training labels; a shift of one pixel, by
# contrast, encodes real prior knowledge (a digit stays the same digit when moved). GAN
# augmentation has helped in published work mostly where the GAN is trained on *more* data than
# the classifier has labels for (unlabelled or other-domain data), which is not our setting.
#
# ## Common pitfalls
#
# :::{admonition} Pitfall: "denoise first, then train the GAN" is the same as AmbientGAN
# :class: warning
# Denoising each sample needs a model of the clean data, which is what we are trying to learn;
# a generic denoiser leaves its own artefacts, which the GAN then learns. AmbientGAN needs only
# the measurement model, and only in the forward direction. Its limit: the measurement must be
# known (and simulated with the right parameters) and must not destroy what distinguishes the
# clean distributions.
# :::
#
# :::{admonition} Pitfall: comparing augmentation runs with different amounts of training
# :class: warning
# Adding {glue:text}`gb02_gan_samples:.0f` GAN images to {glue:text}`gb02_labelled:.0f` real ones
# and training "for 40 epochs" gives the augmented
# classifier several times more updates. The benchmark fixes the number of updates instead, so a
# gain (or loss) comes from the data, not from longer training. Likewise, a single seed proves
# nothing here: the subsets differ by seed, and so does the accuracy.
# :::
#
# ## Summary
#
# - A GAN learns the distribution it is shown; with noisy data that includes the noise.
#   AmbientGAN moves the known measurement into the generator's path and recovers the clean
#   distribution.
# - GAN augmentation must be compared with classic augmentation, at equal training effort, over
#   several seeds. Report the result even when the GAN does not help.
#
# ## Exercises
#
# ```{exercise} Targets for the additive-noise case
# :label: ex-gan-beyond-noise-targets
# Before training anything, compute the high-quality share of the *noisy data itself* and of the
# clean data, with `mode_coverage(noisy, centers, STD)` and `mode_coverage(clean, centers, STD)`.
# Which of the two should a plain GAN on noisy data reach at best, and which one AmbientGAN?
# Then measure how close three seeds of each get, with the recipe above, and with
# `MLPConfig(g_hidden=128, d_hidden=128, pack=4)` (PacGAN, from the GAN chapter).
# ```
# ```{solution} ex-gan-beyond-noise-targets
# :class: dropdown
# A measured sample is a clean one plus independent noise, so around each centre it has
# standard deviation $\sqrt{0.02^2 + 0.05^2} \approx 0.054$. In 2-D the share within radius
# $r = 0.06$ is $1 - e^{-r^2 / (2 \cdot 0.054^2)} \approx 0.46$, against
# $1 - e^{-4.5} \approx 0.99$ for the clean data. A perfect plain GAN reproduces the noisy data
# (about 0.46); a perfect AmbientGAN reproduces the clean data (about 0.99). A GAN trained on
# mixtures tends to under-disperse, so a plain GAN can land above 0.46; compare seeds before
# reading a difference.
# ```
#
# ```{exercise} More GAN samples
# :label: ex-gan-beyond-more-samples
# Run the augmentation benchmark's rows with 10, 50 and 200 GAN samples per class
# (`python benchmarks/gan_beyond_augmentation.py --seeds 3 --only none gan_10 gan gan_200`). Does
# the effect of GAN samples grow with their number?
# ```
# ```{solution} ex-gan-beyond-more-samples
# :class: dropdown
# With a fixed number of classifier updates, more GAN samples means a smaller share of real
# images in each batch. If the GAN's images are slightly off (blurry strokes, wrong class now
# and then), more of them pulls the classifier towards the GAN's distribution and test accuracy
# tends to stay flat or drop; a few samples act as mild regularisation. Compare the means with
# the seed spread before concluding anything.
# ```
