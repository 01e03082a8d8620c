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
# # Autoencoder vs VAE vs GAN on the same data
#
# Three ways to learn from the same 1,437 training digits: a plain autoencoder (AE), a VAE
# {cite}`kingma2014vae` and a GAN {cite}`goodfellow2014gan` with a smaller version of the GAN
# chapter's DCGAN {cite}`radford2016dcgan` (16 channels, 16-dimensional noise). We score all three with **the same metrics on the same
# 360 test images**: reconstruction error, test log-likelihood where one is defined, the
# Fréchet distance {cite}`heusel2017gans` and precision/recall {cite}`kynkaanniemi2019improved`
# in the feature space of the course's digit classifier, and training time.
#
# **Learning goals.** After this notebook you can
# - say what each model can and cannot do (encode, sample, assign a likelihood);
# - compare generative models with shared, sample-based metrics and read them critically;
# - choose between an AE, a VAE and a GAN for a task, with evidence;
# - choose a model's hyperparameters honestly: select on a validation split carved from the
#   training data, with a likelihood bound where there is one, and touch the test set once;
# - explain why a GAN offers no likelihood to select on, and what to measure instead.
#
# This is the last notebook of the chapter; a self-check quiz closes it.

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
from IPython.display import Markdown, display

from course_lib import checkpoints
from course_lib.data import load_digits_images
from course_lib.evaluators import digit_image_classifier
from course_lib.gan import pretrained_dcgan_digits, sample
from course_lib.metrics import frechet_distance, precision_recall
from course_lib.notebook import glue, markdown_table, plot_history
from course_lib.utils import Timer, get_device
from course_lib.vae import VAE, VAEConfig, VAETrainConfig, elbo, show_images, train_autoencoder, train_vae

# %% [markdown]
# ## The shared yardstick
#
# Sample-based metrics need a feature space. As in the GAN chapter, we use the penultimate layer
# of `DigitImageClassifier`, a small CNN trained on the training split (`digit_image_classifier`).
# Two reference points calibrate the numbers: the training images themselves (what a perfect
# sampler would score, up to sampling noise) and the classifier's test accuracy.

# %%
with Timer() as t_clf:
    clf = digit_image_classifier(seed=0)  # on the CPU
device = get_device()
data = load_digits_images()
x_train, x_test = data.x_train.to(device), data.x_test.to(device)
n_eval = len(x_test)  # 360 samples per model, compared with the 360 test images


@torch.no_grad()
def feats(x: torch.Tensor) -> torch.Tensor:
    """Classifier features (B, 64) of images (B, 1, 8, 8) in [0, 1]."""
    return clf.features(x.cpu())


with torch.no_grad():
    acc = (clf(data.x_test).argmax(1) == data.y_test).float().mean().item()
    f_test = feats(x_test)
    f_ref = feats(x_train[torch.randperm(len(x_train), generator=torch.Generator().manual_seed(0))[:n_eval]])
fd_ref = frechet_distance(f_ref, f_test)
p_ref, r_ref = precision_recall(f_test, f_ref)
print(f"classifier trained in {t_clf}, test accuracy {acc:.3f}")
print(f"360 training images vs the test set: FD {fd_ref:.2f}, precision {p_ref:.2f}, recall {r_ref:.2f}")
assert acc > 0.9

# %% [markdown]
# ## Three models, one data set
#
# - **AE**: the VAE's encoder and decoder networks, trained on the reconstruction term alone
#   (the same discretised-logistic likelihood) at the code $z = \mu(x)$: no prior, no noise
#   (`train_autoencoder`). It has no sampler of its own; to draw images we fit a Gaussian to its
#   training codes and decode draws from it, a common post-hoc fix that we label as such.
# - **VAE**: exactly the model of the first notebook of this chapter (8 latent dimensions).
# - **GAN**: `DCGANGenerator` and `DCGANDiscriminator` from `course_lib.gan`, trained with
#   `train_gan` (non-saturating loss) on the same images rescaled to [−1, 1]. Its training costs
#   more CPU time than this notebook's budget, so `benchmarks/vae_gan_checkpoint.py` trains it
#   once and `pretrained_dcgan_digits()` loads the generator from its checkpoint (hash-checked;
#   outside the repository, e.g. on Colab, the checkpoint is downloaded), with its training record.
#
# Training times below are **CPU seconds** with one thread: wall-clock time on a shared machine
# says more about the neighbours than about the model.

# %%
cfg = VAEConfig(z_dim=8, hidden=128)
vae_train = VAETrainConfig(epochs=80, batch_size=128, lr=2e-3, seed=0)
ae = VAE(cfg, seed=0).to(device)  # the same networks, trained as a plain autoencoder
hist_ae = train_autoencoder(ae, x_train, vae_train)
vae = VAE(cfg, seed=0).to(device)
hist_vae = train_vae(vae, x_train, vae_train)
gen = pretrained_dcgan_digits().to(device)
gan_record = checkpoints.load("vae_dcgan_digits")["meta"]  # written by benchmarks/vae_gan_checkpoint.py
print(f"GAN training record: {gan_record}")
cpu = {"AE": hist_ae.cpu_s, "VAE": hist_vae.cpu_s, "GAN": gan_record["train_cpu_s"]}
print("training CPU time:", ", ".join(f"{name} {s:.1f} s" for name, s in cpu.items()))
with torch.no_grad():
    elbo_vae = elbo(vae, x_test, seed=0).elbo.mean().item()
assert elbo_vae > -95 and hist_ae.losses["loss"][-1] < hist_ae.losses["loss"][0] - 50

# %% [markdown]
# ## Samples side by side

# %%
g = torch.Generator().manual_seed(1)
with torch.no_grad():
    codes = ae.encode(x_train)[0]  # (n, 8): the AE's code is the encoder mean
    chol = torch.linalg.cholesky(torch.cov(codes.T))  # a Gaussian fitted to the codes: mean + L eps
    ae_codes = codes.mean(0) + torch.randn(n_eval, cfg.z_dim, generator=g).to(device) @ chol.T
    samples = {
        "AE (Gaussian fitted to codes)": ae.decode_mean(ae_codes).cpu(),
        "VAE, E[x|z]": vae.sample(n_eval, seed=g, mean=True).cpu(),
        "VAE, x ~ p(x|z)": vae.sample(n_eval, seed=g).cpu(),
        "GAN": ((sample(gen, n_eval, seed=1) + 1) / 2).clamp(0, 1),
    }
fig, ax = plt.subplots(2, 3, figsize=(9, 6.4))
ax = ax.ravel()
ax[5].axis("off")
show_images(ax[0], x_test[:36].cpu(), 6, "test images")
for a, (name, s) in zip(ax[1:5], samples.items(), strict=True):
    show_images(a, s[:36], 6, name)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The table
#
# - **Reconstruction error**: mean squared error per pixel between a test image and its
#   reconstruction (the decoder mean at the encoder's code). A GAN has no encoder: not defined.
# - **Test NLL**: $-\log p(x)$ in nats per image, with the IWAE bound at $K = 1000$ (an upper
#   bound on the NLL) for the VAE. The AE and GAN define no likelihood.
# - **FD, precision, recall**: 360 samples against the 360 test images in the classifier's
#   feature space. Lower FD is better; precision measures how many samples look like real data,
#   recall how much of the real data the samples cover. The Fréchet distance
#   {cite}`heusel2017gans` fits a Gaussian to each set of features (means $m_1, m_2$, covariances
#   $C_1, C_2$) and compares the two:
#
#   $$\mathrm{FD} = \lVert m_1 - m_2 \rVert^2 + \operatorname{Tr}\big(C_1 + C_2 - 2 (C_1 C_2)^{1/2}\big). \tag{1}$$
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: which of the four samplers will have the lowest FD, and will the
# VAE's decoder means or its draws have the higher recall?
# ```

# %%
from course_lib.vae import iwae_bound

with torch.no_grad():
    mse_ae = (ae.reconstruct(x_test) - x_test).pow(2).mean().item()
    mse_vae = (vae.reconstruct(x_test) - x_test).pow(2).mean().item()
nll_vae = -iwae_bound(vae, x_test, 1000, seed=1).mean().item()
recon = {"AE": mse_ae, "VAE": mse_vae, "GAN": None}  # None: not defined for that model
nll = {"AE": None, "VAE": nll_vae, "GAN": None}
table = {}
for name, s in samples.items():
    f = feats(s)
    p, r = precision_recall(f_test, f)
    family = name.split(" ")[0].rstrip(",")
    table[name] = dict(fd=frechet_distance(f, f_test), precision=p, recall=r, mse=recon[family],
                       nll=nll[family], cpu_s=cpu[family])
table["360 training images (reference)"] = dict(fd=fd_ref, precision=p_ref, recall=r_ref, mse=None,
                                                 nll=None, cpu_s=None)
columns = {"FD ↓": ("fd", ".2f"), "precision ↑": ("precision", ".2f"), "recall ↑": ("recall", ".2f"),
           "recon. MSE / pixel ↓": ("mse", ".4f"), "test NLL, nats/image ↓": ("nll", ".2f"),
           "training CPU (s)": ("cpu_s", ".1f")}
rows = [{"model": name} | {col: "n/a" if r[key] is None else format(r[key], spec)
                           for col, (key, spec) in columns.items()} for name, r in table.items()]
print(f"VAE test ELBO {elbo_vae:.2f} nats/image; NLL <= {nll_vae:.2f} (IWAE-1000)")
display(Markdown(markdown_table(rows)))

# %%
fd = {name: r["fd"] for name, r in table.items()}
means, draws = table["VAE, E[x|z]"], table["VAE, x ~ p(x|z)"]
assert fd["GAN"] < fd["VAE, x ~ p(x|z)"] < fd["AE (Gaussian fitted to codes)"]  # sample quality ranking
assert means["recall"] < draws["recall"] - 0.2  # decoder means cover less of the data than draws
assert min(v for k, v in fd.items() if "reference" not in k) > fd["360 training images (reference)"]
assert mse_ae < mse_vae  # the AE reconstructs better: its code is not rationed by a KL term
assert nll_vae < -elbo_vae  # the IWAE bound on the NLL is tighter than -ELBO

# %% [markdown]
# Reading the table: the GAN's samples are closest to the test set in the classifier's feature
# space (lowest FD) and, of the three samplers, the AE with a fitted Gaussian is furthest (the VAE's
# decoder means aside); the AE reconstructs best; only
# the VAE has a likelihood. The VAE's decoder *means* are smooth prototypes: the classifier finds
# them realistic (precision) but they cover much less of the data's variety (recall), and their
# feature statistics differ from real digits (FD), so "VAE samples" shown as means flatter the
# model on one measure and hurt it on another.
#
# ## Stability
#
# The AE and the VAE minimise one loss that decreases smoothly and whose value means something
# (nats per image). The GAN plays a two-player game whose losses do not track sample quality;
# the GAN chapter measures its instabilities (mode collapse, oscillation, sensitivity to learning
# rates). Here, the AE's and VAE's training curves:

# %% tags=["hide-input"]
fig, ax = plt.subplots(1, 2, figsize=(8, 3), sharey=True)
plot_history(hist_vae, ["loss"], smooth=10, axes=[ax[0]])
plot_history(hist_ae, ["loss"], smooth=10, axes=[ax[1]])
ax[0].set(title="VAE: -ELBO", ylabel="training loss (nats / image)", ylim=(40, 150))
ax[1].set(title="AE: -log p(x | z = f(x))")
plt.show()

# %% [markdown]
# ## Which to choose
#
# Read with the table above (one seed, small models; the GAN chapter's benchmarks show the
# spread over seeds for GANs):
#
# | need | choose | evidence here |
# |---|---|---|
# | compress / reconstruct inputs | **AE** (or VAE with small β) | lowest reconstruction error; no sampler without a post-hoc density |
# | a likelihood: compare models, detect outliers, compress losslessly | **VAE** (or an autoregressive model) | the only one with a test NLL (IWAE bound) |
# | realistic samples | **GAN** | lowest FD of the three models, precision and recall close to the VAE's draws |
# | a smooth, usable latent space with an encoder | **VAE** | encoder + prior; see the latent map and interpolations of the first notebook |
# | stable, monitorable training with few knobs | **VAE / AE** | one loss whose value means something; a GAN has two learning rates, Adam betas, the D/G balance, and losses that do not track sample quality |
#
# FD and precision/recall are computed in a small classifier's feature space from 360 samples:
# they rank models on this data set, they are not absolute quality measures, and they cannot be
# compared with published FID values.
#
# ## How to choose hyperparameters
#
# Every number in the table came from one setting of each model, fixed in advance. How should
# *you* pick the latent size $D$ or the weight β? The rule is the same for any
# model: the data that chooses a setting must not be the data that reports the result.
#
# 1. Carve a **validation split** out of the training images (here 287 of the 1,437, by a seeded
#    permutation). The test images stay untouched.
# 2. Train every candidate setting on the remaining 1,150 images (here two seeds per setting, so
#    that seed noise is visible).
# 3. Score each trained model on the validation images with a criterion that measures what you
#    want. For a VAE that is a likelihood bound: the IWAE bound $\mathcal L_{100}$, comparable
#    across settings because every model scores the same images under discrete likelihoods. A
#    training loss is not a criterion: it rewards memorising, and for β ≠ 1 it is not even the ELBO.
# 4. Choose the setting with the best mean validation score.
# 5. Evaluate the chosen setting on the test set, **once**, and report that number. Choosing on the
#    test set would report the best of many noisy estimates, which is optimistic (exercise
#    {ref}`ex-vae-max-of-noisy`).
#
# The grid is small on purpose: $D \in \{2, 8, 16\}$ and $\beta \in \{0.5, 1, 2\}$, about 450 steps
# each. Next to the validation bound, the cell also computes the score a GAN would have to be
# selected by, the FD of each model's draws against the validation images (section below).
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: which latent size and which β will have the best validation
# bound? Will the difference between $D = 8$ and $D = 16$ be larger or smaller than the spread
# between two seeds of the same setting?
# ```

# %%
import itertools

n_val = 287
perm = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(2024))
x_fit, x_val = x_train[perm[n_val:]], x_train[perm[:n_val]]  # (1150, 1, 8, 8), (287, 1, 8, 8)
f_val = feats(x_val)
grid = list(itertools.product([2, 8, 16], [0.5, 1.0, 2.0]))  # (D, beta)
sweep, sweep_models = {}, {}
with Timer() as t_sweep:
    for z_dim, beta in grid:
        scores = []
        for seed in (0, 1):
            m = VAE(VAEConfig(z_dim=z_dim, hidden=128), seed=seed).to(device)
            train_vae(m, x_fit, VAETrainConfig(epochs=25, batch_size=64, lr=2e-3, seed=seed, beta=beta))
            val_iwae = iwae_bound(m, x_val, 100, seed=seed).mean().item()
            val_fd = frechet_distance(feats(m.sample(n_val, seed=seed)), f_val)
            scores.append((val_iwae, val_fd))
            sweep_models[z_dim, beta, seed] = m
        s_ = torch.tensor(scores)  # (2 seeds, 2 scores)
        sweep[z_dim, beta] = {"iwae": s_[:, 0].mean().item(), "iwae_sd": s_[:, 0].std().item(),
                              "fd": s_[:, 1].mean().item(), "fd_sd": s_[:, 1].std().item()}
chosen = max(sweep, key=lambda k: sweep[k]["iwae"])
by_fd = min(sweep, key=lambda k: sweep[k]["fd"])
print(f"{len(grid)} settings x 2 seeds trained in {t_sweep}")
display(Markdown(markdown_table([
    {"D": d, "β": f"{b:g}", "validation IWAE-100 (nats/image) ↑": f"{r['iwae']:.2f} ± {r['iwae_sd']:.2f}",
     "validation FD ↓": f"{r['fd']:.1f} ± {r['fd_sd']:.1f}",
     "chosen by": " and ".join(n for n, k in (("IWAE", chosen), ("FD", by_fd)) if k == (d, b))}
    for (d, b), r in sweep.items()])))

# %% [markdown]
# Only now is the test set used, for the chosen setting alone: its two models (trained on the 1,150
# images) are scored on the 360 test images with $\mathcal L_{100}$.

# %%
test_scores = torch.tensor([iwae_bound(sweep_models[(*chosen, seed)], x_test, 100, seed=seed).mean().item()
                            for seed in (0, 1)])
print(f"chosen setting D = {chosen[0]}, beta = {chosen[1]:g}: validation IWAE-100 {sweep[chosen]['iwae']:.2f},"
      f" test IWAE-100 {test_scores.mean():.2f} ± {test_scores.std():.2f} (2 seeds)")
glue("vae03_chosen_d", chosen[0])
glue("vae03_chosen_beta", chosen[1])
glue("vae03_chosen_val", sweep[chosen]["iwae"])
glue("vae03_chosen_val_sd", sweep[chosen]["iwae_sd"])
glue("vae03_chosen_test", test_scores.mean().item())
glue("vae03_chosen_test_sd", test_scores.std().item())
glue("vae03_d2_val", max(sweep[2, b]["iwae"] for b in (0.5, 1.0, 2.0)))
glue("vae03_fd_d", by_fd[0])
glue("vae03_fd_beta", by_fd[1])
assert chosen[0] > 2 and sweep[chosen]["iwae"] > max(sweep[2, b]["iwae"] for b in (0.5, 1.0, 2.0)) + 2
assert test_scores.mean() > -100  # the chosen model is a reasonable density model of the test digits

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for ax, key, label, cmap in ((axes[0], "iwae", "validation IWAE-100 (nats/image, higher is better)", "viridis"),
                             (axes[1], "fd", "validation FD of draws (lower is better)", "viridis_r")):
    table = torch.tensor([[sweep[d, b][key] for b in (0.5, 1.0, 2.0)] for d in (2, 8, 16)])  # (3 D, 3 beta)
    im = ax.imshow(table.numpy(), cmap=cmap, aspect="auto")
    low, high = table.min().item(), table.max().item()
    for (r, c), v in zip(itertools.product(range(3), range(3)), table.flatten().tolist(), strict=True):
        dark = (v - low) / (high - low) < 0.5 if key == "iwae" else (v - low) / (high - low) > 0.5
        ax.text(c, r, f"{v:.1f}", ha="center", va="center", color="white" if dark else "black")
    ax.set(xticks=range(3), xticklabels=["0.5", "1", "2"], yticks=range(3), yticklabels=["2", "8", "16"],
           xlabel="β", ylabel="latent size D", title=label)
    fig.colorbar(im, ax=ax)
fig.suptitle("Hyperparameter sweep on the validation split (mean of 2 seeds)")
plt.tight_layout()
plt.show()

# %% [markdown]
# The validation bound chooses $D =$ {glue:text}`vae03_chosen_d`, β = {glue:text}`vae03_chosen_beta`
# ({glue:text}`vae03_chosen_val:.2f` ± {glue:text}`vae03_chosen_val_sd:.2f` nats, mean ± standard
# deviation over two seeds), well above the best two-dimensional model
# ({glue:text}`vae03_d2_val:.2f`); on the test set, touched once, the chosen setting scores
# {glue:text}`vae03_chosen_test:.2f` ± {glue:text}`vae03_chosen_test_sd:.2f`. Compare the
# differences between the larger settings with the spread between seeds in the table before
# reading much into the ranking among them: a sweep this small separates clear losers (the
# two-dimensional code) from a group of settings that may be within noise of each other. The FD criterion picks $D =$ {glue:text}`vae03_fd_d`, β = {glue:text}`vae03_fd_beta`: a
# sample-based score need not agree with the likelihood, because it judges what the draws look
# like in a classifier's feature space, not how probable the held-out images are.
#
# ## Why a GAN has no likelihood to select on
#
# The same protocol works for a GAN, but step 3 needs a criterion, and the likelihood is not
# available. The reason is geometric.
#
# 1. The generator maps noise $z \in \mathbb R^{16}$ to an image $x = G(z) \in \mathbb R^{64}$.
#    Near any $z$, $G(z + \delta) \approx G(z) + J(z)\,\delta$ with the Jacobian
#    $J(z) \in \mathbb R^{64 \times 16}$, so
#
#    $$\operatorname{rank} J(z) \le 16 < 64: \tag{2}$$
#
#    the generated images lie on a surface of dimension at most 16 inside the 64-dimensional
#    image space.
# 2. Such a surface has zero volume in $\mathbb R^{64}$, so the distribution of $G(z)$ has no
#    density there: $p_G(x) = 0$ off the surface, and a held-out real image lies off it with
#    probability one. Its "log-likelihood" is $-\infty$ for every setting, which cannot rank them.
# 3. One can *add* a noise model, $x = G(z) + \text{noise}$, to get a density, and estimate it by
#    importance sampling. But a GAN has no encoder to propose $z$ for a given $x$, so that
#    estimate needs far more samples than the VAE's IWAE bound, and it scores the added noise as
#    much as the generator.
# 4. So GANs are selected with **sample-based scores on held-out data**: the FD (1) and
#    precision/recall between generated samples and validation images in a fixed feature space,
#    a classifier's accuracy on conditional samples, and visual inspection. All of them have
#    sampling noise (compare settings at the same sample size, over several seeds), and all of
#    them depend on the feature space.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: how many non-zero singular values can the GAN generator's
# Jacobian have at a noise point, and how many would a model with a density on the 64 pixels need?
# ```

# %%
z0 = torch.randn(5, gen.cfg.latent_dim, generator=torch.Generator().manual_seed(3))  # 5 noise points
sv = torch.stack([torch.linalg.svdvals(torch.autograd.functional.jacobian(
    lambda z: gen.eval()(z[None].to(device)).flatten().cpu(), z)) for z in z0])  # (5, 16)
print(f"Jacobian of G at 5 noise points: shape (64, {gen.cfg.latent_dim}), so {sv.shape[1]} singular values")
print("smallest and largest per point:", [(f"{a:.3f}", f"{b:.2f}") for a, b in zip(sv.min(1).values, sv.max(1).values,
                                                                                   strict=True)])
glue("vae03_rank", int((sv > 1e-6 * sv.max()).sum(1).max()))
assert sv.shape[1] == gen.cfg.latent_dim < 64 and (sv > 0).all()

# %% [markdown]
# At each of the five points the Jacobian has {glue:text}`vae03_rank` non-zero singular values:
# the generator's images form a {glue:text}`vae03_rank`-dimensional surface in a 64-dimensional
# space, which is step 1 in numbers. The VAE's decoder defines the same kind of surface of mean
# images, but its likelihood adds per-pixel noise by design, and its encoder proposes the $z$
# that make a given image likely, which is what gives it a usable likelihood bound. This page did
# not sweep the GAN's settings: its training costs more CPU than this notebook's budget. The GAN
# chapter shows how its results move with learning rates and seeds, measured by sample-based
# scores.
#
# ## Common pitfalls
#
# :::{admonition} Pitfall: comparing a VAE's decoder means with a GAN's samples
# :class: warning
# Figures often show $\mathbb E[x \mid z]$ for the VAE (smooth) next to GAN samples. These are
# different objects: the VAE's actual samples include the decoder's pixel noise. The table scores
# both, and they disagree (means: higher precision, much lower recall). Say which one you show.
# :::
#
# :::{admonition} Pitfall: "a GAN's generator is an encoder plus a decoder"
# :class: warning
# A GAN generator maps noise to images; there is no encoder, so there is no reconstruction error
# and no test likelihood for it in the table. Adding an encoder gives other models (BiGAN, ALI,
# VAE-GAN), trained differently.
# :::
#
# :::{admonition} Pitfall: choosing hyperparameters on the test set
# :class: warning
# Trying settings and keeping the one with the best *test* score turns the test set into a
# validation set: the reported number is then the maximum of several noisy estimates and
# overstates how the chosen model does on new data. Carve the validation split from the training
# data, choose on it, and touch the test set once at the end.
# :::
#
# ## Summary
#
# - An AE reconstructs best but is not a generative model by itself; a VAE adds a prior, a
#   sampler and a likelihood bound; a GAN gives the samples closest to the data here (lowest FD) but neither an encoder nor
#   a likelihood.
# - Compare models with the same metrics, on the same data, with a reference row (real data)
#   that shows what "perfect" looks like.
# - Choose hyperparameters on a validation split carved from the training data, with a
#   likelihood bound for a VAE and sample-based scores for a GAN, whose samples lie on a surface
#   with no density; report the test score of the chosen setting once.
#
# ## Self-check
#
# A few questions on the whole chapter. Click an option to see whether it is right, and why.

# %% tags=["hide-input"]
from course_lib.teaching import quiz

quiz("Self-check: variational autoencoders", [
    {"q": "For any encoder q(z|x), what is log p(x) − ELBO(x)?",
     "options": ["KL(q(z|x) ‖ p(z)), the rate",
                 "KL(q(z|x) ‖ p(z|x)), the distance from q to the true posterior",
                 "the reconstruction error −E_q[log p(x|z)]",
                 "zero, once the model is trained"],
     "answer": "b",
     "why": ["The rate is one of the two terms *inside* the ELBO; the gap is measured against the "
             "posterior, not the prior (equation (5) of the first notebook).",
             "Right: log p(x) = ELBO(x) + KL(q(z|x) ‖ p(z|x)), so the gap is zero exactly when q is the "
             "true posterior.",
             "The reconstruction term is part of the ELBO itself, not the gap to log p(x).",
             "Training narrows the gap but a diagonal Gaussian q rarely equals the true posterior; the "
             "IWAE bound measured a gap on the trained model."]},
    {"q": "Why is z written as μ + σ ⊙ ε with ε ~ N(0, I) during training?",
     "options": ["It makes z deterministic, so the model needs no noise",
                 "It lets gradients reach μ and σ (and the encoder), with ε an input off the gradient path",
                 "It lowers the KL term",
                 "It is needed only to sample new images after training"],
     "answer": "b",
     "why": ["z is still random: ε is drawn afresh at every step.",
             "Right: the randomness moves into ε, which does not depend on the parameters, so "
             "backpropagation goes through μ and σ; the score-function alternative is far noisier.",
             "The KL term is computed in closed form from μ and log σ²; the trick does not change it.",
             "New images use z ~ p(z) and need no encoder; the trick is for training."]},
    {"q": "How does the IWAE bound L_K behave as the number of samples K grows?",
     "options": ["It decreases towards the ELBO",
                 "It never decreases in expectation, and stays at or below log p(x)",
                 "It can exceed log p(x) for large K",
                 "It equals the ELBO for every K"],
     "answer": "b",
     "why": ["L_1 is the ELBO and the bound rises from there.",
             "Right: L_M ≤ L_K for M ≤ K, by averaging over subsets and Jensen's inequality, and every "
             "L_K ≤ log p(x).",
             "Each L_K is the expected log of an unbiased estimate of p(x), so Jensen keeps it below "
             "log p(x).",
             "Only for K = 1."]},
    {"q": "A latent dimension has KL ≈ 0 for every test image. What does that tell you?",
     "options": ["The dimension is perfectly disentangled",
                 "It carries no information about x: it has collapsed to the prior",
                 "The decoder is broken and must be retrained",
                 "The model's likelihood must be poor"],
     "answer": "b",
     "why": ["Disentanglement is about *how* information is split across dimensions; this one carries "
             "none.",
             "Right: q(z_u|x) ≈ p(z_u) for every x, and the rate bounds the information the code "
             "carries, so that dimension says nothing about the image.",
             "Collapse is a property of the optimum of the objective (large β, strong decoders), not "
             "a bug.",
             "A model can have a good likelihood with some dimensions unused; decide whether you need "
             "the code or the likelihood, and measure that."]},
    {"q": "You want the best latent size for a VAE. What do you select on?",
     "options": ["The test-set IWAE bound of each setting",
                 "The training loss at the end of training",
                 "A likelihood bound on a validation split carved from the training data; the test "
                 "set is used once, for the chosen setting",
                 "The FD of samples against the test set"],
     "answer": "c",
     "why": ["Selecting on the test set reports the maximum of noisy estimates: an optimistic number.",
             "The training loss rewards fitting the training images, and for β ≠ 1 it is not even "
             "the ELBO.",
             "Right: choose on held-out training data with the criterion you care about, then "
             "report the test score once.",
             "FD is a sample-quality score and, on the test set, the same leak as option (a)."]},
    {"q": "Why can't a GAN be selected by its held-out log-likelihood?",
     "options": ["Its discriminator loss already is the log-likelihood",
                 "Its samples lie on a surface of dimension at most dim(z) < 64, which has no density; "
                 "use sample-based scores on validation data instead",
                 "It has a likelihood, but computing it takes one extra forward pass",
                 "Only because it has no encoder"],
     "answer": "b",
     "why": ["The discriminator's loss measures how well it tells real from generated images; it is "
             "not a likelihood of held-out data.",
             "Right: rank J ≤ dim(z), so p_G has no density on the 64 pixels; FD, precision/recall "
             "or a classifier on validation data are what is left.",
             "There is no density to evaluate, with any number of passes, unless a noise model is "
             "added and integrated over z.",
             "The missing encoder makes estimates with an added noise model costly, but the deeper "
             "reason is that there is no density at all."]},
])

# %% [markdown]
#
# ## Exercises
#
# ```{exercise} An AE without the fitted Gaussian
# :label: ex-vae-ae-prior
# Decode draws from $\mathcal N(0, I)$ with the AE instead of the fitted Gaussian and add the row
# to the table. What happens to FD and precision, and why?
# ```
#
# ```{solution} ex-vae-ae-prior
# :class: dropdown
# Nothing in the AE's training ties its codes to $\mathcal N(0, I)$: they have some other scale
# and location, so most standard-normal draws decode to images unlike the data. Expect a much
# larger FD and lower precision. The VAE's KL term is what makes its prior a usable sampler.
# ```
#
# ```{exercise} Sample size and the Fréchet distance
# :label: ex-vae-fd-n
# Recompute the reference row with 100 and with 1,000 training images instead of 360 (and the
# same number of samples for each model). How does the FD of real data change? What does this
# mean for comparing FD values computed from different sample sizes?
# ```
#
# ```{solution} ex-vae-fd-n
# :class: dropdown
# The Fréchet distance estimated from finite samples is biased upwards, more so for small
# samples: the covariance estimates are noisy, and noise adds to the trace term. FD values are
# only comparable at the same sample size (and the same feature extractor).
# ```
#
# ```{exercise} Select by FD instead
# :label: ex-vae-select-fd
# Predict, then run. In the sweep, which setting would you choose with the validation FD instead
# of the validation bound? Before looking at the table, say whether you expect β = 0.5 to do
# better or worse on FD than on the likelihood, and why. Then compute the chosen-by-FD setting's
# test IWAE-100 and compare it with the likelihood-chosen one.
# ```
#
# ```{solution} ex-vae-select-fd
# :class: dropdown
# FD scores draws $x \sim p(x \mid z)$ in a classifier's feature space. A lower β puts more
# information in the code and less in the pixel noise, and spends more rate on the mismatch
# between the aggregate posterior and the prior (notebook 2), so prior draws can look worse even
# when held-out images are more probable. The two criteria answer different questions (how
# probable are real images; how real do samples look), so they can pick different settings;
# the table marks both picks. Pick the criterion that matches what the model is for.
# ```
#
# ```{exercise} How optimistic is the best of nine?
# :label: ex-vae-max-of-noisy
# Suppose the nine settings of the sweep were equally good, and each test score were that common
# value plus independent noise with standard deviation σ. Choosing the best *test* score then
# reports the maximum of nine noisy estimates. Estimate by simulation
# (`torch.randn(100_000, 9).max(1).values.mean()`) how far above the true value that maximum lies
# on average, in units of σ. What does this mean for a sweep of a hundred settings?
# ```
#
# ```{solution} ex-vae-max-of-noisy
# :class: dropdown
# The expected maximum of nine standard normal variables is about $1.49$, so the reported score is
# about $1.5\sigma$ too high although no setting is better than another. For a hundred settings the
# expected maximum is about $2.5\sigma$. A validation split absorbs this optimism, and the test
# score of the one chosen setting is again unbiased.
# ```
#
# ```{exercise} Select with the ELBO
# :label: ex-vae-select-elbo
# Change the sweep to select on the validation ELBO (`elbo(m, x_val, seed=seed).elbo.mean()`)
# instead of $\mathcal L_{100}$. Does the chosen setting change? Which of the two criteria is the
# better estimate of what you want to compare, and why?
# ```
#
# ```{solution} ex-vae-select-elbo
# :class: dropdown
# Both are lower bounds on the validation log-likelihood; the IWAE bound is the tighter one, and
# the ELBO's gap depends on the model (how far $q$ is from the posterior), so settings can trade
# places. Where the settings differ by more than the gaps (the two-dimensional code), both pick
# the same; among close settings, prefer the tighter bound, and compare the differences with the
# seed-to-seed spread.
# ```
