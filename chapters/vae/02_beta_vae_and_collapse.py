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
# # β-VAE, rate and distortion, and posterior collapse
#
# The ELBO weighs its two terms equally. Changing that weight gives the β-VAE
# {cite}`higgins2017betavae` and a family of models that trade how much information the code
# carries (the *rate*) against how well images are reconstructed (the *distortion*)
# {cite}`alemi2018fixing`. At one end of that family the code carries nothing: **posterior
# collapse**, which a strong decoder can also cause on its own {cite}`bowman2016generating`.
#
# **Learning goals.** After this notebook you can
# - read the ELBO as $-(\text{distortion} + \text{rate})$ and place models on a rate-distortion plot;
# - explain why VAE means look blurry and what β does to them;
# - detect posterior collapse with the KL per dimension and the number of active units
#   {cite}`burda2016iwae`;
# - apply and *measure* two remedies: KL warm-up {cite}`bowman2016generating` and free bits
#   {cite}`kingma2016iaf`;
# - show that the rate bounds the information the code carries about the image, and measure both.
#
# This notebook builds on [the ELBO and the VAE](01_elbo_and_vae.ipynb): its model, its
# equations (2)-(3) and its IWAE bound.

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
import numpy as np
import torch
from IPython.display import Markdown, display

from course_lib.checkpoints import committed_result
from course_lib.data import load_digits_images
from course_lib.notebook import glue, markdown_table, read_csv_rows
from course_lib.utils import Timer, get_device
from course_lib.vae import VAE, VAEConfig, VAETrainConfig, active_units, elbo, show_images, train_vae


def evaluate(model: VAE, x: torch.Tensor) -> dict:
    """Rate, distortion, ELBO (nats/image), active units and KL per dimension on the images x."""
    with torch.no_grad():
        t = elbo(model, x, seed=0)
    return {
        "rate": t.kl.mean().item(),
        "distortion": -t.rec.mean().item(),
        "elbo": t.elbo.mean().item(),
        "active": active_units(model, x)[0],
        "kl_per_dim": t.kl_per_dim.mean(0).cpu().numpy(),
    }


device = get_device()
data = load_digits_images()
x_train, x_test = data.x_train.to(device), data.x_test.to(device)


# %% [markdown]
# ## Rate and distortion
#
# Name the two terms of the ELBO (equation (3) of the first notebook) after what they measure.
#
# 1. The *distortion* $D(x) = -\mathbb E_{q(z \mid x)}[\log p(x \mid z)]$ (nats: the cost of
#    describing $x$ once $z$ is known) and the *rate* $R(x) = \mathrm{KL}(q(z \mid x) \,\|\, p(z))$
#    (nats: the cost of describing $z$ with the prior's code). Then
#
#    $$\mathrm{ELBO}(x) = -\big(D(x) + R(x)\big). \tag{1}$$
#
# 2. The β-VAE {cite}`higgins2017betavae` minimises a reweighted sum,
#
#    $$\mathcal L_\beta(x) = D(x) + \beta\, R(x). \tag{2}$$
#
#    For $\beta = 1$ this is the negative ELBO. For $\beta > 1$ the code is pushed towards the
#    prior (less information, more distortion); for $\beta < 1$ the code carries more. Only
#    $\beta = 1$ optimises a bound on $\log p(x)$; every model below is still *evaluated* with
#    the true ELBO (1).
# 3. Why "rate"? Average $R$ over the data and insert the *aggregate posterior*
#    $q(z) = \mathbb E_x[q(z \mid x)]$, multiplying and dividing by it inside the log:
#
#    $$\mathbb E_x[R(x)] = \mathbb E_x \mathbb E_{q(z \mid x)}\!\left[\log \frac{q(z \mid x)}{q(z)}\right]
#    + \mathbb E_{q(z)}\!\left[\log \frac{q(z)}{p(z)}\right]
#    = I_q(x; z) + \mathrm{KL}\big(q(z) \,\|\, p(z)\big) \;\ge\; I_q(x; z). \tag{3}$$
#
#    The average rate is an upper bound on the mutual information between image and code
#    {cite}`alemi2018fixing`: a rate near zero means a code that says nothing about the image.
#
# We train the same VAE (8 latent dimensions, MLP decoder, discretised-logistic likelihood) for
# six values of β, with the same seed and number of steps.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: as β grows from 0.25 to 8, what happens to the rate and to the
# distortion? Which β will have the best test ELBO, and why that one?
# ```

# %%
betas = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
sweep_cfg = dict(epochs=30, batch_size=64, lr=2e-3, seed=0)
cfg = VAEConfig(z_dim=8, hidden=128)
sweep, models = {}, {}
with Timer() as t_sweep:
    for beta in betas:
        models[beta] = VAE(cfg, seed=0).to(device)
        train_vae(models[beta], x_train, VAETrainConfig(beta=beta, **sweep_cfg))
        sweep[beta] = evaluate(models[beta], x_test)
print(f"6 models trained in {t_sweep}")
print(" beta   rate  distortion    ELBO  active units")
for beta, r in sweep.items():
    print(f"{beta:5.2f} {r['rate']:6.2f} {r['distortion']:10.2f} {r['elbo']:8.2f} {r['active']:6d}")
rates = [sweep[b]["rate"] for b in betas]
assert all(a > b for a, b in zip(rates[:-1], rates[1:], strict=True))  # rate falls as beta grows
assert max(sweep, key=lambda b: sweep[b]["elbo"]) in (0.5, 1.0, 2.0)  # the ELBO peaks near beta = 1
h = train_vae(VAE(cfg, seed=0), x_train[:256], VAETrainConfig(beta=4.0, **{**sweep_cfg, "epochs": 1}))
loss_check = [h.losses[k][-1] for k in ("loss", "rec", "kl")]  # the last step's batch means
assert abs(loss_check[0] - (-loss_check[1] + 4.0 * loss_check[2])) < 1e-4  # (2): loss = D + beta R

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(5.5, 4))
r = np.array(rates)
d = np.array([sweep[b]["distortion"] for b in betas])
ax.plot(r, d, "o-")
for beta, ri, di in zip(betas, r, d, strict=True):
    ax.annotate(f"β={beta:g}", (ri, di), textcoords="offset points", xytext=(5, 3))
best = -max(sweep[b]["elbo"] for b in betas)
rr = np.linspace(0, r.max() * 1.05, 50)
ax.plot(rr, best - rr, "k:", label=f"R + D = {best:.1f} (best -ELBO)")
ax.set(xlabel="rate R = KL(q(z|x) || p(z)) (nats / image)",
       ylabel="distortion D (nats / image)", title="test rate-distortion of β-VAEs")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Points on a dotted line of slope $-1$ have the same ELBO. Larger β moves along the curve
# towards zero rate; past some β the rate is essentially zero and the decoder models every image
# the same way whatever $z$ is.
#
# **Checking (3).** Take the 360 test images as the data distribution. Then the aggregate
# posterior is a mixture of 360 Gaussians, $q(z) = \frac1{360}\sum_n q(z \mid x_n)$, and both
# terms of (3) can be estimated with draws $z \sim q(z \mid x_i)$: the information
# $I_q = \mathbb E[\log q(z \mid x_i) - \log q(z)]$, which cannot exceed $\log 360$ nats for a data
# set of 360 images, and the prior mismatch $\mathrm{KL}(q(z) \,\|\, p(z))$. Their sum should
# match the closed-form average rate.

# %%
import math

from course_lib.vae import reparameterize


@torch.no_grad()
def information_terms(model: VAE, x: torch.Tensor, draws: int = 10) -> tuple[float, float]:
    """Monte Carlo estimates of I_q(x; z) and KL(q(z) || p(z)) in (3), the images x as the data."""
    mu, logvar = model.encode(x)  # (N, D)
    z = reparameterize(mu, logvar, k=draws, seed=0)  # (draws, N, D)
    normal = torch.distributions.Normal(mu, (0.5 * logvar).exp())  # q(z | x_n) for every n
    log_q_all = normal.log_prob(z[:, :, None, :]).sum(-1)  # (draws, N_i, N_n): log q(z_i | x_n)
    log_q_own = log_q_all.diagonal(dim1=1, dim2=2)  # (draws, N): log q(z_i | x_i)
    log_q_agg = torch.logsumexp(log_q_all, dim=2) - math.log(len(x))  # (draws, N): log q(z_i)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)  # (draws, N)
    return (log_q_own - log_q_agg).mean().item(), (log_q_agg - log_p).mean().item()


print(" beta   rate R   I_q(x;z)   KL(q(z)||p(z))   I + KL   (nats/image; log 360 =", f"{math.log(360):.2f})")
info_terms = {beta: information_terms(models[beta], x_test) for beta in betas}
for beta, (info, mismatch) in info_terms.items():
    r = sweep[beta]["rate"]
    print(f"{beta:5.2f} {r:8.2f} {info:10.2f} {mismatch:16.2f} {info + mismatch:8.2f}")
    assert abs(info + mismatch - r) < 0.05 * r + 0.05  # (3) holds
    assert info <= min(r, math.log(len(x_test))) + 0.05  # the rate bounds the information
glue("vae02_info_low", info_terms[0.25][0])
glue("vae02_mismatch_low", info_terms[0.25][1])
glue("vae02_rate_low", sweep[0.25]["rate"])
glue("vae02_log360", math.log(len(x_test)))

# %% [markdown]
# In this run (one seed per β), the information and the prior mismatch add up to the rate for
# every β, as (3) says. At β = 0.25 the rate is {glue:text}`vae02_rate_low:.1f` nats, but the
# information estimate is {glue:text}`vae02_info_low:.2f`, pinned just under
# $\log 360 =$ {glue:text}`vae02_log360:.2f`: with 360 images, a code cannot tell more than which
# image it came from. The rest, {glue:text}`vae02_mismatch_low:.1f` nats, is the mismatch between
# the aggregate posterior and the prior, a cost that buys no information. This is one reason a
# low β gives poor prior samples: the codes of real images do not fill the prior.
#
# ## Why VAE images look blurry, and what β does
#
# With a pixel-wise factorised decoder, $\mathbb E[x \mid z]$ is the average of all images the
# encoder maps near $z$. The less the code says (higher β), the more images share a code and the
# blurrier the mean. Drawing $x \sim p(x \mid z)$ instead adds independent pixel noise, because the
# decoder cannot correlate pixels except through $z$.

# %% tags=["hide-input"]
def show_beta(log2_beta: int = 0, axes=None) -> None:
    """Reconstructions, decoder means of prior draws and KL per dimension of the model β = 2**log2_beta."""
    beta = 2.0**log2_beta
    show = axes is None
    if show:
        _, axes = plt.subplots(1, 3, figsize=(9, 3))
    model, r = models[beta], sweep[beta]
    show_images(axes[0], model.reconstruct(x_test[:16]).cpu(), 4, f"β={beta:g}: reconstructions")
    show_images(axes[1], model.sample(16, seed=0, mean=True).cpu(), 4, f"β={beta:g}: E[x|z], z~p(z)")
    axes[2].bar(range(1, 9), r["kl_per_dim"], color="C0")
    axes[2].set(ylim=(0, 3.5), xlabel="latent dimension", ylabel="KL (nats / image)",
                title=f"rate {r['rate']:.1f} nats, {r['active']} active")
    if show:
        plt.tight_layout()
        plt.show()


fig, axes = plt.subplots(4, 3, figsize=(9, 11.5))
for row, log2_beta in zip(axes, [-1, 0, 2, 3], strict=True):
    show_beta(log2_beta, row)
fig.suptitle("What β does: reconstructions, prior samples (decoder means) and the KL per dimension")
plt.tight_layout()
plt.show()

# %% [markdown]
# With a running kernel (Jupyter or Colab, not the website) the slider below redraws the same
# row for any of the six trained models; it chooses $\log_2 \beta$ from −2 (β = 0.25) to 3 (β = 8).

# %%
from course_lib.teaching import knobs

_ = knobs(show_beta, log2_beta=(-2, 3, 1, 0))

# %% [markdown]
# ## Posterior collapse
#
# A latent dimension has *collapsed* when $q(z_u \mid x) \approx p(z_u)$ for every $x$: its KL is
# about zero and its encoder mean does not vary with $x$. Burda et al. count **active units**:
# dimension $u$ is active if $\operatorname{Cov}_x\big(\mathbb E_{q(z \mid x)}[z_u]\big) > 0.01$.
#
# Two things cause it. A decoder strong enough to model $x$ without $z$ (an autoregressive one,
# such as a MADE {cite}`germain2015made` conditioned on $z$) makes
# ignoring the code the cheapest way to reduce the KL {cite}`bowman2016generating`. And a large
# β collapses the code by design, as the sweep shows: the KL per dimension of the β = 4 and
# β = 8 models tells which dimensions are dead.

# %%
for beta in (1.0, 4.0, 8.0):
    kl = sweep[beta]["kl_per_dim"]
    print(f"beta {beta:g}: KL per dimension " + " ".join(f"{v:4.2f}" for v in kl)
          + f"  -> active units {sweep[beta]['active']}/8")
assert sweep[8.0]["active"] <= 1 and sweep[8.0]["rate"] < 0.5  # collapsed
assert sweep[4.0]["active"] < sweep[1.0]["active"]

# %% [markdown]
# ## Measuring two remedies
#
# - **KL warm-up** (annealing) {cite}`bowman2016generating`: multiply the KL by a weight rising
#   linearly from 0 to its final value over the first steps (here the first half of training),
#   so the encoder learns to use $z$ before the penalty bites.
# - **Free bits** {cite}`kingma2016iaf`: replace the KL term by
#   $\sum_u \max(\lambda, \overline{\mathrm{KL}}_u)$, the batch-mean KL of each dimension floored
#   at λ nats. Below λ a dimension pays nothing for carrying information, so the reconstruction
#   gradient is free to make it useful.
#
# In a formula, free bits replaces the rate term of (2) by
#
# $$\beta \sum_{u=1}^{D} \max\!\big(\lambda,\; \tfrac1B \textstyle\sum_{b} \mathrm{KL}_u(x_b)\big), \tag{4}$$
#
# whose gradient with respect to dimension $u$ is zero while its batch-mean KL is below λ.
#
# We take the partly collapsed β = 4 model and retrain it, same seed and steps, with each remedy.
# Both change the *training* objective only; the table reports each trained model's true ELBO,
# rate and active units on the test set.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: with free bits λ = 0.5 and 8 dimensions, what is the smallest
# rate the β = 4 model can reach without paying more loss? And will warm-up, which only delays
# the penalty, leave the code active once β is back at 4?
# ```

# %%
steps = sweep_cfg["epochs"] * -(-len(x_train) // sweep_cfg["batch_size"])
remedies = {
    "β=4, plain": None,
    "β=4 + KL warm-up": VAETrainConfig(beta=4.0, warmup_steps=steps // 2, **sweep_cfg),
    "β=4 + free bits 0.5": VAETrainConfig(beta=4.0, free_bits=0.5, **sweep_cfg),
}
results, hists = {"β=4, plain": sweep[4.0]}, {}
with Timer() as t_rem:
    for name, tcfg in remedies.items():
        if tcfg is None:
            continue
        model = VAE(cfg, seed=0).to(device)
        hists[name] = train_vae(model, x_train, tcfg)
        results[name] = evaluate(model, x_test)
print(f"2 models trained in {t_rem}")
print(f"{'':22s}  ELBO   rate  active  KL per dimension (nats)")
for name, r in results.items():
    print(f"{name:22s} {r['elbo']:6.2f} {r['rate']:5.2f} {r['active']:4d}    "
          + " ".join(f"{v:4.2f}" for v in r["kl_per_dim"]))
used = {name: int((r["kl_per_dim"] > 0.05).sum()) for name, r in results.items()}
print("dimensions carrying more than 0.05 nat:", used)
plain, warm, free = (results[k] for k in remedies)
for key, r in zip(("plain", "warm", "free"), (plain, warm, free), strict=True):
    glue(f"vae02_{key}_active", r["active"])
    glue(f"vae02_{key}_used", used[next(k for k in remedies if results[k] is r)])
    glue(f"vae02_{key}_rate", r["rate"])
    glue(f"vae02_{key}_elbo", r["elbo"])
assert warm["rate"] > plain["rate"] and warm["elbo"] > plain["elbo"] + 1  # warm-up: more code, better ELBO
assert free["active"] == 8 and used["β=4 + free bits 0.5"] == 8 and free["elbo"] > warm["elbo"]
assert warm["active"] <= plain["active"] and used["β=4 + KL warm-up"] <= 4  # warm-up revives no code

# %% [markdown]
# Free bits revives every dimension for this seed ({glue:text}`vae02_free_active` active units,
# each dimension carrying about λ nats), and the ELBO improves
# ({glue:text}`vae02_plain_elbo:.2f` → {glue:text}`vae02_free_elbo:.2f` nats) because the code now
# helps reconstruction. Warm-up does something different: the rate rises
# ({glue:text}`vae02_plain_rate:.2f` → {glue:text}`vae02_warm_rate:.2f` nats) and the ELBO improves
# ({glue:text}`vae02_warm_elbo:.2f`), but it does not revive the code: active units go from
# {glue:text}`vae02_plain_active` to {glue:text}`vae02_warm_active`, and the dimensions above the
# cell's 0.05-nat threshold from {glue:text}`vae02_plain_used` to {glue:text}`vae02_warm_used`, far
# from the {glue:text}`vae02_free_used` of free bits. Once the weight reaches β = 4 the pressure
# towards the prior is back, and the code concentrates in a few dimensions. (The active-unit count, a variance threshold, is a coarser diagnostic than the KL
# per dimension: a dimension can pass it with almost no KL.) Warm-up was proposed for another
# setting, the collapse of a β = 1 model with a strong autoregressive decoder early in training
# {cite}`bowman2016generating`, which this page does not test; free bits guarantees a floor of
# information per dimension whatever the weight. `benchmarks/vae_collapse.py` repeats this
# comparison over seeds (see the end of the notebook).
#
# ## Common pitfalls
#
# :::{admonition} Pitfall: reporting the training loss of a β-VAE or free-bits model as its ELBO
# :class: warning
# With β ≠ 1 or free bits the loss is not $-\mathrm{ELBO}$, so it is not a bound on
# $-\log p(x)$. Report the ELBO (β = 1, no floor) or an IWAE bound of the trained model. The cell
# prints both numbers, averaged over the last epoch, for the free-bits model of the last section.
# :::

# %%
h, per_epoch = hists["β=4 + free bits 0.5"], steps // sweep_cfg["epochs"]
loss, neg_elbo = np.mean(h.losses["loss"][-per_epoch:]), -np.mean(h.losses["elbo"][-per_epoch:])
print(f"last epoch: training loss {loss:.2f} nats/image, -ELBO {neg_elbo:.2f} nats/image")
assert loss > neg_elbo + 1  # beta = 4 on the KL: the loss overstates -ELBO

# %% [markdown]
# :::{admonition} Pitfall: judging collapse from samples, or "the KL went to zero, so the model learned nothing"
# :class: warning
# Collapse is diagnosed with the KL per dimension and the active units. A collapsed code with a
# strong decoder can still be a good density model (the code is then simply not needed), and a
# model with every unit active can have a poor likelihood. Decide whether you need the code
# (representation, interpolation, control) or the likelihood, and measure that.
# :::
#
# ## Over several seeds
#
# ```{admonition} Think!
# :class: tip
# Before reading the table: which of the single-seed statements above do you expect to survive
# three seeds, and which may have been luck?
# ```
#
# The tables above come from one seed. `benchmarks/vae_collapse.py` repeats five of the sweep's
# six β values (all but 0.25) and the two remedies over three seeds (same settings); its committed results (test set, mean ± standard
# deviation over seeds) are read here. Regenerate them with `python benchmarks/vae_collapse.py`
# (about {glue:text}`vae_collapse_cpu_min:.0f` CPU-minutes with one thread).

# %%
runs = read_csv_rows(committed_result("vae_collapse.csv"))
variant = lambda r: r.get("row", r.get("variant"))  # the column is "row" in tables of new runs
summary = []
for name in dict.fromkeys(map(variant, runs)):
    group = [r for r in runs if variant(r) == name]
    cells = {m: f"{np.mean([r[m] for r in group]):.2f} ± {np.std([r[m] for r in group], ddof=1):.2f}"
             for m in ("rate", "distortion", "elbo", "active_units")}
    summary.append({"variant": name, "seeds": len(group), **cells})
glue("vae_collapse_cpu_min", sum(r["cpu_s"] for r in runs) / 60)
display(Markdown(markdown_table(summary)))
seed_mean = {name: {m: np.mean([r[m] for r in runs if variant(r) == name]) for m in ("rate", "elbo", "active_units")}
             for name in dict.fromkeys(map(variant, runs))}
for key, name in (("plain", "beta=4"), ("warm", "beta=4 + warm-up"), ("free", "beta=4 + free bits 0.5")):
    for m, v in seed_mean[name].items():
        glue(f"vae02_seeds_{key}_{m}", v)
assert seed_mean["beta=4 + warm-up"]["active_units"] <= seed_mean["beta=4"]["active_units"]
assert seed_mean["beta=4 + warm-up"]["elbo"] > seed_mean["beta=4"]["elbo"]
assert seed_mean["beta=4 + free bits 0.5"]["active_units"] == 8

# %% [markdown]
# Over the seeds the single-seed reading holds: free bits keeps all
# {glue:text}`vae02_seeds_free_active_units:.0f` units active and has the best ELBO of the β = 4
# variants ({glue:text}`vae02_seeds_free_elbo:.2f` nats, against {glue:text}`vae02_seeds_plain_elbo:.2f`
# without a remedy); warm-up improves the rate and the ELBO ({glue:text}`vae02_seeds_warm_rate:.2f`
# nats and {glue:text}`vae02_seeds_warm_elbo:.2f`) while its mean number of active units
# ({glue:text}`vae02_seeds_warm_active_units:.2f`) is no higher than without it
# ({glue:text}`vae02_seeds_plain_active_units:.2f`).

# %% [markdown]
# ## Summary
#
# - The ELBO is $-(D + R)$; β trades rate for distortion, and only β = 1 bounds $\log p(x)$.
# - VAE means are blurry because a factorised decoder averages every image sharing a code.
# - Posterior collapse: KL per dimension ≈ 0 and few active units; large β or a strong decoder
#   cause it. At β = 4, free bits revives every dimension and gives the best ELBO; KL warm-up
#   raises the rate and the ELBO but not the number of active units.
# - The average rate is the information the code carries plus the mismatch between the
#   aggregate posterior and the prior (3); a rate of zero means a code that says nothing.
#
# ## Exercises
#
# ```{exercise} Active units and the threshold
# :label: ex-vae-au
# Recompute the active units of the β = 4 model with thresholds 0.001, 0.01 and 0.1
# (`active_units(model, x_test, threshold=...)`), and compare with the KL per dimension. Which is
# the more robust diagnostic, and why?
# ```
#
# ```{solution} ex-vae-au
# :class: dropdown
# The count depends on the threshold when some dimensions are nearly collapsed, because the
# variance of the encoder mean falls continuously. The KL per dimension has a meaning of its own
# (nats of information sent per image in that dimension), so a dimension with KL ≪ 0.1 nat is
# unused whatever threshold one picks; the two agree on clearly active and clearly dead units.
# ```
#
# ```{exercise} The rate at β = 1 and the IWAE gap
# :label: ex-vae-rate
# Using `iwae_bound(models[1.0], x_test, 100)` from `course_lib.vae`, compare the rate of the β = 1
# model with the gap between its IWAE-100 bound and its ELBO. Can the gap be larger than the rate? Explain with $\log p(x) = \mathrm{ELBO} + \mathrm{KL}(q \,\|\, p(z \mid x))$.
# ```
#
# ```{solution} ex-vae-rate
# :class: dropdown
# The IWAE gap estimates part of $\mathrm{KL}(q(z \mid x) \,\|\, p(z \mid x))$, the distance to the
# *posterior*; the rate is the distance to the *prior*. They measure different things, so either
# can be larger. A collapsed model (rate 0) can have a tiny gap, since then the posterior is close
# to the prior too.
# ```
#
# ```{exercise} Free bits per dimension or in total
# :label: ex-vae-freebits
# `elbo_terms` applies the floor per dimension. Change the notebook to floor the *total* KL at
# $8 \times 0.5$ nats instead (compute the loss yourself from `elbo(...).rec` and `.kl`), train the
# β = 4 model with it and count the dimensions with KL below 0.05 nats. What changes, and why?
# ```
#
# ```{solution} ex-vae-freebits
# :class: dropdown
# A floor on the total lets the model spend all its free nats in a few dimensions and still
# collapse the others; a per-dimension floor removes the incentive to shrink each dimension's
# KL below λ, so every dimension is revived. Expect more collapsed dimensions with the total floor.
# ```
#
# ```{exercise} When is the rate all information?
# :label: ex-vae-rate-info
# Derive (3) step by step from the definition of the mutual information
# $I_q(x; z) = \mathbb E_{q(x, z)}[\log q(z \mid x) - \log q(z)]$, with $q(x, z) = p_{\text{data}}(x)\,q(z \mid x)$.
# When does the rate equal the information exactly? Which of the six models comes closest, by
# the table of the check?
# ```
#
# ```{solution} ex-vae-rate-info
# :class: dropdown
# $\log\frac{q(z \mid x)}{p(z)} = \log\frac{q(z \mid x)}{q(z)} + \log\frac{q(z)}{p(z)}$; take the
# expectation under $q(x, z)$: the first term gives $I_q(x; z)$, and the second depends only on
# $z$, whose marginal under $q(x, z)$ is the aggregate posterior $q(z)$, so it gives
# $\mathrm{KL}(q(z) \,\|\, p(z))$. The rate equals the information exactly when the aggregate
# posterior is the prior. In the table, the relative mismatch is smallest for the models with a
# moderate rate; at β = 8 both terms are about zero.
# ```
#
# ```{exercise} Free bits: predict the rate
# :label: ex-vae-freebits-rate
# Predict, then run. Retrain the β = 4 model with free bits λ = 0.25 and λ = 1.0
# (`VAETrainConfig(beta=4.0, free_bits=..., **sweep_cfg)`). Before running, write down the test
# rate you expect for each, using (4). Then measure it with `evaluate`.
# ```
#
# ```{solution} ex-vae-freebits-rate
# :class: dropdown
# Below λ a dimension's KL costs nothing, and above it the β = 4 penalty pushes it down, so each
# of the 8 dimensions settles near λ: expect a total rate near $8\lambda$, that is $2$ and $8$ nats.
# The measured test rate is close to that, a little off because the floor acts on the *batch*
# mean of the training data, while `evaluate` averages over the test images.
# ```
#
# ```{exercise} β below one and the likelihood
# :label: ex-vae-beta-iwae
# Predict, then run. The β = 0.5 model spends more rate than the β = 1 model. Compute both
# models' IWAE bound with $K = 100$ on the test set (`iwae_bound(models[b], x_test, 100)`) and
# compare with their ELBOs from the sweep. Which model has the better ELBO, and does the IWAE
# bound change the ranking?
# ```
#
# ```{solution} ex-vae-beta-iwae
# :class: dropdown
# Only β = 1 trains on the ELBO itself, but that guarantees nothing about the *test* ELBO after a
# fixed, short training: a smaller β weighs reconstruction more, which can help a model that is
# still under-fitting, and the sweep's table (one seed per β) shows that β = 1 need not come out
# on top. The IWAE bound is tighter than the ELBO by an amount that depends on how far
# $q$ is from the true posterior, and that gap need not be the same for the two models, so the
# ranking by IWAE can differ from the ranking by ELBO. With one seed each, the difference may be
# within the seed-to-seed spread: report both bounds, over several seeds, before concluding.
# ```
