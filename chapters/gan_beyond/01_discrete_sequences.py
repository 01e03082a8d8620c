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
import torch.nn.functional as F
from IPython.display import Markdown, display

from course_lib import gan_beyond as gb
from course_lib.checkpoints import committed_result
from course_lib.notebook import glue, markdown_table, plot_history, read_csv_rows
from course_lib.utils import set_seed

set_seed(0)

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
# A first check of the Gumbel-max trick: class frequencies of the (hardened) Gumbel-softmax
# samples match $p$.

# %%
n = 20000
p = F.softmax(logits.detach()[0], -1)
y = gb.gumbel_softmax(logits.detach().expand(n, -1), tau=0.5, seed=0)
freq = torch.bincount(y.argmax(-1), minlength=4) / n
print("softmax p:          ", p.numpy().round(3))
print("Gumbel-max frequency:", freq.numpy().round(3))
assert (freq - p).abs().max() < 0.02

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
torch.manual_seed(0)
w = torch.tensor([1.0, -2.0, 0.5])
f = lambda h: (h @ w) ** 2  # noqa: E731  a nonlinear function of the one-hot token
logit = torch.tensor([0.3, 0.0, -0.2], requires_grad=True)
probs = F.softmax(logit, -1)
(exact,) = torch.autograd.grad((probs * w**2).sum(), logit)  # E_p f(h) = sum_i p_i w_i^2
n = 20000
probs_n = F.softmax(logit, -1).expand(n, -1)
index = torch.multinomial(probs_n.detach(), 1, generator=torch.Generator().manual_seed(1)).squeeze(1)
h = gb.straight_through(probs_n, index)  # one-hot samples, gradient of the probabilities
(st,) = torch.autograd.grad(f(h).mean(), logit)
idx = h.detach().argmax(-1)
logp = F.log_softmax(logit, -1)[idx]
reward = f(h.detach())
(reinforce,) = torch.autograd.grad(((reward - reward.mean()) * logp).mean(), logit)
print("exact gradient     ", exact.numpy().round(3))
print("straight-through   ", st.numpy().round(3))
print("REINFORCE (n=20000)", reinforce.numpy().round(3))
assert (reinforce - exact).abs().max() < 0.1 < (st - exact).abs().max()

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
