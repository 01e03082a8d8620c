# ---
# jupyter:
#   course_lib:
#     assignment: gan
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
# # Assignment 1 (GAN chapter): the losses of the minimax game
#
# **Time:** about 45 minutes. **Points:** 10, of which 1 from a hidden check.
# Fill in every `...  # YOUR CODE HERE` and run the check cell below it: it prints your
# points and, when something is wrong, what to change. Do not rename the functions.
#
# The discriminator $D$ outputs a **logit** $\ell$ and $D = \sigma(\ell)$. It maximises
#
# $$V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))],$$
#
# so as a loss to *minimise* it uses $L_D = -\frac1n\sum_i \log \sigma(\ell^\text{real}_i)
# - \frac1m\sum_j \log(1 - \sigma(\ell^\text{fake}_j))$.
# Two identities keep this finite for any logit: $-\log\sigma(\ell) = \operatorname{softplus}(-\ell)$
# and $-\log(1-\sigma(\ell)) = \operatorname{softplus}(\ell)$, with
# $\operatorname{softplus}(u) = \log(1 + e^u)$ (`torch.nn.functional.softplus`).

# %%
import math

import torch
import torch.nn.functional as F

from tools.grading import check

# %% [markdown]
# ## 1. The discriminator's loss (3 points, and 1 hidden point for numerical stability)
#
# Write `d_loss(real_logits, fake_logits)` returning the scalar $L_D$ above (the mean over
# each batch; the two batches may differ in size). Do not compute `torch.log(torch.sigmoid(...))`:
# for a logit of −200 it returns `-inf`.

# %%
def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    ### END SOLUTION


check("gan", "d_loss", globals())

# %%
### BEGIN HIDDEN TESTS
check("gan", "d_loss_stable", globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Two losses for the generator (2 points)
#
# In the original minimax game the generator *minimises* the second term of $V$,
# $\frac1m\sum_j \log(1 - D(G(z_j)))$: the **saturating** loss. In practice one uses the
# **non-saturating** loss $-\frac1m\sum_j \log D(G(z_j))$ instead (Goodfellow et al., 2014).
# Write both, as functions of the fake logits.

# %%
def g_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    return -F.softplus(fake_logits).mean()
    ### END SOLUTION


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    return F.softplus(-fake_logits).mean()
    ### END SOLUTION


check("gan", "g_losses", globals())

# %% [markdown]
# ## 3. Why the saturating loss stalls (2 points)
#
# Early in training the discriminator easily spots fakes: say $D(G(z)) = \sigma(-6) \approx 0.0025$.
# Write `gradient_ratio(logit)`: make a batch of one fake logit (a tensor that requires grad),
# use autograd (`torch.autograd.grad`) to compute the gradient of each generator loss with
# respect to it, and return |non-saturating gradient| / |saturating gradient| as a float.

# %%
def gradient_ratio(logit: float) -> float:
    ### BEGIN SOLUTION
    x = torch.tensor([logit], requires_grad=True)
    (grad_sat,) = torch.autograd.grad(g_loss_saturating(x), x)
    (grad_ns,) = torch.autograd.grad(g_loss_nonsaturating(x), x)
    return (grad_ns.abs() / grad_sat.abs()).item()
    ### END SOLUTION


try:
    for logit in (-6.0, -2.0, 0.0, 2.0):
        print(f"logit {logit:+.0f}: D(G(z)) = {torch.sigmoid(torch.tensor(logit)):.4f}, "
              f"gradient ratio {gradient_ratio(logit):.3g}")
except NotImplementedError:
    print("not done yet: write g_loss_saturating, g_loss_nonsaturating and gradient_ratio")
check("gan", "gradients", globals())

# %% [markdown]
# In one or two sentences: what does this ratio mean for a generator that has just started
# training?
#
# <!-- BEGIN SOLUTION -->
# The saturating loss has gradient $-\sigma(\ell)$, which vanishes when the discriminator
# is confident ($\sigma(\ell) \to 0$); the non-saturating loss has gradient $-(1 - \sigma(\ell))$,
# close to −1 there. The ratio is $(1 - D)/D$: at a logit of −6 the generator gets a few
# hundred times more signal exactly when it needs it, and the two agree only at $D = 1/2$.
# <!-- END SOLUTION -->

# %% [markdown]
# ## 4. The optimal discriminator (2 points)
#
# For a fixed generator, $V$ is maximised pointwise by $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}$.
# Write `optimal_discriminator(p_data, p_g)` for densities given on a grid of points (where
# exactly one of them is 0 the answer is 0 or 1), and set `value_at_equilibrium` to the
# value $V(D^*, G)$ when $p_g = p_\text{data}$, in nats.

# %%
def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    return p_data / (p_data + p_g)
    ### END SOLUTION


### BEGIN SOLUTION
value_at_equilibrium = 2 * math.log(0.5)
### END SOLUTION
check("gan", "optimal_d", globals())

# %% [markdown]
# ## Your score
#
# The cell below runs every check that you can see. Your teacher's grader also runs the
# hidden ones.

# %%
from tools.grading import run_checks

visible = run_checks("gan", globals(), include_hidden=False)
print(f"visible checks: {sum(r.points for r in visible):g}/{sum(r.max_points for r in visible)} points")
