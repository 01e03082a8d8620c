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
# # Spoken-digit recognition that generalises to new speakers
#
# Recognising ten spoken digits sounds easy, and on the usual split of the Free Spoken Digit
# Dataset it is: the classical models and the pretrained CNN below are right at least
# {glue:text}`rec_official_min_acc:.1f` % of the time. The honest question
# is different: does the model recognise digits spoken by **someone it has never heard**?
# This chapter builds classical and neural classifiers, evaluates them both ways, and uses
# the harder protocol to settle a few practical questions with measurements.
#
# **Learning goals.** After this notebook you can
# - evaluate a speech classifier by held-out *speakers*, not held-out files, and explain
#   the difference in the numbers;
# - build a strong classical baseline (segment statistics of log-mel/MFCC features with
#   logistic regression or an RBF SVM);
# - train a log-mel CNN, a GRU over frames and a small transformer encoder
#   (`course_lib.evaluators` builds them, `course_lib.recognition` trains them), and read
#   accuracy, macro precision/recall/F1 and a confusion matrix;
# - say what weight decay, dropout, early stopping, noise, time shift and SpecAugment add;
# - choose a loss, an optimiser and a remedy for class imbalance on evidence.

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
import copy

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from torch.utils.data import Subset

from course_lib import recognition as R
from course_lib.checkpoints import committed_result
from course_lib.data import load_fsdd
from course_lib.evaluators import ARCHS, build_classifier, prepare_waves, pretrained_spoken_digit_classifier
from course_lib.notebook import audio_player, glue, markdown_table, plot_history, read_csv_rows
from course_lib.utils import Timer, count_parameters, set_seed

set_seed(0)
data = load_fsdd("all")
official_train = [i for i, t in enumerate(data.takes) if t >= 5]
official_test = [i for i, t in enumerate(data.takes) if t < 5]
labels = np.array(data.digits)
print(data)
print(f"official split: {len(official_train)} train (takes 5-49), {len(official_test)} test (takes 0-4)")


def show_confusion(conf: np.ndarray, title: str, ax=None):
    ax = ax or plt.subplots(figsize=(4.2, 3.8), constrained_layout=True)[1]
    im = ax.imshow(conf, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if conf[i, j]:
                ax.text(j, i, int(conf[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if conf[i, j] > conf.max() / 2 else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit", title=title)
    return im


# %% [markdown]
# The data are the **Free Spoken Digit Dataset** (FSDD v1.0.10) {cite}`jackson2016fsdd` by
# Zohar Jackson and contributors, licensed **CC BY-SA 4.0**: 3,000 recordings at 8 kHz, six
# speakers, each saying each digit 50 times.
#
# ## Two protocols
#
# - **Official split**: takes 0–4 of every speaker and digit are the test set, takes 5–49
#   train. The test speakers are the *training* speakers, saying the same word again.
# - **Leave-one-speaker-out (LOSO)**: six folds; each trains on five speakers and tests on
#   the sixth, whom the model never heard. This is what "works for a new user" means.
#
# `leave_one_speaker_out` yields the folds; the unit tests check that no speaker is ever on
# both sides. Anything tuned (epochs, early stopping) may only look at training speakers.

# %%
for spk, tr, te in R.leave_one_speaker_out(data.speakers):
    assert spk not in {data.speakers[i] for i in tr} and {data.speakers[i] for i in te} == {spk}
    print(f"fold {spk:9s}: train {len(tr)} recordings of {len({data.speakers[i] for i in tr})} speakers, test {len(te)}")

# %% [markdown]
# ## The classical baseline
#
# A clip of variable length becomes a fixed vector: compute frame features (40 log-mel bands,
# or 20 MFCCs and their deltas $\Delta_t = c_t - c_{t-1}$), average them over $S$ equal time
# segments and append each feature's standard deviation; optionally trim silence first.
# Standardise, then fit a logistic regression or an RBF-kernel SVM
# {cite}`pedregosa2011sklearn`. Computing the features for all 3,000 clips:

# %%
with Timer() as t:
    x_mfcc, _ = R.classical_features(data, kind="mfcc", n_segments=12, deltas=True, trim_db=40.0)
print(f"MFCC+delta segment features {x_mfcc.shape}, computed in {t}")

SVM = "trimmed MFCC+delta (12 segments) + RBF SVM"
baselines = {
    "trimmed MFCC+delta (12 segments) + logistic regression": (x_mfcc, "logreg", 1.0),
    SVM: (x_mfcc, "svm", 10.0),
}
classical_scores = {}  # (name, protocol, test speaker) -> Scores
for name, (x, clf_kind, c) in baselines.items():
    pipe = R.fit_classical(x[official_train], labels[official_train], clf_kind, c=c)
    s = R.classification_scores(labels[official_test], pipe.predict(x[official_test]))
    classical_scores[name, "official", "all"] = s
    print(f"official split, {name}: accuracy {s.accuracy:.3f}, macro F1 {s.f1:.3f}")
    assert s.accuracy > 0.95

# %% [markdown]
# On the official split the classical models are already near the ceiling. Under
# leave-one-speaker-out the SVM is fitted on all six folds here.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: the same features and the same SVM, but each test speaker is now
# absent from training. Will the mean accuracy drop by a point, by ten, or by thirty? And will the
# six speakers be equally hard?
# ```

# %%
speakers = sorted(set(data.speakers))
with Timer() as t:
    for spk, tr, te in R.leave_one_speaker_out(data.speakers):
        pipe = R.fit_classical(x_mfcc[tr], labels[tr], "svm", c=10.0)
        classical_scores[SVM, "loso", spk] = R.classification_scores(labels[te], pipe.predict(x_mfcc[te]))
svm_loso = [classical_scores[SVM, "loso", spk].accuracy for spk in speakers]
print(f"LOSO, {SVM}: mean accuracy {np.mean(svm_loso):.3f}, worst speaker {min(svm_loso):.3f}; 6 fits in {t}")
display(Markdown(markdown_table([{"model": SVM, **dict(zip(speakers, svm_loso, strict=True)), "mean": float(np.mean(svm_loso))}], digits=3)))
assert 0.5 < np.mean(svm_loso) < np.mean([classical_scores[SVM, "official", "all"].accuracy])

# %% [markdown]
# ## L1 or L2: how many of the 500 features does a linear model need?
#
# The segment features are long ({glue:text}`rec_n_features` numbers per clip) and strongly
# correlated: neighbouring segments and neighbouring MFCCs carry similar information. A linear
# softmax classifier $p = \operatorname{softmax}(W x + b)$, $W \in \mathbb{R}^{10 \times d}$, can be
# regularised with an L2 penalty (weight decay, ridge) or an L1 penalty (the lasso
# {cite}`tibshirani1996lasso`). They behave very differently, and a short derivation says why.
# The objective, for standardised features $x_i$ and a strength $s$, is
#
# $$J(W) = \frac1n \sum_{i=1}^n -\log p_{y_i}(x_i) + R(W), \qquad
# R_{\text{L2}}(W) = \frac{s}{2} \sum_{k,j} W_{kj}^2, \quad R_{\text{L1}}(W) = s \sum_{k,j} |W_{kj}|. \tag{1}$$
#
# 1. The gradient of the data term: with $e_y$ the one-hot vector of the label, the derivative of
#    $-\log p_y$ with respect to the logits $z = Wx + b$ is $p - e_y$, so
#
#    $$G = \nabla_W \frac1n \sum_i -\log p_{y_i}(x_i) = \frac1n \sum_i (p_i - e_{y_i})\, x_i^\top. \tag{2}$$
#
# 2. The L1 term has no gradient at $W_{kj} = 0$. A *proximal* gradient step takes a gradient step on
#    the data term only, then solves a tiny problem per weight:
#
#    $$W \leftarrow \operatorname{prox}_{\eta R}(W - \eta G), \qquad
#    \operatorname{prox}_{\eta R}(v) = \arg\min_w \tfrac12 (w - v)^2 + \eta R(w). \tag{3}$$
#
# 3. For L2, setting the derivative $w - v + \eta s w$ to zero gives a *shrinkage*, which makes a weight
#    smaller but never zero unless $v$ is:
#
#    $$\operatorname{prox}_{\text{L2}}(v) = \frac{v}{1 + \eta s}. \tag{4}$$
#
# 4. For L1, for $w \ne 0$ the derivative is $w - v + \eta s \operatorname{sign}(w)$, zero at
#    $w = v - \eta s \operatorname{sign}(v)$ when $|v| > \eta s$; otherwise the minimum is at $w = 0$
#    exactly. This is *soft thresholding*:
#
#    $$\operatorname{prox}_{\text{L1}}(v) = \operatorname{sign}(v) \max(|v| - \eta s, 0). \tag{5}$$
#
# 5. At a minimum of (1) with L1, the subgradient of $s|w|$ at $0$ is the interval $[-s, s]$, so
#
#    $$W_{kj} = 0 \;\Rightarrow\; |G_{kj}| \le s, \qquad W_{kj} \ne 0 \;\Rightarrow\; G_{kj} = -s \operatorname{sign}(W_{kj}). \tag{6}$$
#
#    A weight is dropped when the data pull on it is weaker than $s$: the stronger the penalty, the
#    fewer features survive.
#
# `R.fit_penalised_softmax` runs (3) with (4) or (5), accelerated by Nesterov momentum (FISTA
# {cite}`beck2009fista`), 200 full-batch steps from zero weights. The experiment: both penalties at
# three strengths, on the same six leave-one-speaker-out folds as the SVM (the held-out speaker is
# the validation set); "zero weights" is the fraction of the $10 \times d$ entries of $W$ that are
# exactly 0, "features used" the number of the $d$ features with a non-zero weight for some digit.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: at the same strength $s$, which penalty zeroes more weights? And
# which do you expect to lose more accuracy on a new voice as $s$ grows?
# ```

# %%
strengths = (1e-2, 3e-2, 1e-1)
penalised = {}  # (penalty, s) -> per-fold accuracy, fraction of zero weights, features used
with Timer() as t:
    for penalty in ("l1", "l2"):
        for s_ in strengths:
            acc, zeros, used = [], [], []
            for _spk, tr, te in R.leave_one_speaker_out(data.speakers):
                lin = R.fit_penalised_softmax(x_mfcc[tr], labels[tr], penalty, s_)
                w = lin.linear.weight.detach()  # (10, d)
                acc.append(float((lin.predict(x_mfcc[te]) == labels[te]).mean()))
                zeros.append((w == 0).float().mean().item())
                used.append(int((w != 0).any(0).sum()))
            penalised[penalty, s_] = (np.array(acc), np.mean(zeros), np.mean(used))
print(f"{2 * len(strengths) * 6} fits in {t}")
display(Markdown(markdown_table([
    {"penalty": p.upper(), "strength s": s_, "accuracy, unseen speaker (mean ± std, 6 folds)": f"{a.mean():.3f} ± {a.std():.3f}",
     "zero weights": z, "features used": f"{u:.0f} of {x_mfcc.shape[1]}"}
    for (p, s_), (a, z, u) in penalised.items()], digits=3)))
glue("rec_n_features", x_mfcc.shape[1])
for (p, s_), (a, z, u) in penalised.items():
    level = {1e-2: "weak", 3e-2: "mid", 1e-1: "strong"}[s_]
    glue(f"rec_{p}_{level}_acc", a.mean())
    glue(f"rec_{p}_{level}_acc_sd", a.std())
    glue(f"rec_{p}_{level}_zeros", z)
    glue(f"rec_{p}_{level}_used", u)
assert all(penalised["l2", s_][1] == 0 for s_ in strengths)  # L2 never zeroes a weight
assert penalised["l1", 1e-2][1] > 0.5 and penalised["l1", 1e-1][1] > penalised["l1", 1e-2][1]
assert penalised["l1", 1e-1][0].mean() < penalised["l2", 1e-1][0].mean() - 0.1  # strong L1 starves the model
assert penalised["l2", 1e-1][0].mean() > 0.6  # chance is 0.1
l2_change = abs(penalised["l2", 1e-2][0].mean() - penalised["l2", 1e-1][0].mean())
assert l2_change < 0.03 < penalised["l2", 1e-2][0].std()  # L2's strength matters less than the speaker

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
for p, style in (("l1", "o-"), ("l2", "s--")):
    a = [penalised[p, s_][0] for s_ in strengths]
    axes[0].errorbar(strengths, [v.mean() for v in a], yerr=[v.std() for v in a], fmt=style, capsize=3, label=p.upper())
    axes[1].plot(strengths, [penalised[p, s_][1] for s_ in strengths], style, label=p.upper())
axes[0].set(xscale="log", xlabel="penalty strength s", ylabel="accuracy on the unseen speaker",
            title="Validation accuracy (mean ± std, 6 folds)")
axes[1].set(xscale="log", xlabel="penalty strength s", ylabel="fraction of weights exactly 0", ylim=(-0.05, 1.05),
            title="Sparsity of W")
for ax in axes:
    ax.legend()
plt.show()

# %% [markdown]
# The optimality condition (6), checked on one fit (fold `george`, L1 with $s = 10^{-2}$): the gradient
# (2) of the data term, computed by autograd at the returned weights.

# %%
spk0, tr0, _ = next(R.leave_one_speaker_out(data.speakers))
lin = R.fit_penalised_softmax(x_mfcc[tr0], labels[tr0], "l1", 1e-2)
w = lin.linear.weight.detach().clone().requires_grad_(True)
xs = (torch.as_tensor(x_mfcc[tr0]) - lin.mean) / lin.std
(G,) = torch.autograd.grad(torch.nn.functional.cross_entropy(xs @ w.T + lin.linear.bias.detach(), torch.as_tensor(labels[tr0])), w)
zero = w.detach() == 0
at_zero = G[zero].abs().max().item() / 1e-2
off = (G[~zero] + 1e-2 * w.detach()[~zero].sign()).abs().max().item() / 1e-2
print(f"{int(zero.sum())} zero weights: largest |G| / s = {at_zero:.3f} (condition: <= 1)")
print(f"{int((~zero).sum())} non-zero weights: largest |G + s sign(W)| / s = {off:.3f} (condition: 0 at the exact minimum)")
glue("rec_kkt_zero", at_zero)
glue("rec_kkt_nonzero", off)
assert at_zero <= 1.01 and off < 0.5

# %% [markdown]
# At the same strength the two penalties are different models. L2 never sets a weight to zero
# (equation 4) and its accuracy on the unseen speaker hardly depends on $s$ in this range
# ({glue:text}`rec_l2_weak_acc:.3f` ± {glue:text}`rec_l2_weak_acc_sd:.3f` at $s = 10^{-2}$,
# {glue:text}`rec_l2_strong_acc:.3f` ± {glue:text}`rec_l2_strong_acc_sd:.3f` at $s = 10^{-1}$). L1 at
# $s = 10^{-2}$ already zeroes {glue:text}`rec_l1_weak_zeros:.3f` of the weights, keeping
# {glue:text}`rec_l1_weak_used:.0f` of the {glue:text}`rec_n_features` features, at an accuracy of
# {glue:text}`rec_l1_weak_acc:.3f` ± {glue:text}`rec_l1_weak_acc_sd:.3f`; at $s = 10^{-1}$ only
# {glue:text}`rec_l1_strong_used:.0f` features remain and the accuracy falls to
# {glue:text}`rec_l1_strong_acc:.3f`. The spread over the six speakers is larger than most differences
# between settings: which speaker is held out matters more than the penalty. The check above agrees
# with (6): every zero weight has $|G| \le s$ (largest ratio {glue:text}`rec_kkt_zero:.3f`), and the
# non-zero ones satisfy $G = -s \operatorname{sign}(W)$ to within {glue:text}`rec_kkt_nonzero:.2f` $s$
# after 200 steps. L1 is the tool when a small, readable set of features is wanted; when only the
# accuracy matters and the features are correlated, L2 (or the SVM) is the safer default.

# %% [markdown]
# ## Three neural classifiers
#
# All three share one front end, so their differences are the architecture's alone. A clip
# is trimmed (edge frames more than `trim_db=40` decibels below its loudest frame are cut),
# placed in a 1 s window (centred,
# or its loudest second if longer), and turned into 40 log-mel bands every 20 ms
# (32 ms Hann window) — a $40 \times 51$ "image" — in dB relative to its own peak, so the
# recording level does not matter. Then:
#
# - **CNN**: four blocks of $3\times3$ convolution, batch norm, ReLU and $2\times2$
#   max-pooling; the maps are pooled over *time* only (mean and max), so the classifier still
#   knows in which band a pattern occurred.
# - **GRU** {cite}`cho2014gru`: a strided 1-D convolution halves the frame rate, then a
#   bidirectional gated recurrent unit reads the frames:
#   $z_t = \sigma(W_z x_t + U_z h_{t-1})$, $r_t = \sigma(W_r x_t + U_r h_{t-1})$,
#   $\tilde h_t = \tanh(W x_t + U (r_t \odot h_{t-1}))$, $h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t$;
#   its states are pooled (mean and max) over time.
# - **Transformer encoder** {cite}`vaswani2017attention`: the same strided convolution, learned
#   position embeddings, two pre-norm layers of multi-head self-attention
#   $\operatorname{softmax}(QK^\top/\sqrt{d})V$ and a feed-forward network, then the mean over time.
#
# Each model takes waveforms and computes its features inside, so `predict(waves)` accepts
# any list of 8 kHz clips of any length.

# %%
for arch in ARCHS:
    m = build_classifier(arch)
    x = torch.zeros(2, m.feature_cfg.clip_samples)
    print(f"{arch:12s} {count_parameters(m):7,d} parameters; features {tuple(m.features(x).shape)} -> logits {tuple(m(x).shape)}")

# %% [markdown]
# The whole path of a batch, drawn from a real forward pass of the chapter's committed CNN (the
# `robust` variant of {doc}`05_outside_the_training_conditions`, which also carries a temperature
# $T$ and a rejection threshold $\tau$): clips of any length become a fixed-size batch of
# waveforms, then 40 log-mel bands × 51 frames, then feature maps that the CNN has halved three
# times in both directions, then one vector per clip, ten logits and the answer.

# %% tags=["hide-input"]
fig = R.draw_recognition_pipeline(pretrained_spoken_digit_classifier(device="cpu", variant="robust"),
                                  [data[i][0] for i in official_test[:4]])
plt.show()

# %% [markdown]
# Training (`R.train_classifier(model, data, R.RecognitionTrainConfig(...))`) uses cross-entropy, AdamW {cite}`loshchilov2019adamw`
# with weight decay, a one-epoch warm-up and cosine decay of the learning rate, dropout
# {cite}`srivastava2014dropout`, and augmentation: a random time shift within the clip's
# silent margin, white noise at 5–30 dB SNR on half the clips, and SpecAugment masks of up to
# 6 bands and 6 frames {cite}`park2019specaugment`.
#
# ## The pretrained evaluator (official split)
#
# `pretrained_spoken_digit_classifier()` (in `course_lib.evaluators`) loads the chapter's CNN
# trained on the official training split by `benchmarks/recognition_train.py`; the file's
# SHA-256 is checked and it is read with `torch.load(weights_only=True)`. Other chapters use it to judge generated and
# restored digits. Its scores on the official test split:

# %%
clf = pretrained_spoken_digit_classifier(device="cpu")
test_waves = [data[i][0] for i in official_test]
with Timer() as t:
    pred = clf.predict(test_waves)
s_pre = R.classification_scores(labels[official_test], pred)
print(f"pretrained {clf.arch}: accuracy {s_pre.accuracy:.4f} ({int((pred.numpy() != labels[official_test]).sum())} errors of 300), "
      f"macro precision {s_pre.precision:.4f}, recall {s_pre.recall:.4f}, F1 {s_pre.f1:.4f}; predicted in {t}")
show_confusion(s_pre.confusion, "pretrained CNN, official test")
plt.show()
official = [s.accuracy for (_, protocol, _), s in classical_scores.items() if protocol == "official"]
glue("rec_official_min_acc", 100 * min(official + [s_pre.accuracy]))
glue("rec_pretrained_acc", 100 * s_pre.accuracy)
assert s_pre.accuracy >= 0.97

# %% [markdown]
# Listen to three of the test recordings it classifies, each with the digit it hears:

# %%
for digit in (3, 7, 9):
    i = next(k for k, idx in enumerate(official_test) if labels[idx] == digit)  # first test take of the digit
    label = f"{data.speakers[official_test[i]]} says '{digit}'; the classifier hears '{pred[i].item()}'"
    display(audio_player(test_waves[i], data.sample_rate, label=label))

# %% [markdown]
# Because the features are relative to each clip's peak, the prediction does not depend on
# the recording level; a clip 30 dB quieter gets the same probabilities (up to rounding):

# %%
p_loud = clf.predict_proba(test_waves[:20])
p_quiet = clf.predict_proba([0.03 * w for w in test_waves[:20]])
print(f"largest change in any probability: {float((p_loud - p_quiet).abs().max()):.1e}")
assert torch.equal(p_loud.argmax(-1), p_quiet.argmax(-1))

# %% [markdown]
# ## One leave-one-speaker-out fold, live
#
# The full six-fold tables come from a benchmark script (below). Here is one fold, trained in
# the notebook: the GRU (the cheapest of the three models to train) learns from five
# speakers and is tested on the first speaker in alphabetical order, `george`, against the
# SVM baseline on the same fold. Few epochs, to fit the notebook's CPU budget; the history
# holds the loss of every step and its mean over each epoch.

# %%
fold_spk, fold_tr, fold_te = next(R.leave_one_speaker_out(data.speakers))
gru = build_classifier("gru", seed=0)
with Timer() as t:
    history = R.train_classifier(gru, Subset(data, fold_tr), R.RecognitionTrainConfig(epochs=6, patience=None))
plot_history(history, ["loss", "train_loss"])
plt.show()
s_gru = R.evaluate(gru, Subset(data, fold_te))
s_svm = classical_scores[SVM, "loso", fold_spk]
print(f"test speaker {fold_spk}: GRU accuracy {s_gru.accuracy:.3f} (macro F1 {s_gru.f1:.3f}), trained in {t}")
print(f"test speaker {fold_spk}: SVM accuracy {s_svm.accuracy:.3f} (macro F1 {s_svm.f1:.3f})")
fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.8), constrained_layout=True)
show_confusion(s_gru.confusion, f"GRU, unseen speaker {fold_spk}", axes[0])
show_confusion(s_svm.confusion, f"SVM, unseen speaker {fold_spk}", axes[1])
plt.show()
assert s_gru.accuracy > 0.3  # chance is 0.1

# %% [markdown]
# What these errors sound like: three recordings of the unseen speaker that the GRU gets wrong.

# %%
fold_waves = [data[i][0] for i in fold_te]
fold_pred = gru.predict(fold_waves)
for i in np.flatnonzero(fold_pred.numpy() != labels[fold_te])[:3]:
    label = f"{fold_spk} says '{labels[fold_te][i]}'; the GRU hears '{fold_pred[i].item()}'"
    display(audio_player(fold_waves[i], data.sample_rate, label=label))

# %% [markdown]
# The gap between the training speakers ({glue:text}`rec_gru_seen_acc:.1f` %) and the unseen one
# ({glue:text}`rec_gru_unseen_acc:.1f` %) is the overfitting that matters here: the model fits
# five voices much better than it transfers to a sixth.

# %%
s_seen = R.evaluate(gru, Subset(data, fold_tr[::5]))
print(f"GRU accuracy on (a fifth of) its training speakers' clips: {s_seen.accuracy:.3f}; on {fold_spk}: {s_gru.accuracy:.3f}")
glue("rec_gru_seen_acc", 100 * s_seen.accuracy)
glue("rec_gru_unseen_acc", 100 * s_gru.accuracy)
assert s_seen.accuracy > s_gru.accuracy

# %% [markdown]
# ## A few clips of the new voice: fine-tuning
#
# A user can often give a recogniser a few examples of their own voice. How much do one, three or
# five recordings of each digit help, and is the model trained on other voices worth starting from?
# Three ways to use the same few clips of `george`, drawn from his takes 0–9, each tested on his
# takes 10–49 (400 recordings the few clips never include):
#
# - **no fine-tuning**: the GRU above, trained on the five other speakers;
# - **fine-tuning**: a copy of that GRU trained further on the few clips, every weight, with the
#   chapter's recipe at `lr=3e-3` for 40 epochs (one batch per epoch);
# - **from scratch**: a freshly initialised GRU trained on the same clips with the same recipe.
#
# Which base model is honest matters here. The chapter's committed classifier
# (`pretrained_spoken_digit_classifier`) was trained by `benchmarks/recognition_train.py` on the
# official split, takes 10–49 of *all six* speakers, `george` included: no FSDD voice is new to it,
# and fine-tuning it on `george` would measure how it re-learns a voice it already knows. The base
# here is the GRU trained live above without `george` (one run, six epochs). Each of three seeds
# draws a different set of clips and seeds the training; the table gives mean ± standard deviation.
# Earlier layers of a network trained on related data transfer well, the last ones less
# {cite}`yosinski2014transferable`; here every layer is fine-tuned.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: with one clip per digit (ten recordings), order the three columns.
# Can a network trained from scratch on ten recordings beat one that never heard `george`?
# ```

# %%
takes = np.array(data.takes)
pool = [i for i in fold_te if takes[i] < 10]  # the few clips are drawn from takes 0-9
query = [i for i in fold_te if takes[i] >= 10]  # the test: takes 10-49
query_feats = gru.features(prepare_waves([data[i][0] for i in query], gru.feature_cfg))  # (400, 40, 51)


@torch.no_grad()
def query_accuracy(model) -> float:
    """Accuracy on george's takes 10-49 (features computed once; every model shares the front end)."""
    return (model.eval().backbone(query_feats).argmax(-1).numpy() == labels[query]).mean()


few = {}  # (clips per digit, seed) -> (fine-tuned, from scratch) accuracy
with Timer() as t:
    for k in (1, 3, 5):
        for seed in range(3):
            support = [data[i] for i in R.few_shot_support(labels, pool, k, seed=seed)]
            config = R.RecognitionTrainConfig(epochs=40, lr=3e-3, patience=None, seed=seed)
            tuned, fresh = copy.deepcopy(gru), build_classifier("gru", seed=seed)
            R.train_classifier(tuned, support, config)
            R.train_classifier(fresh, support, config)
            few[k, seed] = (query_accuracy(tuned), query_accuracy(fresh))
no_tuning = query_accuracy(gru)
rows = []
for k in (1, 3, 5):
    tuned_k, fresh_k = (np.array([few[k, s][j] for s in range(3)]) for j in (0, 1))
    rows.append({"clips per digit": k, "no fine-tuning (one run)": no_tuning,
                 "fine-tuned (3 seeds)": f"{tuned_k.mean():.3f} ± {tuned_k.std():.3f}",
                 "from scratch (3 seeds)": f"{fresh_k.mean():.3f} ± {fresh_k.std():.3f}"})
    glue(f"rec_few_tuned_{k}", tuned_k.mean())
    glue(f"rec_few_tuned_{k}_sd", tuned_k.std())
    glue(f"rec_few_fresh_{k}", fresh_k.mean())
    glue(f"rec_few_fresh_{k}_sd", fresh_k.std())
glue("rec_few_none", no_tuning)
display(Markdown(markdown_table(rows, digits=3)))
print(f"18 short trainings in {t}")
mean = {(k, j): np.mean([few[k, s][j] for s in range(3)]) for k in (1, 3, 5) for j in (0, 1)}
assert all(mean[k, 0] > mean[k, 1] + 0.1 for k in (1, 3, 5))  # starting from other voices beats scratch
assert all(mean[k, 0] > no_tuning + 0.1 for k in (1, 3, 5))  # and a few clips of the new voice help

# %% [markdown]
# One recording of each digit lifts the GRU on `george` from {glue:text}`rec_few_none:.3f` to
# {glue:text}`rec_few_tuned_1:.3f` ± {glue:text}`rec_few_tuned_1_sd:.3f`, and three to
# {glue:text}`rec_few_tuned_3:.3f` ± {glue:text}`rec_few_tuned_3_sd:.3f` (five:
# {glue:text}`rec_few_tuned_5:.3f` ± {glue:text}`rec_few_tuned_5_sd:.3f`). The same clips without the
# other voices are worth much less: from scratch, {glue:text}`rec_few_fresh_1:.3f` with one clip per
# digit and {glue:text}`rec_few_fresh_5:.3f` with five. The five training speakers taught the network
# what a digit sounds like; the few clips teach it what *this* voice does differently. The gaps
# between the columns are many times the spread over seeds; between three and five clips per digit
# the means differ by less than the spreads of the two rows ({glue:text}`rec_few_tuned_3_sd:.3f` and
# {glue:text}`rec_few_tuned_5_sd:.3f`), so three seeds cannot rank them.

# %% [markdown]
# ## All six folds, every model
#
# The six-fold tables for the three networks cost several CPU-minutes each, far beyond a
# notebook, so `benchmarks/recognition_loso.py` trains them (12 epochs, the default recipe of
# `R.RecognitionTrainConfig`, last weights kept: no test speaker influences any choice). The
# cell shows the committed results (fetched when the repository is not at hand).

# %%
display(Markdown(committed_result("recognition_loso.md").read_text()))

# %% [markdown]
# Where do the errors of the best network go when it meets a new voice? The confusion
# matrices of the six folds, summed (each recording is tested exactly once):

# %%
fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6), constrained_layout=True)
for ax, arch in zip(axes, ARCHS, strict=True):
    conf = np.zeros((10, 10), dtype=int)
    for r in read_csv_rows(committed_result(f"recognition_loso_{arch}_confusion.csv")):
        if r["protocol"] == "loso":
            conf[int(r["true"]), int(r["pred"])] += int(r["count"])
    show_confusion(conf, f"{arch}, six unseen speakers", ax)
    off = conf - np.diag(np.diag(conf))
    t, p_ = np.unravel_index(off.argmax(), off.shape)
    print(f"{arch}: {conf.sum()} test recordings, accuracy {np.trace(conf) / conf.sum():.3f}; "
          f"most frequent confusion: {t} heard as {p_} ({off[t, p_]} times)")
plt.show()
assert conf.sum() == 3000  # each recording tested exactly once

# %% [markdown]
# ## What each regulariser adds
#
# Which ingredients of the recipe help a model meet a new voice? The ablation in
# `benchmarks/recognition_experiments.py --suite ablation` starts from a network trained
# with *nothing* (no weight decay, no dropout, no augmentation, all epochs) and adds one
# ingredient at a time, on all six leave-one-speaker-out folds, with one seed: weight decay
# (AdamW, $10^{-2}$), dropout 0.3, early stopping on a validation speaker (one of the five
# training speakers held out, patience 3 epochs), a random time shift, white noise at
# 5–30 dB SNR, SpecAugment masks, and everything together. It runs for the GRU (eight
# variants); for the CNN, the costlier model, only *nothing*, *+ SpecAugment* and
# *everything*. A gain (volume) augmentation is not in the table because it cannot change
# anything here: the features are measured relative to each clip's peak, as the level test
# above showed.

# %%
ablation = {}
for stem in ("recognition_ablation", "recognition_ablation_cnn"):  # --suite ablation, --suite ablation_cnn
    display(Markdown(committed_result(f"{stem}.md").read_text()))
    rows = read_csv_rows(committed_result(f"{stem}.csv"))
    name = lambda r: r.get("variant", r.get("row"))  # noqa: E731  (the column's older and newer name)
    base = next(r["mean"] for r in rows if name(r) == "nothing")
    ablation[stem] = {name(r): r["mean"] - base for r in rows}
    print(f"{stem}: change of the mean leave-one-speaker-out accuracy against 'nothing' ({base:.3f}):")
    for variant, d in ablation[stem].items():
        if variant != "nothing":
            print(f"    {variant:34s} {d:+.3f}")
gru_abl, cnn_abl = ablation["recognition_ablation"], ablation["recognition_ablation_cnn"]
# the reading below must stay true of the committed tables
glue("rec_abl_gru_specaug", 100 * gru_abl["+ SpecAugment"])
glue("rec_abl_gru_everything", 100 * gru_abl["everything"])
glue("rec_abl_cnn_specaug", 100 * cnn_abl["+ SpecAugment"])
glue("rec_abl_cnn_everything", 100 * cnn_abl["everything"])
assert gru_abl["everything"] < -0.05 and gru_abl["+ SpecAugment"] < -0.05 and abs(cnn_abl["+ SpecAugment"]) < 0.02

# %% [markdown]
# How to read it (one seed per cell, so a difference of a point or two is within noise):
#
# - For the **GRU**, no single ingredient improves much on training with nothing. Two cost
#   clearly: SpecAugment ({glue:text}`rec_abl_gru_specaug:+.1f` points of mean accuracy), and
#   early stopping, which gives up one of the five training voices for validation and stops
#   early. Everything together is the worst row ({glue:text}`rec_abl_gru_everything:+.1f` points).
# - For the **CNN**, SpecAugment changes the mean by {glue:text}`rec_abl_cnn_specaug:+.1f` points,
#   within the noise of one seed: this table cannot say that it helps. The full recipe (with
#   early stopping) is below training with nothing ({glue:text}`rec_abl_cnn_everything:+.1f` points).
# - So the same regulariser can clearly hurt one architecture and leave another unchanged, and
#   the recipe used for the six-fold table above is not the best one for the GRU. Picking a recipe per model *from
#   these tables* would be choosing on the test speakers; a fair choice uses a validation
#   speaker inside each fold (see the exercises).

# %% [markdown]
# ## Practical guidance, with evidence
#
# Advice on losses, imbalance and optimisers is often repeated without a measurement. To answer
# each question cheaply, we use the simplest trainable model, a linear softmax classifier on the
# MFCC segment features (`R.SoftmaxRegression`, trained by the same `R.train_classifier`), on the
# official split, and change one thing at a time:
# the loss, the optimiser (each at its customary learning rate; 12 epochs of batches of 512),
# and the treatment of an imbalanced training set (digits 3 and 8 cut to 10 % of their
# recordings).

# %%
xtr, ytr, xte, yte = x_mfcc[official_train], labels[official_train], x_mfcc[official_test], labels[official_test]
runs = {
    "cross-entropy, Adam lr 1e-2": dict(),
    "MSE on softmax, Adam lr 1e-2": dict(loss="mse"),
    "cross-entropy, SGD+momentum lr 5e-2": dict(optimizer="sgd", lr=0.05),
    "cross-entropy, RMSprop lr 1e-3": dict(optimizer="rmsprop", lr=1e-3),
    "cross-entropy, Adadelta lr 1.0": dict(optimizer="adadelta", lr=1.0),
    "cross-entropy, Adadelta lr 0.01": dict(optimizer="adadelta", lr=0.01),
}
LINEAR = dict(epochs=12, batch_size=512, optimizer="adam", lr=1e-2, weight_decay=0.0, augment=None, seed=0)


def fit_linear(x, y, **opts):
    """A softmax regression trained with the LINEAR recipe (opts override it); model and history."""
    model = R.SoftmaxRegression(x, seed=0)
    return model, R.train_classifier(model, (x, y), R.RecognitionTrainConfig(**{**LINEAR, **opts}))


rows, guide = [], {}
for name, opts in runs.items():
    m, h = fit_linear(xtr, ytr, **opts)
    guide[name] = R.classification_scores(yte, m.predict(xte))
    losses = [v for _, v in h.metrics["train_loss"]]
    rows.append({"training": name, "test accuracy": guide[name].accuracy, "macro F1": guide[name].f1,
                 "loss after epoch 1": losses[0], "after epoch 12": losses[-1]})
display(Markdown(markdown_table(rows, digits=3)))
assert guide["cross-entropy, Adam lr 1e-2"].accuracy > 0.95

# %%
imb = [official_train[j] for j in R.imbalanced_subset(labels[official_train], minority=[3, 8], keep=0.1, seed=0)]
print(f"imbalanced training set: {len(imb)} recordings; digit 3: {int((labels[imb] == 3).sum())}, digit 0: {int((labels[imb] == 0).sum())}")
rows, imb_scores = [], {}
for name, opts in {"plain cross-entropy": {}, "class weights": {"class_weights": True},
                   "balanced sampler": {"balanced_sampler": True},
                   "plain cross-entropy, RMSprop lr 1e-3": {"optimizer": "rmsprop", "lr": 1e-3},
                   "plain cross-entropy, Adadelta lr 1.0": {"optimizer": "adadelta", "lr": 1.0}}.items():
    m, _ = fit_linear(x_mfcc[imb], labels[imb], **opts)
    sc = imb_scores[name] = R.classification_scores(yte, m.predict(xte))
    rows.append({"imbalanced training": name, "test accuracy": sc.accuracy, "macro F1": sc.f1,
                 "recall of 3": sc.per_class_recall[3], "recall of 8": sc.per_class_recall[8]})
display(Markdown(markdown_table(rows, digits=3)))
minority = {k: (v.per_class_recall[3] + v.per_class_recall[8]) / 2 for k, v in imb_scores.items()}
print("mean recall of digits 3 and 8:", {k: round(v, 3) for k, v in minority.items()})
glue("rec_imb_plain_minority", minority["plain cross-entropy"])
glue("rec_imb_weights_minority", minority["class weights"])
glue("rec_imb_sampler_minority", minority["balanced sampler"])
glue("rec_guide_ce_acc", guide["cross-entropy, Adam lr 1e-2"].accuracy)
glue("rec_guide_mse_acc", guide["MSE on softmax, Adam lr 1e-2"].accuracy)
glue("rec_guide_adadelta_acc", guide["cross-entropy, Adadelta lr 1.0"].accuracy)
glue("rec_guide_adadelta_small_acc", guide["cross-entropy, Adadelta lr 0.01"].accuracy)
assert imb_scores["class weights"].f1 > 0.8 and imb_scores["balanced sampler"].f1 > 0.8
glue("rec_imb_rmsprop_minority", minority["plain cross-entropy, RMSprop lr 1e-3"])
glue("rec_imb_adadelta_minority", minority["plain cross-entropy, Adadelta lr 1.0"])
assert max(minority[k] for k in minority if k.startswith("plain")) < min(minority["class weights"],
                                                                         minority["balanced sampler"])

# %% [markdown]
# - **Loss.** Cross-entropy is the negative log-likelihood of a categorical model; its
#   gradient with respect to the logits is $p - y$, which stays large while the answer is
#   wrong. The squared error between the softmax and the one-hot target has the gradient
#   $(p - y)$ multiplied by the softmax Jacobian, which vanishes when $p$ saturates at a
#   wrong class {cite}`golik2013crossentropy`. From the default initialisation this does not
#   show: the two rows above end close ({glue:text}`rec_guide_ce_acc:.3f` and
#   {glue:text}`rec_guide_mse_acc:.3f` test accuracy). It shows
#   when outputs are confidently wrong; the next two cells measure it.
# - **Imbalance.** Cross-entropy is not a cure for imbalance: it *is* the loss that learns
#   the skewed prior. Trained on the imbalanced set it recalls {glue:text}`rec_imb_plain_minority:.3f`
#   of the rare digits on average, against {glue:text}`rec_imb_weights_minority:.3f` with class
#   weights and {glue:text}`rec_imb_sampler_minority:.3f` with a balanced sampler. Changing the
#   optimiser does not help either (RMSprop {glue:text}`rec_imb_rmsprop_minority:.3f`, Adadelta
#   {glue:text}`rec_imb_adadelta_minority:.3f`, last two rows): the skew is in the objective. Class weights ($w_k = n / (K n_k)$) or a balanced sampler change what
#   is optimised; judge by the recall of the rare classes or macro F1, not by accuracy,
#   which the frequent classes dominate.
# - **Optimisers.** Adam {cite}`kingma2015adam`, SGD with momentum, RMSprop
#   {cite}`tieleman2012rmsprop` and Adadelta {cite}`zeiler2012adadelta` are compared at their
#   customary learning rates, same model, epochs and batches. Adadelta was designed to need
#   *no* learning-rate tuning (its step is a ratio of running RMS values; PyTorch's `lr`
#   multiplies it and defaults to 1.0). It is not a method "for very small learning rates":
#   the last row shows it with `lr=0.01` in the same budget
#   ({glue:text}`rec_guide_adadelta_small_acc:.3f` test accuracy, against
#   {glue:text}`rec_guide_adadelta_acc:.3f` at `lr=1.0`). RMSprop normalises each
#   gradient coordinate by a running RMS; it is a mini-batch method with no special link to
#   "very large data".
#
# The gradient of each loss with respect to the logits, for one example whose logit for a wrong
# class exceeds the others by a margin $s$ (the true class is another one):
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: cross-entropy's gradient is $p - e_y$ (equation 2 above). As the
# wrong margin $s$ grows from 0 to 20, does its norm grow, shrink or level off? And the MSE's,
# which carries the softmax Jacobian $\operatorname{diag}(p) - p p^\top$ as a factor?
# ```

# %%
grad_rows = []
for margin in (0, 2, 5, 10, 20):
    z = torch.zeros(1, 10)
    z[0, 0] = margin  # confident in class 0; the label is 1
    z.requires_grad_(True)
    norms = {kind: torch.autograd.grad(R.classification_loss(z, torch.tensor([1]), kind), z)[0].norm().item()
             for kind in ("ce", "mse")}
    grad_rows.append({"margin s": margin, "‖∂L/∂z‖ cross-entropy": norms["ce"], "‖∂L/∂z‖ MSE": norms["mse"]})
display(Markdown(markdown_table(grad_rows, digits=4)))
glue("rec_grad_ce_10", grad_rows[3]["‖∂L/∂z‖ cross-entropy"])
glue("rec_grad_mse_10", grad_rows[3]["‖∂L/∂z‖ MSE"])
assert grad_rows[-1]["‖∂L/∂z‖ MSE"] < 1e-6 < 1 < grad_rows[-1]["‖∂L/∂z‖ cross-entropy"]

# %% [markdown]
# At a margin of 10, cross-entropy still pushes with a gradient of norm
# {glue:text}`rec_grad_ce_10:.2f` and MSE with {glue:text}`rec_grad_mse_10:.4f`. To see what that does
# to training, the same softmax regression starts confidently wrong: its initial weights are
# multiplied by a factor (1 is the default initialisation), and it is trained with each loss,
# with SGD and with Adam, in the budget of the table above.

# %%
start_rows, start_acc = [], {}
for scale in (1, 10, 30):
    for opt, lr in (("sgd", 0.05), ("adam", 1e-2)):
        for kind in ("ce", "mse"):
            m = R.SoftmaxRegression(xtr, seed=0)
            with torch.no_grad():
                m.linear.weight.mul_(scale)
                m.linear.bias.mul_(scale)
            R.train_classifier(m, (xtr, ytr), R.RecognitionTrainConfig(**{**LINEAR, "optimizer": opt, "lr": lr,
                                                                          "loss": kind}))
            start_acc[scale, opt, kind] = float((m.predict(xte) == yte).mean())
        start_rows.append({"initial weights ×": scale, "optimiser": opt,
                           "cross-entropy": start_acc[scale, opt, "ce"], "MSE": start_acc[scale, opt, "mse"]})
display(Markdown(markdown_table(start_rows, digits=3)))
for (scale, opt, kind), v in start_acc.items():
    glue(f"rec_start_{scale}_{opt}_{kind}", v)
assert all(start_acc[30, o, "ce"] > start_acc[30, o, "mse"] + 0.2 for o in ("sgd", "adam"))
assert all(abs(start_acc[1, o, "ce"] - start_acc[1, o, "mse"]) < 0.03 for o in ("sgd", "adam"))
assert start_acc[30, "adam", "ce"] - start_acc[30, "adam", "mse"] < start_acc[30, "sgd", "ce"] - start_acc[30, "sgd", "mse"]

# %% [markdown]
# From the default initialisation the two losses end within a point or two of each other. From a
# confidently wrong start, MSE stalls: with SGD and weights ×30 it ends at
# {glue:text}`rec_start_30_sgd_mse:.3f` test accuracy (ten classes: chance is 0.1), cross-entropy at
# {glue:text}`rec_start_30_sgd_ce:.3f`; Adam, which rescales small gradients, narrows the gap but does
# not close it ({glue:text}`rec_start_30_adam_mse:.3f` against {glue:text}`rec_start_30_adam_ce:.3f`).
# A deep network meets such saturated outputs during training (a large learning rate, a shifted
# input), which is why cross-entropy is the default for classification; "MSE is always slower"
# is not what the evidence says.
#
# ## How to evaluate: by speaker, not by file
#
# A random split of *files* puts takes of every speaker on both sides, so the model is
# tested on voices it knows. On the same features and classifier, five-fold cross-validation
# by file against six-fold cross-validation by speaker:
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: which of the two estimates will be higher, and which one would you
# quote to someone who wants to ship the classifier to new users?
# ```

# %%
from sklearn.model_selection import KFold

by_file = []
for tr, te in KFold(5, shuffle=True, random_state=0).split(x_mfcc):
    pipe = R.fit_classical(x_mfcc[tr], labels[tr], "svm", c=10.0)
    by_file.append(float((pipe.predict(x_mfcc[te]) == labels[te]).mean()))
by_speaker = svm_loso
print(f"SVM, 5-fold CV by file    : {np.mean(by_file):.3f} (folds {np.round(by_file, 3)})")
print(f"SVM, 6-fold CV by speaker : {np.mean(by_speaker):.3f} (folds {np.round(by_speaker, 3)})")
assert np.mean(by_file) > np.mean(by_speaker) + 0.1

# %% [markdown]
# ## Common pitfalls
#
# :::{admonition} Splitting by file and calling it generalisation
# :class: warning
# Random train/test splits of recordings put every speaker on both sides. The accuracy
# measured that way (the cell above) answers "does it recognise these six people again",
# not "does it work for a new user". Split by speaker; tune only on training speakers.
# :::
#
# :::{admonition} Reading accuracy on imbalanced data
# :class: warning
# With rare classes, accuracy hides failures: a model can miss most of a rare digit and
# lose little accuracy. Report per-class recall and macro F1 (the guidance table above).
# :::
#
# :::{admonition} Loss and optimiser folklore
# :class: warning
# MSE on a softmax is not a default for classification (it stalls on confidently wrong outputs,
# though on this easy task from a default start it does as well); cross-entropy does not fix
# class imbalance; Adadelta is not an optimiser "for very small learning rates" and RMSprop is not
# one "for very large data sets". The tables above test the first three claims.
# :::
#
# :::{admonition} Different input conventions at test time
# :class: warning
# A model trained on trimmed, peak-relative log-mel features of 8 kHz audio must see the same
# at test time. `predict` checks the sample rate and dtype and prepares every clip the same
# way; a 16 kHz clip is refused rather than silently misread:
# :::

# %%
try:
    clf.predict([torch.zeros(16000)], sample_rate=16000)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## Summary
#
# - On the official split, classical features with logistic regression or an SVM and the
#   pretrained CNN are close to perfect: that split measures recognition of *known* voices.
# - Leave-one-speaker-out is the honest protocol; the per-speaker table shows how much
#   harder it is and which voices are hardest.
# - A network fits its training voices much better than a new one (the live fold's gap).
#   What weight decay, dropout, early stopping and each augmentation add depends on the
#   architecture: SpecAugment clearly hurts the GRU in the six-fold ablation and leaves the
#   CNN within one seed's noise.
# - Use cross-entropy, judge imbalance by per-class recall, and compare optimisers at their
#   own customary learning rates on held-out speakers.
# - {doc}`05_outside_the_training_conditions` asks what the classifier does with a clip that is
#   not a digit, how well calibrated it is on a new voice, and what waveform augmentation adds.
#
# ## Exercises
#
# ```{exercise} A validation speaker
# :label: ex-audio-rec-val
# In the live fold above, hold out one of the five training speakers (say `jackson`) and train
# with `val_data=...` and `patience=3` in the config. Does early stopping
# on an unseen *training* speaker change the test accuracy on `george`? Why must the
# validation speaker not be `george`?
# ```
#
# ```{solution} ex-audio-rec-val
# :class: dropdown
# `va = [i for i in fold_tr if data.speakers[i] == "jackson"]`,
# `tr = [i for i in fold_tr if data.speakers[i] != "jackson"]`, then
# `model = build_classifier("gru")` and
# `R.train_classifier(model, Subset(data, tr), R.RecognitionTrainConfig(epochs=8, val_data=Subset(data, va), patience=3))`;
# `history.metrics["best_epoch"]` says which epoch was kept.
# The model sees one speaker fewer, so it may lose accuracy even though stopping is better
# timed. Choosing the stopping epoch on `george` would tune on the test set: the reported
# accuracy would then be optimistic.
# ```
#
# ```{exercise} Noise robustness
# :label: ex-audio-rec-noise
# Add white noise at 20, 10 and 0 dB SNR to the official test clips
# (`course_lib.audio.add_noise`) and measure the pretrained classifier's accuracy at each
# level. At which SNR does it fall below 90 %?
# ```
#
# ```{solution} ex-audio-rec-noise
# :class: dropdown
# `noisy = [add_noise(w, torch.randn(len(w)), snr) for w in test_waves]`, then
# `R.classification_scores(labels[official_test], clf.predict(noisy)).accuracy`. The model
# was trained with noise at 5–30 dB on half the clips, so expect it to degrade gracefully down
# to about that range. A prediction to check below it: the fricatives ("six", "seven") are the
# first digits to go (compare the per-digit recall at each SNR).
# ```
#
# ```{exercise} Which digits are confused?
# :label: ex-audio-rec-confusions
# In the pooled leave-one-speaker-out confusion matrix, find the two largest off-diagonal
# entries. Listen to a few of these recordings and explain the confusion from their
# spectrograms.
# ```
#
# ```{solution} ex-audio-rec-confusions
# :class: dropdown
# `off = conf - np.diag(np.diag(conf)); np.unravel_index(np.argsort(off, axis=None)[-2:], off.shape)`.
# The pooled confusion cell above prints the most frequent confusion of each network: "six"
# heard as "eight" for all three. Both words have a front vowel followed by a short, quiet
# closure and burst; what tells them apart is mostly the initial "s" of "six", a quiet, noisy
# stretch. Check in the spectrograms of the confused recordings whether that stretch is weak or
# missing.
# ```
#
# ```{exercise} Soft thresholding by hand
# :label: ex-audio-rec-soft-threshold
# Pencil: solve $\min_w \tfrac12 (w - v)^2 + \lambda |w|$ for $v = 0.3$ and $\lambda = 0.5$, then for
# $v = 0.8$. Then show that (5) is the solution for every $v$ by looking separately at $w > 0$,
# $w < 0$ and $w = 0$. What does the same problem with $\tfrac{\lambda}{2} w^2$ give for $v = 0.3$?
# ```
#
# ```{solution} ex-audio-rec-soft-threshold
# :class: dropdown
# For $w > 0$ the objective is a parabola with its minimum at $w = v - \lambda$, valid only if
# $v > \lambda$; for $w < 0$ at $w = v + \lambda$, valid only if $v < -\lambda$. Otherwise neither side
# has an interior minimum and the kink $w = 0$ is the minimum. So $v = 0.3$ gives $w = 0$ and $v = 0.8$
# gives $w = 0.3$: equation (5). With the L2 term, $w - v + \lambda w = 0$ gives
# $w = v / (1 + \lambda) = 0.2$: smaller, but not zero (equation 4).
# ```
#
# ```{exercise} Fine-tune the head only
# :label: ex-audio-rec-head-only
# Code, predict first: in the fine-tuning experiment, freeze everything but the last linear layer
# (`for p in tuned.parameters(): p.requires_grad_(False)`, then
# `tuned.backbone.head[-1].requires_grad_(True)`) and rerun the three seeds with one and five clips
# per digit. Will it beat fine-tuning every weight with one clip? With five?
# ```
#
# ```{solution} ex-audio-rec-head-only
# :class: dropdown
# The optimiser skips parameters without gradients, so the loop runs unchanged (AdamW's weight decay
# only touches parameters with a gradient). Training only the head adapts the decision boundaries in
# the features the five speakers taught, with ten times fewer free parameters: expect it to be
# competitive with one clip per digit, where full fine-tuning can overfit ten recordings, and to fall
# behind with five, where adapting the recurrent layer to the new voice pays. Measure it: the
# spread over three seeds decides whether a difference is real.
# ```
#
# ```{exercise} The path of L1 solutions
# :label: ex-audio-rec-l1-path
# Predict, then run: fit `R.fit_penalised_softmax(x_mfcc[official_train], labels[official_train], "l1", s)`
# for $s$ from $10^{-1}$ down to $10^{-3}$ and print which features survive at the strongest
# setting. Which kind of feature (a segment mean of a low MFCC, of a high one, a delta, a standard
# deviation) would you expect to be kept first? Why does the number of FISTA steps matter more at
# small $s$?
# ```
#
# ```{solution} ex-audio-rec-l1-path
# :class: dropdown
# `np.flatnonzero((lin.linear.weight != 0).any(0))` lists them. `R.classical_features` stores 25
# numbers per MFCC, so feature $f$ belongs to coefficient $\lfloor f / 25 \rfloor$, and $f \bmod 25$ is
# a segment mean (0–11), a delta's segment mean (12–23) or the standard deviation (24). At the
# strongest setting the survivors are mostly segment means of the low coefficients 1–4 (the
# spectral envelope, which separates the vowels of the digits), with a few deltas. At small $s$
# few weights hit the threshold, the problem is nearly as ill-conditioned as the unpenalised one
# (correlated features), and proximal gradient needs many more steps to reach the optimum: check
# condition (6) as in the cell above before trusting a sparsity figure.
# ```
