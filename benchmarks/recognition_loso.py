"""Spoken-digit recognition on FSDD under two protocols: deep models against classical baselines.

- ``official``: the dataset's own split (train takes 5-49, test takes 0-4; the same speakers).
- ``loso``: leave-one-speaker-out, 6 folds: train on five speakers (all takes), test on the sixth,
  whom the model never heard.

Deep models (``course_lib.evaluators``: log-mel CNN, GRU, transformer) are trained by
``course_lib.recognition.train_classifier`` for 12 epochs with the default recipe (time shift,
noise, SpecAugment, AdamW with weight decay), keeping the last weights: no test data takes part in
any choice. Classical baselines: segment statistics of log-mel or MFCC frames with logistic
regression or an RBF SVM. One row per model and fold; ``recognition_loso_confusion.csv`` holds
the confusion matrices and the Markdown file adds the accuracy per model and test speaker.

    python benchmarks/recognition_loso.py --seeds 1            # 3 deep models x 7 folds: CPU-hours
    python benchmarks/recognition_loso.py --only "cnn / loso / george" --seeds 1
    python benchmarks/recognition_loso.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import functools

import numpy as np
from _runner import Benchmark, markdown, read_csv, write_csv
from torch.utils.data import Subset

from course_lib import recognition as R
from course_lib.data import FSDD_SPEAKERS, load_fsdd
from course_lib.evaluators import ARCHS, NUM_CLASSES, build_classifier

EPOCHS = 12
CLASSICAL = {  # name: (classical_features options, classifier, C)
    "logmel10+logreg": (dict(kind="logmel", n_segments=10), "logreg", 1.0),
    "mfcc12+delta+logreg": (dict(kind="mfcc", n_segments=12, deltas=True, trim_db=40.0), "logreg", 1.0),
    "mfcc12+delta+svm": (dict(kind="mfcc", n_segments=12, deltas=True, trim_db=40.0), "svm", 10.0),
}
#: (protocol, model, test speaker) -> confusion matrix, filled by :func:`measure`.
CONFUSION: dict[tuple[str, str, str], np.ndarray] = {}


@functools.cache
def fsdd(dry_run: bool):
    """All 3,000 recordings; in a dry run two takes of each speaker and digit (120 items)."""
    data = load_fsdd("all")
    if not dry_run:
        return data
    keep = [i for i, t in enumerate(data.takes) if t % 25 == 0]
    sub = Subset(data, keep)
    for attr in ("takes", "speakers", "digits"):
        setattr(sub, attr, [getattr(data, attr)[i] for i in keep])
    return sub


def fold(data, protocol: str, speaker: str) -> tuple[list[int], list[int]]:
    """Train and test indices of one fold (``speaker`` is ``"all"`` for the official split)."""
    if protocol == "official":
        return [i for i, t in enumerate(data.takes) if t >= 5], [i for i, t in enumerate(data.takes) if t < 5]
    return next((tr, te) for spk, tr, te in R.leave_one_speaker_out(data.speakers) if spk == speaker)


def train_deep(arch: str, data, train: list[int], config: R.RecognitionTrainConfig, dry_run: bool, **build):
    """A fresh ``arch`` classifier (tiny in a dry run: 1 epoch) trained on ``data[train]``; its history."""
    model = build_classifier(arch, tiny=dry_run, seed=config.seed, **build)
    config.epochs = 1 if dry_run else config.epochs
    return model, R.train_classifier(model, Subset(data, train), config)


@functools.cache
def classical_features(name: str, dry_run: bool) -> tuple[np.ndarray, np.ndarray]:
    """The features of every recording for a classical baseline (computed once per kind)."""
    return R.classical_features(fsdd(dry_run), **CLASSICAL[name][0])


def measure(row: dict, seed: int, dry_run: bool) -> dict:
    """Train one model on one fold; its scores on the fold's test recordings."""
    data = fsdd(dry_run)
    train, test = fold(data, row["protocol"], row["test_speaker"])
    if row["model"] in CLASSICAL:
        (x, y), (_, clf, c) = classical_features(row["model"], dry_run), CLASSICAL[row["model"]]
        scores = R.classification_scores(
            y[test], R.fit_classical(x[train], y[train], clf, c=c, seed=seed).predict(x[test])
        )
    else:
        config = R.RecognitionTrainConfig(epochs=EPOCHS, patience=None, seed=seed)
        scores = R.evaluate(train_deep(row["model"], data, train, config, dry_run)[0], Subset(data, test))
    CONFUSION[row["protocol"], row["model"], row["test_speaker"]] = scores.confusion
    keys = ("protocol", "test_speaker", "model")
    return {k: row[k] for k in keys} | {
        k: getattr(scores, k) for k in ("accuracy", "precision", "recall", "f1")
    }


FOLDS = [("official", "all")] + [("loso", s) for s in sorted(FSDD_SPEAKERS)]
MODELS = ["mfcc12+delta+svm", *ARCHS, "logmel10+logreg", "mfcc12+delta+logreg"]  # a dry run: the first two
ROWS = [
    {"row": f"{m} / {p} / {s}", "protocol": p, "test_speaker": s, "model": m}
    for p, s in FOLDS
    for m in MODELS
]
NOTES = (
    "No --check rows: the committed tables (recognition_loso.md and recognition_loso_<arch>.csv) come from "
    "the script's earlier per-model runs, merged, with the same recipe."
)
BENCH = Benchmark("recognition_loso", __doc__, ROWS, measure, ["accuracy", "f1"], seeds=1, notes=NOTES)


def write_extras(out) -> None:
    """The confusion matrices (CSV) and, in the Markdown file, the accuracy per model and test speaker."""
    rows = [
        {"protocol": p, "model": m, "test_speaker": s, "true": i, "pred": j, "count": int(conf[i, j])}
        for (p, m, s), conf in CONFUSION.items()
        for i in range(NUM_CLASSES)
        for j in range(NUM_CLASSES)
    ]
    write_csv(rows, out / "recognition_loso_confusion.csv")
    results = read_csv(out / "recognition_loso.csv")
    table = {}
    for r in (r for r in results if r["seed"] == 0):
        table.setdefault(r["model"], {"model": r["model"]})[f"{r['protocol']} {r['test_speaker']}"] = r[
            "accuracy"
        ]
    with open(out / "recognition_loso.md", "a") as fh:
        fh.write(
            "\n## Accuracy per model and test speaker (seed 0)\n\n" + markdown(list(table.values())) + "\n"
        )


if __name__ == "__main__":
    args = BENCH.parser().parse_args()
    status = BENCH.main()
    if status == 0 and not args.check:
        write_extras(args.out)
    raise SystemExit(status)
