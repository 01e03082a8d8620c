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
# - tell a recurrent network from a per-step dense network by testing what its outputs depend on.

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
from torch import nn

from course_lib import rnn_gan as R
from course_lib.utils import set_seed

set_seed(0)

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
# Let the loss depend on the last state, $L = \ell(h_T)$. The chain rule through the unrolled
# network gives, for any earlier state,
#
# $$
# \frac{\partial L}{\partial h_k} = \frac{\partial L}{\partial h_T}
# \prod_{t=k+1}^{T} \frac{\partial h_t}{\partial h_{t-1}}, \qquad
# \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\!\big(1 - h_t^2\big)\, U ,
# $$
#
# and the gradient for the shared matrix sums the contributions of every step,
# $\partial L / \partial U = \sum_t \operatorname{diag}(1 - h_t^2)\, \delta_t\, h_{t-1}^\top$ with
# $\delta_t = \partial L / \partial h_t$ {cite}`werbos1990bptt`. The product of $T - k$ Jacobians is
# the whole story of this section: its norm is at most $\prod_t \|\operatorname{diag}(1-h_t^2)\|
# \, \|U\| \le \|U\|^{T-k}$, so when the largest singular value of $U$ is below one the gradient
# shrinks geometrically with the distance, and when the Jacobians are large it can grow
# geometrically {cite}`bengio1994learning,pascanu2013difficulty`.
#
# ## Vanishing and exploding gradients, measured
#
# The task is the *adding problem* {cite}`hochreiter1997lstm`: each step carries a random value
# and a marker; the target is the sum of the two marked values, one of them in the first half of
# the sequence. A network must keep the early value for up to $T$ steps. `grad_norm_wrt_h0`
# builds an untrained network, reads out $h_T$ with a linear layer, and returns
# $\|\partial L / \partial h_0\|$ averaged over 64 sequences (for the LSTM the state is the pair
# $(h_0, c_0)$).

# %%
lengths = [5, 10, 20, 40, 80]
curves = {
    "tanh RNN": [R.grad_norm_wrt_h0("rnn", T) for T in lengths],
    "LSTM": [R.grad_norm_wrt_h0("lstm", T) for T in lengths],
    "GRU": [R.grad_norm_wrt_h0("gru", T) for T in lengths],
    "LSTM, forget bias +1": [R.grad_norm_wrt_h0("lstm", T, gate_bias=1.0) for T in lengths],
    "GRU, update bias +1": [R.grad_norm_wrt_h0("gru", T, gate_bias=1.0) for T in lengths],
    "tanh RNN, U = 3 x orthogonal": [R.grad_norm_wrt_h0("rnn", T, recurrent_gain=3.0) for T in lengths],
}
fig, ax = plt.subplots(figsize=(7, 4))
for name, values in curves.items():
    ax.semilogy(lengths, values, "o-", label=name)
ax.set_xlabel("sequence length T (steps)")
ax.set_ylabel(r"$\|\partial L / \partial h_0\|$ (log scale)")
ax.set_title("Gradient reaching the initial state, untrained networks, adding problem")
ax.legend(fontsize=8)
plt.show()
for name, values in curves.items():
    print(f"{name:30s} T=5: {values[0]:.1e}   T=80: {values[-1]:.1e}   ratio: {values[-1] / values[0]:.1e}")
assert curves["tanh RNN"][-1] < 1e-6 * curves["tanh RNN"][0]  # vanishes
exploding = curves["tanh RNN, U = 3 x orthogonal"]
assert exploding[-1] > 1e3 * exploding[0]  # explodes
assert curves["LSTM, forget bias +1"][-1] > 1e3 * curves["LSTM"][-1]  # the gate bias carries it further

# %% [markdown]
# Three things to read from the plot (the printed ratios are the measured values):
#
# 1. The plain tanh RNN loses the gradient geometrically: a straight line on the log scale.
# 2. **At initialisation the LSTM and the GRU vanish just as fast.** Their advantage is not
#    automatic: with default biases the forget gate $f_t = \sigma(\cdot) \approx 0.5$ halves the
#    cell's memory at every step. What the gates give is the *possibility* of a Jacobian close to
#    the identity, which training (or an initial forget-gate bias of 1 {cite}`gers2000forget`)
#    switches on: the biased curves fall much more slowly.
# 3. A recurrent matrix with singular values above one (here 3 times an orthogonal matrix) makes
#    the gradient explode instead. Gradient-norm clipping is the standard remedy
#    {cite}`pascanu2013difficulty`.
#
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
# written here; Cho et al. apply it before. Both are GRUs.) The hand-written cells in
# `course_lib.rnn_gan` follow these equations line by line; the check below runs them against
# PyTorch's layers on the same weights.

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
b_forget = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[H : 2 * H]  # forget gate's total bias (order i, f, g, o)
largest = float(lstm.bias_hh_l0.abs().max())
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
# ## Summary
#
# - An RNN applies one cell $h_t = f(W x_t + U h_{t-1} + b)$ at every step; unrolled, it is a
#   deep network with shared weights, trained by backpropagation through time.
# - The gradient reaching step $k$ is a product of $T - k$ Jacobians: it vanishes or explodes
#   geometrically, as measured on the adding problem.
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
