# ---
# jupyter:
#   course_lib:
#     assignment: audio
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
# # Assignment 5 (audio chapter): µ-law and signal-to-noise ratios
#
# **Time:** about 45 minutes. **Points:** 10, of which 1 from a hidden check.
# Fill in every `...  # YOUR CODE HERE` and run the check cell below it. Do not rename the
# functions.
#
# Telephone speech (ITU-T G.711) and WaveNet's output layer use 8-bit **µ-law** codes.
# A sample $x \in [-1, 1]$ is compressed by
#
# $$F(x) = \operatorname{sign}(x)\,\frac{\ln(1 + \mu |x|)}{\ln(1 + \mu)}, \qquad \mu = 255,$$
#
# and $F(x) \in [-1, 1]$ is quantised uniformly to the 256 codes
# $c = \lfloor (F(x) + 1)/2 \cdot \mu + \tfrac12 \rfloor$. Quality is measured by the
# signal-to-noise ratio $\mathrm{SNR} = 10\log_{10}\big(\sum x^2 / \sum (x - \hat x)^2\big)$ in dB.

# %%
import math

import torch

from tools.grading import check

t = torch.arange(8000) / 8000  # one second at 8 kHz
tone = torch.exp(-3 * t) * torch.sin(2 * math.pi * 220 * t)  # a decaying 220 Hz tone, peak 1

# %% [markdown]
# ## 1. Encoding (3 points)
#
# Write `mu_law_encode(x)`: float samples in $[-1, 1]$, any shape, to `int64` codes in
# $[0, 255]$ (use `torch.log1p`, `torch.sign`, `.floor()`, `.long()`).

# %%
def mu_law_encode(x: torch.Tensor, mu: int = 255) -> torch.Tensor:
    ### BEGIN SOLUTION
    y = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return ((y + 1) / 2 * mu + 0.5).floor().long().clamp(0, mu)
    ### END SOLUTION


check("audio", "mu_law_encode", globals())

# %% [markdown]
# ## 2. Decoding (2 points)
#
# Write `mu_law_decode(codes)`: map code $c$ back to $y = 2c/\mu - 1$ and invert the
# companding, $x = \operatorname{sign}(y)\,\big((1+\mu)^{|y|} - 1\big)/\mu$.

# %%
def mu_law_decode(codes: torch.Tensor, mu: int = 255) -> torch.Tensor:
    ### BEGIN SOLUTION
    y = 2 * codes.float() / mu - 1
    return torch.sign(y) * torch.expm1(y.abs() * math.log1p(mu)) / mu
    ### END SOLUTION


check("audio", "mu_law_decode", globals())

# %% [markdown]
# ## 3. Signal-to-noise ratio (2 points) and noise at a chosen SNR (2 points)
#
# Write `snr_db(clean, estimate)` (a float, in dB), then `mix_at_snr(clean, noise, snr)`
# returning `clean + g * noise` with the gain $g$ chosen so that the SNR of the result is
# exactly `snr` dB.

# %%
def snr_db(clean: torch.Tensor, estimate: torch.Tensor) -> float:
    ### BEGIN SOLUTION
    return 10 * math.log10(clean.pow(2).sum().item() / (clean - estimate).pow(2).sum().item())
    ### END SOLUTION


def mix_at_snr(clean: torch.Tensor, noise: torch.Tensor, snr: float) -> torch.Tensor:
    ### BEGIN SOLUTION
    gain = math.sqrt(clean.pow(2).sum().item() / (noise.pow(2).sum().item() * 10 ** (snr / 10)))
    return clean + gain * noise
    ### END SOLUTION


check("audio", "snr", globals())
check("audio", "mix_at_snr", globals())

# %% [markdown]
# ## 4. What µ-law buys (1 hidden point)
#
# Write `mu_law_advantage_db(x)`: quantise the signal `x` with 8-bit µ-law (your two functions
# above) and with 8-bit *linear* PCM (the codes $\lfloor (x+1)/2 \cdot 256 \rfloor$ clipped to
# $[0, 255]$, decoded to the centre of their step, $(c + \tfrac12)/256 \cdot 2 - 1$), and return
# the SNR of µ-law minus the SNR of linear PCM, in dB. The cell after it measures both on the
# decaying tone played loud, quiet and very quiet.

# %%
def mu_law_advantage_db(x: torch.Tensor) -> float:
    ### BEGIN SOLUTION
    linear = (((x + 1) / 2 * 256).floor().clamp(0, 255) + 0.5) / 256 * 2 - 1
    mu_law = mu_law_decode(mu_law_encode(x))
    return snr_db(x, mu_law) - snr_db(x, linear)
    ### END SOLUTION


# %%
print("peak level      µ-law SNR   linear SNR   advantage")
try:
    for peak in (0.8, 0.08, 0.008):
        x = peak * tone
        level_db = 20 * math.log10(peak)
        mu_snr = snr_db(x, mu_law_decode(mu_law_encode(x)))
        advantage = mu_law_advantage_db(x)
        print(f"{level_db:6.1f} dBFS   {mu_snr:8.1f} dB  {mu_snr - advantage:8.1f} dB  {advantage:+8.1f} dB")
except NotImplementedError:
    print("not done yet: write the µ-law functions, snr_db and mu_law_advantage_db")

# %%
### BEGIN HIDDEN TESTS
check("audio", "mu_law_gain", globals())
### END HIDDEN TESTS

# %% [markdown]
# Read the table: how do the two SNRs change as the tone gets 20 dB quieter, twice? Why does
# µ-law keep its SNR while linear PCM loses it? Two or three sentences.
#
# <!-- BEGIN SOLUTION -->
# Linear PCM uses the same step everywhere, so its quantisation noise stays the same while the
# signal drops: it loses about 20 dB of SNR for every 20 dB of level, and at the quietest level
# the tone spans only a few codes. $F$ is steep near 0, so µ-law gives quiet samples fine steps
# and loud ones coarse steps; its error grows roughly with the amplitude, which keeps its SNR
# nearly constant. On a loud signal linear PCM is slightly better; the quieter the signal, the
# more µ-law gains.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Your score

# %%
from tools.grading import run_checks

visible = run_checks("audio", globals(), include_hidden=False)
print(f"visible checks: {sum(r.points for r in visible):g}/{sum(r.max_points for r in visible)} points")
