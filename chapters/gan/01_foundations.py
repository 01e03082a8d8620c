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
# # GAN foundations: the game, the optimal discriminator and the training loop
#
# A generative adversarial network (GAN) {cite}`goodfellow2014gan` learns to *sample* from a
# data distribution without ever writing down its density. Two networks play a game: a
# generator turns noise into samples, a discriminator tries to tell them from real data.
#
# **Learning goals.** After this notebook you can
# - write the value function V(D, G) in full and say what each player does with it;
# - derive the optimal discriminator D\* = p_data / (p_data + p_g), and *check* it numerically;
# - explain why the generator is trained with the non-saturating loss, from a plot of gradients;
# - compute GAN losses from logits (BCE-with-logits) and write a correct training loop:
#   two optimizers, `detach`, train/eval modes;
# - recognise the broken patterns that circulate in GAN tutorials;
# - draw the computation graph of one training step, with the two gradient paths, and predict
#   what the ratio of the two learning rates does to the game on a 2-D mixture.
#
# ## Before you start
#
# **Prerequisites.**
# - PyTorch basics: tensors, `nn.Module`, an optimizer step; the
#   [setup page](../setup/working_with_the_course.ipynb) shows how the course's notebooks run.
# - Probability: densities, expectations, and the Kullback–Leibler and Jensen–Shannon divergences
#   as defined on the [notation page](../../notation.md).
# - Binary classification with a sigmoid output and the cross-entropy loss (logistic regression).
#
# **Time.** About an hour to read and to follow the derivation with pencil and paper. Running the
# page took {glue:text}`gan01_cpu_s:.0f` CPU-seconds in the run shown here (measured at the end of
# the page); the small networks train one after the other, so that is roughly the wall time on an
# idle core.
#
# **Further reading.**
# - {cite}`goodfellow2014gan`: the game, the optimal discriminator and the Jensen–Shannon link
#   derived below, and the non-saturating loss.
# - {cite}`arjovsky2017principled`: why the saturating loss starves the generator when the two
#   distributions barely overlap.
# - {cite}`salimans2016improved`: feature matching, minibatch discrimination, historical averaging,
#   one-sided label smoothing (the next notebook measures some of them).
# - {cite}`heusel2017gans`: two time-scale learning rates for the two players, and the FID.
# - {cite}`arjovsky2017wgan`: the Wasserstein GAN, a different divergence for the same game.
#
# ## The first cell of every notebook

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
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import gan
from course_lib.data import ring_mixture
from course_lib.metrics import mode_report
from course_lib.notebook import glue, use_course_style
from course_lib.teaching import knobs
from course_lib.utils import set_seed

set_seed(0)
use_course_style()
page_cpu = time.process_time()

# %% [markdown]
# ## Counterfeiters and police, then the real thing
#
# The usual picture: the generator G is a counterfeiter printing banknotes, the discriminator
# D is the police checking them. The police learn from real notes and from seized fakes; the
# counterfeiter learns only from the police's verdicts. If both keep improving, the fakes end
# up indistinguishable from real notes.
#
# The picture hides what is actually optimised. With noise z ~ p_z (a standard Gaussian
# here), a generator G(z) and a discriminator D(x) ∈ (0, 1) that outputs the probability
# that x is real, the **value function** is
#
# $$
# V(D, G) = \mathbb{E}_{x \sim p_\text{data}}\big[\log D(x)\big]
#         + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big],
# \qquad \min_G \max_D V(D, G).
# $$
#
# The discriminator **maximises** V: log D(x) on real data *plus* log(1 − D(G(z))) on fakes,
# i.e. it is a binary classifier with label 1 for real and 0 for fake, trained with
# cross-entropy. The generator minimises the same V; only the second term depends on it.
# Neither network is shown "the right answer" for a given z: the generator never sees a
# real sample, only D's verdict.
#
# ## The optimal discriminator, step by step
#
# Fix G and write p_g for the density of the generated samples G(z). Each step below is checked
# numerically in the next cells.
#
# **Step 1: the value function as one integral.** Write both expectations as integrals:
#
# $$
# V(D, G) = \int p_\text{data}(x)\log D(x)\,dx + \int p_z(z)\log\big(1 - D(G(z))\big)\,dz. \tag{1}
# $$
#
# **Step 2: change variables in the second term.** x = G(z) has density p_g, and the expectation
# of a function of G(z) is the expectation of the same function of x under p_g:
#
# $$
# V(D, G) = \int \Big[p_\text{data}(x)\log D(x) + p_g(x)\log\big(1 - D(x)\big)\Big]\,dx. \tag{2}
# $$
#
# **Step 3: maximise pointwise.** D can take any value in (0, 1) at every x independently, so
# maximise the integrand at each x. With $a = p_\text{data}(x)$ and $b = p_g(x)$ (not both 0),
# $f(y) = a\log y + b\log(1-y)$ has $f'(y) = a/y - b/(1-y)$, zero at $y = a/(a+b)$, and
# $f''(y) = -a/y^2 - b/(1-y)^2 < 0$, so that zero is the maximum:
#
# $$
# D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}. \tag{3}
# $$
#
# **Step 4: substitute D\* back.** The generator then faces the *virtual training criterion*
#
# $$
# C(G) = \max_D V(D, G)
#      = \mathbb{E}_{x \sim p_\text{data}}\Big[\log \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}\Big]
#      + \mathbb{E}_{x \sim p_g}\Big[\log \frac{p_g(x)}{p_\text{data}(x) + p_g(x)}\Big]. \tag{4}
# $$
#
# **Step 5: bring in the mixture.** With $m = \tfrac12(p_\text{data} + p_g)$, each denominator is
# $2m$, and $\log\frac{p}{2m} = \log\frac{p}{m} - \log 2$; each expectation is then a KL divergence
# less log 2:
#
# $$
# C(G) = -\log 4 + \mathrm{KL}(p_\text{data} \,\|\, m) + \mathrm{KL}(p_g \,\|\, m). \tag{5}
# $$
#
# **Step 6: name it.** The Jensen–Shannon divergence is
# $\mathrm{JSD}(p\|q) = \tfrac12 \mathrm{KL}(p\|m) + \tfrac12 \mathrm{KL}(q\|m)$, so
#
# $$
# C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g). \tag{6}
# $$
#
# JSD ≥ 0, with equality only when p_g = p_data. So *against an optimal discriminator* the
# generator minimises the JSD; the minimum, C = −log 4, is reached exactly at p_g = p_data, where
# D\* = 1/2 everywhere.
#
# ### Checking each step on a grid
#
# Take 1-D densities: real data N(0, 1) and a fixed "generator" N(1.5, 0.7²). On a fine grid the
# integrals are sums. The cell checks step 3 by brute force (the best of 999 values of D at each
# of 200 points, against `gan.optimal_discriminator`), step 4 by showing that moving D away from
# D\* lowers V, and step 6 by comparing V(D\*, G) with −log 4 + 2 JSD.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: if D is nudged from D\* by +0.05 everywhere, by how much should V
# drop: to first order, or only to second order in the nudge? Why?
# ```

# %%
p_data = torch.distributions.Normal(0.0, 1.0)
p_g = torch.distributions.Normal(1.5, 0.7)
grid = torch.linspace(-10, 10, 20_001, dtype=torch.float64)
dx = float(grid[1] - grid[0])
pd_, pg_ = p_data.log_prob(grid).exp(), p_g.log_prob(grid).exp()
d_star_grid = gan.optimal_discriminator(pd_, pg_)  # eq. (3)


def value(d):  # eq. (2) as a Riemann sum; D kept inside (0, 1), where the logs are finite
    d = d.clamp(1e-15, 1 - 1e-15)
    return float((torch.xlogy(pd_, d) + torch.xlogy(pg_, 1 - d)).sum() * dx)


# step 3: brute-force maximiser of a log y + b log(1 - y) at 200 points
points = torch.linspace(5000, 15000, 200).long()  # x from -5 to 5
ys = torch.linspace(0.001, 0.999, 999, dtype=torch.float64)
objective = pd_[points, None] * ys.log() + pg_[points, None] * (1 - ys).log()  # (200, 999)
step3_err = (ys[objective.argmax(1)] - d_star_grid[points]).abs().max().item()
# step 4: V at D* against V at D* nudged (kept inside (0, 1))
v_star = value(d_star_grid)
nudges = {delta: value(d_star_grid + delta) for delta in (-0.05, -0.01, 0.01, 0.05)}
# steps 5 and 6: the JSD by quadrature
m_ = (pd_ + pg_) / 2
jsd = 0.5 * (torch.xlogy(pd_, pd_ / m_).sum() + torch.xlogy(pg_, pg_ / m_).sum()).item() * dx
print(f"step 3: largest gap between the brute-force maximiser and D* = {step3_err:.4f} (the grid of D: 0.001)")
for delta, v in nudges.items():
    print(f"step 4: V(D* {delta:+.2f}) = {v:.5f}  <  V(D*) = {v_star:.5f}   drop {v_star - v:.5f}")
print(f"step 6: V(D*, G) = {v_star:.6f},  -log 4 + 2 JSD = {-math.log(4) + 2 * jsd:.6f}  (JSD = {jsd:.4f} nats)")
glue("gan01_v_star", v_star)
glue("gan01_jsd", jsd)
glue("gan01_drop_small", v_star - nudges[0.01])
glue("gan01_drop_large", v_star - nudges[0.05])
glue("gan01_drop_ratio", (v_star - nudges[0.05]) / (v_star - nudges[0.01]))
assert step3_err < 0.0011 and all(v < v_star for v in nudges.values())  # D* beyond 0.999: off the grid
assert abs(v_star - (-math.log(4) + 2 * jsd)) < 1e-6

# %% [markdown]
# V(D\*, G) = {glue:text}`gan01_v_star:.4f` nats matches −log 4 + 2 JSD with JSD =
# {glue:text}`gan01_jsd:.4f` nats. The drops answer the Think! box: nudging D by 0.01 costs
# {glue:text}`gan01_drop_small:.6f` nats and by 0.05 costs {glue:text}`gan01_drop_large:.5f`,
# {glue:text}`gan01_drop_ratio:.1f` times more for five times the nudge: the drop grows with the
# square of the nudge (5² = 25), as it must at a maximum, where the first derivative vanishes.
#
# ### A trained discriminator finds D\*
#
# The same two densities, but now a small discriminator is *trained* on fresh samples of both,
# as in a GAN, and compared with the formula (3).
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: where on the x axis do you expect the trained D to disagree most
# with D\*, and why there?
# ```

# %%
torch.manual_seed(0)
disc = nn.Sequential(
    nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1)
)
opt = torch.optim.Adam(disc.parameters(), lr=3e-3)
for _ in range(400):
    real = p_data.sample((256, 1))
    fake = p_g.sample((256, 1))
    loss = gan.discriminator_loss(disc(real), disc(fake))  # logits in, BCE out
    opt.zero_grad()
    loss.backward()
    opt.step()

x = torch.linspace(-3, 4, 281).unsqueeze(1)
with torch.no_grad():
    d_trained = torch.sigmoid(disc(x)).squeeze(1)
d_star = gan.optimal_discriminator(p_data.log_prob(x).exp(), p_g.log_prob(x).exp()).squeeze(1)

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(x, p_data.log_prob(x).exp(), "k:", label="p_data = N(0, 1)")
ax.plot(x, p_g.log_prob(x).exp(), "C1:", label="p_g = N(1.5, 0.7²)")
ax.plot(x, d_star, "C0", lw=3, alpha=0.5, label="D* = p_data / (p_data + p_g)")
ax.plot(x, d_trained, "C3--", label="trained D (400 steps)")
ax.set(xlabel="x", ylabel="density / probability real", title="Trained discriminator vs the formula")
ax.legend(fontsize=8)
plt.show()

# compare where either distribution has mass (outside, D is extrapolating)
mask = (p_data.log_prob(x).exp() + p_g.log_prob(x).exp()).squeeze(1) > 0.05
err = (d_trained - d_star)[mask].abs()
print(f"|D - D*| on the support: mean {err.mean():.3f}, max {err.max():.3f}")
assert err.mean() < 0.05, "the trained discriminator should match D* where the data live"

# %% [markdown]
# The trained discriminator lands on the formula where there is data to learn from; in the
# tails, where almost no samples fall, it extrapolates.
#
# The Jensen–Shannon link can be checked the same way: estimate V(D, G) with the trained D on
# fresh samples and compare with −log 4 + 2 JSD, the JSD integrated numerically on a grid.

# %%
with torch.no_grad():
    real, fake = p_data.sample((100_000, 1)), p_g.sample((100_000, 1))
    v_trained = (F.logsigmoid(disc(real)).mean() + F.logsigmoid(-disc(fake)).mean()).item()
grid = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
pd_, pg_ = p_data.log_prob(grid).exp(), p_g.log_prob(grid).exp()
m_ = (pd_ + pg_) / 2
dx = float(grid[1] - grid[0])
jsd = 0.5 * (torch.xlogy(pd_, pd_ / m_).sum() + torch.xlogy(pg_, pg_ / m_).sum()).item() * dx
v_theory = -math.log(4) + 2 * jsd
print(f"V(trained D, G) = {v_trained:.4f}   -log 4 + 2 JSD = {v_theory:.4f}  (JSD = {jsd:.4f} nats)")
assert abs(v_trained - v_theory) < 0.02

# %% [markdown]
# The trained D matches the value that the theory predicts, within the Monte-Carlo error of the
# estimate (both printed above). No discriminator beats D\* in expectation, but a sample mean
# can land slightly on either side of the bound.
#
# ## Saturating vs non-saturating generator loss
#
# Minimising $\mathbb{E}\log(1 - D(G(z)))$ (the **saturating** loss, straight from V) has a
# problem early in training: fakes are bad, D rejects them, D(G(z)) ≈ 0, and the loss is flat
# there. Goodfellow et al. {cite}`goodfellow2014gan` propose the **non-saturating** loss
# $-\mathbb{E}\log D(G(z))$: same fixed point, but steep where D rejects the fakes. With the
# logit $l$ (so $D = \sigma(l)$) the gradients are
#
# $$
# \frac{\partial}{\partial l}\log(1-\sigma(l)) = -\sigma(l) = -D,
# \qquad
# \frac{\partial}{\partial l}\big(-\log\sigma(l)\big) = -(1-\sigma(l)) = -(1-D).
# $$
#
# The library's loss functions, differentiated by autograd.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: for a fake that D rejects with D(G(z)) = 0.001, roughly how many
# times larger is the non-saturating gradient than the saturating one?
# ```

# %%
logits = torch.linspace(-8, 8, 401, requires_grad=True)
(grad_sat,) = torch.autograd.grad(gan.g_loss_saturating(logits) * len(logits), logits)
(grad_ns,) = torch.autograd.grad(gan.g_loss_nonsaturating(logits) * len(logits), logits)
d_fake = torch.sigmoid(logits.detach())

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(d_fake, grad_sat.abs(), label="saturating: log(1 - D(G(z)))")
ax.plot(d_fake, grad_ns.abs(), label="non-saturating: -log D(G(z))")
ax.set(xlabel="D(G(z)) (discriminator's probability that the fake is real)",
       ylabel="|dL_G / d logit|", title="Generator gradient per sample")
ax.legend()
plt.show()
i = 0  # most confidently rejected fake on the grid
print(f"at D(G(z)) = {d_fake[i]:.1e}: saturating |grad| = {grad_sat[i].abs():.1e}, "
      f"non-saturating |grad| = {grad_ns[i].abs():.3f}")
assert grad_sat[i].abs() < 1e-3 < 0.99 < grad_ns[i].abs()

# %% [markdown]
# ## BCE-with-logits in code
#
# The discriminator network outputs a **logit** (no sigmoid layer), and every loss uses the
# stable identities $\log\sigma(l) = -\mathrm{softplus}(-l)$ and
# $\log(1 - \sigma(l)) = -\mathrm{softplus}(l)$, which is what
# `F.binary_cross_entropy_with_logits` does inside `gan.discriminator_loss`. Putting a sigmoid in the
# network and taking logs afterwards rounds to log(0) for confident outputs:

# %%
lg = torch.tensor([-120.0, -20.0, 0.0, 20.0])
naive = -torch.log(1 - torch.sigmoid(lg))  # loss of a *fake* with logit lg
stable = F.binary_cross_entropy_with_logits(lg, torch.zeros_like(lg), reduction="none")
print("logit                 ", lg.tolist())
print("naive  -log(1-sigmoid)", naive.tolist())
print("stable softplus       ", stable.tolist())
assert torch.isinf(naive[-1]) and torch.isfinite(stable).all()

# %% [markdown]
# ## A minimal, correct training loop
#
# Target: real data N(2, 0.5²) in 1-D; the generator maps z ~ N(0, 1) through a small MLP.
# Read the loop line by line: it is the whole algorithm.
#
# 1. **Two optimizers**, one per network, each given only its own network's parameters.
# 2. **Discriminator step**: real batch and a fake batch; the fakes are `detach`ed, so the
#    discriminator's loss cannot reach the generator.
# 3. **Generator step**: fresh fakes, *not* detached: the gradient flows through D into G.
#    Only G's optimizer steps; D's gradients filled by this backward pass are cleared by
#    `opt_d.zero_grad()` before D's next step.
# 4. Both networks in **train mode** while training, **eval mode** when sampling (matters for
#    batch norm and dropout, as in the DCGAN later).

# %%
torch.manual_seed(0)
G = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
D = nn.Sequential(
    nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1)
)
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
target = torch.distributions.Normal(2.0, 0.5)

G.train()
D.train()
for _ in range(800):
    # discriminator: maximise log D(x) + log(1 - D(G(z)))
    real = target.sample((256, 1))
    fake = G(torch.randn(256, 1)).detach()  # (256, 1); no gradient into G
    loss_d = gan.discriminator_loss(D(real), D(fake))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    # generator: non-saturating loss -log D(G(z)) on fresh noise
    loss_g = gan.g_loss_nonsaturating(D(G(torch.randn(256, 1))))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()

G.eval()
with torch.no_grad():
    samples = G(torch.randn(20_000, 1)).squeeze(1)
print(f"generated: mean {samples.mean():.3f}, std {samples.std():.3f}  (target 2.000, 0.500); "
      f"final D loss {loss_d.item():.3f} (2 log 2 = {2 * math.log(2):.3f} at equilibrium)")
# the location is learned; the spread is often too narrow after short training (next notebook)
assert abs(samples.mean() - 2.0) < 0.2 and 0.1 < samples.std() < 0.8

# %% [markdown]
# The same loop lives in the library as `course_lib.gan.train_gan((G, D), data, config)`, with
# the stabilisers of the next notebook as options of its `GANTrainConfig`; `gan.build_gan`
# makes the pair of networks of a config. Later chapters call it instead of re-typing the loop:

# %%
cfg = gan.MLPConfig(data_dim=1, latent_dim=1, g_hidden=32, g_layers=2, d_hidden=32, d_layers=2)
G2, D2 = gan.build_gan(cfg, seed=0)
data = target.sample((20_000, 1))
hist = gan.train_gan((G2, D2), data, gan.GANTrainConfig(steps=800, batch_size=256))
s2 = gan.sample(G2, 20_000, seed=1).squeeze(1)
print(f"train_gan: mean {s2.mean():.3f}, std {s2.std():.3f} in {hist.wall_s:.1f} s wall")
assert abs(s2.mean() - 2.0) < 0.2 and 0.1 < s2.std() < 0.8

fig, ax = plt.subplots(figsize=(6, 3))
bins = torch.linspace(0, 4, 81)
ax.hist(data.squeeze(1), bins=bins, density=True, alpha=0.4, label="real N(2, 0.5²)")
ax.hist(s2, bins=bins, density=True, histtype="step", lw=2, label="generated (train_gan)")
ax.set(xlabel="x", ylabel="density", title="1-D GAN after 800 steps")
ax.legend()
plt.show()

# %% [markdown]
# ## The game on a 2-D mixture: one training step as a graph
#
# The rest of the chapter trains on 2-D mixtures, where every sample can be seen. The ring: eight
# Gaussians on a circle of radius 1, here with a standard deviation of 0.05 (the next notebook
# uses the benchmark's sharper 0.01). The networks are MLPs with two hidden layers of 64 units;
# the diagram below is drawn from them, and every shape on it was measured by running one batch
# of 128 real ring samples and 128 noise vectors through them.
#
# Read the two gradient paths. In the **discriminator step** the fakes enter through `detach()`,
# so the gradient of L_D stops at D's weights. In the **generator step** the gradient of L_G
# flows back *through* D into G; D's weights get gradients too, but only G's optimizer steps,
# and `opt_d.zero_grad()` clears them before D's next step.

# %%
RING_STD = 0.05
ring, ring_centers = ring_mixture(20_000, std=RING_STD, seed=0)
ring_scale = float(ring.std())  # the networks see ring / ring_scale
NET = gan.MLPConfig(g_hidden=64, d_hidden=64, g_layers=2, d_layers=2)
fig = gan.draw_gan_graph(gan.build_gan(NET, seed=0), ring[:128] / ring_scale)
plt.show()

# %% [markdown]
# ## How fast should each player learn?
#
# Nothing in the game says the two players must learn at the same speed. The cell below trains
# the pair on the ring for 500 steps (batch 128, Adam with betas (0.5, 0.999), lr_G = 1e-3 decayed
# linearly to 0) with the discriminator's learning rate set to a *ratio* times the generator's.
# Each panel shows 2,500 samples (red) over D's verdict, the probability D(x) that a point is
# real (shaded), with the eight modes marked; the title reports the modes that received at
# least one sample within 3σ of their centre, and the share of such high-quality samples.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: with lr_D = lr_G / 5, D adapts slowly to where the fakes are.
# Will the generator spread over the ring, or gather in one place? And with lr_D = 25 lr_G?
# ```

# %%
def ring_game(ratio: float, steps: int = 500, seed: int = 0):
    """Train the ring GAN with lr_D = ratio * lr_G; return (G, D, samples in data units, report)."""
    g, d = gan.build_gan(NET, seed=seed)
    cfg = gan.GANTrainConfig(steps=steps, batch_size=128, lr=1e-3, lr_d=ratio * 1e-3, lr_decay=True, seed=seed)
    gan.train_gan((g, d), ring / ring_scale, cfg)
    samples = gan.sample(g, 2500, seed=1) * ring_scale  # (2500, 2)
    return g, d, samples, mode_report(samples, ring_centers, RING_STD)


def draw_ring_game(ratio: float, steps: int = 500, ax=None) -> dict:
    """One panel: D's probability of 'real' over the plane, the samples and the modes."""
    _, d, samples, report = ring_game(ratio, steps)
    ax = ax or plt.subplots(figsize=(4.5, 4))[1]
    axis = torch.linspace(-2.2, 2.2, 111)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    with torch.no_grad():
        prob = torch.sigmoid(d(torch.stack([xx.flatten(), yy.flatten()], 1) / ring_scale)).view(111, 111)
    ax.imshow(prob, extent=(-2.2, 2.2, -2.2, 2.2), origin="lower", cmap="cividis", vmin=0, vmax=1)
    ax.scatter(*samples.T, s=1, c="C3", alpha=0.5)
    ax.scatter(*ring_centers.T, marker="x", c="white", s=30)
    ax.set(xlabel="x₁ (data units)", ylabel="x₂ (data units)", aspect="equal", xlim=(-2.2, 2.2), ylim=(-2.2, 2.2))
    ax.set_title(f"lr_D = {ratio:.3g} × lr_G, {steps} steps:\n"
                 f"{report['modes']:.0f}/8 modes, HQ {100 * report['hq']:.0f} %", fontsize=9)
    return report


# %% tags=["hide-input"]
RATIOS = (0.2, 1.0, 5.0, 25.0)
fig, axes = plt.subplots(1, 4, figsize=(13, 3.9), sharey=True)
static = {ratio: draw_ring_game(ratio, ax=ax) for ratio, ax in zip(RATIOS, axes, strict=True)}
for ax in axes[1:]:
    ax.set_ylabel("")
fig.colorbar(axes[0].images[0], ax=axes, shrink=0.8, label="D(x): probability real")
fig.suptitle("The same GAN, four learning-rate ratios (one run each, seed 0)")
plt.show()
for ratio, report in static.items():
    print(f"lr_D = {ratio:4g} x lr_G: {report['modes']:.0f}/8 modes, HQ {100 * report['hq']:5.1f} %, "
          f"KL from uniform {report['kl']:.2f} nats")
    glue(f"gan01_ratio_{ratio:g}_modes".replace(".", "_"), report["modes"])
# one run each (seed 0); the next notebook repeats the ratios over three seeds and both losses
assert static[5.0]["modes"] >= 6 and static[0.2]["modes"] <= 3, static

# %% [markdown]
# In this run the slowest discriminator (lr_D = lr_G / 5) leaves the generator on
# {glue:text}`gan01_ratio_0_2_modes:.0f` of the 8 modes, while lr_D = 5 lr_G reaches
# {glue:text}`gan01_ratio_5_modes:.0f`. One way to read the shading: a slow D still rewards the
# region the generator has already crowded, so G has no reason to leave it; a fast D turns against
# a crowded region quickly, and its verdict pushes the fakes towards the modes nobody covers. These
# are single runs: the [next notebook](02_mode_collapse_and_stabilisers.ipynb) repeats the ratios
# over three seeds and with both generator losses, to separate the causes of mode collapse.
#
# The sliders below retrain the same GAN for the ratio 10^(log10_ratio) and a number of steps you
# choose (about a second per run on a CPU). They need a running kernel (Colab or local Jupyter);
# the website shows the static figure above.

# %%
def explore(log10_ratio: float = 0.0, steps: int = 500) -> None:
    fig, ax = plt.subplots(figsize=(4.8, 4))
    draw_ring_game(10**log10_ratio, steps, ax=ax)
    fig.colorbar(ax.images[0], ax=ax, shrink=0.8, label="D(x): probability real")
    plt.show()


knobs(explore, log10_ratio=(-1.0, 1.5, 0.25, 0.0), steps=(100, 1000, 100, 500))

# %% [markdown]
# ## Common pitfalls
#
# Each box corrects a claim or a code pattern found in circulating GAN write-ups, with
# evidence you can run.
#
# :::{admonition} A discriminator trained on one label only learns nothing
# :class: warning
# Some tutorials feed the discriminator only real samples labelled 1 (or only fakes labelled 0).
# A classifier that only ever sees one class learns to answer "real": its loss goes to zero,
# it accepts fakes of the wrong shape as readily as real data, and its verdict carries no
# information for the generator.
# :::

# %%
torch.manual_seed(0)
D_bad = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt_bad = torch.optim.Adam(D_bad.parameters(), lr=1e-2)
for _ in range(200):
    logit_real = D_bad(target.sample((256, 1)))
    loss = F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))  # real only
    opt_bad.zero_grad()
    loss.backward()
    opt_bad.step()
with torch.no_grad():
    wrong_fakes = 1 + 2 * torch.rand(1000, 1)  # uniform on [1, 3]: the wrong shape, not N(2, 0.5²)
    p_fake = torch.sigmoid(D_bad(wrong_fakes)).mean().item()
print(f"loss {loss.item():.2e}; D says P(real) = {p_fake:.3f} on average for the uniform fakes")
assert p_fake > 0.99

# %% [markdown]
# :::{admonition} Sigmoid outputs fed to a loss that expects logits
# :class: warning
# `BCEWithLogitsLoss` / `from_logits=True` apply the sigmoid themselves. Feeding them a
# probability applies it twice: a perfectly confident discriminator then still has loss
# above log(1 + e^{-1}) ≈ 0.31, and the gradients are squashed. Below, the gradient of the
# real-sample loss with respect to the network's raw score, correct vs double sigmoid.
# :::

# %%
raw = torch.tensor([-6.0, -2.0, 0.0, 2.0, 6.0], requires_grad=True)
ones = torch.ones_like(raw)
(g_right,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(raw, ones, reduction="sum"), raw)
wrong = F.binary_cross_entropy_with_logits(torch.sigmoid(raw), ones, reduction="sum")
(g_wrong,) = torch.autograd.grad(wrong, raw)
loss_wrong = F.binary_cross_entropy_with_logits(torch.sigmoid(torch.tensor(50.0)), torch.tensor(1.0))
print("score             ", raw.tolist())
print("grad, logits in   ", [round(v, 4) for v in g_right.tolist()])
print("grad, sigmoid in  ", [round(v, 4) for v in g_wrong.tolist()])
print(f"loss of a certain, correct D with the double sigmoid: {loss_wrong:.3f}")
assert (g_wrong.abs() < g_right.abs()).all() and loss_wrong > 0.3

# %% [markdown]
# :::{admonition} The discriminator maximises log D(x) + log(1 − D(G(z)))
# :class: warning
# It does **not** "maximise the probability of generated samples": it pushes D(G(z)) *down*
# (fakes labelled 0) and D(x) up. Only the generator wants D(G(z)) high. In the first loop
# above, `discriminator_loss(D(real), D(fake))` is exactly −V for the batch.
# :::
#
# :::{admonition} A generator is not an encoder plus a decoder, and does not minimise MSE to real samples
# :class: warning
# The generator has no encoder: it maps noise to data and learns only through D's verdict.
# Training it to minimise a squared error to real samples (with no pairing between z and x)
# has a known optimum: output the **mean** of the data for every z, a complete collapse. An
# encoder plus a decoder trained by MSE (an autoencoder) is no generator either: it reconstructs
# its inputs, but nothing makes its decoder turn *noise* into data. On a two-mode target, the
# cells train the three (same small networks, a few seconds each) and count the samples that land
# within 0.3 of a mode.
# :::

# %%
torch.manual_seed(0)
two_modes = torch.cat([torch.randn(4000, 1) * 0.1 - 2, torch.randn(4000, 1) * 0.1 + 2])
G_mse = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 1))
opt_mse = torch.optim.Adam(G_mse.parameters(), lr=1e-2)
for _ in range(300):
    x_real = two_modes[torch.randint(len(two_modes), (256,))]
    loss = F.mse_loss(G_mse(torch.randn(256, 1)), x_real)  # "distance to real samples"
    opt_mse.zero_grad()
    loss.backward()
    opt_mse.step()
with torch.no_grad():
    out = G_mse(torch.randn(5000, 1))
print(f"data modes at -2 and +2; MSE-trained generator: mean {out.mean():.2f}, std {out.std():.2f}")
assert out.abs().mean() < 0.5 and out.std() < 0.5  # sits between the modes, no spread

# %%
torch.manual_seed(0)
enc = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 1))
dec = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 1))
opt_ae = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-2)
for _ in range(300):
    x_real = two_modes[torch.randint(len(two_modes), (256,))]
    loss = F.mse_loss(dec(enc(x_real)), x_real)  # reconstruction: an encoder plus a decoder
    opt_ae.zero_grad()
    loss.backward()
    opt_ae.step()
G_adv, D_adv = gan.build_gan(cfg, seed=0)  # the 1-D networks above, trained adversarially
gan.train_gan((G_adv, D_adv), two_modes, gan.GANTrainConfig(steps=800, batch_size=256))
with torch.no_grad():
    outputs = {"generator trained by MSE": out, "autoencoder's decoder on noise": dec(torch.randn(5000, 1)),
               "GAN generator": gan.sample(G_adv, 5000, seed=1)}
    ae_rec = F.mse_loss(dec(enc(two_modes)), two_modes).item()
on_mode = {}
for name, o in outputs.items():
    on_mode[name] = ((o + 2).abs() < 0.3).float().mean().item(), ((o - 2).abs() < 0.3).float().mean().item()
    print(f"{name:32s}: {100 * on_mode[name][0]:5.1f} % near -2, {100 * on_mode[name][1]:5.1f} % near +2, "
          f"mean {o.mean():+.2f}, std {o.std():.2f}")
print(f"(the autoencoder reconstructs its inputs with MSE {ae_rec:.4f})")
for key, name in (("mse", "generator trained by MSE"), ("ae", "autoencoder's decoder on noise"), ("gan", "GAN generator")):
    glue(f"gan01_{key}_on_mode", 100 * sum(on_mode[name]))
glue("gan01_gan_mode_minus", 100 * on_mode["GAN generator"][0])
glue("gan01_gan_mode_plus", 100 * on_mode["GAN generator"][1])
assert sum(on_mode["generator trained by MSE"]) < 0.05 and sum(on_mode["autoencoder's decoder on noise"]) < 0.3
assert sum(on_mode["GAN generator"]) > 0.9

fig, ax = plt.subplots(figsize=(7, 3))
bins = torch.linspace(-3, 3, 121)
ax.hist(two_modes.squeeze(1), bins=bins, density=True, alpha=0.3, label="data")
for name, o in outputs.items():
    ax.hist(o.squeeze(1), bins=bins, density=True, histtype="step", lw=1.5, label=name)
ax.set(xlabel="x", ylabel="density", title="Two modes: what each training objective generates")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The generator trained by MSE puts {glue:text}`gan01_mse_on_mode:.1f` % of its samples near a mode:
# it outputs the average, which is no sample at all. The autoencoder's decoder, fed noise, puts
# {glue:text}`gan01_ae_on_mode:.1f` % there: it learned to undo its encoder, not to map noise to
# data. The adversarially trained generator puts {glue:text}`gan01_gan_on_mode:.1f` % of its
# samples on a mode. In this short run they all sit on *one* mode
# ({glue:text}`gan01_gan_mode_minus:.1f` % near −2, {glue:text}`gan01_gan_mode_plus:.1f` % near +2):
# the adversarial objective rewards realistic samples, and dropping a mode is its failure, mode
# collapse, the subject of the next notebook. It does not average.

# %% [markdown]
# :::{admonition} ReLU alone does not cure the generator's vanishing gradient
# :class: warning
# The vanishing gradient of the saturating loss is a property of the *loss*: its derivative
# with respect to D's logit is −D(G(z)), whatever activations the generator uses (the plot
# above). The non-saturating loss, or a Wasserstein critic (next notebook), fixes it. The
# straight-through estimator is a trick for back-propagating through *discrete* samples (text,
# see the sequence-GAN chapters), not a general stabiliser. The cell trains a discriminator
# until it confidently rejects the fakes of three untrained generators that differ only in
# their activation (ReLU, tanh, sigmoid), then measures the norm of each generator's parameter
# gradient under the two losses.
# :::

# %%
def generator_with(act):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(1, 32), act(), nn.Linear(32, 32), act(), nn.Linear(32, 1))


gens = {"ReLU": generator_with(nn.ReLU), "tanh": generator_with(nn.Tanh), "sigmoid": generator_with(nn.Sigmoid)}
torch.manual_seed(0)
D_conf = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt_conf = torch.optim.Adam(D_conf.parameters(), lr=1e-3)
for _ in range(300):  # D learns to reject the fakes of all three generators
    fakes = torch.cat([g(torch.randn(86, 1)) for g in gens.values()]).detach()
    loss = gan.discriminator_loss(D_conf(target.sample((256, 1))), D_conf(fakes))
    opt_conf.zero_grad()
    loss.backward()
    opt_conf.step()
z = torch.randn(1024, 1, generator=torch.Generator().manual_seed(1))
grad_norm = {}
for name, g in gens.items():
    for lname, loss_fn in (("saturating", gan.g_loss_saturating), ("non-saturating", gan.g_loss_nonsaturating)):
        grads = torch.autograd.grad(loss_fn(D_conf(g(z))), list(g.parameters()))
        grad_norm[name, lname] = torch.sqrt(sum(x.pow(2).sum() for x in grads)).item()
    d_fake = torch.sigmoid(D_conf(g(z))).mean().item()
    print(f"{name:8s} generator: D(G(z)) = {d_fake:.4f}; gradient norm saturating "
          f"{grad_norm[name, 'saturating']:.4f}, non-saturating {grad_norm[name, 'non-saturating']:.2f}")
ratios = [grad_norm[n, "non-saturating"] / grad_norm[n, "saturating"] for n in gens]
glue("gan01_relu_sat_grad", grad_norm["ReLU", "saturating"])
glue("gan01_relu_ns_grad", grad_norm["ReLU", "non-saturating"])
glue("gan01_min_grad_ratio", min(ratios))
assert min(ratios) > 10  # whatever the activation, the saturating loss starves the generator

# %% [markdown]
# With a ReLU generator the saturating loss gives a gradient of norm
# {glue:text}`gan01_relu_sat_grad:.3f` and the non-saturating loss one of
# {glue:text}`gan01_relu_ns_grad:.1f`; for every activation the non-saturating gradient is at least
# {glue:text}`gan01_min_grad_ratio:.1f` times larger. Changing the generator's activation does not
# touch the factor D(G(z)) that makes the saturating gradient vanish.
#
# :::{admonition} GANs have no recurrent connections
# :class: warning
# A GAN is a training scheme, not an architecture. The networks here are feed-forward; a
# sequence GAN may *use* a recurrent generator, but nothing in the adversarial game is
# recurrent, and GANs are not trained "with WaveNet's recurrence" (WaveNet is an
# autoregressive likelihood model, trained by maximum likelihood).
# :::
#
# :::{admonition} Broken code patterns
# :class: warning
# - `nn.Linear` (Keras `Dense`) applied to a 4-D tensor does not flatten it: it acts on the
#   last axis only. Flatten first (`nn.Flatten()`), as `DCGANDiscriminator` does.
# - A transposed convolution needs its number of output filters: `nn.ConvTranspose2d(in, out,
#   kernel)`; leaving it out is an error, not a default.
# - Losses are computed on a batch's outputs, `loss(D(x_batch))`, not on a model object or a
#   symbolic graph.
# - A GAN has exactly two optimizers, one per network. A single optimizer over both networks
#   would let the generator's loss also move D, *helping* the counterfeiter; an extra "third
#   optimizer" in some scripts is simply undefined.
#
# The two patterns of the other boxes (sigmoid into a loss that expects logits, a discriminator
# trained on one label) were run above; the cell runs the rest.
# :::

# %%
lin = nn.Linear(8, 4)
shape = tuple(lin(torch.zeros(2, 3, 5, 8)).shape)
print("Linear(8, 4) on a (2, 3, 5, 8) tensor ->", shape, "(last axis only)")
try:
    nn.ConvTranspose2d(16, kernel_size=4)
except TypeError as e:
    print("ConvTranspose2d without filters:", type(e).__name__)
try:
    gan.g_loss_nonsaturating(D)  # a model, not a batch of logits
except (TypeError, RuntimeError) as e:
    print("loss of a model object:", type(e).__name__)

# one optimizer over both networks: the generator's step moves D towards calling fakes real
G3, D3 = gan.build_gan(cfg, seed=0)
both = torch.optim.SGD(list(G3.parameters()) + list(D3.parameters()), lr=0.1)
z = torch.randn(512, 1)
with torch.no_grad():
    fixed_fakes = G3(z)  # measure D on these same fakes before and after
before = torch.sigmoid(D3(fixed_fakes)).mean().item()
loss = gan.g_loss_nonsaturating(D3(G3(z)))
both.zero_grad()
loss.backward()
both.step()
after = torch.sigmoid(D3(fixed_fakes)).mean().item()
print(f"shared optimizer: D's P(real) on the same fakes {before:.3f} -> {after:.3f} after one G step")
assert after > before  # the generator's loss taught D to accept fakes

# a "third optimizer" that the script uses but never defines
try:
    opt_c.step()  # noqa: F821
except NameError as e:
    print("third optimizer:", type(e).__name__, "-", e)

# %%
cpu_s = time.process_time() - page_cpu  # CPU time of this kernel since the imports
print(f"this page used {cpu_s:.0f} CPU-seconds")
glue("gan01_cpu_s", cpu_s)

# %% [markdown]
# ## Summary
#
# - V(D, G) = E log D(x) + E log(1 − D(G(z))); D maximises it, G minimises it.
# - For a fixed G the best discriminator is D\* = p_data / (p_data + p_g) (checked above), and
#   against D\* the generator minimises 2 JSD − log 4.
# - Train G with the non-saturating loss −log D(G(z)); its gradient does not vanish when the
#   fakes are rejected.
# - Networks output logits; losses use BCE-with-logits. Two optimizers, `detach` in the
#   discriminator step, eval mode for sampling. `course_lib.gan.train_gan` is that loop.
# - The gradient of L_D stops at D (the fakes are detached); the gradient of L_G passes through D
#   into G, and only G's optimizer steps.
# - The two players' learning rates are a setting of the game: on the ring, a discriminator slower
#   than the generator left it on few modes in the run above.
#
# ## Exercises
#
# ```{exercise} D* for two Gaussians
# :label: ex-gan-dstar
# For p_data = N(0, 1) and p_g = N(μ, 1), show that the optimal discriminator's logit
# log(D\*/(1 − D\*)) is a linear function of x. What does that say about the architecture a
# discriminator needs here? Check it with a single `nn.Linear(1, 1)` discriminator.
# ```
#
# ```{solution} ex-gan-dstar
# :class: dropdown
# log D\*/(1 − D\*) = log p_data(x) − log p_g(x) = −x²/2 + (x − μ)²/2 = −μx + μ²/2: linear in
# x. A logistic regression (one linear layer plus the sigmoid inside the BCE loss) can
# represent D\* exactly; trained as in the first loop above it recovers slope −μ and intercept
# μ²/2 up to sampling noise.
# ```
#
# ```{exercise} The value at equilibrium
# :label: ex-gan-equilibrium
# Set p_g = p_data in the D\* check above and retrain the discriminator. What D and what
# value of `discriminator_loss` do you expect, and what do you measure?
# ```
#
# ```{solution} ex-gan-equilibrium
# :class: dropdown
# D\* = 1/2 everywhere, so the loss −V = 2 log 2 ≈ 1.386 nats. The trained D fluctuates
# around 0.5 (it fits sampling noise), and its loss stays near 1.386, slightly below it on the
# batches it trained on.
# ```
#
# ```{exercise} Saturating loss in practice
# :label: ex-gan-saturating
# Rerun the minimal training loop with `gan.g_loss_saturating` and the generator started far
# from the data (add 10 to its output). Compare the generator's progress after 800 steps
# with the non-saturating run.
# ```
#
# ```{solution} ex-gan-saturating
# :class: dropdown
# With the offset the discriminator quickly rejects every fake (D(G(z)) ≈ 0). The saturating
# loss then gives the generator gradients of size about D(G(z)), so it barely moves; the
# non-saturating loss gives gradients of size about 1 − D(G(z)) ≈ 1 and the samples travel
# to the data. Print the generated mean every 100 steps to see it.
# ```
#
# ```{exercise} How large can the JSD be?
# :label: ex-gan01-jsd-range
# Show that 0 ≤ JSD(p‖q) ≤ log 2, so that −log 4 ≤ C(G) ≤ 0. When is C(G) = 0, what is D\* then,
# and what gradient does the saturating generator loss receive there?
# ```
#
# ```{solution} ex-gan01-jsd-range
# :class: dropdown
# KL ≥ 0 gives JSD ≥ 0. For the upper bound, p/m = 2p/(p + q) ≤ 2, so
# KL(p‖m) = E_p log(p/m) ≤ log 2, and the same for q: JSD ≤ ½ log 2 + ½ log 2 = log 2. Equality
# needs p/m = 2 wherever p > 0, i.e. q = 0 there, and the same for q: disjoint supports. Then
# D\* = 1 on the data and 0 on the fakes, C(G) = 0 whatever G does within the region where the
# data have no mass, and the saturating loss's gradient, proportional to D(G(z)) = 0, vanishes. This
# is the situation {cite}`arjovsky2017principled` analyse: early in training, or with data on a
# thin manifold, the supports barely overlap.
# ```
#
# ```{exercise} What does detach() buy?
# :label: ex-gan01-detach
# In the minimal training loop, remove `.detach()` from the discriminator step. Predict: do G's
# parameters after 200 steps change? Does the run take longer? Then run both versions from the
# same seed and compare the generators' parameters with `torch.equal`.
# ```
#
# ```{solution} ex-gan01-detach
# :class: dropdown
# Without `detach()`, `loss_d.backward()` also fills G's `.grad` fields, but the loop calls
# `opt_g.zero_grad()` before `loss_g.backward()`, so those gradients are thrown away before
# `opt_g.step()`: expect identical parameters (same random draws, same updates) and a slower
# step, because the backward pass now runs through G as well. The `detach()` is there for
# speed and for safety: a loop that zeroes gradients in another place, or accumulates them,
# would let L_D move the generator, towards making its fakes *easier* to reject.
# ```
#
# ```{exercise} One run is an anecdote
# :label: ex-gan01-ratio-seeds
# Call `ring_game(ratio, seed=s)` for ratios 0.2, 1 and 5 and seeds 0, 1, 2, and tabulate
# `report["modes"]` and `report["hq"]`. Before running, predict which ratio has the largest spread
# over seeds. Is the static figure's seed representative?
# ```
#
# ```{solution} ex-gan01-ratio-seeds
# :class: dropdown
# Nine runs of about a second each. The next notebook's first experiment is this table (with both
# generator losses and a fourth ratio): compare your numbers with it. Expect the equal ratio to
# vary most between seeds, since it sits between a regime that collapses and one that covers every
# mode; whether seed 0 is typical is exactly what the table answers.
# ```
