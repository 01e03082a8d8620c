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
# # Recurrent networks
#
# A sequence model has to carry information from one step to the next. A recurrent neural
# network (RNN) does that with a *state* vector that it updates at every step
# {cite}`elman1990finding`. This notebook writes the three cells that matter in practice (the
# tanh RNN, the LSTM and the GRU) by hand, checks them against PyTorch's layers, and **measures**
# the vanishing and exploding gradients that make plain RNNs hard to train. The next notebook
# builds sequence GANs out of these cells.
#
# **Learning goals.** After this notebook you can
# - write the RNN equations, draw the unrolled network and derive backpropagation through time
#   (BPTT);
# - explain, with a measurement, why gradients vanish or explode over long sequences;
# - write the LSTM and GRU gate equations and show that they match `nn.LSTM` and `nn.GRU`;
# - draw the LSTM and GRU cells gate by gate and say which path carries the gradient;
# - tell a recurrent network from a per-step dense network by testing what its outputs depend on.
#
# **Before you start.**
# - *Prerequisites:* the chain rule for vectors (Jacobians), the spectral norm of a matrix (its
#   largest singular value), and PyTorch's `nn.Module` and `autograd` as used in
#   [working with the course](../setup/working_with_the_course.ipynb); symbols as on the
#   [notation page](../../notation.md). No earlier chapter is needed. The next notebook also uses
#   [the GAN value function](../gan/01_foundations.ipynb), and [WaveNet](../wavenet/01_wavenet.ipynb)
#   is the convolutional alternative to a recurrence.
# - *Time:* about 45 minutes to read and one to two hours for the exercises. Every experiment is
#   small: the whole notebook takes {glue:text}`rnn01_runtime` (measured at its end, after the
#   imports), so it runs on any laptop.
# - *Further reading:*
#   - {cite}`elman1990finding`: the simple recurrent network and its state;
#   - {cite}`werbos1990bptt`: backpropagation through time, derived and explained;
#   - {cite}`bengio1994learning`: why long-range dependencies are hard to learn by gradient descent;
#   - {cite}`pascanu2013difficulty`: the singular-value conditions, and gradient clipping;
#   - {cite}`hochreiter1997lstm`: the LSTM and the adding problem;
#   - {cite}`cho2014gru`: the GRU.

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
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib import rnn_gan as R
from course_lib.notebook import glue
from course_lib.teaching import knobs
from course_lib.utils import set_seed

set_seed(0)
started = time.process_time()  # the notebook's CPU time is reported at its end

# %% [markdown]
# ## The recurrence
#
# An RNN reads inputs $x_1, \dots, x_T$ and keeps a hidden state $h_t \in \mathbb{R}^H$:
#
# $$
# h_t = f(W x_t + U h_{t-1} + b), \qquad y_t = g(V h_t + c), \qquad t = 1, \dots, T,
# $$
#
# with $h_0$ given (usually zero), $f = \tanh$ for the Elman RNN, and $g$ the output map
# (identity for regression, softmax for classes). The *same* $W, U, V, b, c$ are used at every
# step. Writing the loop out step by step gives the **unrolled network**: a deep feed-forward
# network with $T$ layers that share their weights,
#
# $$
# h_0 \xrightarrow{\;x_1\;} h_1 \xrightarrow{\;x_2\;} h_2 \longrightarrow \cdots
# \xrightarrow{\;x_T\;} h_T, \qquad \text{each arrow } h_t = \tanh(W x_t + U h_{t-1} + b).
# $$
#
# `course_lib.rnn_gan.RNNCell` is this one line, and `unroll` is the loop. Its parameters use
# PyTorch's layout (`weight_ih` $= W$, `weight_hh` $= U$, two bias vectors), so we can copy the
# weights of an `nn.RNN` into it and compare outputs.

# %%
layer = nn.RNN(input_size=3, hidden_size=8, batch_first=True)
cell = R.copy_weights_from_torch(R.make_cell("rnn", 3, 8), layer)
x = torch.randn(4, 20, 3)  # (batch, time, features)
ours, _ = R.unroll(cell, x)  # (4, 20, 8)
theirs, _ = layer(x)
err = (ours - theirs).abs().max().item()
print(f"max |hand-written - nn.RNN| over 4 x 20 x 8 outputs: {err:.1e}")
assert err < 1e-5

# %% [markdown]
# ## Backpropagation through time
#
# **Derivation: backpropagation through time and the singular-value bound.**
# Let the loss depend on the last state only, $L = \ell(h_T)$, and write $\delta_t = \partial L /
# \partial h_t$ for the (row) gradient with respect to the state at step $t$. Backpropagation
# through time {cite}`werbos1990bptt` is the chain rule applied to the unrolled network, in five steps.
#
# 1. One step of the recurrence, with its pre-activation $a_t$:
#    ```{math}
#    a_t = W x_t + U h_{t-1} + b, \qquad h_t = \tanh(a_t). \tag{1}
#    ```
# 2. Its Jacobian with respect to the previous state; $\tanh' = 1 - \tanh^2$ acts element-wise,
#    so it becomes a diagonal matrix:
#    ```{math}
#    J_t = \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\!\big(1 - h_t^2\big)\, U. \tag{2}
#    ```
# 3. $h_{t-1}$ influences $L$ only through $h_t$, so $\delta_{t-1} = \delta_t J_t$; unrolled from
#    $T$ down to $k$:
#    ```{math}
#    \delta_k = \delta_T\, J_T J_{T-1} \cdots J_{k+1}. \tag{3}
#    ```
# 4. The shared matrix $U$ is used at every step, so its gradient sums one term per step:
#    ```{math}
#    \frac{\partial L}{\partial U} = \sum_{t=1}^{T} \operatorname{diag}\!\big(1 - h_t^2\big)\,
#    \delta_t^\top\, h_{t-1}^\top . \tag{4}
#    ```
# 5. The spectral norm is sub-multiplicative, $\|AB\| \le \|A\|\,\|B\|$; the diagonal factor has norm
#    $\max_i (1 - h_{t,i}^2) \le 1$ and $\|U\| = \sigma_{\max}(U)$, its largest singular value. So
#    ```{math}
#    \|\delta_k\| \le \|\delta_T\| \prod_{t=k+1}^{T} \big\|\operatorname{diag}(1 - h_t^2)\big\|\,
#    \|U\| \le \|\delta_T\|\; \sigma_{\max}(U)^{\,T-k}. \tag{5}
#    ```
#
# Read (5) both ways {cite}`bengio1994learning,pascanu2013difficulty`. If $\sigma_{\max}(U) < 1$
# the gradient reaching step $k$ shrinks *at least* geometrically with the distance $T - k$: the
# terms of (4) from early steps vanish, and the network cannot learn what an early input should
# have changed. An explosion needs $\sigma_{\max}(U) > 1$, but $\sigma_{\max}(U) > 1$ does not
# cause one: (5) is an upper bound, and saturated units ($|h_{t,i}| \to 1$) shrink the product
# further.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: give the tanh RNN a recurrent matrix $U = g\,Q$ with $Q$ orthogonal,
# so that every singular value of $U$ is exactly $g$. For $g = 3$, does (5) *predict* an exploding
# gradient, or only allow one? And for $g = 1$, will the gradient stay constant?
# ```
#
# The check below measures $\|\delta_t\|$ for every $t$ in one backward pass
# (`state_grad_norms`, on the adding problem of the next section) and tests (5) on each of 64
# sequences, for four gains and five seeds.

# %%
T = 80
distance = torch.arange(T, -1, -1.0)  # T - t for the columns t = 0..T
worst = {}
for gain in (0.5, 1.0, 1.5, 3.0):
    ratios = []
    for seed in range(5):
        norms = R.state_grad_norms("rnn", T, seed=seed, recurrent_gain=gain)  # (64, T + 1)
        ratios.append(norms[:, :-1] / (norms[:, -1:] * gain ** distance[:-1]))  # measured / bound (5), t < T
    worst[gain] = float(torch.cat(ratios).max())
    print(f"gain {gain}: largest measured / bound over 5 seeds x 64 sequences x 80 steps: {worst[gain]:.3f}")
sigma = torch.stack([torch.linalg.matrix_norm(R.probe_cell("rnn", seed=s)[0].weight_hh.detach(), ord=2)
                     for s in range(5)])
glue("rnn01_sigma_default", f"{sigma.mean():.2f} ± {sigma.std():.2f}")
print(f"largest singular value of PyTorch's default U (H = 32), 5 seeds: {sigma.mean():.3f} ± {sigma.std():.3f}")
assert all(v <= 1 + 1e-5 for v in worst.values())  # the bound (5) holds everywhere
assert sigma.min() > 1  # ... and says nothing about the default initialisation

# %% [markdown]
# The bound holds everywhere: no ratio exceeds one. It is also loose: the
# default initialisation of PyTorch gives $\sigma_{\max}(U)$ = {glue:text}`rnn01_sigma_default`
# (mean ± std over five seeds), above one, so (5) allows growth; yet the next measurement shows
# that network's gradient vanishing.
#
# ## Vanishing and exploding gradients, measured
#
# The task is the *adding problem* {cite}`hochreiter1997lstm`: each step carries a random value
# and a marker; the target is the sum of the two marked values, one of them in the first half of
# the sequence. A network must keep the early value for up to $T$ steps. `state_grad_norms`
# builds an untrained network (`probe_cell`, $H = 32$), reads out $h_T$ with a linear layer, and
# returns $\|\partial L / \partial h_t\|$ for every step $t$ and each of 64 sequences (for the LSTM
# the state is the pair $(h_t, c_t)$). We average over the sequences and plot against the distance
# $T - t$, for five initialisation seeds.
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: the LSTM was invented to carry gradients over long distances.
# Will an *untrained* LSTM, with PyTorch's default initialisation, keep the gradient better than
# the tanh RNN? What could make it do so from the first step?
# ```

# %% mystnb={"image": {"alt": "Gradient norm against distance for six untrained recurrent networks, five seeds each"}}
configs = {
    "tanh RNN": ("rnn", {}),
    "LSTM": ("lstm", {}),
    "GRU": ("gru", {}),
    "LSTM, forget bias +1": ("lstm", {"gate_bias": 1.0}),
    "GRU, update bias +1": ("gru", {"gate_bias": 1.0}),
    "tanh RNN, U = 3 x orthogonal": ("rnn", {"recurrent_gain": 3.0}),
}
curves, factor = {}, {}
for name, (kind, kw) in configs.items():
    # (5 seeds, T + 1): mean over the 64 sequences, reordered so that index k is the distance T - t
    curves[name] = torch.stack([R.state_grad_norms(kind, T, seed=s, **kw).mean(0).flip(0) for s in range(5)])
    factor[name] = (curves[name][:, -1] / curves[name][:, 0]) ** (1 / T)  # per-step factor, one per seed
fig, ax = plt.subplots(figsize=(7, 4))
for (name, c), style in zip(curves.items(), ["o-", "s-", "^-", "s--", "^--", "d:"], strict=True):
    (line,) = ax.semilogy(range(0, T + 1, 10), c.mean(0)[::10], style, label=name, ms=4)
    ax.fill_between(range(T + 1), c.min(0).values, c.max(0).values, color=line.get_color(), alpha=0.2)
ax.set_xlabel("distance T - t (steps)")
ax.set_ylabel(r"$\|\partial L / \partial h_t\|$ (log scale)")
ax.set_title("Gradient reaching step t, untrained networks (mean and range of 5 seeds)")
ax.legend(fontsize=8)
plt.show()
keys = {"tanh RNN": "rnn", "LSTM": "lstm", "GRU": "gru", "LSTM, forget bias +1": "lstm_bias",
        "GRU, update bias +1": "gru_bias", "tanh RNN, U = 3 x orthogonal": "explode"}
for name, f in factor.items():
    glue(f"rnn01_rate_{keys[name]}", f"{f.mean():.2f} ± {f.std():.2f}")
    print(f"{name:30s} per-step factor {f.mean():.3f} ± {f.std():.3f} (5 seeds)")
assert (factor["tanh RNN"] < 0.8).all() and (factor["tanh RNN, U = 3 x orthogonal"] > 1.1).all()
assert (factor["LSTM, forget bias +1"] > factor["LSTM"] + 0.1).all()  # the gate bias carries it further
assert (factor["GRU, update bias +1"] > factor["GRU"] + 0.1).all()

# %% [markdown]
# Three things to read from the plot. The per-step factor is $(\|\delta_0\| / \|\delta_T\|)^{1/T}$,
# the geometric mean of the shrinkage per step, given as mean ± std over the five seeds.
#
# 1. The plain tanh RNN loses the gradient geometrically, a straight line on the log scale: a
#    factor of {glue:text}`rnn01_rate_rnn` per step.
# 2. **At initialisation the LSTM and the GRU vanish about as fast**
#    ({glue:text}`rnn01_rate_lstm` and {glue:text}`rnn01_rate_gru` per step). Their advantage is not
#    automatic: with default biases the forget gate $f_t = \sigma(\cdot) \approx 0.5$ halves the
#    cell's memory at every step. What the gates give is the *possibility* of a Jacobian close to
#    the identity, which training (or an initial forget-gate bias of 1 {cite}`gers2000forget`)
#    switches on: the biased cells keep {glue:text}`rnn01_rate_lstm_bias` (LSTM) and
#    {glue:text}`rnn01_rate_gru_bias` (GRU) of the gradient per step.
# 3. A recurrent matrix with singular values above one (here 3 times an orthogonal matrix) makes
#    the gradient explode instead, by a factor of {glue:text}`rnn01_rate_explode` per step.
#    Gradient-norm clipping is the standard remedy {cite}`pascanu2013difficulty`.
#
# ## The knob: the scale of the recurrent matrix
#
# The bound (5) ties the gradient to $\sigma_{\max}(U)$. With $U = g\,Q$ ($Q$ orthogonal) every
# singular value equals the gain $g$, so the dashed line $\|\delta_T\|\, g^{T-t}$ *is* the bound,
# and the gap below it is what the tanh derivatives take away. The grid shows four gains (mean
# over three seeds; the title gives the per-step factor).
#
# ```{admonition} Think!
# :class: tip
# Before looking at the grid: at $g = 1$ the matrix $U$ preserves every norm. Where will the
# measured curve lie relative to the bound, and why?
# ```

# %% tags=["hide-input"]
def draw_gain(gain: float = 1.0, seq_len: int = 60, ax=None) -> float:
    """Gradient norm against distance for the tanh RNN with U = gain x orthogonal, and bound (5)."""
    show = ax is None
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    norms = torch.stack([R.state_grad_norms("rnn", seq_len, seed=s, recurrent_gain=gain).mean(0) for s in range(3)])
    curve = norms.mean(0).flip(0).clamp_min(1e-38)  # index = distance; float32 underflows below that
    k = torch.arange(seq_len + 1.0)
    per_step = float((curve[-1] / curve[0]) ** (1 / seq_len))
    ax.semilogy(k, curve, "o-", ms=2, label="measured (3 seeds)")
    ax.semilogy(k, (curve[0] * gain**k).clamp_min(1e-38), "k--", label=r"bound (5): $\propto g^{T-t}$")
    ax.set_xlabel("distance T - t (steps)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title(f"g = {gain:.2f}: factor {per_step:.2f} per step", fontsize=9)
    ax.legend(fontsize=7)
    if show:
        plt.show()
    return per_step


fig, axes = plt.subplots(2, 2, figsize=(8, 5.5), sharey=True)
gain_factor = {gain: draw_gain(gain, ax=ax) for ax, gain in zip(axes.flat, (0.5, 1.0, 1.5, 3.0), strict=True)}
fig.suptitle("tanh RNN, U = g x orthogonal: measured gradient and the singular-value bound")
fig.tight_layout()
plt.show()
glue("rnn01_gain1_factor", gain_factor[1.0])
glue("rnn01_gain15_factor", gain_factor[1.5])
assert gain_factor[1.0] < 1 < gain_factor[1.5] < gain_factor[3.0]  # g = 1 still vanishes (tanh'), g > 1 grows

# %% [markdown]
# Below $g = 1$ the bound forces the gradient to vanish. At $g = 1$ the measured curve still falls
# (a factor of {glue:text}`rnn01_gain1_factor:.2f` per step, mean of three seeds): every unit with
# $h_{t,i} \ne 0$ contributes a factor $1 - h_{t,i}^2 < 1$ in (2). Above one the bound allows
# growth and the tanh derivatives fight it, but lose: at $g = 1.5$ the gradient already grows by
# a factor of {glue:text}`rnn01_gain15_factor:.2f` per step, far below the bound's 1.5. Between
# $g = 1$ and $g = 1.5$ lies a narrow band of gains where the gradient neither vanishes nor
# explodes over this distance: an orthogonal $U$ with a gain a little above 1 starts training
# there, a random $U$ of the default scale does not.
#
# The slider below redraws the figure for any gain and length. It needs a running kernel
# (Jupyter or Colab), so the website shows only the grid above.

# %%
_ = knobs(draw_gain, gain=(0.25, 3.0, 0.25, 1.0), seq_len=(10, 120, 10, 60))

# %% [markdown]
# ## LSTM and GRU
#
# The LSTM {cite}`hochreiter1997lstm` adds a cell $c_t$ updated *additively*, guarded by gates
# (σ is the logistic sigmoid, ⊙ the element-wise product; PyTorch's gate order):
#
# $$
# \begin{aligned}
# i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i), &
# f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f), \\
# g_t &= \tanh(W_g x_t + U_g h_{t-1} + b_g), &
# o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o), \\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t, &
# h_t &= o_t \odot \tanh(c_t).
# \end{aligned}
# $$
#
# Along the cell, $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$: with the forget gate
# open ($f_t \approx 1$) the gradient passes unchanged. The GRU {cite}`cho2014gru` merges cell and
# state and interpolates with an update gate $z_t$:
#
# $$
# \begin{aligned}
# r_t &= \sigma(W_r x_t + U_r h_{t-1} + b_r), \qquad
# z_t = \sigma(W_z x_t + U_z h_{t-1} + b_z), \\
# n_t &= \tanh\!\big(W_n x_t + b_{in} + r_t \odot (U_n h_{t-1} + b_{hn})\big), \qquad
# h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}.
# \end{aligned}
# $$
#
# ($z_t = 1$ copies the state. PyTorch applies the reset gate after the product $U_n h_{t-1}$, as
# written here; Cho et al. apply it before. Both are GRUs.)
#
# The two diagrams draw these equations with the shapes of one real step of the hand-written
# cells (`LSTMCell.parts` and `GRUCell.parts` return every intermediate tensor): each gate is a
# box with its own weights, each ⊙ an element-wise product. Follow the top line of each: in the
# LSTM the cell $c$ passes through one ⊙ and one +, in the GRU the state does the same. No matrix
# multiplies that path, which is why a gate held open carries the gradient.

# %% tags=["hide-input"]
fig = R.draw_lstm_cell(R.make_cell("lstm", 3, 8))
plt.show()
fig = R.draw_gru_cell(R.make_cell("gru", 3, 8))
plt.show()

# %% [markdown]
# The hand-written cells in `course_lib.rnn_gan` follow these equations line by line; the check
# below runs them against PyTorch's layers on the same weights.

# %%
for kind, torch_layer in [("lstm", nn.LSTM), ("gru", nn.GRU)]:
    layer = torch_layer(3, 8, batch_first=True)
    cell = R.copy_weights_from_torch(R.make_cell(kind, 3, 8), layer)
    ours, _ = R.unroll(cell, x)
    theirs, _ = layer(x)
    err = (ours - theirs).abs().max().item()
    print(f"{kind}: max |hand-written - nn.{torch_layer.__name__}| = {err:.1e}")
    assert err < 1e-5

# %% [markdown]
# ## What "recurrent" means, as a test
#
# A network is recurrent when its output at step $t$ depends on inputs *before* $t$ through the
# state. That is testable: change only the input at step 5 and see which outputs move. A
# per-step dense network (the same MLP applied to every $x_t$) moves only output 5; an RNN moves
# every output from step 5 on, and none before (it is causal).
#
# ```{admonition} Think!
# :class: tip
# Before running the next cell: sketch, for both networks, the bar chart of "how much output $t$
# moves" against $t$. Which bars must be exactly zero, and which cannot be?
# ```

# %%
def step_effect(f, x, step):
    """Largest change of each output step when only the input at `step` changes."""
    x2 = x.clone()
    x2[:, step] += 1.0
    with torch.no_grad():
        return (f(x2) - f(x)).abs().amax(dim=(0, 2))  # (T,)


x = torch.randn(4, 12, 3)
rnn = nn.GRU(3, 8, batch_first=True)
dense = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8))
eff_rnn = step_effect(lambda v: rnn(v)[0], x, step=5)
eff_dense = step_effect(dense, x, step=5)
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(torch.arange(12) - 0.2, eff_rnn, width=0.4, label="GRU")
ax.bar(torch.arange(12) + 0.2, eff_dense, width=0.4, label="per-step dense network")
ax.set_xlabel("output step t")
ax.set_ylabel("max |change of output|")
ax.set_title("Only the input at step 5 was changed")
ax.legend()
plt.show()
assert torch.all(eff_rnn[:5] == 0) and torch.all(eff_rnn[6:] > 0)  # causal, with memory
assert torch.all(eff_dense[6:] == 0)  # no memory at all

# %% [markdown]
# ## Common pitfalls
#
# :::{admonition} `nn.RNN`, `nn.LSTM` and `nn.GRU` expect `(time, batch, features)` by default
# :class: warning
# Without `batch_first=True` a batch of shape `(batch, time, features)` is read as `batch`
# time steps of `time` sequences. Nothing fails: the output even has the same shape. The cell
# below feeds the same data to the same weights both ways; the outputs disagree.
# :::

# %%
gru_tf = nn.GRU(3, 8)  # default batch_first=False
gru_bf = nn.GRU(3, 8, batch_first=True)
gru_bf.load_state_dict(gru_tf.state_dict())
x = torch.randn(4, 12, 3)  # (batch, time, features)
right = gru_bf(x)[0]  # (4, 12, 8): 4 sequences of 12 steps
wrong = gru_tf(x)[0]  # (4, 12, 8) too, but read as 12 sequences of 4 steps
print(f"shapes {tuple(right.shape)}, {tuple(wrong.shape)}; max difference {(right - wrong).abs().max():.2f}")
assert not torch.allclose(right, wrong, atol=1e-3)

# %%
# How PyTorch initialises an LSTM's biases: uniform in ±1/√H, like its weights (not zero)
lstm = nn.LSTM(input_size=8, hidden_size=64)
H = lstm.hidden_size
b_forget = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()[H : 2 * H]  # forget gate's total bias (order i, f, g, o)
largest = float(lstm.bias_hh_l0.detach().abs().max())
print(f"largest |bias| {largest:.3f}, bound 1/sqrt(H) = {1 / H**0.5:.3f}; "
      f"forget gate at zero input and state: mean sigma(b_f) = {float(torch.sigmoid(b_forget).mean()):.3f}")
assert 0.5 / H**0.5 < largest <= 1 / H**0.5  # drawn from the uniform, not zero

# %% [markdown]
# :::{admonition} An LSTM is not a cure for vanishing gradients by itself
# :class: warning
# The measurement above shows an untrained LSTM with default biases losing the gradient as fast
# as a tanh RNN. Initialise the forget-gate bias to a positive value (PyTorch draws both bias
# vectors, like the weights, from $\mathcal U(-1/\sqrt H, 1/\sqrt H)$, so the forget gate starts
# near $\sigma(0) = 1/2$, as the cell above checks), clip gradient norms, and check what actually
# reaches early steps.
# :::
#
# :::{admonition} A "recurrent" network built of dense layers has no memory
# :class: warning
# Applying an MLP to each step (or a `Dense`/`Linear` layer on a `(batch, time, features)`
# tensor) is *not* recurrent: the step test above shows outputs independent of earlier steps.
# The next notebook shows the consequence for a sequence GAN.
# :::
#
# %%
runtime = time.process_time() - started
glue("rnn01_runtime", f"about {max(5, 5 * round(runtime / 5)):.0f} seconds of CPU time")
print(f"this notebook used {runtime:.1f} s of CPU time (after its imports)")

# %% [markdown]
# ## Summary
#
# - An RNN applies one cell $h_t = f(W x_t + U h_{t-1} + b)$ at every step; unrolled, it is a
#   deep network with shared weights, trained by backpropagation through time.
# - The gradient reaching step $k$ is a product of $T - k$ Jacobians (3), bounded by
#   $\sigma_{\max}(U)^{T-k}$ (5): it vanishes or explodes geometrically, as measured on the adding
#   problem over five seeds; the bound is one-sided and often loose.
# - LSTM and GRU gates allow an identity-like path (forget gate open, update gate closed); a
#   positive gate bias makes that the default.
# - "Recurrent" is a property you can test: outputs must depend on earlier inputs.
#
# ## Exercises
#
# ```{exercise} Gradient clipping
# :label: ex-rnn-clip
# Using the exploding configuration (`grad_norm_wrt_h0("rnn", T, recurrent_gain=3.0)`), explain why
# clipping the *norm* of the gradient to a maximum value keeps its direction, and why clipping
# each component separately does not.
# ```
#
# ```{solution} ex-rnn-clip
# :class: dropdown
# Norm clipping rescales the whole gradient vector $g \leftarrow g \cdot \min(1, \tau / \|g\|)$:
# a positive scalar times $g$, so the update direction is unchanged and only the step length is
# bounded. Component-wise clipping replaces large components by $\pm\tau$ and leaves small ones,
# which changes the direction (in the limit, to the sign vector). In PyTorch:
# `torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)` before `optimizer.step()`.
# ```
#
# ```{exercise} The GRU's update-gate bias
# :label: ex-rnn-gru-bias
# Show from the GRU equations that with $z_t = 1$ for all $t$ the gradient
# $\partial h_T / \partial h_0$ is the identity, and measure how `grad_norm_wrt_h0("gru", 80,
# gate_bias=b)` grows with `b` in $\{0, 1, 2, 3\}$.
# ```
#
# ```{solution} ex-rnn-gru-bias
# :class: dropdown
# With $z_t = 1$, $h_t = h_{t-1}$, so each Jacobian $\partial h_t / \partial h_{t-1} = I$ and the
# product is $I$. A bias $b$ on the update gate sets $z_t \approx \sigma(b)$ at initialisation,
# and the Jacobian is roughly $\operatorname{diag}(z_t) + (\text{terms through } n_t)$: the larger
# `b`, the closer to the identity, and the measured norm at $T = 80$ rises by orders of magnitude:
# `[R.grad_norm_wrt_h0("gru", 80, gate_bias=b) for b in range(4)]`. The price: a state that
# barely changes also learns slowly from new inputs.
# ```
#
# ```{exercise} Train on the adding problem
# :label: ex-rnn-adding
# Train `nn.RNN` and `nn.LSTM` (hidden size 32, Adam, learning rate 1e-3) on
# `adding_problem(n, T)` for $T = 50$ and compare their mean squared error with the trivial
# predictor that always answers 1 (the mean of the sum of two U(0, 1) values, MSE 1/6).
# ```
#
# ```{solution} ex-rnn-adding
# :class: dropdown
# Read out $h_T$ with `nn.Linear(32, 1)` and minimise the MSE. The trivial predictor scores
# $\operatorname{Var}(u_1 + u_2) = 2/12 = 1/6 \approx 0.167$. The LSTM usually gets well below it
# within a few thousand steps; the tanh RNN tends to stay near 0.167 for $T = 50$, because the
# gradient from the first marked value (measured above) is too small to learn from.
# ```
#
# ```{exercise} The cell's own path
# :label: ex-rnn-cellpath
# From the LSTM equations, compute $\partial c_t / \partial c_{t-1}$ holding $h_{t-1}$ fixed, and
# compare it with the tanh RNN's Jacobian (2). Then predict the factor by which the gradient along
# the cell alone shrinks over 80 steps when every forget gate sits at $\sigma(0)$, $\sigma(1)$ and
# $\sigma(3)$.
# ```
#
# ```{solution} ex-rnn-cellpath
# :class: dropdown
# With $h_{t-1}$ fixed the gates do not depend on $c_{t-1}$, and $c_t = f_t \odot c_{t-1} + i_t
# \odot g_t$ gives $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$: no matrix $U$ and no
# $\tanh'$ factor, unlike (2). Over 80 steps the cell's path multiplies the gradient by
# $\prod_t f_t$: $0.5^{80} \approx 8 \times 10^{-25}$, $\sigma(1)^{80} = 0.731^{80} \approx 1.3 \times
# 10^{-11}$ and $\sigma(3)^{80} = 0.953^{80} \approx 0.02$. The full Jacobian adds the paths through
# $h_{t-1}$ and the gates, which is why the measured factors above differ from $f_t$.
# ```
#
# ```{exercise} Predict, then run: the orthogonal RNN at gain 1
# :label: ex-rnn-gain1
# For $U = Q$ orthogonal, (5) gives $\|\delta_k\| \le \|\delta_T\|$. (a) Predict the measured
# curve of `R.state_grad_norms("rnn", 80, recurrent_gain=1.0).mean(0)` before running it.
# (b) Which single change to the cell would make the bound an equality? (c) Why is that change
# not used in practice?
# ```
#
# ```{solution} ex-rnn-gain1
# :class: dropdown
# (a) It decays, more slowly than with the default $U$: each factor $\operatorname{diag}(1 -
# h_t^2)$ in (2) is below one wherever $h_t \ne 0$ (the grid above shows it at $g = 1$).
# (b) A linear recurrence $h_t = W x_t + U h_{t-1} + b$: then $J_t = U$ and an orthogonal $U$
# preserves every norm, $\|\delta_k\| = \|\delta_T\|$ exactly. (c) A linear recurrence is a linear
# filter of its inputs; without a nonlinearity it cannot compute the nonlinear functions of the
# past that a model needs, and its state can grow without bound for $\sigma_{\max}(U) > 1$.
# ```
#
# ```{exercise} Counting parameters
# :label: ex-rnn-params
# Derive the number of parameters of one tanh RNN, LSTM and GRU layer with input size $I$ and
# hidden size $H$ (PyTorch's two bias vectors included), and check your formula with
# `sum(p.numel() for p in nn.LSTM(3, 8).parameters())` and its siblings.
# ```
#
# ```{solution} ex-rnn-params
# :class: dropdown
# Each gate block has $W$ ($H \times I$), $U$ ($H \times H$) and two biases ($2H$): $G\,(HI + H^2 +
# 2H)$ with $G = 1$ (RNN), 4 (LSTM) and 3 (GRU). For $I = 3$, $H = 8$: 104, 416 and 312, which is
# what `sum(p.numel() for p in layer.parameters())` prints for `nn.RNN(3, 8)`, `nn.LSTM(3, 8)` and
# `nn.GRU(3, 8)`: at equal $H$ the GRU has three quarters of the LSTM's weights.
# ```
