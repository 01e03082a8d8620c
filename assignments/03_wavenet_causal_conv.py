# ---
# jupyter:
#   course_lib:
#     assignment: wavenet
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
# # Assignment 3 (WaveNet chapter): causal dilated convolutions
#
# **Time:** about 45 minutes. **Points:** 8, of which 1 from a hidden check.
# Fill in every `...  # YOUR CODE HERE` and run the check cell below it. Do not rename the
# functions or the class.
#
# WaveNet models $p(x_t \mid x_{<t})$ with a stack of **causal** convolutions: output $t$
# may only see inputs $t, t-1, \dots$. With kernel size $k$ and dilation $d$, a layer reads
# the inputs $t - (k-1)d, \dots, t - d, t$. A stack of layers with dilations $d_1, \dots, d_L$
# sees
#
# $$R = 1 + \sum_{l=1}^{L} (k - 1)\, d_l$$
#
# samples: its **receptive field**. Doubling dilations $1, 2, 4, \dots, 2^{L-1}$ make it
# grow exponentially with depth; constant dilations only linearly.

# %%
import torch
import torch.nn as nn
import torch.nn.functional as F

from tools.grading import check

# %% [markdown]
# ## 1. The receptive field (2 points)
#
# Write `receptive_field(kernel_size, dilations)` (an `int`) for a stack of causal layers.

# %%
def receptive_field(kernel_size: int, dilations: list[int]) -> int:
    ### BEGIN SOLUTION
    return 1 + sum((kernel_size - 1) * d for d in dilations)
    ### END SOLUTION


try:
    print("WaveNet, 3 blocks of dilations 1..512:", receptive_field(2, [2**i for i in range(10)] * 3))
except NotImplementedError:
    print("not done yet: write receptive_field")
check("wavenet", "receptive_field", globals())

# %% [markdown]
# ## 2. A causal convolution (3 points)
#
# `nn.Conv1d` with `padding=...` pads both sides, so output $t$ would see the future. Pad
# $(k-1)d$ zeros on the **left** only (`F.pad(x, (left, 0))`) and apply the convolution
# without padding, so the output has as many time steps as the input. Complete `forward`;
# keep `self.conv` as it is (the checks read its weights).

# %%
class CausalConv1d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 2, dilation: int = 1):
        super().__init__()
        self.left = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, time)
        ### BEGIN SOLUTION
        return self.conv(F.pad(x, (self.left, 0)))
        ### END SOLUTION


check("wavenet", "causal_conv", globals())

# %% [markdown]
# ## 3. Prove causality with a gradient (2 points)
#
# Which inputs does one output sample depend on? Back-propagate it and look at the gradient.
# Write `input_support(module, x, t)`: for an input `x` of shape `(1, channels, time)`, compute
# `module(x)`, back-propagate output sample `t` (summed over the output channels) to `x`, and
# return the sorted list of time positions where the gradient is non-zero (in any input
# channel), as Python ints. For a causal layer they must be exactly $t - (k-1)d, \dots, t$.
# The check calls it on layers of its own, causal and not, so measure: do not compute the
# positions from the layer's settings.

# %%
def input_support(module: nn.Module, x: torch.Tensor, t: int) -> list[int]:
    ### BEGIN SOLUTION
    x = x.detach().clone().requires_grad_()
    out = module(x)  # (1, channels, time)
    (grad,) = torch.autograd.grad(out[0, :, t].sum(), x)
    return torch.nonzero(grad[0].abs().sum(0)).flatten().tolist()
    ### END SOLUTION


try:
    layer = CausalConv1d(1, 1, kernel_size=3, dilation=4)
    print("output 25 of your causal layer reads inputs", input_support(layer, torch.randn(1, 1, 40), 25))
except NotImplementedError:
    print("not done yet: write CausalConv1d.forward and input_support")
check("wavenet", "causality", globals())

# %%
### BEGIN HIDDEN TESTS
check("wavenet", "stack_support", globals())
### END HIDDEN TESTS

# %% [markdown]
# With kernel size 2, how many layers of constant dilation 1 would you need to reach the
# receptive field of the 30-layer WaveNet stack printed above?
#
# <!-- BEGIN SOLUTION -->
# Each such layer adds one sample, so $R - 1 = 3069$ layers, a hundred times deeper than the
# dilated stack of 30 layers.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Your score

# %%
from tools.grading import run_checks

visible = run_checks("wavenet", globals(), include_hidden=False)
print(f"visible checks: {sum(r.points for r in visible):g}/{sum(r.max_points for r in visible)} points")
