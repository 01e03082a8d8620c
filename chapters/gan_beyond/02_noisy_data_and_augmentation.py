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
# # GANs on noisy data, and GANs as data augmentation
#
# Two practical questions about GANs outside the clean-image setting. What does a GAN learn
# when every training example is corrupted? And do GAN samples help a classifier that has few
# labelled examples?
#
# **Learning goals.** After this notebook you can
# - explain why a GAN trained on noisy samples reproduces the noise, and how AmbientGAN
#   {cite}`bora2018ambientgan` learns the clean distribution from corrupted samples when the
#   corruption is known, about as well as a GAN trained on clean data;
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
from course_lib.metrics import mode_report
from course_lib.notebook import glue, markdown_table, read_csv_rows
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
#
# $$
# \min_G \max_D\; \mathbb{E}_{y \sim p_y}[\log D(y)] + \mathbb{E}_{z,\theta}\big[\log\big(1 - D(f_\theta(G(z)))\big)\big].
# $$
#
# If the measurement is such that $p_y$ determines $p_x$ (true for additive Gaussian noise and
# for random coordinate dropout), the optimum has $G(z) \sim p_x$: the generator learns the
# clean distribution without ever seeing a clean sample (derived below). The graph, with the
# shapes of one batch of the networks trained on this page (solid: forward pass; dashed: the
# generator's gradient):

# %% tags=["hide-input"]
G_demo, D_demo = build_gan(MLPConfig(), seed=0)
observed = gb.Measurement("noise", 0.05, seed=1)(ring_mixture(256, std=0.02, seed=0)[0])
fig = gb.draw_ambientgan(G_demo, D_demo, gb.Measurement("noise", 0.05, seed=2), observed, batch=256)
plt.show()

# %% [markdown]
# ## Derivation: why measuring the fakes recovers the clean distribution
#
# Write the measurement as a kernel: $y$ given $x$ has density $k(y \mid x)$, the same for real and
# fake samples because the same $f_\theta$, $\theta \sim p_\theta$, is applied to both.
#
# 1. Measuring turns a distribution of clean samples into one of observations, linearly:
#
#    $$
#    p_y(y) = (A p_x)(y) = \int k(y \mid x)\, p_x(x)\, dx, \qquad \text{and for the fakes} \quad A p_g. \tag{1}
#    $$
#
# 2. For a fixed G, D plays the ordinary GAN game between $A p_x$ and $A p_g$, so by the result of
#    [GAN foundations](../gan/01_foundations.ipynb) the best D is
#    $D^* = A p_x / (A p_x + A p_g)$ and the generator then minimises
#
#    $$
#    C(G) = 2\, \mathrm{JS}(A p_x \,\|\, A p_g) - \log 4, \tag{2}
#    $$
#
#    whose minimum is reached exactly when $A p_g = A p_x$: the *measured* distributions agree.
# 3. If $A$ is injective on distributions, "$f$ is invertible in distribution", then
#    $A p_g = A p_x$ forces $p_g = p_x$. Nothing requires inverting $f$ on a single sample: noise
#    cannot be removed from one point, but it can be from a distribution.
# 4. Additive Gaussian noise, $y = x + \sigma\varepsilon$. With independent $x$ and $\varepsilon$, the
#    characteristic function $\varphi(\omega) = \mathbb{E}\, e^{i \omega \cdot y}$ factorises:
#
#    $$
#    \varphi_y(\omega) = \varphi_x(\omega)\, \varphi_{\sigma\varepsilon}(\omega) = \varphi_x(\omega)\, e^{-\sigma^2 \|\omega\|^2 / 2}. \tag{3}
#    $$
#
#    The Gaussian factor is never zero, so $\varphi_g = \varphi_y / e^{-\sigma^2\|\omega\|^2/2} =
#    \varphi_x$ at every $\omega$, and a characteristic function determines its distribution:
#    $p_g = p_x$.
# 5. A counter-example: the projection $f(x) = (x_1, 0)$. Every distribution with the same
#    marginal of $x_1$ is measured into the same $p_y$; D cannot tell them apart, G's $x_2$
#    receives no gradient, and the clean distribution is not identified.
#
# The check estimates characteristic functions from samples (`gb.empirical_characteristic`, at
# 110 frequencies with $\|\omega\|$ up to 20 radians per unit, about $1/\sigma$) on three
# independent draws of the page's data: the noisy observations against the clean points they
# were made from, before and after dividing by the Gaussian factor of (3); and, for the
# projection, two *different* clean distributions (the ring, and the ring with $x_2$ set to 0).
# The scale of sampling noise is the difference between two independent draws of the ring.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: after the division by the Gaussian factor, should the noisy
# observations' characteristic function agree with the clean one exactly, or only up to sampling
# noise? And which pair will the projection's measurement make indistinguishable?
# ```

# %%
angles = torch.linspace(0, torch.pi, 12)[:-1]
radii = torch.linspace(1, 20, 10)
freqs = (radii[:, None, None] * torch.stack([angles.cos(), angles.sin()], 1)[None]).reshape(-1, 2)  # (110, 2)
gauss = torch.exp(-0.5 * 0.05**2 * freqs.pow(2).sum(1)).double()  # (110,) the factor of (3)
project = torch.tensor([1.0, 0.0])  # f(x) = (x1, 0)
sup = lambda a, b: float((gb.empirical_characteristic(a, freqs) - b).abs().max())  # noqa: E731
cf = {k: [] for k in ("raw", "divided", "floor", "proj_clean", "proj_measured")}
for seed in range(3):
    x, _ = ring_mixture(4000, std=0.02, seed=1000 + seed)
    y = gb.Measurement("noise", 0.05, seed=2000 + seed)(x)
    other, _ = ring_mixture(4000, std=0.02, seed=5000 + seed)  # an independent draw of the ring
    phi_x = gb.empirical_characteristic(x, freqs)
    cf["raw"].append(sup(y, phi_x))
    cf["divided"].append(float((gb.empirical_characteristic(y, freqs) / gauss - phi_x).abs().max()))
    cf["floor"].append(sup(other, phi_x))
    cf["proj_clean"].append(sup(other * project, phi_x))  # ring against the ring flattened onto x1
    cf["proj_measured"].append(sup(other * project, gb.empirical_characteristic(x * project, freqs)))
for k, v in cf.items():
    glue(f"gb02_cf_{k}", statistics.fmean(v))
    glue(f"gb02_cf_{k}_sd", statistics.stdev(v))
    print(f"{k:14s} sup |difference| {statistics.fmean(v):.3f} ± {statistics.stdev(v):.3f} (3 seeds)")
m = {k: statistics.fmean(v) for k, v in cf.items()}
assert m["divided"] < 1.5 * m["floor"] < 0.5 * m["raw"]  # the noise is removed up to sampling error
assert m["proj_measured"] < 1.5 * m["floor"] < 0.1 * m["proj_clean"]  # the projection hides the difference

# %% [markdown]
# Noise changes the characteristic function a lot (largest difference
# {glue:text}`gb02_cf_raw:.3f` ± {glue:text}`gb02_cf_raw_sd:.3f`); dividing by the Gaussian factor
# of (3) brings it back to {glue:text}`gb02_cf_divided:.3f` ± {glue:text}`gb02_cf_divided_sd:.3f`,
# the size of the difference between two independent clean draws
# ({glue:text}`gb02_cf_floor:.3f` ± {glue:text}`gb02_cf_floor_sd:.3f`): the noisy data determine the
# clean distribution, and a generator that matches them after measurement must match it too.
# The projection does the opposite: two clean distributions that differ by
# {glue:text}`gb02_cf_proj_clean:.2f` are measured into samples that differ by
# {glue:text}`gb02_cf_proj_measured:.3f`, sampling noise; no discriminator can separate them.
# Invertible in distribution is not the same as well conditioned: at higher frequencies the
# Gaussian factor is tiny and the division amplifies sampling noise (an exercise below).
#
# ## AmbientGAN on the ring
#
# In code AmbientGAN is one wrapper, `gb.MeasuredGenerator(G, f)`, passed to the GAN chapter's
# `train_gan`; afterwards we sample the inner, clean `G`.
#
# Data: 4,000 samples of 8 Gaussians on the unit circle with standard deviation 0.02; two
# corruptions: additive Gaussian noise of standard deviation 0.05, and dropout that zeroes each
# coordinate with probability 0.3. The noise does not merge the modes (a noisy mode has standard
# deviation $\sqrt{0.02^2 + 0.05^2} \approx 0.054$, neighbouring centres are 0.77 apart), but it
# makes each one more than twice as wide. The metrics are the GAN chapter's (`mode_report`),
# computed against the **clean** mixture: modes captured (of 8; a mode needs one sample within 3
# standard deviations, 0.06, of its centre), modes holding at least half a fair share of the
# samples, the share of high-quality (HQ) samples (within 0.06 of a clean centre); and two
# distances of the samples to their nearest clean centre (`gb.centre_distances`): their
# root-mean-square, the *spread*, which the few samples left between modes dominate, and their
# median, which measures the *width* of the modes (1.18 standard deviations for a 2-D Gaussian).
#
# The recipe is the GAN chapter's for the mixtures: a discriminator that learns five times
# faster than the generator (two time-scales), both learning rates decayed to 0 over 8,000
# steps, batch 256, data divided by its standard deviation. Dividing the data by $s$ divides the
# noise too, so AmbientGAN's measurement must add noise of standard deviation $0.05 / s$:
# `Measurement.rescaled(s)` does that (dropout is unchanged by scaling). Live, one seed: a plain
# GAN and AmbientGAN on the same noisy points (each run's wall time is printed below).
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: both generators see only the noisy points. Whose modes will be
# wider, and roughly how wide should each be if training succeeds (compare the standard
# deviations 0.02 and 0.054 above)?
# ```

# %%
STD, NOISE = 0.02, 0.05
clean, centers = ring_mixture(4000, std=STD, seed=1000)  # the data of the benchmark's seed 0
noisy = gb.Measurement("noise", NOISE, seed=2000)(clean)
TRAIN = GANTrainConfig(steps=8000, batch_size=256, lr=2e-4, lr_d=1e-3, lr_decay=True, seed=0)


def score(x):
    """Mode report against the clean mixture (HQ in %) and the distances to the clean centres."""
    report = mode_report(x, centers, STD)
    return {**report, "hq_percent": 100 * report["hq"], **gb.centre_distances(x, centers)}


scale = float(noisy.std())  # train on standardised data
live, live_scores = {}, {}
for name in ["GAN", "AmbientGAN"]:
    G, D = build_gan(MLPConfig(), seed=0)
    f = gb.Measurement("noise", NOISE, seed=3000).rescaled(scale)  # noise std 0.05 / s
    trained = gb.MeasuredGenerator(G, f) if name == "AmbientGAN" else G
    history = train_gan((trained, D), noisy / scale, TRAIN)
    live[name] = sample(G, 2500, seed=10_000) * scale  # the clean generator G, in data units
    r = live_scores[name] = score(live[name])
    print(f"{name:10s} on noisy data: modes {r['modes']:.0f}/8, HQ {r['hq_percent']:.1f} %, "
          f"median distance {r['median_dist']:.4f}, spread {r['spread']:.3f}  ({history.wall_s:.0f} s)")
assert live_scores["AmbientGAN"]["modes"] >= 7
assert live_scores["AmbientGAN"]["hq_percent"] > live_scores["GAN"]["hq_percent"] + 5
assert live_scores["AmbientGAN"]["median_dist"] < 0.7 * live_scores["GAN"]["median_dist"]

# %% tags=["hide-input"]
panels = {"clean data (never seen)": clean, "noisy observations": noisy,
          "GAN on the noisy data": live["GAN"], "AmbientGAN on the noisy data": live["AmbientGAN"]}
fig, axes = plt.subplots(2, 4, figsize=(10.5, 5.6))
for col, (title, x) in enumerate(panels.items()):
    for ax, lim in [(axes[0, col], 1.3), (axes[1, col], 0.2)]:  # whole ring; zoom on the mode at (1, 0)
        ax.scatter(*x[:2500].T, s=2, alpha=0.4, color="C0" if col < 2 else "C3")
        ax.scatter(*centers.T, marker="+", color="k", s=40)
        centre = (1.0, 0.0) if lim < 1 else (0.0, 0.0)
        ax.set(xlim=(centre[0] - lim, centre[0] + lim), ylim=(-lim, lim), aspect="equal")
        ax.set_xlabel("$x_1$")
    axes[1, col].add_patch(plt.Circle((1.0, 0.0), 3 * STD, fill=False, ls="--", color="k"))
    axes[0, col].set_title(title, fontsize=9)
axes[0, 0].set_ylabel("$x_2$ (whole ring)")
axes[1, 0].set_ylabel("$x_2$ (zoom on one mode)")
fig.suptitle("2,500 points each; + clean centres; dashed: 3 clean standard deviations (the HQ radius)")
plt.tight_layout()

# %% [markdown]
# One seed is a rough figure. `benchmarks/gan_beyond_ambient.py` trains all five generators
# (plain GAN on clean, noisy and dropout data; AmbientGAN on the noisy and the dropout data) over
# several seeds, each seed with its own data, and scores reference rows with the same code: the
# clean samples and the two kinds of observations (what a perfect AmbientGAN, and a perfect plain
# GAN, would score), uniform noise over the ring's bounding box, and all samples from one mode.
# Its committed table, mean ± standard deviation over the seeds (command, date and machine in the
# header):

# %%
ROWS = {  # benchmark row -> short name for glue keys
    "GAN on clean data": "clean_gan",
    "GAN on noisy data": "noisy_gan",
    "AmbientGAN on noisy data": "noisy_ambient",
    "GAN on dropout data": "dropout_gan",
    "AmbientGAN on dropout data": "dropout_ambient",
    "reference: clean samples": "ref_clean",
    "reference: noisy observations": "ref_noisy",
    "reference: dropout observations": "ref_dropout",
    "reference: uniform noise over the bounding box": "ref_uniform",
    "reference: one mode": "ref_one_mode",
}
COLUMNS = {"modes": "modes (of 8)", "modes_fair": "modes with ≥ ½ fair share", "hq_percent": "HQ %",
           "median_dist": "median distance", "spread": "spread (RMS distance)"}
DIGITS = {"modes": 1, "modes_fair": 1, "hq_percent": 1, "median_dist": 3, "spread": 3}
ambient_rows = read_csv_rows(committed_result("gan_beyond_ambient.csv"))
ambient_curves = read_csv_rows(committed_result("gan_beyond_ambient_curve.csv"))
display(Markdown(committed_result("gan_beyond_ambient.md").read_text().split("\n\n")[1]))
amb, table = {}, []  # amb[short][metric] = (mean, std)
for row, key in ROWS.items():
    sel = [r for r in ambient_rows if r["row"] == row]
    amb[key] = {m: (statistics.fmean(r[m] for r in sel), statistics.stdev(r[m] for r in sel)) for m in COLUMNS}
    table.append({"row": row, "seeds": len(sel),
                  **{label: f"{amb[key][m][0]:.{DIGITS[m]}f} ± {amb[key][m][1]:.{DIGITS[m]}f}"
                     for m, label in COLUMNS.items()}})
    for m in COLUMNS:
        glue(f"gb02_{key}_{m}", amb[key][m][0])
        glue(f"gb02_{key}_{m}_sd", amb[key][m][1])
glue("gb02_ambient_seeds", len([r for r in ambient_rows if r["row"] == "AmbientGAN on noisy data"]))
display(Markdown(markdown_table(table)))

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharex=True)
for i, row in enumerate(list(ROWS)[:5]):  # the trained rows
    points = [c for c in ambient_curves if c["row"] == row]
    for seed in sorted({c["seed"] for c in points}):
        mine = [c for c in points if c["seed"] == seed]
        steps = [c["step"] for c in mine]
        kw = {"color": f"C{i}", "lw": 0.8, "alpha": 0.8, "label": row if seed == 0 else None}
        axes[0].plot(steps, [c["hq_percent"] for c in mine], **kw)
        axes[1].plot(steps, [c["median_dist"] for c in mine], **kw)
for ax, ylabel in zip(axes, ["HQ share (%)", "median distance to a clean centre"], strict=True):
    ax.set(xlabel="generator step", ylabel=ylabel)
for key, ls in [("ref_clean", ":"), ("ref_noisy", "--")]:
    axes[1].axhline(amb[key]["median_dist"][0], color="k", ls=ls, lw=0.8)
axes[1].set_ylim(0, 0.1)
axes[0].legend(fontsize=7)
fig.suptitle("During training, one line per seed; dotted: clean data, dashed: noisy observations")
plt.tight_layout()

# %%
# the committed table (benchmark over seeds): AmbientGAN recovers the clean ring from noisy data
assert len([r for r in ambient_rows if r["row"] == "AmbientGAN on noisy data"]) >= 3
assert amb["noisy_ambient"]["modes"][0] >= 7 and amb["noisy_ambient"]["modes_fair"][0] >= 7
assert amb["noisy_ambient"]["hq_percent"][0] > amb["noisy_gan"]["hq_percent"][0] + 5
assert amb["noisy_ambient"]["hq_percent"][0] > amb["clean_gan"]["hq_percent"][0] - 5  # as good as clean data
assert amb["noisy_ambient"]["median_dist"][0] < amb["ref_clean"]["median_dist"][0] < amb["noisy_gan"]["median_dist"][0]
assert amb["noisy_gan"]["median_dist"][0] < amb["ref_noisy"]["median_dist"][0]
assert amb["dropout_ambient"]["hq_percent"][0] > amb["dropout_gan"]["hq_percent"][0]
assert amb["dropout_ambient"]["spread"][0] < amb["dropout_gan"]["spread"][0]
assert amb["dropout_gan"]["modes_fair"][0] < amb["dropout_ambient"]["modes_fair"][0]
assert amb["dropout_ambient"]["hq_percent"][1] > 2 * amb["noisy_ambient"]["hq_percent"][1]  # less reliable

# %% [markdown]
# How to read it. The plain GAN trained on the noisy points learns what it is shown: wide modes
# (median distance to a clean centre {glue:text}`gb02_noisy_gan_median_dist:.3f`, against
# {glue:text}`gb02_ref_clean_median_dist:.3f` for the clean data) and only
# {glue:text}`gb02_noisy_gan_hq_percent:.0f` % high-quality samples. AmbientGAN, trained on exactly
# the same noisy points and never on a clean one, recovers the clean ring: on average over
# {glue:text}`gb02_ambient_seeds` seeds it captures {glue:text}`gb02_noisy_ambient_modes:.1f` of
# 8 modes, {glue:text}`gb02_noisy_ambient_modes_fair:.1f` of them with at least half a fair share,
# and {glue:text}`gb02_noisy_ambient_hq_percent:.0f` % of its samples are high-quality
# (± {glue:text}`gb02_noisy_ambient_hq_percent_sd:.1f`), about as many as for the plain GAN
# trained on the clean data ({glue:text}`gb02_clean_gan_hq_percent:.0f` %). "Recovers" means as well
# as a GAN that saw clean data, not perfectly: the clean samples themselves score
# {glue:text}`gb02_ref_clean_hq_percent:.0f` %.
#
# Neither generator matches its target's width exactly: both are *narrower* than what they
# imitate. AmbientGAN's modes ({glue:text}`gb02_noisy_ambient_median_dist:.3f`) are narrower than
# the clean data's, and the plain GAN's ({glue:text}`gb02_noisy_gan_median_dist:.3f`) narrower
# than the noisy observations' ({glue:text}`gb02_ref_noisy_median_dist:.3f`), which is why its
# high-quality share lies above that of the noisy data themselves
# ({glue:text}`gb02_ref_noisy_hq_percent:.0f` %). GANs on these mixtures under-disperse; the plain
# GAN on clean data does too ({glue:text}`gb02_clean_gan_median_dist:.3f`). The spread changes
# less (AmbientGAN {glue:text}`gb02_noisy_ambient_spread:.3f`, plain GAN
# {glue:text}`gb02_noisy_gan_spread:.3f`): it is dominated by the few samples every generator
# leaves between modes, the bridges of the GAN chapter.
#
# With **coordinate dropout**, the observations that lost a coordinate lie on the axes, far from
# most centres (the observations' spread is {glue:text}`gb02_ref_dropout_spread:.2f`). The four
# centres on the axes keep such points, since their dropped coordinate was near 0 anyway; the
# plain GAN reproduces the axes and crowds those four modes (spread
# {glue:text}`gb02_dropout_gan_spread:.2f`, {glue:text}`gb02_dropout_gan_hq_percent:.0f` %
# high-quality, {glue:text}`gb02_dropout_gan_modes_fair:.1f` modes with a fair share). AmbientGAN
# puts far fewer samples there (spread {glue:text}`gb02_dropout_ambient_spread:.2f`,
# {glue:text}`gb02_dropout_ambient_hq_percent:.0f` % high-quality,
# {glue:text}`gb02_dropout_ambient_modes_fair:.1f` modes with a fair share), but less reliably than
# under noise: its high-quality share varies by ± {glue:text}`gb02_dropout_ambient_hq_percent_sd:.0f`
# points between seeds, and it captures {glue:text}`gb02_dropout_ambient_modes:.1f` modes on average.
#
# The recipe matters as much as the idea. With equal learning rates for both networks (the
# `GANTrainConfig` default) the plain GAN and AmbientGAN both collapse to a single blob on this
# ring; with two time-scales but only 3,000 steps, AmbientGAN kept a much smaller lead over the
# plain GAN, and the curves above show its high-quality share still rising long after step 3,000.
# The benchmark's notes list these probing runs.
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
#
# ```{admonition} Think!
# :class: tip
# Before reading the table: a conditional GAN trained on the same few labelled images adds no
# information the classifier does not already have. Can its samples still help, as a regulariser?
# Which of the four rows do you expect on top?
# ```

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

# %% tags=["hide-input"]
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
# per-seed dots above). A conditional GAN trained on about {glue:text}`gb02_labelled_per_class:.0f` images per class can
# at best re-draw those images with small variations, and its mistakes (blurry strokes, an
# image that looks like another class) become training labels; a shift of one pixel, by
# contrast, encodes real prior knowledge (a digit stays the same digit when moved). Here the
# GAN sees no image that the classifier does not already have with its label, so everything it
# can add has to come from the images the classifier trains on anyway.
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
# :::{admonition} Pitfall: standardising the data but not the measurement
# :class: warning
# Dividing the observations by their standard deviation $s$ divides their noise by $s$ too. An
# AmbientGAN whose measurement still adds noise of the raw standard deviation, to standardised
# samples, adds the wrong amount (here too little), and its generator makes up the difference by
# itself: its modes come out wider. Use `Measurement(...).rescaled(s)`, or measure in data units.
# Dropout does not care: zeroing a coordinate commutes with scaling.
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
#   distribution, given a training recipe that works for a plain GAN on the clean data (two
#   time-scales, long enough training) and a measurement on the data's scale.
# - GAN augmentation must be compared with classic augmentation, at equal training effort, over
#   several seeds. Report the result even when the GAN does not help.
#
# ## Exercises
#
# ```{exercise} Targets for the additive-noise case
# :label: ex-gan-beyond-noise-targets
# Before reading the table, compute the high-quality share of the *noisy data itself* and of the
# clean data, with `score(noisy)` and `score(clean)`. Which of the two should a plain GAN on noisy
# data reach at best, and which one AmbientGAN? Then retrain the live AmbientGAN with
# `gb.Measurement("noise", NOISE, seed=3000)` in place of its `.rescaled(scale)` version, i.e. the
# raw data's noise added to standardised samples. How do the width of its modes and its
# high-quality share change, and why?
# ```
# ```{solution} ex-gan-beyond-noise-targets
# :class: dropdown
# A measured sample is a clean one plus independent noise, so around each centre it has
# standard deviation $\sqrt{0.02^2 + 0.05^2} \approx 0.054$. In 2-D the share within radius
# $r = 0.06$ is $1 - e^{-r^2 / (2 \cdot 0.054^2)} \approx 0.46$, against
# $1 - e^{-4.5} \approx 0.99$ for the clean data. A perfect plain GAN reproduces the noisy data
# (about 0.46); a perfect AmbientGAN reproduces the clean data (about 0.99). A GAN trained on
# mixtures tends to under-disperse, so a plain GAN can land above 0.46; compare seeds before
# reading a difference. Without the rescaling, the measurement adds a standard deviation of 0.05
# in standardised units, $0.05\,s \approx 0.036$ in data units ($s \approx 0.71$, the ring's
# standard deviation), instead of 0.05. To reproduce the observations' 0.054 the generator must
# supply the rest itself, $\sqrt{0.054^2 - 0.036^2} \approx 0.04$ instead of 0.02: its modes
# widen (a larger median distance) and fewer of its samples are high-quality.
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
#
# ```{exercise} Dropout is invertible in distribution
# :label: ex-gan-beyond-dropout-inverse
# Pencil and paper. (a) In one dimension, $y = x$ with probability $1 - p$ and $y = 0$ with
# probability $p$. Write $p_y$ in terms of $p_x$ as in (1), and invert it: recover $p_x$ from
# $p_y$ and $p$. What goes wrong at $p = 1$? (b) In two dimensions, with each coordinate zeroed
# independently with probability $p$, which part of $p_y$ alone already determines $p_x$?
# ```
# ```{solution} ex-gan-beyond-dropout-inverse
# :class: dropdown
# (a) $p_y = (1 - p)\, p_x + p\, \delta_0$, so $p_x = (p_y - p\, \delta_0) / (1 - p)$ for $p < 1$:
# remove the extra point mass at 0 and rescale. At $p = 1$ every observation is 0, $p_y = \delta_0$
# whatever $p_x$ is, and $A$ is not injective. (b) With probability $(1 - p)^2$ both coordinates
# survive, so $p_y = (1 - p)^2 p_x + (	ext{mass on the two axes and at the origin})$. Off the axes
# $p_y$ equals $(1 - p)^2 p_x$, which determines $p_x$ wherever $p_x$ puts no mass on the axes (true
# for the ring's Gaussians, which give the axes probability zero). The measured game is therefore
# identified, and the larger spread between seeds of the dropout rows must come from optimisation
# (reaching that optimum), not from an ambiguous optimum.
# ```
#
# ```{exercise} Predict, then run: a measurement that hides a coordinate
# :label: ex-gan-beyond-projection
# Train the live AmbientGAN with the projection $f(x) = (x_1, 0)$ as its measurement,
# `gb.MeasuredGenerator(G, lambda x: x * torch.tensor([1.0, 0.0]))`, on the projected clean data
# `clean * torch.tensor([1.0, 0.0]) / scale`. Predict first: what will the samples of `G` look
# like in the $(x_1, x_2)$ plane? Then plot them.
# ```
# ```{solution} ex-gan-beyond-projection
# :class: dropdown
# Step 5 of the derivation: D only ever sees $x_1$, so G's $x_1$ is pushed towards the ring's
# marginal of $x_1$ (points piled up near $\pm 1$, $\pm 0.71$ and $0$), while the gradient with
# respect to G's $x_2$ output is exactly zero: that output is whatever the initial network and
# the shared hidden layers happen to make of it. The samples form vertical bands or an arbitrary
# curve at the right $x_1$ positions, not a ring. Nothing in the loss can tell you this happened:
# the measured game is won.
# ```
#
# ```{exercise} Invertible but ill-conditioned
# :label: ex-gan-beyond-ill-conditioned
# Rerun the characteristic-function check with noise of standard deviation 0.3 instead of 0.05
# (in both the measurement and the Gaussian factor), and with radii up to 20 as before. Predict:
# will the divided characteristic function still match the clean one? Then plot the error
# against $\|\omega\|$.
# ```
# ```{solution} ex-gan-beyond-ill-conditioned
# :class: dropdown
# At $\|\omega\| = 20$ the factor is $e^{-0.3^2 \cdot 400 / 2} = e^{-18}$, about $10^{-8}$, while the
# empirical characteristic function of 4,000 points has sampling noise of order $1/\sqrt{4000}$.
# Dividing that noise by $10^{-8}$ gives errors in the millions: the error stays small up to a
# few radians per unit, exceeds 1 (useless, since $|\varphi| \le 1$) from about 10 on, and explodes
# towards 20. The clean distribution is still
# determined in principle, but a finite sample (and a finite training run) cannot recover its
# fine detail: here the modes' width, $0.02$, is far below the noise's $0.3$. AmbientGAN works
# best when the measurement loses little of the distribution's detail.
# ```
