# ---
# jupyter:
#   course_lib:
#     assignment: vae
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: course_lib
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
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab only; never reinstalls torch or ipywidgets
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "course_lib @ git+https://github.com/dgm-seq-audio/course@v0.1.0",
         # the self-checks (tools.grading), from the same release
         "course-tools @ git+https://github.com/dgm-seq-audio/course@v0.1.0#subdirectory=tools"],
        check=True,
    )

# %% [markdown]
# # Assignment 2 (VAE chapter): the KL term, the reparameterisation trick and the ELBO
#
# **Time:** about 45 minutes. **Points:** 9, of which 1 from a hidden check.
# Fill in every `...  # YOUR CODE HERE` and run the check cell below it. Do not rename the
# functions.
#
# A VAE's encoder outputs, for each example, a mean $\mu \in \mathbb{R}^d$ and a
# **log-variance** $\log\sigma^2$ of the approximate posterior $q(z \mid x) = \mathcal N(\mu, \operatorname{diag}\sigma^2)$.
# The prior is $p(z) = \mathcal N(0, I)$ and the decoder gives Bernoulli logits for the pixels.
# The evidence lower bound of one example is
#
# $$\text{ELBO}(x) = \mathbb{E}_{q(z\mid x)}[\log p(x \mid z)] - \mathrm{KL}\big(q(z \mid x)\,\|\,p(z)\big) \le \log p(x).$$

# %%
import torch
import torch.nn.functional as F

from tools.grading import check

# %% [markdown]
# ## 1. The KL term in closed form (3 points, and 1 hidden point)
#
# For diagonal Gaussians, $\mathrm{KL}(\mathcal N(\mu, \sigma^2) \,\|\, \mathcal N(0, 1)) = \tfrac12(\mu^2 + \sigma^2 - 1 - \log\sigma^2)$
# per dimension. Write `gaussian_kl(mu, logvar)` for tensors of shape `(batch, d)`,
# returning one value per example, shape `(batch,)` (sum over the $d$ latent dimensions).

# %%
def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)
    ### END SOLUTION


check("vae", "gaussian_kl", globals())

# %% [markdown]
# ## 2. The reparameterisation trick (2 points)
#
# Sampling $z \sim q$ directly blocks gradients. Write `reparameterize(mu, logvar, eps)`
# returning $z = \mu + \sigma \odot \varepsilon$ for given standard normal noise `eps`, so that
# gradients flow to both `mu` and `logvar`.

# %%
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    return mu + torch.exp(0.5 * logvar) * eps
    ### END SOLUTION


check("vae", "reparameterize", globals())

# %%
### BEGIN HIDDEN TESTS
check("vae", "kl_monte_carlo", globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The ELBO (3 points)
#
# Write `elbo(x, logits, mu, logvar)`: `x` are binary pixels `(batch, pixels)`, `logits` the
# decoder's output for one sample $z$ of each example, and the result is one ELBO per example
# (shape `(batch,)`, in nats, summed over pixels: not averaged). The Bernoulli log-likelihood
# of a pixel is minus the binary cross-entropy with logits.

# %%
def elbo(x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    return log_px - gaussian_kl(mu, logvar)
    ### END SOLUTION


check("vae", "elbo", globals())

# %% [markdown]
# Why do encoders output $\log\sigma^2$ rather than $\sigma$? One or two sentences.
#
# <!-- BEGIN SOLUTION -->
# A linear layer can output any real number, and $\sigma = \exp(\tfrac12\log\sigma^2)$ is then
# positive by construction; predicting $\sigma$ directly needs a constraint, and its gradient
# near $\sigma = 0$ makes training unstable.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Your score

# %%
from tools.grading import run_checks

visible = run_checks("vae", globals(), include_hidden=False)
print(f"visible checks: {sum(r.points for r in visible):g}/{sum(r.max_points for r in visible)} points")
