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
# # The ELBO and the variational autoencoder
#
# A variational autoencoder (VAE) {cite}`kingma2014vae,rezende2014stochastic` is a latent-variable
# model $p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz$ trained together with an *inference
# network* $q_\phi(z \mid x)$ by maximising one objective, the evidence lower bound (ELBO). This
# notebook derives the ELBO, shows why the reparameterisation trick is needed, trains a VAE on the
# course's 8x8 digit images, and measures an honest test log-likelihood with importance sampling
# {cite}`burda2016iwae`.
#
# **Learning goals.** After this notebook you can
# - derive the ELBO in two ways and name its two terms;
# - compute the KL divergence between Gaussians in closed form and check it numerically;
# - explain, with a measured variance, why VAEs use the reparameterisation trick;
# - train a VAE with **one loss and one optimizer**, and choose a decoder likelihood that is a
#   real probability of the data;
# - report a test log-likelihood with the IWAE bound, next to the ELBO, and compare it with a
#   baseline;
# - draw the VAE's computation graph, with the tensor shapes and the gradient paths;
# - condition a VAE on a label and check, with a classifier, that it draws the digit you ask for.
#
# ## Before you start
#
# **Prerequisites.**
# - The course's set-up, seeds and devices: [Working with the course](../setup/working_with_the_course.ipynb),
#   and the symbols of [the notation page](../../notation.md).
# - Probability: expectations, the Gaussian density, the chain rule $p(x, z) = p(x \mid z)\,p(z)$,
#   Bayes' rule, and the Kullback-Leibler divergence $\mathrm{KL}(q \,\|\, p) = \mathbb E_q[\log q - \log p]$.
# - A PyTorch training loop with one optimizer, as in [GAN foundations](../gan/01_foundations.ipynb);
#   the 8x8 digits and the classifier that judges generated digits are those of
#   [the DCGAN notebook](../gan/03_dcgan_digits.ipynb).
#
# **Time.** About an hour to read and work through the checks; about two more for the exercises.
# Executed top to bottom on a CPU with one thread, the cells take about
# {glue:text}`vae01_cpu_min:.1f` CPU-minutes (measured by the last cell when this page was built).
#
# **Further reading** (primary sources).
# - {cite}`kingma2014vae`: the VAE, the reparameterisation trick and the ELBO estimator.
# - {cite}`rezende2014stochastic`: the same model, derived as stochastic backpropagation in deep latent Gaussian models.
# - {cite}`burda2016iwae`: the importance-weighted bound, its monotonicity in $K$, and active units.
# - {cite}`sohn2015cvae`: the conditional VAE, which this notebook trains on digit labels.
# - {cite}`alemi2018fixing`: the ELBO as rate plus distortion, the lens of the next notebook.

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

from course_lib.data import load_digits_images
from course_lib.notebook import glue, plot_history
from course_lib.utils import Timer, get_device
from course_lib.vae import VAE, VAEConfig, VAETrainConfig, elbo, iwae_bound, show_images, train_vae

cpu_start = time.process_time()  # the last cell reports the notebook's CPU time
device = get_device()
data = load_digits_images()
x_train, x_test = data.x_train.to(device), data.x_test.to(device)
print("device:", device, "| train", tuple(x_train.shape), "| test", tuple(x_test.shape))
print("grey levels in the data:", torch.unique(data.x_train).numel())

# %% [markdown]
# ## Latent-variable models and the intractable likelihood
#
# We posit an unobserved code $z \in \mathbb{R}^D$ with a simple prior $p(z) = \mathcal N(0, I)$
# and a decoder network that turns $z$ into a distribution over images, $p_\theta(x \mid z)$. The
# model's likelihood of an image is
#
# $$p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz .$$
#
# With a neural decoder this integral has no closed form, and naive Monte Carlo
# $\frac1K\sum_k p_\theta(x \mid z_k)$, $z_k \sim p(z)$, is hopeless: almost no prior sample
# explains a given image. The posterior $p_\theta(z \mid x) = p_\theta(x \mid z) p(z) / p_\theta(x)$
# is intractable for the same reason. *Variational inference* replaces it by a distribution we
# can sample and evaluate, here a diagonal Gaussian whose parameters an encoder network computes,
# $q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x))$.
#
# ## The ELBO, derived twice
#
# **With Jensen's inequality.** Take any $q(z \mid x)$ that is positive wherever
# $p_\theta(x, z) > 0$.
#
# 1. Multiply and divide by $q$ inside the integral: an expectation under $q$ of an
#    *importance weight* $w(z) = p_\theta(x \mid z)\,p(z) / q(z \mid x)$,
#
#    $$p_\theta(x) = \int q(z \mid x)\, \frac{p_\theta(x \mid z)\,p(z)}{q(z \mid x)}\, dz
#    = \mathbb E_{q(z \mid x)}[w(z)]. \tag{1}$$
#
# 2. $\log$ is concave, so Jensen's inequality $\log \mathbb E[w] \ge \mathbb E[\log w]$ gives
#
#    $$\log p_\theta(x) \;\ge\; \mathbb E_{q(z \mid x)}\!\left[\log \frac{p_\theta(x \mid z)\,p(z)}{q(z \mid x)}\right]
#    =: \mathrm{ELBO}(x). \tag{2}$$
#
# 3. Split the log of the ratio into the two terms we compute:
#
#    $$\mathrm{ELBO}(x) = \underbrace{\mathbb E_{q(z \mid x)}[\log p_\theta(x \mid z)]}_{\text{reconstruction}}
#    \; - \; \underbrace{\mathrm{KL}\big(q(z \mid x)\,\|\,p(z)\big)}_{\text{rate}} . \tag{3}$$
#
# **With the posterior.** This route says how large the gap is.
#
# 1. $\log p_\theta(x)$ does not depend on $z$, so it equals its own average under $q$; Bayes'
#    rule writes $p_\theta(x) = p_\theta(x, z) / p_\theta(z \mid x)$ for every $z$:
#
#    $$\log p_\theta(x) = \mathbb E_{q(z \mid x)}\!\left[\log \frac{p_\theta(x, z)}{p_\theta(z \mid x)}\right]. \tag{4}$$
#
# 2. Multiply and divide by $q(z \mid x)$ inside the log and split:
#
#    $$\log p_\theta(x) = \underbrace{\mathbb E_q\!\left[\log \frac{p_\theta(x, z)}{q(z \mid x)}\right]}_{\mathrm{ELBO}(x)}
#    + \underbrace{\mathbb E_q\!\left[\log \frac{q(z \mid x)}{p_\theta(z \mid x)}\right]}_{\mathrm{KL}(q(z \mid x)\,\|\,p_\theta(z \mid x)) \;\ge\; 0}. \tag{5}$$
#
# The gap in (2) is exactly the KL divergence from $q$ to the true posterior. Maximising the
# ELBO over $\phi$ pulls $q$ towards the posterior; over $\theta$ it raises the likelihood; and
# the bound is tight exactly when $q(z \mid x) = p_\theta(z \mid x)$.
#
# **A check on a model where everything is known.** In the linear-Gaussian model
# $z \sim \mathcal N(0, 1)$, $x \mid z \sim \mathcal N(az + b, s^2)$, the marginal is
# $x \sim \mathcal N(b, a^2 + s^2)$ and the posterior is Gaussian with variance
# $v_\ast = (1 + a^2/s^2)^{-1}$ and mean $m_\ast = v_\ast\, a (x - b)/s^2$. For a Gaussian
# $q = \mathcal N(m, v)$ both terms of (3) are closed-form
# ($\mathbb E_q[(x - b - az)^2] = (x - b - am)^2 + a^2 v$), so the cell can test (5) to machine
# precision for several $q$, and (3) against a Monte Carlo estimate.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: for which of the four $q$ below will the ELBO equal
# $\log p(x)$? What will the sum ELBO + KL(q ‖ posterior) be for the other three?
# ```

# %%
from course_lib.vae import gaussian_kl, reparameterize

a, b, s2, x0 = 2.0, 0.5, 0.49, 1.9  # the model x | z ~ N(a z + b, s2), one observation x0
log_px = -0.5 * math.log(2 * math.pi * (a**2 + s2)) - (x0 - b) ** 2 / (2 * (a**2 + s2))  # x ~ N(b, a^2 + s2)
v_post = 1 / (1 + a**2 / s2)
m_post = v_post * a * (x0 - b) / s2
print(f"log p(x) = {log_px:.6f}; posterior N({m_post:.4f}, {v_post:.4f})")
print("       q = N(m, v)        ELBO    KL(q||post)   ELBO + KL   MC ELBO (10^5 draws)")
for m, v in [(m_post, v_post), (0.0, 1.0), (1.5, 0.05), (-1.0, 2.0)]:
    mq, lvq = torch.tensor([[m]], dtype=torch.float64), torch.tensor([[math.log(v)]], dtype=torch.float64)
    rec = -0.5 * math.log(2 * math.pi * s2) - ((x0 - b - a * m) ** 2 + a**2 * v) / (2 * s2)  # E_q log p(x|z)
    elbo_q = rec - gaussian_kl(mq, lvq).sum()  # (3)
    post = torch.tensor([[m_post]], dtype=torch.float64), torch.tensor([[math.log(v_post)]], dtype=torch.float64)
    gap = gaussian_kl(mq, lvq, *post).sum()  # KL(q || posterior)
    zq = reparameterize(mq, lvq, k=100_000, seed=0)[:, 0, 0]  # (n,) draws from q
    log_w = (torch.distributions.Normal(a * zq + b, math.sqrt(s2)).log_prob(torch.tensor(x0))
             + torch.distributions.Normal(0.0, 1.0).log_prob(zq) - torch.distributions.Normal(m, math.sqrt(v)).log_prob(zq))
    print(f"N({m:5.2f}, {v:5.3f})  {elbo_q:9.4f}  {gap:11.4f}  {elbo_q + gap:10.6f}  {log_w.mean():9.4f}")
    assert abs(elbo_q + gap - log_px) < 1e-9  # identity (5)
    assert abs(log_w.mean() - elbo_q) < 5 * log_w.std() / math.sqrt(len(zq)) + 1e-6  # (2) = (3)

# %% [markdown]
# ## The Gaussian KL in closed form
#
# For $q = \mathcal N(\mu, \sigma^2)$ and $p = \mathcal N(0, 1)$ in one dimension:
#
# 1. By definition, with the two log-densities written out,
#
#    $$\mathrm{KL}(q \,\|\, p) = \mathbb E_q[\log q(z) - \log p(z)]
#    = \mathbb E_q\!\left[-\tfrac12 \log \sigma^2 - \frac{(z - \mu)^2}{2\sigma^2} + \frac{z^2}{2}\right]
#    \tag{6}$$
#
#    (the $-\tfrac12\log 2\pi$ of both densities cancel).
# 2. Under $q$, $\mathbb E[(z - \mu)^2] = \sigma^2$ and $\mathbb E[z^2] = \mu^2 + \sigma^2$, so
#
#    $$\mathrm{KL}(q \,\|\, p) = -\tfrac12\log\sigma^2 - \tfrac12 + \tfrac12(\mu^2 + \sigma^2)
#    = \tfrac12\left(\mu^2 + \sigma^2 - \log \sigma^2 - 1\right). \tag{7}$$
#
# 3. A diagonal Gaussian in $D$ dimensions against $\mathcal N(0, I)$ factorises, so its KL is
#    the sum of (7) over the dimensions. Each term is $\ge 0$, and zero only at $\mu = 0$, $\sigma = 1$.
#
# `gaussian_kl` computes (7) (and the general form between two Gaussians, which exercise
# {ref}`ex-vae-kl` derives). Below we check it against PyTorch's own `kl_divergence` and against
# a Monte Carlo estimate $\frac1n\sum_i [\log q(z_i) - \log p(z_i)]$, $z_i \sim q$.

# %%
mu, logvar = torch.tensor([[1.0, -0.5]]), torch.tensor([[math.log(0.3), math.log(2.0)]])
z = reparameterize(mu, logvar, k=100_000, seed=0)[:, 0]  # (n, 2)
q = torch.distributions.Normal(mu[0], (0.5 * logvar[0]).exp())
log_ratio = q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z)  # (n, 2)
closed = gaussian_kl(mu, logvar)[0]
library = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0))
print("closed form (7) per dim:", closed.numpy().round(6))
print("torch kl_divergence:    ", library.numpy().round(6))
print("Monte Carlo estimate:   ", log_ratio.mean(0).numpy().round(4),
      "+/-", (log_ratio.std(0) / math.sqrt(len(z))).numpy().round(4))
assert torch.allclose(closed, library, atol=1e-6)
assert torch.allclose(closed, log_ratio.mean(0), atol=0.02)

# %% [markdown]
# ## Why the reparameterisation trick
#
# Training needs $\nabla_\phi \mathbb E_{q_\phi(z)}[f(z)]$, a gradient of an expectation whose
# *distribution* depends on $\phi$. Two unbiased single-sample estimators exist:
#
# - the **score-function** (REINFORCE) estimator {cite}`williams1992reinforce`,
#   $f(z)\,\nabla_\phi \log q_\phi(z)$, which needs only samples and values of $f$;
# - the **reparameterised** estimator: write $z = \mu + \sigma \varepsilon$ with
#   $\varepsilon \sim \mathcal N(0, 1)$ independent of $\phi$, so
#   $\nabla_\phi \mathbb E_\varepsilon[f(\mu + \sigma\varepsilon)] = \mathbb E_\varepsilon[\nabla_\phi f(\mu + \sigma \varepsilon)]$;
#   it uses the gradient of $f$, which the decoder provides through backpropagation.
#
# We measure both on $f(z) = (z - 2)^2$ with $q = \mathcal N(\mu, 1)$ at $\mu = 0$, where the
# exact gradient is $\partial_\mu \mathbb E[f] = 2(\mu - 2) = -4$.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: both estimators average to $-4$. Which one will have the larger
# variance per sample, and by roughly how much? (Hint: the score-function sample multiplies
# $f(z)$, which is about 5 on average, by $z - \mu$.)
# ```

# %%
n = 100_000
mu0 = torch.zeros(n, requires_grad=True)
eps = torch.randn(n, generator=torch.Generator().manual_seed(1))
z = mu0 + eps  # reparameterised samples, differentiable in mu
f = (z - 2) ** 2
(grad_rep,) = torch.autograd.grad(f.sum(), mu0)  # one gradient sample per row
score = (z.detach() - mu0.detach())  # d/dmu log N(z; mu, 1)
grad_sf = f.detach() * score
for name, gsamp in [("score function", grad_sf), ("reparameterised", grad_rep)]:
    print(f"{name:>16}: mean {gsamp.mean():7.3f}  variance of one sample {gsamp.var():8.2f}")
ratio = grad_sf.var() / grad_rep.var()
print(f"variance ratio: {ratio:.1f}")
assert abs(grad_rep.mean() + 4) < 0.05 and abs(grad_sf.mean() + 4) < 0.3
assert ratio > 5

# %% [markdown]
# Both estimators are unbiased, but a single score-function sample is far noisier, and with a
# decoder over 64 pixels and $D$ latents the gap grows. The reparameterisation also makes the
# ELBO a differentiable function of the encoder's outputs, so **one** backward pass through one
# loss trains encoder and decoder together.
#
# ## Choosing the decoder likelihood
#
# The digit images have 17 grey levels. Three common choices of $p_\theta(x \mid z)$:
#
# - **Bernoulli with logits** (binary cross-entropy). It is a probability only for binary
#   pixels. For grey levels the "log-likelihood" $\sum_i x_i \log p_i + (1 - x_i)\log(1 - p_i)$ is
#   not normalised {cite}`loaizaganem2019cb`: even the best possible decoder, $p_i = x_i$, scores
#   below zero, and the numbers are not comparable with any other model.
# - **Gaussian** with a learned scale: a *density* over real numbers. Its values are not
#   probabilities of the discrete pixels and can grow without bound where a pixel never varies.
# - **Discretised logistic** {cite}`salimans2017pixelcnnpp`: a logistic distribution integrated
#   over each grey level's bin, so the 17 probabilities sum to one. $-\log p(x)$ is then a code
#   length in nats, comparable across models of the same discrete data. This chapter reports
#   likelihoods with it.
#
# The cell measures the first two claims on the test images.

# %%
from course_lib.vae import bernoulli_log_prob, discretized_logistic_log_prob

flat = x_test.flatten(1)
best_bernoulli = bernoulli_log_prob(flat, torch.logit(flat.clamp(1e-6, 1 - 1e-6))).sum(-1)
print(f"Bernoulli 'log-likelihood' of the test images at p = x: {best_bernoulli.mean():.1f} nats"
      " per image (a real probability of x would give 0 here)")
grid = torch.linspace(0, 1, 17)
total = discretized_logistic_log_prob(grid, torch.tensor(0.3), torch.tensor(-2.0)).exp().sum()
print(f"discretised logistic: the 17 level probabilities sum to {total:.6f}")
assert best_bernoulli.mean() < -5 and abs(total - 1) < 1e-5

# %% [markdown]
# ## Training a VAE: one loss, one optimizer
#
# `VAE` has an MLP encoder returning $(\mu, \log\sigma^2)$ and an MLP decoder returning the
# location and log-scale of a discretised logistic per pixel. `elbo` computes, for a batch, one
# reparameterised sample $z = \mu + \sigma \odot \varepsilon$, the reconstruction term
# $\log p_\theta(x \mid z)$ and the closed-form KL; `train_vae` minimises $-\mathrm{ELBO}$ with a
# single Adam optimizer over all parameters.

# %%
cfg = VAEConfig(z_dim=8, hidden=128, likelihood="dlogistic")
train_cfg = VAETrainConfig(epochs=80, batch_size=128, lr=2e-3, seed=0)
vae = VAE(cfg, seed=0).to(device)
hist = train_vae(vae, x_train, train_cfg)
with torch.no_grad():
    test_terms = elbo(vae, x_test, seed=0)
print(f"{hist.steps} steps in {hist.wall_s:.1f} s")
print(f"test ELBO {test_terms.elbo.mean():.1f} = reconstruction {test_terms.rec.mean():.1f}"
      f" - KL {test_terms.kl.mean():.1f} nats/image")
assert test_terms.elbo.mean() > -100  # an untrained model scores about -200

# %% [markdown]
# The diagram shows one training step of this model, drawn by `draw_vae` from the model and a
# batch of 128 training images: every shape in it is read from that batch.

# %% tags=["hide-input"]
from course_lib.vae import draw_vae

draw_vae(vae, x_train[:128])
plt.show()

# %% [markdown]
# Read it from the images: the encoder maps each flattened image to $2D$ numbers, split into
# $\mu$ and $\log\sigma^2$; the KL term (7) needs only those. The operation
# $z = \mu + \sigma \odot \varepsilon$ takes $\varepsilon$ as an *input*: the dashed gradient
# path runs from the loss through the decoder, through $z$ into $\mu$ and $\log \sigma^2$ and on
# into the encoder, and never into $\varepsilon$. That is the whole reparameterisation trick.
# Both loss terms reach the encoder, so one loss and one optimizer train both networks.

# %% tags=["hide-input"]
fig = plot_history(hist, ["elbo", "rec", "kl"], smooth=10)
for ax, label in zip(fig.axes, ["ELBO", "reconstruction log p(x|z)", "KL (rate)"], strict=True):
    ax.set(title=label, xlabel="training step", ylabel="nats / image (batch mean)")
fig.axes[2].set_yscale("log")
plt.show()

# %% [markdown]
# Reconstructions (the mean of $p(x \mid z = \mu(x))$) and samples from the prior. The samples
# on the right are *drawn* from the decoder's distribution, pixel noise included; the middle
# panel shows the decoder's mean $\mathbb E[x \mid z]$ for prior draws $z$, the smooth "typical"
# image, which is what most VAE figures show.

# %% tags=["hide-input"]
g = torch.Generator().manual_seed(0)
fig, ax = plt.subplots(2, 2, figsize=(7, 7.4))
ax = ax.ravel()
show_images(ax[0], x_test[:24].cpu(), 6, "test images")
show_images(ax[1], vae.reconstruct(x_test[:24]).cpu(), 6, "reconstructions")
show_images(ax[2], vae.sample(24, seed=g, mean=True).cpu(), 6, "prior samples: E[x|z]")
show_images(ax[3], vae.sample(24, seed=g).cpu(), 6, "prior samples: x ~ p(x|z)")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## An honest test log-likelihood: the IWAE bound
#
# The ELBO is only a lower bound. Importance sampling with $q$ as the proposal gives a tighter
# one {cite}`burda2016iwae`. The derivation reuses (1) and Jensen's inequality.
#
# 1. Draw $K$ independent $z_1, \dots, z_K \sim q(z \mid x)$ and average their weights
#    $w_k = p_\theta(x \mid z_k)\,p(z_k)/q(z_k \mid x)$. Define
#
#    $$\mathcal L_K(x) = \mathbb E_{z_{1..K} \sim q}\left[\log \frac1K \sum_{k=1}^K w_k\right]. \tag{8}$$
#
#    For $K = 1$ this is $\mathbb E_q[\log w]$, the ELBO (2).
# 2. By (1) each $w_k$ has mean $p_\theta(x)$, so the average is an unbiased estimate of
#     $p_\theta(x)$, and Jensen's inequality bounds its log:
#
#     $$\mathcal L_K(x) \le \log \mathbb E\left[\frac1K \sum_k w_k\right] = \log p_\theta(x). \tag{9}$$
#
# 3. More samples never hurt. For $M < K$, the average of $K$ weights equals the average, over
#     a subset $I$ of $M$ indices drawn uniformly at random, of the averages over the subset:
#
#     $$\frac1K\sum_{k=1}^K w_k = \mathbb E_I\left[\frac1M \sum_{i \in I} w_i\right]. \tag{10}$$
#
#     The log of an average is at least the average of the logs (Jensen again), and each subset's
#     average has the distribution of an $M$-sample average, so taking $\mathbb E_z$ of both sides:
#
#     $$\mathcal L_K(x) \;\ge\; \mathbb E_z\,\mathbb E_I\left[\log \frac1M \sum_{i \in I} w_i\right]
#     = \mathcal L_M(x). \tag{11}$$
#
# 4. By the law of large numbers the average tends to $p_\theta(x)$, so (when the weights are
#     bounded) $\mathcal L_K \to \log p_\theta(x)$ as $K \to \infty$.
#
# Hence $\mathrm{ELBO} = \mathcal L_1 \le \mathcal L_M \le \mathcal L_K \le \log p_\theta(x)$ for
# $M \le K$. `iwae_bound` estimates (8) for each test image, drawing the samples in chunks with a
# running log-sum-exp, so $K = 1000$ on all 360 test images fits in memory. The check below
# estimates $\mathcal L_K$ on the trained model for six values of $K$, three times each with
# independent samples, and reports the mean and standard deviation of the test average over the
# three.
#
# As a baseline we fit independent discretised Gaussians to each pixel (mean and standard
# deviation from the training set): a model of the same discrete data, with no latent variable.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: (11) is a statement about expectations. Will the *estimated*
# $\mathcal L_K$ increase with $K$ at every step here, and which steps of $K$ will gain the
# most? How does the spread over the three repeats change with $K$?
# ```

# %%
from course_lib.vae import discretized_gaussian_log_prob

pixels = x_train.flatten(1)  # (1437, 64); the corner pixels never vary, hence the floor on the scale
loc, log_scale = pixels.mean(0), pixels.std(0, unbiased=False).clamp(min=1e-2).log()
baseline = discretized_gaussian_log_prob(x_test.flatten(1), loc, log_scale).sum(-1).mean().item()
ks = [1, 4, 16, 64, 256, 1000]
with Timer() as t_iwae:
    runs = torch.tensor([[iwae_bound(vae, x_test, k, seed=100 * r + k).mean().item() for k in ks]
                         for r in range(3)])  # (3 repeats, len(ks)): test mean of L_K
iwae, iwae_sd = dict(zip(ks, runs.mean(0).tolist(), strict=True)), dict(zip(ks, runs.std(0).tolist(), strict=True))
test_elbo = test_terms.elbo.mean().item()
print(f"pixel-Gaussian baseline log p(x): {baseline:8.2f} nats/image")
print(f"VAE test ELBO (one draw):         {test_elbo:8.2f} nats/image")
for k in ks:
    print(f"VAE IWAE bound, K = {k:>4}:         {iwae[k]:8.2f} ± {iwae_sd[k]:.3f} nats/image (3 repeats)")
print(f"IWAE for all K, 3 repeats, on 360 images took {t_iwae}")
glue("vae01_iwae1", iwae[1])
glue("vae01_iwae1_sd", iwae_sd[1])
glue("vae01_iwae1000", iwae[1000])
glue("vae01_iwae1000_sd", iwae_sd[1000])
glue("vae01_baseline", baseline)
assert all(iwae[k1] < iwae[k2] for k1, k2 in zip(ks[:-1], ks[1:], strict=True)), iwae  # (11): the bound tightens with K
assert iwae[1000] > iwae[1] + 0.5  # strictly above the ELBO
assert iwae[1000] > baseline + 15  # a clear margin over the no-latent baseline

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.errorbar(ks, [iwae[k] for k in ks], yerr=[iwae_sd[k] for k in ks], fmt="o-", capsize=3,
            label="IWAE bound $\\mathcal{L}_K$ (mean ± sd, 3 repeats)")
ax.set_xscale("log")
ax.set(xlabel="number of importance samples K", ylabel="test log-likelihood (nats / image)",
       title="The IWAE bound rises with K")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The estimated bound rises from {glue:text}`vae01_iwae1:.2f` ± {glue:text}`vae01_iwae1_sd:.2f`
# nats at $K = 1$ (the ELBO) to {glue:text}`vae01_iwae1000:.2f` ± {glue:text}`vae01_iwae1000_sd:.2f`
# at $K = 1000$ (mean ± standard deviation over three repeats), far above the pixel baseline's
# {glue:text}`vae01_baseline:.2f`. The gains shrink as $K$ grows, as (11) and step 4 lead one to
# expect: each step adds less to an average that is already close to $p_\theta(x)$.

# %% [markdown]
# The ELBO-to-IWAE gap is an estimate of (at least part of) the average
# $\mathrm{KL}(q(z \mid x) \,\|\, p_\theta(z \mid x))$: how much the diagonal-Gaussian encoder
# loses by not being the true posterior. In bits per pixel, divide by $64 \ln 2$.

# %%
print(f"ELBO gap closed by K = 1000: {iwae[1000] - test_elbo:.2f} nats/image")
print(f"IWAE-1000 = {-iwae[1000] / (64 * math.log(2)):.3f} bits/pixel,"
      f" baseline {-baseline / (64 * math.log(2)):.3f} bits/pixel")

# %% [markdown]
# ## A Gaussian decoder, for comparison
#
# Same model, Gaussian $p(x \mid z)$ with a learned per-pixel scale. It trains and produces
# images, but its ELBO is a bound on a *density*: the corner pixels that are always 0 let the
# scale shrink to its floor, and each such pixel adds up to $-\log(\sigma\sqrt{2\pi})$ to the
# log-density, which grows without bound as $\sigma$ shrinks. The number below is not comparable
# with the discretised likelihood above, even though both are "nats per image".

# %%
vae_gauss = VAE(VAEConfig(z_dim=8, hidden=128, likelihood="gaussian"), seed=0).to(device)
hist_g = train_vae(vae_gauss, x_train, VAETrainConfig(epochs=40, batch_size=128, lr=2e-3, seed=0))
with torch.no_grad():
    elbo_g = elbo(vae_gauss, x_test, seed=0)
print(f"Gaussian-decoder test ELBO: {elbo_g.elbo.mean():.1f} (a log-density, not a log-probability)")
assert hist_g.losses["elbo"][-1] > hist_g.losses["elbo"][0] + 50  # it did train

fig, ax = plt.subplots(1, 2, figsize=(6, 3.4))
show_images(ax[0], vae_gauss.reconstruct(x_test[:24]).cpu(), 6, "Gaussian: reconstructions")
show_images(ax[1], vae_gauss.sample(24, seed=g, mean=True).cpu(), 6, "Gaussian: E[x|z], z ~ p(z)")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## A 2-D latent space: the latent map and interpolation
#
# With $D = 2$ we can draw the whole latent space: decode a grid of $z$ values, and place each
# test image at its encoder mean $\mu(x)$. The grid covers $\pm 2.5$ prior standard deviations.

# %%
vae2 = VAE(VAEConfig(z_dim=2, hidden=128, likelihood="dlogistic"), seed=0).to(device)
hist2 = train_vae(vae2, x_train, VAETrainConfig(epochs=40, batch_size=64, lr=2e-3, seed=0))
with torch.no_grad():
    elbo2 = elbo(vae2, x_test, seed=0).elbo.mean()
    mu2, _ = vae2.encode(x_test)
print(f"2-D VAE test ELBO {elbo2:.1f} nats/image (8-D: {test_elbo:.1f})")
assert elbo2 > baseline + 5

span = 2.5
axis = torch.linspace(-span, span, 15, device=device)
z1, z2 = torch.meshgrid(axis, axis.flip(0), indexing="xy")  # (15, 15): z1 grows to the right, z2 upwards
tiles = vae2.decode_mean(torch.stack([z1, z2], dim=-1).reshape(-1, 2))  # (225, 1, 8, 8), row by row
fig, ax = plt.subplots(1, 2, figsize=(11, 5))
show_images(ax[0], tiles.cpu(), 15, "decoder mean over the latent grid")
ax[0].set(xlabel=f"z1 from -{span} to +{span}", ylabel=f"z2 from +{span} (top) to -{span}")
sc = ax[1].scatter(mu2[:, 0].cpu(), mu2[:, 1].cpu(), c=data.y_test, cmap="tab10", s=12)
ax[1].set(xlabel="z1 (encoder mean)", ylabel="z2 (encoder mean)", title="test images in latent space",
          xlim=(-span, span), ylim=(-span, span))
fig.colorbar(sc, ax=ax[1], label="digit")
plt.tight_layout()
plt.show()

# %% [markdown]
# **Interpolation and traversal** in the 8-D model: decode $z_t = (1 - t)\mu(x_a) + t\,\mu(x_b)$
# between the codes of two test images, and vary one latent coordinate at a time around 0.

# %%
za, zb = vae.encode(x_test[[0, 5]])[0]
ts = torch.linspace(0, 1, 10, device=device)[:, None]
path = vae.decode_mean((1 - ts) * za + ts * zb)  # (10, 1, 8, 8)
steps = torch.linspace(-2.5, 2.5, 10, device=device)
trav = torch.zeros(4, 10, cfg.z_dim, device=device)
for d in range(4):
    trav[d, :, d] = steps
fig, ax = plt.subplots(2, 1, figsize=(8, 4.5))
show_images(ax[0], path.cpu(), 10, "interpolation between two test images")
show_images(ax[1], vae.decode_mean(trav.reshape(40, -1)).cpu(), 10,
            "traversal of z1..z4 from -2.5 to +2.5 (one row each)")
plt.tight_layout()
plt.show()

# %% [markdown]
# **A walk in the 2-D latent space.** `latent_walk` marks a point $z = (z_1, z_2)$ on the map of
# test codes and shows the decoder's mean image there. The figure walks along $z_1$ at
# $z_2 = 0$: the image changes where the walk crosses from one digit's region into another's,
# and between regions the decoder averages neighbouring digits.

# %% tags=["hide-input"]
def latent_walk(z1: float = 0.0, z2: float = 0.0, axes=None) -> None:
    """Mark z = (z1, z2) on the map of test codes and show E[x | z] of the 2-D VAE."""
    show = axes is None
    if show:
        _, axes = plt.subplots(1, 2, figsize=(5.6, 2.7), gridspec_kw={"width_ratios": [1.5, 1]})
    axes[0].scatter(mu2[:, 0].cpu(), mu2[:, 1].cpu(), c=data.y_test, cmap="tab10", s=3)
    axes[0].plot(z1, z2, "k*", ms=13)
    axes[0].set(xlim=(-3, 3), ylim=(-3, 3), xlabel="z1", ylabel="z2", title="test codes (colour: digit)")
    show_images(axes[1], vae2.decode_mean(torch.tensor([[z1, z2]], device=device)).cpu(), 1,
                f"E[x | z=({z1:.1f}, {z2:.1f})]")
    if show:
        plt.tight_layout()
        plt.show()


fig, axes = plt.subplots(2, 4, figsize=(11, 5.2), gridspec_kw={"width_ratios": [1.5, 1, 1.5, 1]})
for i, z1_walk in enumerate([-2.0, -0.7, 0.7, 2.0]):
    latent_walk(z1_walk, 0.0, axes[i // 2, 2 * (i % 2):2 * (i % 2) + 2])
fig.suptitle("A walk along z1 at z2 = 0 in the 2-D VAE")
plt.tight_layout()
plt.show()

# %% [markdown]
# With a running kernel (Jupyter or Colab, not the website) the sliders below redraw the same
# figure for any point of the latent space.

# %%
from course_lib.teaching import knobs

_ = knobs(latent_walk, z1=(-3.0, 3.0, 0.1, 0.0), z2=(-3.0, 3.0, 0.1, 0.0))

# %% [markdown]
# ## A conditional VAE: asking for a digit
#
# A VAE samples *some* digit; to ask for a particular one, condition every distribution on the
# label $y$ {cite}`sohn2015cvae`: an encoder $q_\phi(z \mid x, y)$, a decoder
# $p_\theta(x \mid z, y)$, and here the same prior $p(z) = \mathcal N(0, I)$ for every label
# (Sohn et al. also learn a prior network $p(z \mid \text{input})$; a fixed prior is the simplest
# case). In code, `VAEConfig(n_classes=10)` concatenates the label's one-hot vector to the
# encoder's input and to the decoder's input; nothing else changes.
#
# 1. Every step of (1)-(3) holds with $y$ added behind every conditioning bar, so
#
#    $$\log p_\theta(x \mid y) \;\ge\; \mathbb E_{q_\phi(z \mid x, y)}[\log p_\theta(x \mid z, y)]
#    - \mathrm{KL}\big(q_\phi(z \mid x, y)\,\|\,p(z)\big). \tag{12}$$
#
# 2. Training maximises (12) on labelled pairs $(x, y)$, with the same single loss and optimizer.
# 3. To generate the digit $c$: draw $z \sim \mathcal N(0, I)$, then $x \sim p_\theta(x \mid z, y = c)$.
#    Since the prior ignores $y$, the code $z$ is pushed to carry what the label does not say
#    (slant, thickness, style), and the label carries the class.

# %% tags=["hide-input"]
draw_vae(VAE(VAEConfig(z_dim=8, hidden=128, n_classes=10)), x_train[:128], data.y_train[:128].to(device))
plt.show()

# %% [markdown]
# **Does it draw the digit we ask for?** We ask for 36 images of each digit (360 in all), draw
# them from $p_\theta(x \mid z, y)$ (pixel noise included), and let the course's digit classifier
# (`digit_image_classifier`, the judge of the GAN chapter, trained on the training split) say
# which digit each one shows. Two reference rows calibrate the score: the classifier's accuracy
# on the real test digits (what a perfect generator could reach), and the same generated images
# scored against a *shuffled* copy of the requested labels (what a generator that ignored the
# request would get, about one in ten). Three seeds, each a separate model.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: will the accuracy on requested labels be closer to the real
# digits' row or to the shuffled row? Which digits do you expect it to confuse?
# ```

# %%
from IPython.display import Markdown, display

from course_lib.evaluators import digit_image_classifier
from course_lib.notebook import markdown_table

clf = digit_image_classifier(seed=0)  # trained on the training split, on the CPU
requested = torch.arange(10).repeat_interleave(36)  # (360,): 36 requests per digit
y_train = data.y_train.to(device)
cvae_runs, cvaes = [], {}
with Timer() as t_cvae:
    for seed in range(3):
        cvaes[seed] = VAE(VAEConfig(z_dim=8, hidden=128, n_classes=10), seed=seed).to(device)
        train_vae(cvaes[seed], x_train, VAETrainConfig(epochs=80, batch_size=128, lr=2e-3, seed=seed), labels=y_train)
        with torch.no_grad():
            drawn = cvaes[seed].sample(360, seed=seed, y=requested.to(device)).cpu()  # (360, 1, 8, 8)
            pred = clf(drawn).argmax(1)
        shuffled = requested[torch.randperm(360, generator=torch.Generator().manual_seed(seed))]
        cvae_runs.append({"asked": (pred == requested).float().mean().item(),
                          "shuffled": (pred == shuffled).float().mean().item()})
with torch.no_grad():
    acc_real = (clf(data.x_test).argmax(1) == data.y_test).float().mean().item()
stats = {key: torch.tensor([r[key] for r in cvae_runs]) for key in ("asked", "shuffled")}
print(f"3 conditional VAEs trained in {t_cvae}")
display(Markdown(markdown_table([
    {"images scored": "real test digits, true labels", "classifier accuracy": f"{acc_real:.3f}"},
    {"images scored": "CVAE draws, requested labels (3 seeds)",
     "classifier accuracy": f"{stats['asked'].mean():.3f} ± {stats['asked'].std():.3f}"},
    {"images scored": "CVAE draws, shuffled labels (3 seeds)",
     "classifier accuracy": f"{stats['shuffled'].mean():.3f} ± {stats['shuffled'].std():.3f}"},
])))
glue("vae01_cvae_acc", stats["asked"].mean().item())
glue("vae01_cvae_acc_sd", stats["asked"].std().item())
glue("vae01_cvae_shuffled", stats["shuffled"].mean().item())
glue("vae01_clf_real", acc_real)
assert stats["asked"].min() > 0.85 and stats["asked"].mean() > stats["shuffled"].mean() + 0.6

# %% tags=["hide-input"]
with torch.no_grad():
    grid = cvaes[0].sample(100, seed=10, y=torch.arange(10).repeat_interleave(10).to(device)).cpu()
fig, ax = plt.subplots(figsize=(5, 5))
show_images(ax, grid, 10, "CVAE (seed 0): x ~ p(x | z, y), one requested digit per row")
ax.set(ylabel="requested digit, 0 (top) to 9", xlabel="ten draws of z ~ N(0, I)")
plt.tight_layout()
plt.show()

# %% [markdown]
# The classifier reads the requested digit in {glue:text}`vae01_cvae_acc:.3f` ±
# {glue:text}`vae01_cvae_acc_sd:.3f` of the drawn images (mean ± standard deviation over three
# seeds), against {glue:text}`vae01_clf_real:.3f` on real test digits and
# {glue:text}`vae01_cvae_shuffled:.3f` for the shuffled reference. Within a row of the figure
# the digit stays fixed and $z$ changes its style; the pixel noise of $p(x \mid z, y)$ is visible
# in every draw.

# %% [markdown]
# ## Common pitfalls
#
# :::{admonition} Pitfall: "the ELBO replaces the prior and posterior by a deterministic variable"
# :class: warning
# It does not. The ELBO is a **lower bound** on $\log p_\theta(x)$ for any $q$, and $q$ is a
# distribution, not a point. A deterministic code $z = f(x)$ is the limit $\sigma \to 0$, where
# $\mathrm{KL}(q \,\|\, p)$ grows without bound (as $-\tfrac12 \log\sigma^2$ per dimension), so the
# bound becomes useless. The first cell measures this. The second shows the bound at work, image
# by image: for every test image it computes the ELBO (averaged over 100 draws of $z$, so that
# its own sampling noise is small) and the tighter IWAE bound with $K = 1000$, and plots the gap.
# :::

# %%
for s2 in [1.0, 1e-2, 1e-4, 1e-8]:
    kl = gaussian_kl(torch.zeros(1, 8), torch.full((1, 8), math.log(s2))).sum()
    print(f"sigma^2 = {s2:.0e}: KL(q || N(0, I)) over 8 dims = {kl:6.1f} nats")
assert gaussian_kl(torch.zeros(1), torch.full((1,), math.log(1e-8))).item() > 8

# %%
with torch.no_grad():
    elbo_img = torch.stack([elbo(vae, x_test, seed=s).elbo for s in range(100)]).mean(0).cpu()  # (360,)
iwae_img = iwae_bound(vae, x_test, 1000, seed=2).cpu()  # (360,)
gap = iwae_img - elbo_img
glue("vae01_gap_positive", int((gap > 0).sum()))
glue("vae01_gap_images", len(gap))
glue("vae01_gap_median", gap.median())
glue("vae01_gap_max", gap.max())
print(f"IWAE-1000 - ELBO per test image: positive for {int((gap > 0).sum())} of {len(gap)}, "
      f"median {gap.median():.2f}, min {gap.min():.2f}, max {gap.max():.2f} nats")
fig, ax = plt.subplots(figsize=(5, 3))
ax.hist(gap.numpy(), bins=40)
ax.set(xlabel="IWAE-1000 bound − ELBO (nats)", ylabel="test images", title="The ELBO lies below, image by image")
plt.tight_layout()
plt.show()
assert (gap > 0).float().mean() > 0.95

# %% [markdown]
# For the one trained model, the IWAE bound lies above the ELBO for {glue:text}`vae01_gap_positive` of the
# {glue:text}`vae01_gap_images` test images (median gap {glue:text}`vae01_gap_median:.2f` nats, up to
# {glue:text}`vae01_gap_max:.1f` for the worst image). Both are lower bounds on $\log p_\theta(x)$; the
# ELBO is the looser one, by an amount that varies from image to image with how far the Gaussian
# $q(z \mid x)$ is from the true posterior.

# %% [markdown]
# :::{admonition} Pitfall: "training starts by using a generator to make random noise"
# :class: warning
# Training starts from **data**: each step encodes a batch of real images, samples
# $\varepsilon \sim \mathcal N(0, I)$ only to draw $z \sim q(z \mid x)$, and scores the real $x$
# under the decoder. The prior's noise is used to *sample* new images after training (the prior
# samples above), not to train. A VAE never compares a generated image with a real one.
# :::
#
# :::{admonition} Pitfall: separate losses and optimizers for encoder and decoder
# :class: warning
# Some write-ups give the encoder the KL term with its own optimizer and the decoder the
# reconstruction term with another. The reconstruction gradient then never reaches the encoder,
# so the encoder minimises the KL alone and its best move is $q(z \mid x) = p(z)$ for every $x$:
# the code carries no information. That is not the ELBO's gradient. The cell trains exactly this
# split for as many steps as the joint model and compares the **same** test ELBO.
# :::

# %%
from course_lib.vae import active_units

split = VAE(cfg, seed=0).to(device)
enc_opt = torch.optim.Adam(split.encoder.parameters(), lr=train_cfg.lr)
dec_opt = torch.optim.Adam(split.decoder.parameters(), lr=train_cfg.lr)
gen, noise = torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)
for _ in range(train_cfg.epochs):
    for idx in torch.randperm(len(x_train), generator=gen).split(train_cfg.batch_size):
        xb = x_train[idx]
        mu_b, logvar_b = split.encode(xb)
        enc_loss = gaussian_kl(mu_b, logvar_b).sum(-1).mean()  # encoder: KL only
        z_b = reparameterize(mu_b, logvar_b, seed=noise).detach()  # the decoder's loss stops here
        dec_loss = -split.log_px_z(xb.flatten(1), z_b).mean()  # decoder: reconstruction only
        enc_opt.zero_grad()
        dec_opt.zero_grad()
        (enc_loss + dec_loss).backward()
        enc_opt.step()
        dec_opt.step()
with torch.no_grad():
    split_terms = elbo(split, x_test, seed=0)
n_active_split, _ = active_units(split, x_test)
n_active_joint, _ = active_units(vae, x_test)
print(f"separate losses: test ELBO {split_terms.elbo.mean():7.2f}, KL {split_terms.kl.mean():5.2f},"
      f" active units {n_active_split}/{cfg.z_dim}")
print(f"one joint loss:  test ELBO {test_elbo:7.2f}, KL {test_terms.kl.mean():5.2f},"
      f" active units {n_active_joint}/{cfg.z_dim}")
assert split_terms.elbo.mean() < test_elbo - 10 and n_active_split < n_active_joint

# %%
cpu_min = (time.process_time() - cpu_start) / 60
glue("vae01_cpu_min", cpu_min)
print(f"this notebook's cells used {cpu_min:.1f} CPU-minutes")

# %% [markdown]
# ## Summary
#
# - $\log p(x) = \mathrm{ELBO}(x) + \mathrm{KL}(q(z \mid x) \,\|\, p(z \mid x))$; the ELBO is a
#   reconstruction term minus the KL to the prior, which is closed-form for Gaussians.
# - The reparameterisation $z = \mu + \sigma\varepsilon$ gives low-variance gradients and lets one
#   loss and one optimizer train encoder and decoder together.
# - Pick a likelihood that is a probability of your data (here a discretised logistic over 17
#   grey levels); Bernoulli and Gaussian "log-likelihoods" of grey-level pixels are not.
# - Report test likelihood with the IWAE bound at large $K$, next to the ELBO, and against a
#   baseline; $\mathcal L_K$ can only grow with $K$, towards $\log p(x)$.
# - Conditioning encoder and decoder on a label (a one-hot vector concatenated to both inputs)
#   gives a model that draws the digit you ask for; a classifier and a shuffled-label reference
#   measure how well.
#
# ## Exercises
#
# ```{exercise} The KL between two Gaussians
# :label: ex-vae-kl
# Derive $\mathrm{KL}(\mathcal N(\mu_1, \sigma_1^2) \,\|\, \mathcal N(\mu_2, \sigma_2^2))$ and check
# your formula against `gaussian_kl(mu, logvar, mu_p, logvar_p)` for a few values.
# ```
#
# ```{solution} ex-vae-kl
# :class: dropdown
# $\mathbb E_q[\log q - \log p] = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12$,
# using $\mathbb E_q[(z - \mu_2)^2] = \sigma_1^2 + (\mu_1 - \mu_2)^2$. With log-variances this is
# $\frac12[\log\sigma_2^2 - \log\sigma_1^2 + (\sigma_1^2 + (\mu_1 - \mu_2)^2)/\sigma_2^2 - 1]$, the
# line in `gaussian_kl`; `tests/test_vae.py` checks it against `torch.distributions`.
# ```
#
# ```{exercise} IWAE with K = 1
# :label: ex-vae-iwae1
# Show that $\mathcal L_1$ equals the ELBO, and that $\mathcal L_K \le \log p(x)$ for every $K$.
# Then evaluate `iwae_bound(vae, x_test, 1)` several times with different seeds (`seed=1, 2, ...`): how much
# does the estimate of the mean move?
# ```
#
# ```{solution} ex-vae-iwae1
# :class: dropdown
# For $K = 1$ the average inside the log has one term, so $\mathcal L_1 = \mathbb E_q[\log w]$,
# the ELBO. For any $K$, $\frac1K\sum_k w_k$ is an unbiased estimate of $p(x)$ (each
# $\mathbb E_q[w_k] = p(x)$), and Jensen's inequality gives $\mathbb E[\log \frac1K\sum w_k] \le
# \log p(x)$. The two single-sample estimates above (the ELBO and IWAE with $K = 1$, from
# different random draws) differ by about a tenth of a nat per image, averaged over 360 images;
# expect the IWAE-1000 estimate to vary much less from draw to draw (check with a few seeds).
# ```
#
# ```{exercise} A Bernoulli decoder on binarised digits
# :label: ex-vae-binary
# Binarise the images (`(x > 0.5).float()`), train `VAE(VAEConfig(likelihood="bernoulli"))` on
# them and report its IWAE-1000 bound. Why is this number a proper log-likelihood, while the same
# decoder on grey levels is not? Can it be compared with the discretised-logistic figure above?
# ```
#
# ```{solution} ex-vae-binary
# :class: dropdown
# On binary data the Bernoulli distribution assigns probabilities to the two values that sum to
# one, so $-\log p(x)$ is a code length. It models *different data* (binary images, 2 levels per
# pixel) from the 17-level images, so the two numbers cannot be compared: a model of coarser data
# needs fewer nats.
# ```
#
# ```{exercise} The best Gaussian q in the linear-Gaussian model
# :label: ex-vae-optimal-q
# In the linear-Gaussian model of the first check ($z \sim \mathcal N(0, 1)$,
# $x \mid z \sim \mathcal N(az + b, s^2)$), write the ELBO (3) of $q = \mathcal N(m, v)$ as a
# function of $m$ and $v$ and maximise it by hand. Which $(m, v)$ do you get, and what is the
# ELBO there? Check your answer with the cell's numbers.
# ```
#
# ```{solution} ex-vae-optimal-q
# :class: dropdown
#
# $$\mathrm{ELBO}(m, v) = -\tfrac12\log 2\pi s^2 - \frac{(x - b - am)^2 + a^2 v}{2s^2}
# - \tfrac12(m^2 + v - \log v - 1).$$
#
# Setting $\partial/\partial m = 0$ gives
# $a(x - b - am)/s^2 = m$, i.e. $m = \frac{a(x - b)/s^2}{1 + a^2/s^2} = m_\ast$; setting
# $\partial/\partial v = 0$ gives $-\frac{a^2}{2s^2} - \frac12 + \frac{1}{2v} = 0$, i.e.
# $v = (1 + a^2/s^2)^{-1} = v_\ast$. The maximiser is the exact posterior, and by (5) the ELBO
# there equals $\log p(x)$: the first row of the cell's table, where KL(q ‖ posterior) is zero.
# ```
#
# ```{exercise} How much can a label add?
# :label: ex-vae-label-nats
# Predict, then run. Compute the conditional VAE's test ELBO, `elbo(cvaes[0], x_test,
# y=data.y_test.to(device)).elbo.mean()`, and compare it with the unconditional VAE's. Before you
# run it: averaged over the data, how much larger can $\log p(x \mid y)$ be than $\log p(x)$ at
# most, for ten equally frequent digits?
# ```
#
# ```{solution} ex-vae-label-nats
# :class: dropdown
# $\mathbb E[\log p(x \mid y) - \log p(x)] = \mathbb E[\log p(y \mid x) - \log p(y)] = I(x; y)
# \le H(y) = \log 10 \approx 2.3$ nats for the true distributions: the label can tell at most
# what it is worth. The two ELBOs are bounds from different models, so their measured difference
# can fall on either side of this, but it should be of this order, not tens of nats. A much larger
# gain would point to a weak unconditional model rather than to the label.
# ```
#
# ```{exercise} Train on shuffled labels
# :label: ex-vae-shuffled-labels
# Predict, then run. Train one conditional VAE as in the cell above, but with the training labels
# shuffled (`y_train[torch.randperm(len(y_train), generator=torch.Generator().manual_seed(0))]`).
# What accuracy on requested labels do you expect from the classifier, and what happens to the
# test ELBO?
# ```
#
# ```{solution} ex-vae-shuffled-labels
# :class: dropdown
# Shuffled labels are independent of the images, so the best decoder ignores them and draws any
# digit: the accuracy falls to about chance, one in ten, like the shuffled reference row. The
# model is then an unconditional VAE with a useless extra input, and its test ELBO (with the true
# test labels, or any others) is close to the unconditional VAE's.
# ```
