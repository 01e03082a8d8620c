"""Train the restoration chapter's networks and measure them against the classical baselines.

Trains on FSDD's train split (takes 5-49) with synthetic damage, evaluates on one take of every
digit by every speaker of the test split (takes 0-4; ``FSDD.stratified(per_cell=1, seed=0)``, 60
recordings):

- ``restoration_l1``: MaskNet, reconstruction loss, noises white/pink/brown at -5..15 dB;
- ``restoration_gan``: the same MaskNet trained as a SEGAN-style conditional GAN
  (pair discriminator + reconstruction loss);
- ``restoration_declip`` and ``restoration_gaps``: the same machinery on clipping and 20 ms
  packet loss (masks up to 4).

Noise types "hum" and "babble" are never seen in training. Results: ``restoration_denoise.csv``
(SI-SDR and PESQ per noise, SNR and method) and ``restoration_other.csv`` (declipping, gaps).

Recipe (chosen on a validation subset of the *training* speakers' files, takes 45-49, never on the
test split): :class:`course_lib.restoration.RestorerTrainConfig`'s defaults: reconstruction loss =
waveform L1 + 0.1 x STFT-magnitude L1 - SI-SDR / 100, Adam lr 2e-3 with cosine decay, batches of
16 one-second crops; 3000 (L1), 2000 (GAN) and 400 (declipping, gaps) steps. Full run: about
14 CPU-minutes. The checkpoints are registered in ``course_lib/checkpoints.json``;
``--from-checkpoints`` scores them without training (the committed tables), and ``--check``
re-measures the 0 dB rows and the declipping and gap rows that way.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/restoration_train.py                # train and score
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/restoration_train.py --from-checkpoints   # score only
    python benchmarks/restoration_train.py --check
    python benchmarks/restoration_train.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import torch
from _runner import save_checkpoint
from codec_train import RescoringBenchmark, fsdd, speech_scores

from course_lib import audio, checkpoints
from course_lib import restoration as R
from course_lib.utils import Timer, seeded

SEEN = ("white", "pink", "brown")


def noise_damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Per item: a noise kind drawn from SEEN at an SNR drawn uniformly in [-5, 15] dB."""
    out = torch.empty_like(clean)
    for i in range(clean.shape[0]):
        kind = SEEN[int(torch.randint(len(SEEN), (1,), generator=g))]
        snr_db = -5.0 + 20.0 * float(torch.rand(1, generator=g))
        noise = audio.make_noise(kind, clean.shape[-1], seed=g)
        out[i] = 0.01 * noise if clean[i].abs().max() == 0 else audio.add_noise(clean[i], noise, snr_db)
    return out


def clip_damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Clipping at a fraction of each item's peak drawn uniformly in [0.1, 0.5]."""
    return R.clip(clean, threshold=0.1 + 0.4 * torch.rand(clean.shape[0], 1, generator=g))


def gap_damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """20 ms packets lost with probability 0.2."""
    return R.drop_packets(clean, packet_ms=20, loss_rate=0.2, seed=g)[0]


#: name -> (damage, steps, GAN?, mask_max)
MODELS = {
    "l1": (noise_damage, 3000, False, 1.0),
    "gan": (noise_damage, 2000, True, 1.0),
    "declip": (clip_damage, 400, False, 4.0),
    "gaps": (gap_damage, 400, False, 4.0),
}


@functools.cache
def trained(name: str, seed: int, dry_run: bool, committed: bool = False) -> R.MaskNet:
    """Train (and save as ``restoration_<name>``) one of MODELS, or load the committed one."""
    if committed:
        return R.pretrained_restorer(f"restoration_{name}")
    damage, steps, gan, mask_max = MODELS[name]
    steps = 2 if dry_run else steps
    size = dict(n_fft=64, hop_length=16, channels=8, layers=2) if dry_run else dict(channels=64, layers=5)
    with seeded(seed):
        net = R.MaskNet(R.MaskNetConfig(**size, mask_max=mask_max))
        model = (net, R.PairDiscriminator(channels=8 if dry_run else 16)) if gan else net
    with Timer() as t:
        R.train_restorer(model, fsdd(dry_run)[0], R.RestorerTrainConfig(damage, seed=seed, steps=steps))
    out = Path(tempfile.mkdtemp()) if dry_run else checkpoints.CHECKPOINT_DIR
    save_checkpoint(net, f"restoration_{name}", out, steps=steps, cpu_seconds=round(t.cpu_seconds, 1))
    return net


def identity(x: torch.Tensor) -> torch.Tensor:
    return x


@torch.no_grad()
def measure_denoise(row: dict, seed: int, dry_run: bool, committed: bool = False) -> dict:
    """One method on the test recordings with one noise at one SNR (``committed``: a network row
    scores the committed checkpoint)."""
    test = fsdd(dry_run)[1]
    noisy = [
        R.add_noise_at_snr(w, row["snr_db"], kind=row["noise"], seed=1000 + i) for i, w in enumerate(test)
    ]
    methods = {"noisy": identity, "spectral_subtraction": R.spectral_subtraction, "wiener": R.wiener_filter}
    fn = methods.get(row["method"]) or trained(
        row["method"].removeprefix("masknet_"), seed, dry_run, committed
    )
    est = [fn(n) for n in noisy]
    keys = {k: row[k] for k in ("noise", "snr_db", "method")} | {"seen_in_training": row["noise"] in SEEN}
    return keys | {"clips": len(test)} | speech_scores(test, est, ("si_sdr_db", "pesq_nb"))


@torch.no_grad()
def measure_other(row: dict, seed: int, dry_run: bool, committed: bool = False) -> dict:
    """Declipping (clipped at 0.2 x peak) or gap filling (20 % of 20 ms packets lost)."""
    test = fsdd(dry_run)[1]
    if row["damage"].startswith("clipping"):
        damaged = [(R.clip(w, threshold=0.2), None) for w in test]
    else:
        damaged = [R.drop_packets(w, packet_ms=20, loss_rate=0.2, seed=2000 + i) for i, w in enumerate(test)]
    repair = {
        "clipped": lambda d, k: d,
        "spline_declip": lambda d, k: R.declip(d),
        "masknet_declip": lambda d, k: trained("declip", seed, dry_run, committed)(d),
        "gaps (zeros)": lambda d, k: d,
        "linear": lambda d, k: R.interpolate_gaps(d, k, method="linear"),
        "pitch_repetition": lambda d, k: R.interpolate_gaps(d, k, method="pitch"),
        "masknet_gaps": lambda d, k: torch.where(k, d, trained("gaps", seed, dry_run, committed)(d)),
    }[row["method"]]
    est = [repair(d, k) for d, k in damaged]
    head = {"damage": row["damage"], "method": row["method"], "clips": len(test)}
    return head | speech_scores(test, est, ("si_sdr_db",))


DENOISE_ROWS = [  # the networks first, so that a dry run trains two of them
    {"row": f"{kind} {snr} dB {method}", "noise": kind, "snr_db": snr, "method": method}
    for kind in ("white", "pink", "hum", "babble")
    for snr in (0, 5, 10)
    for method in ("masknet_l1", "masknet_gan", "noisy", "spectral_subtraction", "wiener")
]
CLIPPING, GAPS = "clipping at 0.2 x peak", "20 ms packets, 20 % lost"
OTHER_ROWS = [  # the networks first
    {
        "row": m,
        "damage": CLIPPING if m in ("masknet_declip", "clipped", "spline_declip") else GAPS,
        "method": m,
    }
    for m in (
        "masknet_declip",
        "masknet_gaps",
        "clipped",
        "spline_declip",
        "gaps (zeros)",
        "linear",
        "pitch_repetition",
    )
]
NOTES = """
Test set: one take of every digit by every speaker of the FSDD test split
(`FSDD.stratified(per_cell=1, seed=0)`, 60 recordings at 8 kHz).
"""
DENOISE = RescoringBenchmark(
    "restoration_denoise",
    __doc__,
    DENOISE_ROWS,
    measure_denoise,
    ["si_sdr_db", "pesq_nb"],
    seeds=1,
    check_rows=[r["row"] for r in DENOISE_ROWS if r["snr_db"] == 0],
    notes=NOTES,
    check_measure=functools.partial(measure_denoise, committed=True),
    checkpoint_names=("restoration_l1", "restoration_gan"),
)
OTHER = RescoringBenchmark(
    "restoration_other",
    __doc__,
    OTHER_ROWS,
    measure_other,
    ["si_sdr_db"],
    seeds=1,
    check_rows=[r["row"] for r in OTHER_ROWS],
    notes=NOTES,
    check_measure=functools.partial(measure_other, committed=True),
    checkpoint_names=("restoration_declip", "restoration_gaps"),
)

if __name__ == "__main__":
    raise SystemExit(DENOISE.main() or OTHER.main())
