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
# # GANs for discrete sequences
#
# A GAN's generator learns from the gradient of the discriminator's score with respect to the
# generated sample. Images and audio are continuous, so that gradient exists. Text, symbols and
# tokens are discrete, and here the usual recipe breaks. This notebook shows where it breaks
# and compares three fixes with plain maximum likelihood on a toy language in which every
# sample can be checked.
#
# **Learning goals.** After this notebook you can
# - show that `argmax` and `multinomial` cut the computation graph;
# - write the Gumbel-softmax relaxation, the straight-through estimator and REINFORCE with a
#   baseline, and say what each one's gradient estimates;
# - measure the share of valid samples and their diversity, and compare a GAN with a
#   maximum-likelihood model of the same size.
#
# ## Before you start
#
# **Prerequisites.**
# - [GAN foundations](../gan/01_foundations.ipynb): the discriminator's loss, the non-saturating
#   generator loss and why D outputs a logit.
# - Probability on a finite set: a categorical distribution, an expectation as a weighted sum,
#   the softmax and its derivative $\partial p_k / \partial \ell_j = p_k(\delta_{kj} - p_j)$.
# - Helpful, though later in the book: the reparameterisation trick of
#   [the ELBO and the VAE](../vae/01_elbo_and_vae.ipynb) (Gumbel-softmax is its discrete cousin)
#   and the GRU cell of [recurrent networks](../rnn_gan/01_recurrent_networks.ipynb), which the
#   token generator uses.
#
# **Time.** About an hour to read and to follow the two derivations with pencil and paper; about
# one minute to run on a laptop CPU (measured at the end of the page), most of it training four
# small models.
#
# **Further reading.**
# - {cite}`jang2017gumbel` and {cite}`maddison2017concrete`: the Gumbel-softmax (Concrete)
#   relaxation, introduced at the same time by two groups.
# - {cite}`bengio2013estimating`: the straight-through estimator and other ways to train through
#   stochastic discrete units.
# - {cite}`williams1992reinforce`: the score-function (REINFORCE) estimator, with baselines.
# - {cite}`yu2017seqgan`: SeqGAN, a text GAN trained by REINFORCE with Monte-Carlo roll-outs.
# - {cite}`mohamed2020monte`: a survey of pathwise and score-function gradient estimators and of
#   variance reduction.

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
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display

from course_lib import gan_beyond as gb
from course_lib.checkpoints import committed_result
from course_lib.notebook import glue, markdown_table, plot_history, read_csv_rows
from course_lib.teaching import knobs
from course_lib.utils import set_seed

set_seed(0)
STARTED = time.perf_counter()  # the page's run time is printed at the end

# %% [markdown]
# ## Sampling cuts the graph
#
# A token generator outputs logits $\ell \in \mathbb{R}^V$ and then picks a token, by
# `argmax` or by sampling from $p = \operatorname{softmax}(\ell)$. Both results are integers:
# a small change of $\ell$ leaves them unchanged (or makes them jump), so their derivative is
# zero almost everywhere and PyTorch does not even record a graph for them.

# %%
logits = torch.tensor([[1.0, 0.2, -0.5, 0.0]], requires_grad=True)
token_argmax = logits.argmax(-1)
token_sample = torch.multinomial(F.softmax(logits, -1), 1)
print("argmax:", token_argmax, "requires_grad:", token_argmax.requires_grad)
print("multinomial:", token_sample, "requires_grad:", token_sample.requires_grad)
assert not token_argmax.requires_grad and not token_sample.requires_grad

# %% [markdown]
# A discriminator that receives the one-hot vector of a sampled token therefore passes no
# gradient back to the generator's logits. Three ways around this:
#
# 1. **Gumbel-softmax / Concrete** {cite}`jang2017gumbel,maddison2017concrete`. With
#    $g_i \sim \mathrm{Gumbel}(0, 1)$, $\arg\max_i (\ell_i + g_i)$ is an exact sample of
#    $\mathrm{Categorical}(p)$. Replace the argmax by a softmax at temperature $\tau$:
#
#    $$
#    y = \operatorname{softmax}\big((\ell + g) / \tau\big),
#    $$
#
#    a differentiable point of the simplex that approaches the one-hot sample as $\tau \to 0$.
#    The discriminator sees $y$ (not one-hot!), and the gradient is biased for $\tau > 0$.
# 2. **Straight-through (ST)** {cite}`bengio2013estimating`. Forward the one-hot sample
#    $h$, backward as if the forward pass had been the identity on $p$:
#
#    $$
#    y = h - \operatorname{sg}(p) + p, \qquad \frac{\partial y}{\partial p} := I,
#    $$
#
#    with $\operatorname{sg}$ the stop-gradient. The discriminator sees real one-hot vectors;
#    the gradient is biased.
# 3. **REINFORCE (score function)** {cite}`williams1992reinforce`, the idea of SeqGAN
#    {cite}`yu2017seqgan`: treat the discriminator's score $r(x) = \log D(x)$ as a reward and
#    use
#
#    $$
#    \nabla_\theta \mathbb{E}_{x \sim p_\theta}[r(x)] = \mathbb{E}_{x \sim p_\theta}\big[(r(x) - b)\, \nabla_\theta \log p_\theta(x)\big],
#    $$
#
#    unbiased for any baseline $b$ that does not depend on $x$ (here a moving average of the
#    reward), but with high variance. SeqGAN also pre-trains by maximum likelihood and scores
#    unfinished sequences by Monte-Carlo roll-outs; we keep only the core.
#
# The three routes side by side, with the shapes of one batch of this page's token generator
# (the boxes and arrows are built from a real forward pass). Solid arrows are the forward pass,
# dashed ones the gradient that reaches the generator's logits:

# %% tags=["hide-input"]
fig = gb.draw_gradient_routes(gb.TokenGANConfig(length=8), batch=64)
plt.show()

# %% [markdown]
# ## Derivation 1: the Gumbel-max trick
#
# A standard Gumbel variable has the distribution function $F(g) = \exp(-e^{-g})$ and density
# $f(g) = e^{-g} \exp(-e^{-g})$; $g = -\log(-\log u)$ with $u \sim \mathcal U(0, 1)$ is one (invert
# $F$). Take independent $g_1, \dots, g_V$ and write $Z = \sum_i e^{\ell_i}$.
#
# 1. Token $k$ wins when $\ell_k + g_k > \ell_i + g_i$ for every $i \ne k$. Condition on $g_k = g$:
#    each other $g_i$ must stay below $g + \ell_k - \ell_i$, so
#
#    $$
#    P(k \text{ wins}) = \int_{-\infty}^{\infty} f(g) \prod_{i \ne k} F(g + \ell_k - \ell_i)\, dg. \tag{1}
#    $$
#
# 2. The product is $\exp\big(-e^{-g} \sum_{i \ne k} e^{\ell_i - \ell_k}\big)$; times $f(g)$ the
#    integrand becomes
#
#    $$
#    e^{-g} \exp\big(-e^{-g}\, Z / e^{\ell_k}\big). \tag{2}
#    $$
#
# 3. Substitute $u = e^{-g}$, $du = -e^{-g} dg$:
#
#    $$
#    P(k \text{ wins}) = \int_0^\infty \exp\big(-u\, Z / e^{\ell_k}\big)\, du = \frac{e^{\ell_k}}{Z} = p_k. \tag{3}
#    $$
#
# 4. The argmax is an exact sample but has no useful gradient; replacing it by a softmax at
#    temperature $\tau$ gives the relaxation, whose argmax is still the exact sample:
#
#    $$
#    y = \operatorname{softmax}\big((\ell + g) / \tau\big), \qquad \arg\max_i y_i = \arg\max_i (\ell_i + g_i). \tag{4}
#    $$
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: the check draws 20,000 relaxed samples at $\tau = 0.5$ and counts
# their argmax. Will the frequencies depend on $\tau$? How far from $p$ should they be, given
# that a frequency estimated from $n$ draws has standard error $\sqrt{p(1-p)/n}$?
# ```

# %%
n = 20000
p = F.softmax(logits.detach()[0], -1)
deviations, z_scores = [], []
for seed in range(3):  # three independent sets of draws
    y = gb.gumbel_softmax(logits.detach().expand(n, -1), tau=0.5, seed=seed)
    freq = torch.bincount(y.argmax(-1), minlength=4) / n
    deviations.append(float((freq - p).abs().max()))
    z_scores.append(float(((freq - p).abs() / (p * (1 - p) / n).sqrt()).max()))
print("softmax p:                   ", p.numpy().round(3))
print("Gumbel-max frequency (seed 2):", freq.numpy().round(3))
glue("gb01_gmax_dev", statistics.fmean(deviations))
glue("gb01_gmax_dev_sd", statistics.stdev(deviations))
glue("gb01_gmax_z", max(z_scores))
assert max(z_scores) < 4  # within four standard errors on every seed and class

# %% [markdown]
# Over three sets of draws the largest gap between a frequency and $p_k$ is
# {glue:text}`gb01_gmax_dev:.4f` ± {glue:text}`gb01_gmax_dev_sd:.4f`, at most
# {glue:text}`gb01_gmax_z:.1f` standard errors: what sampling noise alone produces. The
# temperature does not enter, by (4).
#
# ## Derivation 2: the score-function estimator and its baseline
#
# Hold D fixed during a generator step, so the reward $r(x) = \log D(x)$ does not depend on the
# generator's parameters $\theta$ (here: the logits $\ell$). The objective is a finite sum,
# $J(\theta) = \mathbb{E}_{x \sim p_\theta}[r(x)] = \sum_x p_\theta(x)\, r(x)$.
#
# 1. Differentiate the sum term by term, and use $\nabla p = p\, \nabla \log p$:
#
#    $$
#    \nabla_\theta J = \sum_x r(x)\, \nabla_\theta p_\theta(x) = \mathbb{E}_{x \sim p_\theta}\big[r(x)\, \nabla_\theta \log p_\theta(x)\big]. \tag{5}
#    $$
#
# 2. The score has mean zero, since the probabilities always sum to one:
#
#    $$
#    \mathbb{E}_{x \sim p_\theta}[\nabla_\theta \log p_\theta(x)] = \sum_x \nabla_\theta p_\theta(x) = \nabla_\theta \textstyle\sum_x p_\theta(x) = \nabla_\theta 1 = 0, \tag{6}
#    $$
#
#    so any $b$ that does not depend on $x$ can be subtracted without changing the mean:
#    $\nabla_\theta J = \mathbb{E}[(r(x) - b)\, \nabla_\theta \log p_\theta(x)]$.
# 3. For one categorical draw with logits $\ell$, $\log p_k = \ell_k - \log \sum_i e^{\ell_i}$, so
#
#    $$
#    \nabla_\ell \log p_k = e_k - p, \qquad \hat g_b = \big(r(k) - b\big)\,(e_k - p), \quad k \sim p. \tag{7}
#    $$
#
#    For a sequence, $\log p(x) = \sum_t \log p(x_t \mid x_{<t})$ and the scores of the steps add
#    up: that is the `logp` the token GAN multiplies by $r - b$.
# 4. All $\hat g_b$ have the same mean, so the best $b$ minimises $\mathbb{E}\|\hat g_b\|^2 =
#    \mathbb{E}[(r - b)^2 \|e_k - p\|^2]$, a parabola in $b$ with its minimum at
#
#    $$
#    b^* = \frac{\mathbb{E}[r\, \|e_k - p\|^2]}{\mathbb{E}[\|e_k - p\|^2]}, \tag{8}
#    $$
#
#    a weighted mean reward; the plain mean reward $\bar r = \mathbb{E}[r]$ (what our training loop
#    tracks with a moving average) is the usual approximation.
#
# The check uses a 3-way categorical and the nonlinear reward $r(e_k) = (e_k \cdot w)^2$, all
# positive. The exact gradient is a sum over the three tokens (`gb.exact_gradient`);
# `gb.gradient_samples` returns one-draw estimates, one per row.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: with all rewards positive, $b = 0$ pushes up the logit of
# *every* drawn token. Which baseline will give the smallest spread, $0$, $\bar r$ or $b^*$? Will
# any of them move the mean?
# ```

# %%
logit3, w3 = torch.tensor([0.3, 0.0, -0.2]), torch.tensor([1.0, -2.0, 0.5])
reward = lambda y: (y @ w3) ** 2  # noqa: E731  r(e_k) = (e_k . w)^2, a nonlinear function of the token
exact = gb.exact_gradient(logit3, reward)
p3, r3 = F.softmax(logit3, -1), reward(torch.eye(3))  # (3,), (3,)
score_sq = ((torch.eye(3) - p3) ** 2).sum(1)  # ||e_k - p||^2 for each token
baselines = {"0": 0.0, "mean reward": float(p3 @ r3), "b*": float((p3 * r3 * score_sq).sum() / (p3 * score_sq).sum())}
spread, worst_z = {b: [] for b in baselines}, 0.0
for seed in range(5):
    for name, b in baselines.items():
        est = gb.gradient_samples(logit3, reward, "reinforce", 4000, baseline=b, seed=seed)  # (4000, 3)
        worst_z = max(worst_z, float(((est.mean(0) - exact).abs() / (est.std(0) / 4000**0.5)).max()))
        spread[name].append(float(est.var(0).sum()))
print("exact gradient:", exact.numpy().round(3), "| baselines:", {k: round(v, 3) for k, v in baselines.items()})
for name, v in spread.items():
    print(f"b = {name:11s}: total variance of one draw {statistics.fmean(v):.3f} ± {statistics.stdev(v):.3f} (5 seeds)")
glue("gb01_rf_z", worst_z)
for name, key in [("0", "zero"), ("mean reward", "mean"), ("b*", "best")]:
    glue(f"gb01_rf_var_{key}", statistics.fmean(spread[name]))
    glue(f"gb01_rf_var_{key}_sd", statistics.stdev(spread[name]))
glue("gb01_rf_ratio", statistics.fmean(spread["0"]) / statistics.fmean(spread["mean reward"]))
assert worst_z < 4  # unbiased with every baseline
assert statistics.fmean(spread["mean reward"]) < 0.7 * statistics.fmean(spread["0"])
assert statistics.fmean(spread["b*"]) <= 1.02 * statistics.fmean(spread["mean reward"])

# %% [markdown]
# Every baseline leaves the mean where (5) puts it (the largest deviation of a mean estimate from
# the exact gradient is {glue:text}`gb01_rf_z:.1f` standard errors over five seeds). The spread is
# another matter: the total variance of one draw is {glue:text}`gb01_rf_var_zero:.2f` ±
# {glue:text}`gb01_rf_var_zero_sd:.2f` without a baseline, {glue:text}`gb01_rf_var_mean:.2f` ±
# {glue:text}`gb01_rf_var_mean_sd:.2f` with the mean reward ({glue:text}`gb01_rf_ratio:.1f` times
# less) and {glue:text}`gb01_rf_var_best:.2f` ± {glue:text}`gb01_rf_var_best_sd:.2f` with $b^*$
# (mean ± standard deviation over five seeds). The mean reward already captures almost all of the
# gain.
#
# ## The temperature of the relaxation
#
# Gumbel-softmax gives a gradient for every draw, but not the right one: for $\tau > 0$ the
# discriminator is evaluated at a soft vector, not at a token. Lowering $\tau$ brings the samples
# to the corners of the simplex and shrinks that bias, but $\partial y / \partial \ell =
# \frac{1}{\tau}(\operatorname{diag} y - y y^\top)$ grows like $1/\tau$ wherever two logits are
# nearly tied, and the spread of the estimates grows with it.
#
# ```{admonition} Think!
# :class: tip
# Before looking at the figure: where on the simplex will the samples sit at $\tau = 0.1$ and at
# $\tau = 3$? At which end of the temperature axis will the gradient's bias be large, and at which
# its spread?
# ```
#
# The figure shows four temperatures (left: 300 relaxed samples of a 3-way categorical, coloured
# by their argmax; right: bias and spread of the one-draw gradient of $\mathbb{E}[(y \cdot w)^2]$
# over a grid of temperatures, the shown one marked in red, REINFORCE's spread with the mean
# reward as baseline for scale).

# %% tags=["hide-input"]
fig, axes = plt.subplots(4, 2, figsize=(8.5, 12.5))
for row, tau in zip(axes, [0.1, 0.5, 1.0, 3.0], strict=True):
    gb.draw_gumbel_temperature(tau, n=1000, axes=tuple(row))
fig.suptitle("Gumbel-softmax at four temperatures")
fig.tight_layout()
plt.show()

# %% [markdown]
# With a running kernel (Jupyter or Colab, not this website), the slider redraws the same figure
# at any temperature:

# %%
def show_temperature(tau):
    gb.draw_gumbel_temperature(tau)
    plt.show()


slider = knobs(show_temperature, tau=(0.05, 5.0, 0.05, 0.5))  # displayed by knobs itself

# %% [markdown]
# The figure's numbers, measured over three seeds of 4,000 draws each:

# %%
tau_stats = {}
for tau in (0.1, 3.0):
    bias, sd = [], []
    for seed in range(3):
        est = gb.gradient_samples(logit3, reward, "gumbel", 4000, tau=tau, seed=seed)
        bias.append(float((est.mean(0) - exact).norm()))
        sd.append(float(est.var(0).sum().sqrt()))
    tau_stats[tau] = (statistics.fmean(bias), statistics.fmean(sd))
    key = "cold" if tau < 1 else "warm"
    glue(f"gb01_tau_{key}_bias", statistics.fmean(bias))
    glue(f"gb01_tau_{key}_bias_sd", statistics.stdev(bias))
    glue(f"gb01_tau_{key}_spread", statistics.fmean(sd))
    print(f"tau = {tau}: bias {statistics.fmean(bias):.3f} ± {statistics.stdev(bias):.3f}, "
          f"spread of one draw {statistics.fmean(sd):.2f} ± {statistics.stdev(sd):.2f}")
glue("gb01_exact_norm", float(exact.norm()))
assert tau_stats[0.1][0] < 0.5 * tau_stats[3.0][0] and tau_stats[0.1][1] > 5 * tau_stats[3.0][1]

# %% [markdown]
# At $\tau = 0.1$ the bias is {glue:text}`gb01_tau_cold_bias:.2f` ±
# {glue:text}`gb01_tau_cold_bias_sd:.2f` (much of it the Monte-Carlo error of a noisy mean) and
# one draw spreads by {glue:text}`gb01_tau_cold_spread:.1f`; at $\tau = 3$ the bias is
# {glue:text}`gb01_tau_warm_bias:.2f` ± {glue:text}`gb01_tau_warm_bias_sd:.2f`, of the order of the
# exact gradient itself (norm {glue:text}`gb01_exact_norm:.2f`), with a spread of only
# {glue:text}`gb01_tau_warm_spread:.2f`. This is why the GAN below anneals $\tau$ from 1 towards
# 0.3: a usable gradient early, a smaller bias later.

# %% [markdown]
# ## A toy language with countable correctness: Dyck-2
#
# Strings of length 8 over `()[]` that are *balanced* (every closing bracket matches the last
# open one). Of the $4^8 = 65{,}536$ strings only $C_4 \cdot 2^4 = 224$ are balanced ($C_4 = 14$
# is a Catalan number), so a random string is valid with probability 0.34 %. Validity needs
# long-range structure (a bracket opened at position 1 may close at position 8), which is what
# makes sequence generation hard.

# %%
LENGTH = 8
language = gb.dyck_strings(LENGTH)
data = gb.dyck_dataset(5000, LENGTH, seed=100)
print(len(language), "balanced strings of length", LENGTH, "| examples:", gb.decode(data[:5]))
print("valid share of uniformly random strings:", len(language) / 4**LENGTH)

# %% [markdown]
# **Metrics.** On 1,000 samples: *valid* = share of balanced strings; *diversity* = distinct
# valid strings / number of samples (at most 224/1000 here); *coverage* = distinct valid
# strings / 224. A model that repeats one valid string has validity 1 and diversity 0.001.
#
# ## Four models of the same size
#
# All four use one generator class (`TokenGenerator`: a GRU whose initial state comes from
# noise $z$ and whose input at each step is the previous token vector) and differ only in the
# training signal: teacher-forced cross-entropy (MLE), or the GAN chapter's MLP discriminator on
# the flattened one-hot sequence with Gumbel-softmax, ST or REINFORCE updates. The live run
# below is short (300 steps, one seed). `python benchmarks/gan_beyond_discrete.py`
# repeats it over seeds (each seed draws its own training set and initialisation), which is the
# way to see how much of a difference between two methods is seed noise.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: rank the four models by the share of valid strings and by
# coverage. Which estimator's bias or variance should show up in which figure? And which model
# has no estimator problem at all?
# ```

# %%
results, models, histories = {}, {}, {}
for method in ["mle", "gumbel", "st", "reinforce"]:
    cfg = gb.TokenGANConfig(length=LENGTH, steps=300, seed=0, estimator="gumbel" if method == "mle" else method)
    gen, disc = gb.build_token_models(cfg, seed=0)
    if method == "mle":
        histories[method] = gb.train_mle(gen, data, cfg)
    else:
        histories[method] = gb.train_token_gan((gen, disc), data, cfg)
    samples = gb.sample_strings(gen, 1000, seed=1)
    results[method] = gb.validity_and_diversity(samples)
    models[method] = gen
    r = results[method]
    print(f"{method:9s} valid {r['valid']:.3f}  diversity {r['diversity']:.3f}  coverage {r['coverage']:.3f}"
          f"  | {histories[method].wall_s:.1f} s | e.g. {samples[:3]}")
    for figure in ("valid", "diversity", "coverage"):
        glue(f"gb01_live_{method}_{figure}", r[figure])
random_valid = len(language) / 4**LENGTH
assert results["mle"]["valid"] > 0.7
assert all(r["valid"] > 20 * random_valid for r in results.values())
assert results["gumbel"]["diversity"] < 0.5 * min(results[m]["diversity"] for m in ("mle", "st"))
assert results["st"]["valid"] < results["mle"]["valid"] and results["reinforce"]["coverage"] < results["mle"]["coverage"]
assert all(results["mle"][c] >= results[m][c] for m in ("gumbel", "st", "reinforce") for c in ("coverage", "diversity"))
assert abs(results["reinforce"]["valid"] - results["mle"]["valid"]) < 0.06  # about as valid as MLE

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(6.5, 3))
names = list(results)
x = torch.arange(len(names))
ax.bar(x - 0.2, [results[m]["valid"] for m in names], 0.4, label="valid share")
ax.bar(x + 0.2, [results[m]["coverage"] for m in names], 0.4, label="coverage of the 224 strings")
ax.set_xticks(x.tolist(), names)
ax.set_ylabel("fraction")
ax.set_title("Dyck-2, length 8: 300 training steps, seed 0")
ax.legend(loc="lower right")
plt.tight_layout()

# %% [markdown]
# What to read from it: the teacher-forced MLE model, trained with no adversary at all, is the
# one to beat: it produces valid strings *and* covers the language (coverage
# {glue:text}`gb01_live_mle_coverage:.2f`). On this small problem no GAN variant covers the
# language as well.
# Gumbel-softmax collapses onto a few strings (diversity {glue:text}`gb01_live_gumbel_diversity:.3f`,
# against {glue:text}`gb01_live_mle_diversity:.3f` for MLE), and its discriminator also has an
# easy cue (see the pitfalls). ST keeps the diversity but makes more invalid strings (valid share
# {glue:text}`gb01_live_st_valid:.2f`); REINFORCE, the unbiased estimator, is about as valid as MLE ({glue:text}`gb01_live_reinforce_valid:.2f` against {glue:text}`gb01_live_mle_valid:.2f`)
# but covers a smaller part of the language ({glue:text}`gb01_live_reinforce_coverage:.2f`). This
# matches the experience that text GANs need MLE pre-training (SeqGAN) and careful tuning to
# compete with MLE. One seed and 300 steps: use the benchmark script above before trusting small
# differences.
#
# The training curves say less than the samples: the MLE loss falls steadily, while the GANs'
# discriminator and generator losses move against each other without a target to reach.

# %%
plot_history(histories["mle"], ["nll"])
for method in ("gumbel", "st", "reinforce"):
    plot_history(histories[method], ["d", "g"], smooth=10).suptitle(method, y=1.02)

# %% [markdown]
# The benchmark's committed results do exactly that: {glue:text}`gb01_bench_seeds` seeds at the
# notebook's 300 steps, and as many at five times as many steps
# (`python benchmarks/gan_beyond_discrete.py` runs both). Two reference rows are scored by the same
# code without training: 1,000 of the training strings themselves (what a perfect model would
# score) and 1,000 strings of uniformly random tokens. Mean ± standard deviation over the seeds:

# %%
rows = read_csv_rows(committed_result("gan_beyond_discrete.csv"))
display(Markdown(committed_result("gan_beyond_discrete.md").read_text().split("\n\n")[1]))  # command, date
FIGURES = ("valid", "diversity", "coverage")
REFERENCES = {"data": "reference: training strings", "uniform": "reference: uniform random tokens"}
bench = {}  # (steps, method) -> {figure: (mean, std)}; steps 0 for the references
for steps, m in [(s, m) for s in (300, 1500) for m in ("mle", "gumbel", "st", "reinforce")] + [(0, "data"), (0, "uniform")]:
    sel = [r for r in rows if r["steps"] == steps and r["method"] == m]
    bench[steps, m] = {c: (statistics.fmean(r[c] for r in sel), statistics.stdev(r[c] for r in sel))
                       for c in FIGURES}
    for c in FIGURES:
        glue(f"gb01_bench_{m}_{steps}_{c}", bench[steps, m][c][0])
        glue(f"gb01_bench_{m}_{steps}_{c}_sd", bench[steps, m][c][1])
seeds = glue("gb01_bench_seeds", len([r for r in rows if r["row"] == "mle"]))
gumbel_valid = [r["valid"] for r in rows if r["row"] == "gumbel_1500"]
glue("gb01_bench_gumbel_1500_valid_min", min(gumbel_valid))
glue("gb01_bench_gumbel_1500_valid_max", max(gumbel_valid))
table = [{"steps": s or "–", "method": REFERENCES.get(m, m), **{c: f"{v[c][0]:.3f} ± {v[c][1]:.3f}" for c in FIGURES}}
         for (s, m), v in bench.items()]
display(Markdown(markdown_table(table)))
assert seeds >= 3
assert abs(bench[0, "uniform"]["valid"][0] - random_valid) < 0.005  # the scorer agrees with counting
for steps in (300, 1500):  # the conclusion above must hold on every seed-averaged table
    b = {m: bench[steps, m] for m in ("mle", "gumbel", "st", "reinforce")}
    assert all(b["mle"]["coverage"][0] > b[m]["coverage"][0] for m in ("gumbel", "st", "reinforce"))
    assert b["gumbel"]["diversity"][0] < 0.1 * b["mle"]["diversity"][0]
    assert all(b[m]["valid"][0] > 20 * random_valid for m in b)  # far above random tokens
    assert all(b[m]["valid"][0] <= bench[0, "data"]["valid"][0] == 1 for m in b)
assert all(bench[1500, m]["valid"][0] > bench[300, m]["valid"][0] for m in ("mle", "gumbel", "st", "reinforce"))
assert abs(bench[1500, "reinforce"]["valid"][0] - bench[1500, "mle"]["valid"][0]) < 0.01
assert bench[1500, "reinforce"]["coverage"][1] > 5 * bench[1500, "mle"]["coverage"][1]
assert bench[1500, "mle"]["coverage"][0] > 0.95 * bench[0, "data"]["coverage"][0]

# %% [markdown]
# The reference rows frame the table: the training strings themselves score a coverage of
# {glue:text}`gb01_bench_data_0_coverage:.3f` (1,000 draws from 224 strings miss a few), which MLE
# nearly reaches after 1,500 steps ({glue:text}`gb01_bench_mle_1500_coverage:.3f`); uniformly random
# tokens are valid {glue:text}`gb01_bench_uniform_0_valid:.3f` of the time, close to the
# $224 / 4^8$ counted above.
# Longer training raises every model's mean validity, and REINFORCE then produces valid strings as
# often as MLE ({glue:text}`gb01_bench_reinforce_1500_valid:.3f` against
# {glue:text}`gb01_bench_mle_1500_valid:.3f`); but the ranking by coverage does not change (MLE
# {glue:text}`gb01_bench_mle_1500_coverage:.2f`, REINFORCE
# {glue:text}`gb01_bench_reinforce_1500_coverage:.2f`, ST {glue:text}`gb01_bench_st_1500_coverage:.2f`),
# Gumbel-softmax still collapses onto a handful of strings (diversity
# {glue:text}`gb01_bench_gumbel_1500_diversity:.3f`) and its validity is erratic (from
# {glue:text}`gb01_bench_gumbel_1500_valid_min:.2f` to {glue:text}`gb01_bench_gumbel_1500_valid_max:.2f`
# over the seeds), and REINFORCE's coverage varies strongly from seed to seed (standard deviation
# {glue:text}`gb01_bench_reinforce_1500_coverage_sd:.2f`, against
# {glue:text}`gb01_bench_mle_1500_coverage_sd:.3f` for MLE): on this task maximum likelihood remains
# the better way to fit a sequence model.
#
# ## Common pitfalls
#
# :::{admonition} Pitfall: "the straight-through estimator is a general stabiliser"
# :class: warning
# It is not. ST is a *biased* gradient estimate for discrete outputs: it pretends the
# non-differentiable step was the identity. It adds no stability to a continuous GAN (there is
# nothing to pass "straight through"), and even for discrete outputs its bias can point the
# wrong way. Evidence below: for a nonlinear function $f$ of a one-hot sample, the exact gradient
# of $\mathbb{E}_p[f(h)]$ and the average ST gradient differ; the unbiased REINFORCE estimate
# matches the exact gradient.
# :::

# %%
n = 20000  # the reward r = (h . w)^2 of derivation 2: nonlinear in the one-hot token h
st = [gb.gradient_samples(logit3, reward, "st", n, seed=s).mean(0) for s in range(3)]
rf = [gb.gradient_samples(logit3, reward, "reinforce", n, baseline=baselines["mean reward"], seed=s).mean(0)
      for s in range(3)]
print("exact gradient                  ", exact.numpy().round(3))
print("straight-through, seeds 0, 1, 2 ", [[round(v, 3) for v in g.tolist()] for g in st])
print("REINFORCE,        seeds 0, 1, 2 ", [[round(v, 3) for v in g.tolist()] for g in rf])
assert all((g - exact).abs().max() < 0.1 for g in rf) and all((g - exact).abs().max() > 0.2 for g in st)

# %% [markdown]
# :::{admonition} Pitfall: the discriminator can tell relaxed samples from real tokens
# :class: warning
# Real data are exactly one-hot; Gumbel-softmax samples are not. A discriminator can reject them
# by looking at the largest entry alone, whatever the string says. The cell measures that cue on
# the trained Gumbel generator at the final temperature. ST and REINFORCE show the
# discriminator true one-hot vectors and do not have this problem.
# :::

# %%
cfg = models["gumbel"].cfg
with torch.no_grad():
    _, soft, _ = models["gumbel"].generate(torch.randn(500, cfg.latent_dim), "gumbel", tau=cfg.tau_end)
max_entry = glue("gb01_relaxed_max_entry", float(soft.max(-1).values.mean()))
print(f"mean largest entry of relaxed tokens at tau={cfg.tau_end}: {max_entry:.3f} (real data: 1.000)")
assert max_entry < 0.99

# %% [markdown]
# :::{admonition} Pitfall: "GANs fix exposure bias, so they beat maximum likelihood on text"
# :class: warning
# A widespread claim. On our task, where correctness can be counted, the MLE model of the same
# size is at least as diverse as every GAN variant and covers more of the language; REINFORCE
# matches or slightly exceeds its validity, at a fraction of its coverage (printed above).
# GAN training of discrete generators adds estimator bias or variance on top of the usual GAN
# instabilities; it is worth it only with a reason (a non-likelihood reward, say), and then it
# usually starts from an MLE-trained model.
# :::
#
# ## Summary
#
# - Token sampling has zero gradient almost everywhere; a discriminator's signal needs an
#   estimator to reach a discrete generator.
# - Gumbel-softmax is a biased, low-variance relaxation (the discriminator sees soft vectors);
#   straight-through is biased and shows one-hot vectors; REINFORCE is unbiased but noisy and
#   needs a baseline.
# - Count what you can: on Dyck-2, MLE is the strong baseline; report validity *and* diversity,
#   because a collapsed generator can be 100 % valid.
#
# ## Exercises
#
# ```{exercise} Temperature and collapse
# :label: ex-gan-beyond-temperature
# Train the Gumbel-softmax GAN with a constant temperature (`tau_start = tau_end`) of 2.0 and of
# 0.3. How do validity and diversity change, and why?
# ```
# ```{solution} ex-gan-beyond-temperature
# :class: dropdown
# Use `cfg = gb.TokenGANConfig(length=8, steps=300, tau_start=t, tau_end=t)`,
# `gen, disc = gb.build_token_models(cfg)`, `gb.train_token_gan((gen, disc), data, cfg)` and
# `gb.validity_and_diversity(gb.sample_strings(gen, 1000))`. At a high temperature the relaxed
# vectors are far from one-hot, so the discriminator separates real from fake by "softness"
# alone and its gradient says little about bracket structure: validity stays low. At a low
# temperature the relaxed samples are nearly one-hot, but the gradient's variance grows; the
# generator often settles on a few strings the discriminator accepts (high validity, low
# diversity). Annealing tries to get the good start of the first and the end of the second.
# ```
#
# ```{exercise} Is REINFORCE's baseline only a variance trick?
# :label: ex-gan-beyond-baseline
# Show that subtracting a constant baseline $b$ leaves the REINFORCE gradient unbiased, and
# check numerically with the cell of the first pitfall that the spread of the per-sample
# gradient is smaller with $b = \bar r$ than with $b = 0$.
# ```
# ```{solution} ex-gan-beyond-baseline
# :class: dropdown
# $\mathbb{E}_{x\sim p_\theta}[b\,\nabla_\theta \log p_\theta(x)] = b\,\sum_x \nabla_\theta p_\theta(x)
# = b\,\nabla_\theta \sum_x p_\theta(x) = b\,\nabla_\theta 1 = 0$. Numerically, compute the
# per-sample terms `(reward - b)[:, None] * grad_logp` (with `grad_logp = onehot - probs`, the
# gradient of a log-softmax entry) for `b = 0` and `b = reward.mean()`: their means agree, their
# standard deviation is smaller with the baseline because the rewards here are all positive.
# ```
#
# ```{exercise} Two tokens: the logistic distribution
# :label: ex-gan-beyond-two-tokens
# Pencil and paper. For $V = 2$, show with derivation 1 that token 1 wins with probability
# $\sigma(\ell_1 - \ell_2)$, the logistic sigmoid, and conclude that the difference $g_2 - g_1$ of
# two independent standard Gumbel variables has the logistic distribution function $\sigma$.
# ```
# ```{solution} ex-gan-beyond-two-tokens
# :class: dropdown
# By (3), $P(\text{token 1}) = e^{\ell_1} / (e^{\ell_1} + e^{\ell_2}) = 1 / (1 + e^{-(\ell_1 - \ell_2)})
# = \sigma(\ell_1 - \ell_2)$. Token 1 wins exactly when $g_2 - g_1 < \ell_1 - \ell_2$, so
# $P(g_2 - g_1 < t) = \sigma(t)$ for every $t = \ell_1 - \ell_2$: the logistic distribution. Check
# it numerically: draw `g = -torch.log(-torch.log(torch.rand(100000, 2)))` and compare
# `((g[:, 1] - g[:, 0]) < t).float().mean()` with `torch.sigmoid(torch.tensor(t))` for a few `t`.
# ```
#
# ```{exercise} The best constant baseline
# :label: ex-gan-beyond-best-baseline
# Pencil, then code. (a) Derive (8): differentiate $\mathbb{E}[(r - b)^2 \|e_k - p\|^2]$ with respect
# to $b$. (b) Why does minimising this second moment minimise the variance, whatever $b$?
# (c) Make all rewards negative (`reward = lambda y: -(y @ w3) ** 2 - 1`) and rerun the check of
# derivation 2. Predict first: how does the variance without a baseline change?
# ```
# ```{solution} ex-gan-beyond-best-baseline
# :class: dropdown
# (a) $\frac{d}{db}\mathbb{E}[(r - b)^2 s] = -2\,\mathbb{E}[(r - b) s]$ with $s = \|e_k - p\|^2$; it
# vanishes at $b^* = \mathbb{E}[r s] / \mathbb{E}[s]$, and the second derivative $2\,\mathbb{E}[s]$ is
# positive. (b) The total variance is $\mathbb{E}\|\hat g_b\|^2 - \|\mathbb{E}\hat g_b\|^2$ and the
# mean does not depend on $b$ by (6). (c) The rewards now lie further from zero (between
# $-5$ and $-1.25$ instead of between $0.25$ and $4$), so the variance without a baseline grows,
# while the variance with $\bar r$ or $b^*$ does not change at all: a constant shift of $r$ moves
# $\bar r$ and $b^*$ by the same amount, so $r - b$ is unchanged.
# ```
#
# ```{exercise} Predict, then run: how fast does the spread grow?
# :label: ex-gan-beyond-spread-rate
# The text says the relaxed gradient grows like $1/\tau$. Predict by what factor the spread of one
# draw grows from $\tau = 0.2$ to $\tau = 0.1$, then measure it with
# `gb.gradient_samples(logit3, reward, "gumbel", 20000, tau=t)` (the total standard deviation is
# `est.var(0).sum().sqrt()`). Explain any difference from your prediction.
# ```
# ```{solution} ex-gan-beyond-spread-rate
# :class: dropdown
# A pure $1/\tau$ law predicts a factor 2. The measurement gives less than that: at low
# temperature most draws land very near a corner, where $\operatorname{diag} y - y y^\top$ is
# nearly zero and the gradient vanishes; only the draws in which two of the $\ell_i + g_i$ are
# within about $\tau$ of each other contribute, and those get rarer as $\tau$ falls, while their
# gradients get larger. The second moment therefore grows about like $1/\tau$, and the standard
# deviation roughly like $1/\sqrt{\tau}$: the measured factor lies well below 2, close to $\sqrt 2$.
# ```
#
# ```{exercise} Straight-through on a linear function
# :label: ex-gan-beyond-st-linear
# Show that for a *linear* $f(h) = w \cdot h$ the straight-through estimate equals the exact
# gradient on every single draw, and check it with `gb.gradient_samples(logit3, lambda y: y @ w3,
# "st", 5)`. Why does this not help a GAN, whose discriminator is nonlinear?
# ```
# ```{solution} ex-gan-beyond-st-linear
# :class: dropdown
# The ST value is $h - \operatorname{sg}(p) + p$, so its gradient is that of $w \cdot p$ whatever
# $h$ was drawn: $\nabla_\ell (w \cdot p) = p \odot (w - p \cdot w)$, which is the exact gradient of
# $\mathbb{E}_p[w \cdot h] = w \cdot p$. The five rows returned are identical and equal to
# `gb.exact_gradient(logit3, lambda y: y @ w3)`. A discriminator is a nonlinear function of the
# one-hot sequence; ST evaluates its gradient at the drawn $h$ and applies it to $p$ as if $D$ were
# linear around $h$, which is the bias shown in the first pitfall.
# ```

# %% [markdown]
# Run time of this page on the machine that executed it last:

# %%
print(f"{time.perf_counter() - STARTED:.0f} seconds from the first cell to this one")
