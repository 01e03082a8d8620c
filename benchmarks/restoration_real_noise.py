"""Restoration outside the synthetic noises: real babble, speech-shaped noise, mains hum, clipping, gaps.

Trains three :class:`course_lib.restoration.MaskNet` models on FSDD's train split (takes 5-49) and
scores them on one take of every digit by every speaker of the test split (takes 0-4;
``FSDD.stratified(per_cell=1, seed=0)``, 60 recordings):

- ``restoration_real``: the denoiser of ``restoration_l1`` (64 channels, 5 layers, the same loss)
  trained on white, pink and brown noise, mains hum, speech-shaped noise (the long-term spectrum of
  the training split) and babble of four talkers made from training-split recordings, SNR drawn in
  [-5, 15] dB, for STEPS steps (``restoration_l1``: three noise kinds, 3000 steps);
- ``restoration_declip_long``: the declipper (mask up to 4) for 3000 steps on clip levels 0.1-0.5
  of the peak, then projected onto the clipping constraints (``consistent_declip``);
- ``restoration_gaps_long``: the gap filler (mask up to 4) for 3000 steps on 20-50 ms packets,
  20 % lost; the received samples are kept.

Gaps are also filled autoregressively by the committed ``wavenet_digits`` WaveNet (µ-law codes,
receptive field 2047 samples, told the digit: side information no other method gets): each lost
packet is generated sample by sample from everything before it (received or already filled),
at temperature 1 (samples from the model) and 0 (the most likely code), with
:func:`wavenet_infill`. It looks only backwards, so the end of a filled gap need not meet the next
received sample.

Clipping is also repaired by two classical declippers that need no training: a cubic spline through
the unclipped samples (``declip``) and analysis-sparse SPADE (``sparse_declip``: the signal with the
sparsest 2x-oversampled DFT per 32 ms frame among those consistent with the clipped samples).

Test noises are drawn with seeds the training never uses; test babble is made from test-split
recordings of the five *other* speakers (no recording of the test set's own speaker, none from the
training split). Methods: the noisy input, spectral subtraction, the Wiener filter, a notch comb +
100 Hz high-pass (hum rows), ``restoration_l1`` and ``restoration_real``. Scores: SI-SDR, PESQ
narrowband (per recording) and STOI (on each speaker's ten recordings laid end to end, since STOI
needs several seconds of speech), means over the test set.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/restoration_real_noise.py             # train and score
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/restoration_real_noise.py --from-checkpoints
    python benchmarks/restoration_real_noise.py --check
    python benchmarks/restoration_real_noise.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path

import torch
from _runner import save_checkpoint
from codec_train import RescoringBenchmark, speech_scores

from course_lib import audio, checkpoints
from course_lib import restoration as R
from course_lib import wavenet as wn
from course_lib.data import load_fsdd
from course_lib.metrics import stoi_score
from course_lib.utils import Timer, seeded

STEPS = {"real": 8000, "declip_long": 3000, "gaps_long": 3000}
KINDS = ("white", "pink", "brown", "hum", "speech-shaped", "babble")
SNRS = (-5, 0, 5, 10)
CLIP_LEVEL = 0.3


@functools.cache
def data(dry_run: bool):
    """(training recordings, test recordings, their speakers, the long-term spectrum of the training split,
    test babble pools per speaker: the other speakers' test-split recordings)."""
    train_set = load_fsdd("train", speakers=["jackson", "theo"] if dry_run else None)
    train = [w for w, _, _ in train_set]
    test_set = load_fsdd("test")
    cells = test_set.stratified(per_cell=1, seed=0)[:: 12 if dry_run else 1]
    speakers = [test_set.speakers[i] for i in cells]
    pools = {s: [w for w, _, spk in test_set if spk != s] for s in set(speakers)}
    return train, [test_set[i][0] for i in cells], speakers, R.long_term_spectrum(train), pools


@functools.cache
def test_digits(dry_run: bool) -> list[int]:
    """The digit of each test recording of :func:`data` (the WaveNet infill's condition)."""
    test_set = load_fsdd("test")
    cells = test_set.stratified(per_cell=1, seed=0)[:: 12 if dry_run else 1]
    return [int(test_set[i][1]) for i in cells]


@functools.cache
def infiller(dry_run: bool) -> wn.WaveNet:
    """The committed digit WaveNet (a dry run: a tiny untrained one, so nothing is downloaded)."""
    if dry_run:
        cfg = wn.WaveNetConfig(
            residual_channels=4, gate_channels=4, skip_channels=4, layers_per_stack=2, n_stacks=1, n_global=10
        )
        with seeded(0):
            return wn.WaveNet(cfg).eval()
    return wn.pretrained_wavenet("wavenet_digits")[0]


def noise(kind: str, length: int, seed: int | torch.Generator, spectrum, pool) -> torch.Tensor:
    """Unit-RMS noise of a KINDS kind."""
    if kind == "speech-shaped":
        return R.speech_shaped_noise(spectrum, length, seed=seed)
    if kind == "babble":
        return R.babble_noise(pool, length, seed=seed)
    return audio.make_noise(kind, length, seed=seed)


def make_damage(dry_run: bool):
    """Training damage: a KINDS kind per item (training-split babble), SNR uniform in [-5, 15] dB."""
    train, _, _, spectrum, _ = data(dry_run)

    def damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        out = torch.empty_like(clean)
        for i in range(clean.shape[0]):
            kind = KINDS[int(torch.randint(len(KINDS), (1,), generator=g))]
            snr_db = -5.0 + 20.0 * float(torch.rand(1, generator=g))
            n = noise(kind, clean.shape[-1], g, spectrum, train)
            out[i] = 0.01 * n if clean[i].abs().max() == 0 else audio.add_noise(clean[i], n, snr_db)
        return out

    return damage


def clip_damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    return R.clip(clean, threshold=0.1 + 0.4 * torch.rand(clean.shape[0], 1, generator=g))


def gap_damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    ms = 20 + 30 * float(torch.rand((), generator=g))
    return R.drop_packets(clean, packet_ms=ms, loss_rate=0.2, seed=g)[0]


@functools.cache
def trained(name: str, seed: int, dry_run: bool, committed: bool = False) -> tuple[R.MaskNet, list[dict]]:
    """Train (and save as ``restoration_<name>``) one model, or load the committed one; (model, curve)."""
    if committed:
        return R.pretrained_restorer(f"restoration_{name}"), []
    damage = {"real": make_damage(dry_run), "declip_long": clip_damage, "gaps_long": gap_damage}[name]
    steps = 4 if dry_run else STEPS[name]
    size = dict(n_fft=64, hop_length=16, channels=8, layers=2) if dry_run else dict(channels=64, layers=5)
    with seeded(seed):
        net = R.MaskNet(R.MaskNetConfig(**size, mask_max=1.0 if name == "real" else 4.0))
    with Timer() as t:
        hist = R.train_restorer(net, data(dry_run)[0], R.RestorerTrainConfig(damage, seed=seed, steps=steps))
    out = Path(tempfile.mkdtemp()) if dry_run else checkpoints.CHECKPOINT_DIR
    save_checkpoint(net, f"restoration_{name}", out, steps=steps, cpu_seconds=round(t.cpu_seconds, 1))
    every = max(1, steps // 40)
    sdr = hist.losses["si_sdr"]
    curve = [
        {"model": name, "step": k + every, "train_si_sdr_db": sum(sdr[k : k + every]) / every}
        for k in range(0, steps - every + 1, every)
    ]
    return net, curve


def wavenet_infill(
    model: wn.WaveNet, damaged: torch.Tensor, keep: torch.Tensor, digit: int, temperature: float, seed: int
) -> torch.Tensor:
    """Fill every run of lost samples (``keep`` False) with codes generated from what precedes it.

    Args:
        model: a WaveNet over µ-law codes, conditioned on the digit.
        damaged: ``(time,)`` with zeros where samples were lost.
        keep: ``(time,)`` bool, True where the sample was received.
        digit: the recording's digit (the model's global condition).
        temperature: sampling temperature (0: the most likely code).
        seed: seeds the sampling of the first gap (gap k uses seed + k).

    Returns:
        ``(time,)`` the received samples with the gaps filled.
    """
    out = damaged.clone()
    lost = (~keep).int()
    edges = torch.diff(torch.cat([torch.zeros(1, dtype=torch.int), lost, torch.zeros(1, dtype=torch.int)]))
    starts, ends = (edges == 1).nonzero()[:, 0], (edges == -1).nonzero()[:, 0]
    rf = model.cfg.receptive_field
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        prompt = audio.mu_law_encode(out[max(0, a - rf) : a])[None] if a > 0 else None
        codes = wn.generate(
            model, b - a, g=torch.tensor([digit]), prompt=prompt, temperature=temperature, seed=seed + k
        )
        out[a:b] = audio.mu_law_decode(codes[0])
    return out


def stoi_by_speaker(refs: list[torch.Tensor], ests: list[torch.Tensor], speakers: list[str]) -> float:
    """Mean over speakers of STOI on the speaker's recordings laid end to end."""
    scores = []
    for s in sorted(set(speakers)):
        idx = [i for i, spk in enumerate(speakers) if spk == s]
        ref, est = torch.cat([refs[i] for i in idx]), torch.cat([ests[i] for i in idx])
        scores.append(stoi_score(ref, est.clamp(-1, 1)))
    return round(sum(scores) / len(scores), 3)


def hum_notch(x: torch.Tensor) -> torch.Tensor:
    return R.hum_filter(x, highpass_hz=100.0)


@torch.no_grad()
def measure_denoise(row: dict, seed: int, dry_run: bool, committed: bool = False) -> dict:
    """One method on the test recordings with one noise kind at one SNR."""
    _, test, speakers, spectrum, pools = data(dry_run)
    noisy = [
        audio.add_noise(w, noise(row["noise"], len(w), 5000 + i, spectrum, pools[speakers[i]]), row["snr_db"])
        for i, w in enumerate(test)
    ]
    methods = {
        "noisy": lambda x: x,
        "spectral_subtraction": R.spectral_subtraction,
        "wiener": R.wiener_filter,
        "notch_highpass": hum_notch,
        "masknet_l1": R.pretrained_restorer("restoration_l1") if not dry_run else (lambda x: x),
    }
    fn = methods.get(row["method"]) or trained("real", seed, dry_run, committed)[0]
    est = [fn(n) for n in noisy]
    keys = {k: row[k] for k in ("noise", "snr_db", "method")}
    got = keys | {"clips": len(test)} | speech_scores(test, est, ("si_sdr_db", "pesq_nb"))
    got["stoi"] = stoi_by_speaker(test, est, speakers)
    if row["method"] == "masknet_real" and row["noise"] == "white" and row["snr_db"] == 0 and not committed:
        got["_curve"] = trained("real", seed, dry_run, False)[1]  # the cached run (same arguments)
    return got


@torch.no_grad()
def measure_other(row: dict, seed: int, dry_run: bool, committed: bool = False) -> dict:
    """Declipping at CLIP_LEVEL x peak, or 20-50 ms packets lost (20 %)."""
    _, test, speakers, _, _ = data(dry_run)
    digits = test_digits(dry_run)
    if row["damage"] == "clipping":
        damaged = [(R.clip(w, threshold=CLIP_LEVEL), None) for w in test]
    else:
        g = torch.Generator().manual_seed(2000)
        damaged = [
            R.drop_packets(w, packet_ms=20 + 30 * float(torch.rand((), generator=g)), loss_rate=0.2, seed=g)
            for w in test
        ]

    def net(name: str):
        return trained(name, seed, dry_run, committed)[0]

    repair = {
        "clipped": lambda d, k: d,
        "spline_declip": lambda d, k: R.declip(d),
        "sparse_declip (A-SPADE)": lambda d, k: R.sparse_declip(d),
        "masknet_declip (400 steps)": lambda d, k: R.pretrained_restorer("restoration_declip")(d),
        "masknet_declip_long": lambda d, k: net("declip_long")(d),
        "masknet_declip_long + consistency": lambda d, k: R.consistent_declip(d, net("declip_long")(d)),
        "gaps (zeros)": lambda d, k: d,
        "linear": lambda d, k: R.interpolate_gaps(d, k, method="linear"),
        "pitch_repetition": lambda d, k: R.interpolate_gaps(d, k, method="pitch"),
        "masknet_gaps (20 ms, 400 steps)": lambda d, k: torch.where(
            k, d, R.pretrained_restorer("restoration_gaps")(d)
        ),
        "masknet_gaps_long": lambda d, k: torch.where(k, d, net("gaps_long")(d)),
        "wavenet_infill (T=1)": lambda d, k: wavenet_infill(infiller(dry_run), d, k, next(digit), 1.0, 0),
        "wavenet_infill (T=0)": lambda d, k: wavenet_infill(infiller(dry_run), d, k, next(digit), 0.0, 0),
    }[row["method"]]
    digit = iter(digits)
    if dry_run and "400 steps" in row["method"]:
        repair = lambda d, k: d  # noqa: E731  (a dry run never loads committed weights)
    est = [repair(d, k) for d, k in damaged]
    got = {"damage": row["damage"], "method": row["method"], "clips": len(test)}
    got |= speech_scores(test, est, ("si_sdr_db", "pesq_nb"))
    got["stoi"] = stoi_by_speaker(test, est, speakers)
    if row["method"] in ("masknet_declip_long", "masknet_gaps_long") and not committed:
        got["_curve"] = trained(row["method"].removeprefix("masknet_"), seed, dry_run, False)[1]
    return got


METHODS = ("masknet_real", "masknet_l1", "noisy", "spectral_subtraction", "wiener")
DENOISE_ROWS = [
    {"row": f"{kind} {snr} dB {method}", "noise": kind, "snr_db": snr, "method": method}
    for kind in KINDS
    for snr in SNRS
    for method in METHODS + (("notch_highpass",) if kind == "hum" else ())
]
OTHER_METHODS = {
    "clipping": (
        "masknet_declip_long",
        "masknet_declip_long + consistency",
        "masknet_declip (400 steps)",
        "clipped",
        "spline_declip",
        "sparse_declip (A-SPADE)",
    ),
    "gaps": (
        "masknet_gaps_long",
        "masknet_gaps (20 ms, 400 steps)",
        "wavenet_infill (T=1)",
        "wavenet_infill (T=0)",
        "gaps (zeros)",
        "linear",
        "pitch_repetition",
    ),
}
OTHER_ROWS = [{"row": m, "damage": d, "method": m} for d, ms in OTHER_METHODS.items() for m in ms]
NOTES = f"""
Test set: one take of every digit by every speaker of the FSDD test split
(`FSDD.stratified(per_cell=1, seed=0)`, 60 recordings at 8 kHz). Clipping at {CLIP_LEVEL} x each
recording's peak; gaps: packets of 20-50 ms, each lost with probability 0.2 (the receiver knows which).
"""
DENOISE = RescoringBenchmark(
    "restoration_real_noise",
    __doc__,
    DENOISE_ROWS,
    measure_denoise,
    ["si_sdr_db", "pesq_nb", "stoi"],
    seeds=1,
    check_rows=[r["row"] for r in DENOISE_ROWS if r["snr_db"] == 0 and r["noise"] in ("babble", "hum")],
    tolerance={"si_sdr_db": 0.01, "pesq_nb": 0.01, "stoi": 0.002},
    notes=NOTES,
    check_measure=functools.partial(measure_denoise, committed=True),
    checkpoint_names=("restoration_real",),
)
OTHER = RescoringBenchmark(
    "restoration_real_other",
    __doc__,
    OTHER_ROWS,
    measure_other,
    ["si_sdr_db", "pesq_nb", "stoi"],
    seeds=1,
    check_rows=[r["row"] for r in OTHER_ROWS],
    tolerance={"si_sdr_db": 0.01, "pesq_nb": 0.01, "stoi": 0.002},
    notes=NOTES,
    check_measure=functools.partial(measure_other, committed=True),
    checkpoint_names=("restoration_declip_long", "restoration_gaps_long"),
)


def main(argv: list[str]) -> int:
    """Run both tables; ``--only`` rows go to the table that has them, ``--merge`` to the table whose
    results the folders hold."""
    if "--merge" in argv:
        folders = [Path(a) for a in argv[argv.index("--merge") + 1 :] if not a.startswith("--")]
        return max(
            bench.main(argv)
            for bench in (DENOISE, OTHER)
            if all((f / f"{bench.name}.csv").exists() for f in folders)
        )
    if "--only" not in argv:
        return DENOISE.main(argv) or OTHER.main(argv)
    i = argv.index("--only")
    j = next((k for k in range(i + 1, len(argv)) if argv[k].startswith("--")), len(argv))
    names, rest = argv[i + 1 : j], argv[:i] + argv[j:]
    rc = 0
    for bench in (DENOISE, OTHER):
        mine = [n for n in names if n in {r["row"] for r in bench.rows}]
        if mine:
            rc |= bench.main([*rest, "--only", *mine])
    return rc


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
