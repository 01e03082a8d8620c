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
# - choose between an AE, a VAE and a GAN for a task, with evidence.

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
from course_lib.notebook import markdown_table, plot_history
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
#   recall how much of the real data the samples cover.

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
# ## Summary
#
# - An AE reconstructs best but is not a generative model by itself; a VAE adds a prior, a
#   sampler and a likelihood bound; a GAN gives the samples closest to the data here (lowest FD) but neither an encoder nor
#   a likelihood.
# - Compare models with the same metrics, on the same data, with a reference row (real data)
#   that shows what "perfect" looks like.
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
