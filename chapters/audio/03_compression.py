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
# # Neural audio compression with measured bitrates
#
# An autoencoder squeezes a recording through a narrow layer and rebuilds it. That is not yet
# a *codec*: a codec must deliver a finite string of bits, and its quality only means
# something next to the number of bits per second it spends. This chapter builds the whole
# chain on spoken digits at 8 kHz: baselines, a small waveform autoencoder with a quantised
# bottleneck, the bitrate measured three ways, and a rate–distortion comparison.
#
# **Learning goals.** After this notebook you can
# - state the bitrate of µ-law, linear PCM and downsampling codecs, and measure what they cost
#   in SI-SDR, log-spectral distance and PESQ;
# - quantise an autoencoder's code with the straight-through estimator or additive uniform
#   noise, and explain why training and testing then see (almost) the same thing;
# - measure a learned codec's rate as fixed-length bits, as the empirical entropy of its codes,
#   and as the real length of an arithmetic-coded stream;
# - read a rate–distortion plot and refuse "compression" claims that come without a bitrate.

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

from course_lib import codec as C
from course_lib.audio import SAMPLE_RATE as RATE
from course_lib.checkpoints import committed_result
from course_lib.data import load_fsdd
from course_lib.metrics import log_spectral_distance, si_sdr
from course_lib.notebook import audio_player, glue, markdown_table, read_csv_rows
from course_lib.utils import set_seed

set_seed(0)
test_set = load_fsdd("test")
speakers = sorted(set(test_set.speakers))
# 8-bit content in a 16-bit file: every sample of every recording lies on a grid of 256 levels
eight_bit = [s for s in speakers
             if all(torch.equal(w * 128, (w * 128).round()) for w, _, spk in test_set if spk == s)]
cells = test_set.stratified(per_cell=1, seed=0)  # one take of every (speaker, digit) pair
clips = [test_set[i][0] for i in cells if test_set.speakers[i] not in eight_bit]
clip_speakers = sorted({test_set.speakers[i] for i in cells if test_set.speakers[i] not in eight_bit})
glue("compression_eight_bit_speakers", ", ".join(eight_bit))
glue("compression_n_clips", len(clips))
glue("compression_n_clip_speakers", len(clip_speakers))
print(f"speakers whose recordings hold 8-bit content: {eight_bit}")
print(f"{len(clips)} test clips (one per digit of {clip_speakers}), "
      f"{sum(len(c) for c in clips) / RATE:.1f} s of speech")

# %% [markdown]
# ## 1. Baselines first
#
# The test clips are one recording of every digit by each speaker whose files hold genuine 16-bit
# audio ({glue:text}`compression_n_clips` clips of {glue:text}`compression_n_clip_speakers`
# speakers). All FSDD files are stored as 16-bit linear PCM, but the recordings of
# {glue:text}`compression_eight_bit_speakers` use only 256 levels: 8-bit content in a 16-bit file.
# Re-quantising those with an 8-bit quantiser is nearly lossless by construction, which says nothing about
# 8-bit PCM (the cell after the baseline table shows it), so the baselines leave them out.
#
# Telephone speech at 8 kHz with 8-bit µ-law (G.711 {cite}`itu1988g711`) costs
# $8000 \times 8 = 64$ kbit/s. Each baseline below has a bitrate we can write down:
#
# $$
# R_\text{PCM} = f_s \, b, \qquad R_\text{down} = \frac{f_s}{k}\, b,
# $$
#
# for $b$ bits per sample and downsampling by $k$. µ-law companding,
# $F(x) = \operatorname{sign}(x)\,\ln(1 + \mu|x|)/\ln(1+\mu)$, spends its levels where speech
# samples are (near zero), so at equal bits it beats linear PCM. Downsampling keeps the
# waveform exact below the new Nyquist frequency $f_s / 2k$ and throws away everything above.
# We measure three things: SI-SDR {cite}`leroux2019sdr` (waveform fidelity, dB, higher is
# better), the log-spectral distance (LSD, dB, lower is better) and, where the `pesq` package
# is installed, narrowband PESQ {cite}`rix2001pesq` (a perceptual quality score, about 1 to 4.5).


# %%
def scores(decoded):
    """Mean SI-SDR and LSD over the clips."""
    s = torch.stack([si_sdr(c, d) for c, d in zip(clips, decoded, strict=True)]).mean().item()
    pairs = zip(clips, decoded, strict=True)
    lsd = torch.stack([log_spectral_distance(c, d) for c, d in pairs]).mean().item()
    return s, lsd


baselines = {}  # name -> (kbit/s, SI-SDR, LSD)
for bits in (2, 4, 8):
    for law, name in (("mu-law", "mu-law"), ("linear", "linear PCM")):
        coded = [C.pcm_codec(c, bits, law=law) for c in clips]
        baselines[f"{name} {bits} bit"] = (coded[0][1] / 1000, *scores([y for y, _ in coded]))
for k in (2, 4):
    coded = [C.pcm_codec(c, 8, downsample=k) for c in clips]
    baselines[f"downsample /{k} + 8-bit mu-law"] = (coded[0][1] / 1000, *scores([y for y, _ in coded]))
rows = [{"codec": k, "kbit/s": float(r), "SI-SDR dB": s, "LSD dB": lsd}
        for k, (r, s, lsd) in baselines.items()]
display(Markdown(markdown_table(rows)))
glue("compression_mu2_sisdr", baselines["mu-law 2 bit"][1])
glue("compression_mu2_lsd", baselines["mu-law 2 bit"][2])
glue("compression_down4_sisdr", baselines["downsample /4 + 8-bit mu-law"][1])
glue("compression_down4_lsd", baselines["downsample /4 + 8-bit mu-law"][2])
_, mu8_sisdr, mu8_lsd = baselines["mu-law 8 bit"]
assert mu8_sisdr > 30 and mu8_lsd < 5, "8-bit mu-law should be near transparent"

# %% [markdown]
# The artefact the clip selection avoids: 8-bit linear PCM on the recordings that already hold
# 8-bit content, against the same codec on the clips above.

# %%
artefact = [test_set[i][0] for i in cells if test_set.speakers[i] in eight_bit]
art_sdr = torch.stack([si_sdr(c, C.pcm_codec(c, 8, law="linear")[0]) for c in artefact]).mean().item()
print(f"8-bit linear PCM, SI-SDR: {art_sdr:.2f} dB on {len(artefact)} clips of {eight_bit} "
      f"(8-bit content), {baselines['linear PCM 8 bit'][1]:.2f} dB on the 16-bit clips")
glue("compression_pcm8_artefact_sisdr", art_sdr)
glue("compression_pcm8_sisdr", baselines["linear PCM 8 bit"][1])
assert art_sdr > baselines["linear PCM 8 bit"][1] + 20

# %% [markdown]
# On 8-bit content, 8-bit linear PCM "reaches" {glue:text}`compression_pcm8_artefact_sisdr:.1f` dB
# SI-SDR (its only error is a constant half-step offset of the mid-rise quantiser, which SI-SDR
# removes with the mean); on genuine 16-bit
# recordings it reaches {glue:text}`compression_pcm8_sisdr:.1f` dB. A baseline measured on data
# that was already quantised to the codec's grid flatters the codec: check the data's own
# resolution before reading a rate–distortion table.

# %% [markdown]
# At 16 kbit/s the two classical options fail in opposite ways: 2-bit µ-law keeps the full
# band but buries it in quantisation noise (SI-SDR {glue:text}`compression_mu2_sisdr:.1f` dB,
# LSD {glue:text}`compression_mu2_lsd:.1f` dB); downsampling by 4 keeps a clean waveform below
# 1 kHz (SI-SDR {glue:text}`compression_down4_sisdr:.1f` dB) and deletes the rest (a
# log-spectral distance of {glue:text}`compression_down4_lsd:.1f` dB).
#
# ## 2. A waveform autoencoder with a quantised bottleneck
#
# The encoder is a stack of strided 1-D convolutions (the SoundStream / EnCodec layout
# {cite}`zeghidour2022soundstream,defossez2023encodec`, made tiny): strides 2 and 4 turn 8000
# samples/s into 1000 frames/s with $D$ latent channels. Each channel is bounded by tanh and
# rounded to one of $L = 16$ levels:
#
# $$
# u = \tfrac{L-1}{2}\,(\tanh h + 1), \qquad c = \operatorname{round}(u) \in \{0, \dots, L-1\},
# \qquad \hat z = \tfrac{2c}{L-1} - 1 .
# $$
#
# ```text
# waveform (8000/s) -> Conv1d s=2 -> Conv1d s=4 -> D x 1000 frames/s -> tanh -> round -> codes
#                                                                                  |  (bits)
# waveform <- ConvT1d s=2 <- ConvT1d s=4 <- D x 1000 frames/s <- dequantise <------+
# ```
#
# Rounding has zero gradient almost everywhere. Two standard ways around it:
# the **straight-through estimator** {cite}`bengio2013estimating` uses round in the forward
# pass and the identity in the backward pass, $\hat u = u + \operatorname{sg}(\operatorname{round}(u) - u)$;
# **additive uniform noise** {cite}`balle2017endtoend` replaces rounding during training by
# $u + \varepsilon$, $\varepsilon \sim \mathcal U(-\tfrac12, \tfrac12)$, which has the same
# error variance $1/12$. At test time both use true rounding, so the decoder hears exactly what
# the bitstream carries. Residual vector quantisation (SoundStream, EnCodec) goes further:
# a first codebook quantises the latent vector, a second one quantises what the first left
# over, and so on; each stage adds $\log_2(\text{codebook size})$ bits per frame. We stay with
# the scalar quantiser, whose bit count is easiest to check.

# %%
x = torch.tensor([0.2, 1.7, 2.5001, -0.6], requires_grad=True)
y = C.ste_round(x)
y.sum().backward()
print("forward:", y.detach().tolist(), " gradient:", x.grad.tolist())
assert torch.equal(x.grad, torch.ones(4))

# %% [markdown]
# The three codecs differ only in $D$ (4, 2 and 1 channels of 4 bits at 1000 frames/s, i.e.
# 16, 8 and 4 kbit/s fixed-length). They were trained by a benchmark script (each for several
# hundred Adam steps on batches of random 0.26 s crops of the FSDD training split, with an L1
# waveform loss, a multi-resolution log-spectrogram loss and an SI-SDR term; the exact recipe
# is in the script's docstring) and are loaded here after a SHA-256 check:
#
# ```
# OMP_NUM_THREADS=1 nice -n 10 python benchmarks/codec_train.py
# ```

# %%
codecs = {k: C.pretrained_codec(k) for k in (16, 8, 4)}
for k, m in codecs.items():
    print(f"{k:2d} kbit/s: latent_dim={m.cfg.latent_dim}, levels={m.cfg.levels}, "
          f"{m.cfg.frame_rate:.0f} frames/s -> {m.cfg.bitrate / 1000:.0f} kbit/s fixed-length")
with torch.no_grad():
    learned16 = [codecs[16].decode(codecs[16].encode(c), len(c))[0] for c in clips]
s16, lsd16 = scores(learned16)
print(f"learned 16 kbit/s on these clips: SI-SDR {s16:.2f} dB, LSD {lsd16:.2f} dB")
assert lsd16 < baselines["downsample /4 + 8-bit mu-law"][2]

# %% [markdown]
# ## 3. Measuring the bitrate three ways
#
# *Fixed-length*: every code costs $\log_2 L$ bits, so
# $R = \text{frames/s} \times D \times \log_2 L$. The codes are not uniform, though.
# *Empirical entropy*: with $p_k(v)$ the frequency of value $v$ in channel $k$ on the test
# set, an ideal entropy coder spends $H = -\sum_k \sum_v p_k(v) \log_2 p_k(v)$ bits per frame.
# *Real stream*: an arithmetic coder {cite}`witten1987arithmetic` with frequency tables fitted
# on **training** codes (here every 20th training file, to keep the cell fast; the benchmark
# uses every 4th) turns the test codes into bytes; its length is the honest rate, and it can be only
# slightly above the cross-entropy of the test codes under those tables.

# %%
train_set = load_fsdd("train")
train_sub = [train_set[i][0] for i in range(0, len(train_set), 20)]
m = codecs[16]
with torch.no_grad():
    tables = C.frequency_tables(C.code_histograms([m.encode(w) for w in train_sub], m.cfg.levels))
    test_codes = [m.encode(c) for c in clips]
hist = C.code_histograms(test_codes, m.cfg.levels)
seconds = int(hist[0].sum()) / m.cfg.frame_rate
streams = [C.arithmetic_encode(c[0], tables) for c in test_codes]
pairs = zip(streams, test_codes, strict=True)
assert all(torch.equal(C.arithmetic_decode(s, tables), c[0]) for s, c in pairs)
probs = tables.double() / tables.sum(-1, keepdim=True)
rates = {
    "fixed-length": m.cfg.bitrate,
    "empirical entropy": C.cross_entropy_bits(hist) * m.cfg.frame_rate,
    "cross-entropy under the training tables": C.cross_entropy_bits(hist, probs) * m.cfg.frame_rate,
    "arithmetic-coded bytes (incl. 4-byte headers)": 8 * sum(len(s) for s in streams) / seconds,
}
for name, r in rates.items():
    print(f"{name:>46s}: {r / 1000:6.2f} kbit/s")
overhead = (rates["arithmetic-coded bytes (incl. 4-byte headers)"]
            / rates["cross-entropy under the training tables"])
glue("compression_coded_kbps", rates["arithmetic-coded bytes (incl. 4-byte headers)"] / 1000)
glue("compression_entropy_kbps", rates["empirical entropy"] / 1000)
glue("compression_overhead_pct", 100 * (overhead - 1))
print(f"stream / cross-entropy = {overhead:.3f}; round trip lossless on all {len(clips)} clips")
assert overhead < 1.05

# %% [markdown]
# ## 4. Rate–distortion
#
# On these clips the codes of the 16 kbit/s codec carry only
# {glue:text}`compression_entropy_kbps:.2f` kbit/s of empirical entropy, and the real stream costs
# {glue:text}`compression_coded_kbps:.2f` kbit/s, {glue:text}`compression_overhead_pct:.1f` % above
# the cross-entropy under the training tables: entropy coding is worth doing, and the table fitted
# on other recordings costs little.
#
# The full table (every baseline, the three learned codecs at their three measured rates, with
# PESQ) comes from the benchmark script above (its `--from-checkpoints` run scores the committed
# codecs) and is read from `benchmarks/results/codec_rd.csv`. Its test set is the one the cells
# above draw from, one take of every digit by every speaker: {glue:text}`compression_bench_n_clips`
# clips of all six speakers, {glue:text}`compression_eight_bit_speakers` included, for every row but
# one. The exception is 8-bit linear PCM, scored like the live table on the
# {glue:text}`compression_bench_pcm8_clips` clips with 16-bit content, for the reason shown above.

# %%
rd = read_csv_rows(committed_result("codec_rd.csv"))  # the repository's copy, or fetched from it
n_bench = {r["codec"]: int(r["clips"]) for r in rd}
pcm8 = next(r for r in rd if r["codec"] == "linear PCM 8 bit")
glue("compression_bench_n_clips", max(n_bench.values()))
glue("compression_bench_pcm8_clips", n_bench["linear PCM 8 bit"])
assert max(n_bench.values()) == len(cells) and n_bench["linear PCM 8 bit"] == len(clips)
assert abs(pcm8["si_sdr_db"] - baselines["linear PCM 8 bit"][1]) < 0.01  # the same clips as the live table
display(Markdown(committed_result("codec_rd.md").read_text().split("\n\n")[1]))
columns = ["codec", "kind", "kbps", "clips", "si_sdr_db", "lsd_db", "pesq_nb"]
display(Markdown(markdown_table([r | {"clips": int(r["clips"])} for r in rd], columns)))

# %%
styles = {"mu-law": "o-", "pcm": "s--", "downsample": "^-", "learned-fixed": "D-", "learned-entropy": "D:",
          "learned-coded": "x"}
metrics = [("si_sdr_db", "SI-SDR (dB, higher is better)"),
           ("lsd_db", "log-spectral distance (dB, lower is better)"),
           ("pesq_nb", "PESQ narrowband (MOS-LQO)")]
fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.8))
for ax, (col, label) in zip(axes, metrics, strict=True):
    for kind, style in styles.items():
        part = [r for r in rd if r["kind"] == kind and "4-bit" not in r["codec"]]
        part = sorted(part, key=lambda r: r["kbps"])
        ax.plot([r["kbps"] for r in part], [r[col] for r in part], style, label=kind)
    ax.set_xscale("log")
    ax.set_xlabel("bitrate (kbit/s, log scale)")
    ax.set_ylabel(label)
    ax.axvline(16, color="gray", lw=0.5)
axes[0].legend()
fig.suptitle("Rate-distortion on FSDD test recordings")
fig.tight_layout()
plt.show()

# %% [markdown]
# Does the learned codec beat every µ-law and downsampling point at or below 16 kbit/s *at equal
# bitrate*? For each such baseline the cell takes the
# learned codec whose *arithmetic-coded* rate (real bytes) is the highest one not above the
# baseline's rate, i.e. the learned codec spends at most as many bits, and compares them on
# LSD, SI-SDR and PESQ. The comparisons are printed as measured.

# %%
learned = [r for r in rd if r["kind"] == "learned-coded"]
base = [r for r in rd if r["kind"] in ("mu-law", "downsample") and r["kbps"] <= 16]
verdict = []
for b in base:
    affordable = [r for r in learned if r["kbps"] <= b["kbps"]]
    lr = max(affordable, key=lambda r: r["kbps"])
    verdict.append({"baseline": b["codec"], "baseline kbit/s": b["kbps"],
                    "learned": lr["codec"], "learned kbit/s": lr["kbps"],
                    "LSD better": lr["lsd_db"] < b["lsd_db"],
                    "SI-SDR better": lr["si_sdr_db"] > b["si_sdr_db"],
                    "PESQ better": lr["pesq_nb"] > b["pesq_nb"]})
display(Markdown(markdown_table(verdict)))
for key in ("LSD better", "SI-SDR better", "PESQ better"):
    print(f"{key} against every rival: {all(v[key] for v in verdict)}")
missed = [v["baseline"] for v in verdict if not (v["LSD better"] and (v["SI-SDR better"] or v["PESQ better"]))]
print("baselines it does not beat on LSD and (SI-SDR or PESQ):", missed or "none")
assert all(v["LSD better"] for v in verdict)
assert sum(v["SI-SDR better"] for v in verdict) >= len(verdict) - 1

# %% [markdown]
# Listen at 16 kbit/s: the original, 2-bit µ-law, downsampling by 4 with 8-bit µ-law, and the
# learned codec (fixed-length 16 kbit/s, fewer bits after entropy coding).

# %%
clip = clips[3][:2 * RATE]
with torch.no_grad():
    versions = {
        "original (16-bit linear PCM file)": clip,
        "mu-law 2 bit (16 kbit/s)": C.pcm_codec(clip, 2)[0],
        "downsample /4 (16 kbit/s)": C.pcm_codec(clip, 8, downsample=4)[0],
        "learned (16 kbit/s)": codecs[16].decode(codecs[16].encode(clip), len(clip))[0].clamp(-1, 1),
    }
for name, wave in versions.items():
    display(audio_player(wave, RATE, label=name))

# %% [markdown]
# ## Common pitfalls
#
# :::{admonition} The Conv2D autoencoder whose output is not the input's shape
# :class: warning
# A popular recipe feeds a spectrogram "as an image" to a Conv2D autoencoder with three
# stride-2 layers and three stride-2 transposed layers. A 129 × 101 spectrogram (256-point
# STFT, 1 s at a 10 ms hop) becomes 17 × 13 and comes back as 136 × 104: the loss cannot even
# be computed. The fix is to make the sizes divisible (pad to a multiple of $2^3$, crop after
# decoding) or to compute the transposed layers' `output_padding` from the encoder's sizes.
# :::

# %%
import torch.nn as nn

enc = nn.Sequential(*[nn.Conv2d(1 if i == 0 else 8, 8, 3, stride=2, padding=1) for i in range(3)])
dec = nn.Sequential(*[nn.ConvTranspose2d(8, 8 if i < 2 else 1, 4, stride=2, padding=1) for i in range(3)])
spec = torch.randn(1, 1, 129, 101)  # (batch, channel, freq, frames)
out = dec(enc(spec))
print("input", tuple(spec.shape), "-> code", tuple(enc(spec).shape), "-> output", tuple(out.shape))
try:
    (out - spec).pow(2).mean()  # the MSE loss
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])


def fixed_autoencoder(s):
    """Pad freq and time to multiples of 8, run the same layers, crop back."""
    f, t = s.shape[-2:]
    padded = nn.functional.pad(s, (0, -t % 8, 0, -f % 8))
    return dec(enc(padded))[..., :f, :t]


assert fixed_autoencoder(spec).shape == spec.shape
print("fixed:", tuple(fixed_autoencoder(spec).shape))

# %% [markdown]
# :::{admonition} "Compression" without a bitrate
# :class: warning
# A bottleneck of 4 float32 channels at 1000 frames/s is $4 \times 32 \times 1000 = 128$ kbit/s,
# *twice* G.711, however narrow it looks. Only after quantisation does the code have a rate,
# and only a measured rate (fixed-length, entropy, or real stream) may sit on the x-axis of a
# rate–distortion plot. The cell prints the two numbers for the 16 kbit/s codec.
# :::

# %%
unquantised = codecs[16].cfg.frame_rate * codecs[16].cfg.latent_dim * 32
print(f"float32 bottleneck: {unquantised / 1000:.0f} kbit/s; "
      f"quantised: {codecs[16].cfg.bitrate / 1000:.0f} kbit/s")
assert unquantised > 64_000

# %% [markdown]
# ## Summary
#
# - A code is a codec only once it is quantised; its rate is then measurable, and entropy
#   coding (here a short arithmetic coder) turns the empirical entropy into real bytes.
# - Straight-through rounding and additive uniform noise both let gradients pass a quantiser;
#   at test time the decoder sees exactly the transmitted values.
# - Baselines set the bar: at 16 kbit/s, 2-bit µ-law is noisy and downsampling is muffled.
#   The comparison table says, with measured numbers, where the small learned codec beats them
#   and where it does not: against the small codecs trained here, downsampling by 4
#   still keeps the better waveform (SI-SDR, PESQ) at 16 kbit/s, while the learned codec wins
#   on the log-spectral distance everywhere. Longer training and larger models are the first
#   things to try: SoundStream {cite}`zeghidour2022soundstream` and EnCodec
#   {cite}`defossez2023encodec` are far larger models trained on far more audio.
#
# ## Exercises
#
# ```{exercise} Bits for a residual vector quantiser
# :label: ex-compression-rvq
# A codec produces 75 frames/s and quantises each frame's latent vector with 8 residual
# codebooks of 1024 entries. What is its fixed-length bitrate? What rate would 4 codebooks give?
# ```
# ```{solution} ex-compression-rvq
# :class: dropdown
# Each codebook index costs $\log_2 1024 = 10$ bits, so a frame costs $8 \times 10 = 80$ bits
# and the rate is $75 \times 80 = 6000$ bit/s = 6 kbit/s. With 4 codebooks: 3 kbit/s. This
# is how EnCodec offers several bitrates from one model: it drops the last codebooks.
# ```
#
# ```{exercise} Entropy of a skewed code
# :label: ex-compression-entropy
# A channel with 16 levels uses level 8 half of the time and the other 15 levels equally
# often otherwise. How many bits per code does an ideal entropy coder need, compared with 4
# for fixed-length coding? Check your answer with `course_lib.codec.cross_entropy_bits`, which
# without a second argument gives the empirical entropy of a histogram.
# ```
# ```{solution} ex-compression-entropy
# :class: dropdown
# $H = -\tfrac12 \log_2 \tfrac12 - 15 \cdot \tfrac1{30} \log_2 \tfrac1{30}
#   = 0.5 + 0.5 \log_2 30 \approx 2.95$ bits. In code:
# `C.cross_entropy_bits(torch.tensor([[2] * 8 + [30] + [2] * 7]))` gives about 2.95.
# ```
#
# The papers cited here are listed on the book's [references](../../references.md) page.
