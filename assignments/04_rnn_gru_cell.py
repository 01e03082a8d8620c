# ---
# jupyter:
#   course_lib:
#     assignment: rnn_gan
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
# # Assignment 4 (RNN-GAN chapter): a GRU cell from its equations
#
# **Time:** about 40 minutes. **Points:** 7, of which 1 from a hidden check.
# Fill in every `...  # YOUR CODE HERE` and run the check cell below it. Do not rename the
# functions.
#
# The generator and discriminator of a recurrent GAN are built from recurrent cells. A
# **GRU** updates its state $h_{t-1} \to h_t$ from input $x_t$ with a reset gate $r$, an
# update gate $z$ and a candidate state $n$ (Cho et al., 2014, in PyTorch's convention):
#
# $$\begin{aligned}
# r &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \\
# z &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}), \\
# n &= \tanh\big(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn})\big), \\
# h_t &= (1 - z) \odot n + z \odot h_{t-1}.
# \end{aligned}$$
#
# The weights come stacked: `W_ih` has shape `(3H, D)` with the rows of $W_{ir}, W_{iz}, W_{in}$
# in that order, `W_hh` is `(3H, H)`, and the biases are `(3H,)`.

# %%
import torch

from tools.grading import check

# %% [markdown]
# ## 1. One step (4 points)
#
# Write `gru_cell(x, h, W_ih, W_hh, b_ih, b_hh)` for a batch: `x` is `(batch, D)`, `h` is
# `(batch, H)`, and the result is the new state `(batch, H)`. Hint: compute
# `x @ W_ih.T + b_ih` and `h @ W_hh.T + b_hh` once and split each into three chunks.

# %%
def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    ### BEGIN SOLUTION
    gi = x @ W_ih.T + b_ih
    gh = h @ W_hh.T + b_hh
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h
    ### END SOLUTION


check("rnn_gan", "gru_cell", globals())

# %%
### BEGIN HIDDEN TESTS
check("rnn_gan", "gate_limits", globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Unrolling over time (2 points)
#
# Write `gru_unroll(x, h0, W_ih, W_hh, b_ih, b_hh)` for a sequence `x` of shape
# `(batch, time, D)` and an initial state `h0` `(batch, H)`: apply `gru_cell` step by step
# and return every state, stacked into `(batch, time, H)` (what `torch.nn.GRU(batch_first=True)`
# returns as its first output).

# %%
def gru_unroll(x, h0, W_ih, W_hh, b_ih, b_hh):
    ### BEGIN SOLUTION
    h, states = h0, []
    for t in range(x.shape[1]):
        h = gru_cell(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
        states.append(h)
    return torch.stack(states, dim=1)
    ### END SOLUTION


check("rnn_gan", "unroll", globals())

# %% [markdown]
# A "recurrent GAN" whose generator is a stack of dense layers applied to the whole sequence
# at once: is it recurrent? What does the recurrence give a sequence generator? Two sentences.
#
# <!-- BEGIN SOLUTION -->
# No: without a state carried from step to step it is a feed-forward network on a fixed-size
# vector. The recurrence shares one cell over time, so the generator handles any length and
# makes each step depend on everything generated before it.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Your score

# %%
from tools.grading import run_checks

visible = run_checks("rnn_gan", globals(), include_hidden=False)
print(f"visible checks: {sum(r.points for r in visible):g}/{sum(r.max_points for r in visible)} points")
