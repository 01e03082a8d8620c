"""Train the compression chapter's learned codecs and measure the rate-distortion table.

Three :class:`course_lib.codec.WaveCodec` models (hop 8 samples = 1000 frames/s, 16 levels
per channel; 4, 2 and 1 latent channels = 16, 8 and 4 kbit/s fixed-length) are trained on
FSDD's train split with :func:`course_lib.codec.train_codec` and its default recipe
(:class:`course_lib.codec.CodecTrainConfig`: 800 Adam steps with cosine decay on batches of
16 crops of 2048 samples; loss = waveform L1 + 0.1 x multi-resolution log-STFT L1 - SI-SDR / 100)
with 32 channels and one residual unit per stage. Every codec and every baseline (µ-law at
2-8 bits, linear PCM, downsampling + µ-law) is measured on one take of every digit by every
speaker of the FSDD test split (``FSDD.stratified(per_cell=1, seed=0)``: 60 recordings), except
linear PCM at 8 bits, measured on the speakers whose files hold 16-bit content (one speaker's
recordings use only 256 levels, which 8-bit linear PCM reproduces exactly): SI-SDR,
log-spectral distance, PESQ narrowband (when ``pesq`` is installed), and for the learned codecs
three rates: fixed length, empirical entropy of the test codes, and the real size of the
arithmetic-coded stream (tables fitted on every 4th training file's codes).
Not tuned on a validation set; the previous recipe (16 channels, no residual units, batch 8,
300 steps, no SI-SDR term) reached 3.6 dB SI-SDR at 16 kbit/s. Full run: about 20 CPU-minutes
(the literature trains for hundreds of thousands of steps). The checkpoints are registered in
``course_lib/checkpoints.json``; ``--from-checkpoints`` scores them without training
(the committed table), and ``--check`` re-measures every row that way.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/codec_train.py                # train and score
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/codec_train.py --from-checkpoints   # score only
    python benchmarks/codec_train.py --check
    python benchmarks/codec_train.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import functools
import math
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from _runner import Benchmark, save_checkpoint

from course_lib import checkpoints
from course_lib import codec as C
from course_lib.audio import SAMPLE_RATE
from course_lib.data import load_fsdd
from course_lib.metrics import log_spectral_distance, pesq_nb, si_sdr
from course_lib.utils import Timer, seeded

LATENTS = {16: 4, 8: 2, 4: 1}  # kbit/s -> latent channels
RATES = {"learned-fixed": "fixed-length", "learned-entropy": "entropy", "learned-coded": "arithmetic-coded"}


def _nan_mean(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return sum(xs) / len(xs) if xs else float("nan")


def _pesq(ref: torch.Tensor, est: torch.Tensor) -> float:
    try:
        return pesq_nb(ref, est.clamp(-1, 1))
    except Exception:  # missing package, or PESQ's "no utterance detected" on tiny inputs
        return float("nan")


SCORES = {
    "si_sdr_db": lambda r, e: si_sdr(r, e).item(),
    "lsd_db": lambda r, e: log_spectral_distance(r, e).item(),
    "pesq_nb": _pesq,
}


def speech_scores(refs: list[torch.Tensor], ests: list[torch.Tensor], names=tuple(SCORES)) -> dict:
    """Means over pairs of recordings of the SCORES named (NaNs, e.g. PESQ failures, left out)."""
    pairs = list(zip(refs, ests, strict=True))
    return {n: round(_nan_mean([SCORES[n](r, e) for r, e in pairs]), 3) for n in names}


@dataclass
class RescoringBenchmark(Benchmark):
    """A :class:`Benchmark` whose command line also takes ``--from-checkpoints``: every row is then
    measured by ``check_measure`` (the committed checkpoints scored, nothing trained) and the result
    files are written as usual, with the SHA-256 of the ``checkpoint_names`` in the notes."""

    checkpoint_names: tuple[str, ...] = ()

    def parser(self) -> argparse.ArgumentParser:
        ap = super().parser()
        ap.add_argument(
            "--from-checkpoints",
            action="store_true",
            help="score the committed checkpoints instead of training them (evaluation only)",
        )
        return ap

    def main(self, argv: list[str] | None = None) -> int:
        if not self.parser().parse_args(argv).from_checkpoints:
            return super().main(argv)
        scored = ", ".join(
            f"`{checkpoints.REGISTRY[n][0]}` {checkpoints.REGISTRY[n][1]}" for n in self.checkpoint_names
        )
        notes = f"{self.notes.strip()}\n\nScored without training (`--from-checkpoints`): {scored} (SHA-256)."
        return Benchmark.main(replace(self, measure=self.check_measure, notes=notes), argv)


def eight_bit_speakers(test_set) -> frozenset[str]:
    """Speakers every one of whose recordings lies on a grid of 256 levels (8-bit content in 16-bit files)."""
    out = set(test_set.speakers)
    for w, _, spk in test_set:
        if spk in out and not torch.equal(w * 128, (w * 128).round()):
            out.discard(spk)
    return frozenset(out)


@functools.cache
def fsdd(dry_run: bool) -> tuple[list[torch.Tensor], list[torch.Tensor], list[bool]]:
    """Training recordings (one speaker in a dry run); one test recording of every (speaker, digit)
    pair (a dry run: every 12th of them); whether each test recording holds 8-bit content."""
    train = [w for w, _, _ in load_fsdd("train", speakers=["jackson"] if dry_run else None)]
    test_set = load_fsdd("test")
    cells = test_set.stratified(per_cell=1, seed=0)[:: 12 if dry_run else 1]
    eight_bit = eight_bit_speakers(test_set)
    return train, [test_set[i][0] for i in cells], [test_set.speakers[i] in eight_bit for i in cells]


@functools.cache
def learned(kbps: int, seed: int, dry_run: bool, committed: bool = False) -> dict:
    """Train (and save) one codec, or load the committed one; its decoded test set and its three
    measured rates in bit/s."""
    train, test, _ = fsdd(dry_run)
    if committed:
        model = C.pretrained_codec(kbps)
        cfg = model.cfg
    else:
        cfg = C.CodecConfig(
            strides=(2, 4), channels=4 if dry_run else 32, latent_dim=LATENTS[kbps], levels=16
        )
        with seeded(seed):
            model = C.WaveCodec(cfg)
        with Timer() as t:
            C.train_codec(model, train, C.CodecTrainConfig(seed=seed, steps=3 if dry_run else 800))
        out = Path(tempfile.mkdtemp()) if dry_run else checkpoints.CHECKPOINT_DIR
        save_checkpoint(
            model, f"codec_{kbps}kbps", out, steps=3 if dry_run else 800, cpu_seconds=round(t.cpu_seconds, 1)
        )
    got = code_and_measure(model, train, test)
    rates = {f"learned-{k}": v for k, v in got["rates"].items()}
    return {"decoded": got["decoded"], "rates": rates}


def code_and_measure(model: C.WaveCodec, train: list[torch.Tensor], test: list[torch.Tensor]) -> dict:
    """Encode, arithmetic-code (tables fitted on every 4th training recording's codes, lossless
    round trip asserted) and decode the test recordings; the decoded waves, the streams, the tables
    and the three rates in bit/s (``fixed``, ``entropy``, ``coded``)."""
    cfg = model.cfg
    with torch.no_grad():
        tables = C.frequency_tables(C.code_histograms([model.encode(w) for w in train[::4]], cfg.levels))
        codes = [model.encode(w) for w in test]
        decoded = [model.decode(c, len(w))[0] for c, w in zip(codes, test, strict=True)]
    streams = [C.arithmetic_encode(c[0], tables) for c in codes]
    assert all(torch.equal(C.arithmetic_decode(s, tables), c[0]) for s, c in zip(streams, codes, strict=True))
    hist = C.code_histograms(codes, cfg.levels)
    seconds = int(hist[0].sum()) / cfg.frame_rate
    rates = {
        "fixed": cfg.bitrate,
        "entropy": C.cross_entropy_bits(hist) * cfg.frame_rate,
        "coded": 8 * sum(len(s) for s in streams) / seconds,
    }
    return {"decoded": decoded, "streams": streams, "tables": tables, "rates": rates}


def measure(row: dict, seed: int, dry_run: bool, committed: bool = False) -> dict:
    """One codec's bitrate and scores on the test recordings (``committed``: the committed
    checkpoint of a learned codec, not a newly trained one). Linear PCM at 8 bits or more leaves
    out the recordings with 8-bit content, which it would reproduce exactly."""
    _, test, eight_bit = fsdd(dry_run)
    if row["kind"] in RATES:
        got = learned(row["kbps"], seed, dry_run, committed)
        rate, decoded = got["rates"][row["kind"]], got["decoded"]
    else:
        if row["law"] == "linear" and row["bits"] >= 8:
            test = [w for w, e in zip(test, eight_bit, strict=True) if not e]
        coded = [C.pcm_codec(w, row["bits"], law=row["law"], downsample=row["downsample"]) for w in test]
        decoded, rate = [y for y, _ in coded], coded[0][1]
    head = {"codec": row["row"], "kind": row["kind"], "kbps": round(rate / 1000, 3), "clips": len(test)}
    return head | speech_scores(test, decoded)


def check_measure(row: dict, seed: int, dry_run: bool) -> dict:
    """For ``--check`` and ``--from-checkpoints``: a learned row scores the committed checkpoint."""
    return measure(row, seed, dry_run, committed=True)


def _pcm(name: str, kind: str, bits: int, law: str = "mu-law", downsample: int = 1) -> dict:
    return {"row": name, "kind": kind, "bits": bits, "law": law, "downsample": downsample}


ROWS = [  # the learned codecs first, so that a dry run trains one
    *[
        {"row": f"learned {k} kbit/s ({label})", "kind": kind, "kbps": k}
        for k in LATENTS
        for kind, label in RATES.items()
    ],
    *[_pcm(f"mu-law {b} bit", "mu-law", b) for b in (2, 3, 4, 8)],
    *[_pcm(f"linear PCM {b} bit", "pcm", b, law="linear") for b in (2, 4, 8)],
    *[
        _pcm(f"downsample /{f} + {b}-bit mu-law", "downsample", b, downsample=f)
        for f, b in ((2, 8), (4, 8), (8, 8), (4, 4), (2, 4))
    ],
]

METRICS = ["kbps", "si_sdr_db", "lsd_db", "pesq_nb"]
NOTES = f"""
Test set: one take of every digit by every speaker of the FSDD test split
(`FSDD.stratified(per_cell=1, seed=0)`, 60 recordings at {SAMPLE_RATE} Hz; `clips` in the CSV).
Linear PCM at 8 bits is scored on the 50 of them whose speakers' files hold 16-bit content: the
recordings of the sixth speaker (nicolas) use only 256 levels, which 8-bit linear PCM reproduces
exactly (SI-SDR above 100 dB), as chapters/audio/03_compression shows.
"""
BENCH = RescoringBenchmark(
    "codec_rd",
    __doc__,
    ROWS,
    measure,
    METRICS,
    seeds=1,
    check_rows=[r["row"] for r in ROWS],
    notes=NOTES,
    check_measure=check_measure,
    checkpoint_names=tuple(f"codec_{k}kbps" for k in LATENTS),
)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
