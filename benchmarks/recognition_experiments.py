"""Recognition experiments: what each regulariser adds, and the loss / imbalance / optimiser questions.

``--suite ablation`` (the GRU) and ``--suite ablation_cnn`` (the CNN, three variants): on the six
leave-one-speaker-out folds, start from a model trained with no regulariser at all and add one
ingredient at a time (weight decay, dropout, early stopping on a validation speaker, time shift,
noise, SpecAugment), plus everything together; 12 epochs, one seed. The early-stopping variants
hold out one of the five training speakers (the next one after the test speaker, in sorted order).

``--suite guidance`` (the GRU, official split): cross-entropy against MSE on the softmax; class
imbalance (digits 3 and 8 cut to 10 % of their items) with plain cross-entropy, class weights or a
balanced sampler; Adam, SGD with momentum, RMSprop and Adadelta at their customary learning rates.

    python benchmarks/recognition_experiments.py --suite ablation            # about 15 CPU-minutes
    python benchmarks/recognition_experiments.py --suite ablation_cnn
    python benchmarks/recognition_experiments.py --dry-run --out /tmp/x       # every suite, briefly
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np
from _runner import Benchmark
from recognition_loso import fold, fsdd, train_deep
from torch.utils.data import Subset

from course_lib import recognition as R

EPOCHS = 12
NONE = R.AugmentConfig(time_shift=False, noise_prob=0.0, freq_masks=0, time_masks=0)
BARE = dict(weight_decay=0.0, dropout=0.0, augment=None, patience=None)  # "nothing"
ABLATION = [
    {"row": "nothing"},
    {"row": "+ weight decay 1e-2", "weight_decay": 1e-2},
    {"row": "+ dropout 0.3", "dropout": 0.3},
    {"row": "+ early stopping (val. speaker)", "patience": 3},
    {"row": "+ time shift", "augment": replace(NONE, time_shift=True)},
    {"row": "+ noise (5-30 dB SNR)", "augment": replace(NONE, noise_prob=0.5)},
    {"row": "+ SpecAugment", "augment": replace(NONE, freq_masks=2, time_masks=2)},
    {"row": "everything", "weight_decay": 1e-2, "dropout": 0.3, "augment": R.AugmentConfig(), "patience": 3},
]
GUIDANCE = [
    {"row": "loss: cross-entropy"},
    {"row": "loss: MSE on softmax", "loss": "mse"},
    {"row": "imbalanced: plain CE", "imbalanced": True},
    {"row": "imbalanced: class weights", "imbalanced": True, "class_weights": True},
    {"row": "imbalanced: balanced sampler", "imbalanced": True, "balanced_sampler": True},
    *[
        {"row": f"optim: {name} lr {lr:g}", "optimizer": opt, "lr": lr, "weight_decay": 0.0}
        for name, opt, lr in [("Adam", "adam", 3e-3), ("SGD+momentum", "sgd", 3e-2)]
        + [("RMSprop", "rmsprop", 1e-3), ("Adadelta", "adadelta", 1.0)]
    ],
]


def validation_speaker(train_speakers: list[str], test_speaker: str) -> str:
    """The next training speaker after the test speaker in sorted order (cyclically)."""
    pool = sorted(set(train_speakers) - {test_speaker})
    return next((s for s in pool if s > test_speaker), pool[0])


def ablation(arch: str):
    """``measure`` of an ablation suite: one variant trained and tested on every fold."""

    def measure(row: dict, seed: int, dry_run: bool) -> dict:
        data, opts = fsdd(dry_run), {**BARE, **{k: v for k, v in row.items() if k != "row"}}
        dropout, accs = opts.pop("dropout"), {}
        for spk in sorted(set(data.speakers))[: 1 if dry_run else None]:
            train, test = fold(data, "loso", spk)
            config = R.RecognitionTrainConfig(epochs=EPOCHS, seed=seed, **opts)
            if config.patience is not None:  # early stopping on a held-out training speaker
                val = validation_speaker([data.speakers[i] for i in train], spk)
                config.val_data = Subset(data, [i for i in train if data.speakers[i] == val])
                train = [i for i in train if data.speakers[i] != val]
            model, _ = train_deep(arch, data, train, config, dry_run, dropout=dropout)
            accs[spk] = R.evaluate(model, Subset(data, test)).accuracy
        return accs | {"mean": float(np.mean(list(accs.values())))}

    return measure


def guidance(row: dict, seed: int, dry_run: bool) -> dict:
    """One training question on the official split: scores, minority recalls, final training loss."""
    data = fsdd(dry_run)
    train, test = fold(data, "official", "all")
    opts = {k: v for k, v in row.items() if k not in ("row", "imbalanced")}
    if row.get("imbalanced"):
        train = [train[j] for j in R.imbalanced_subset([data.digits[i] for i in train], [3, 8], 0.1, seed)]
    config = R.RecognitionTrainConfig(epochs=EPOCHS, patience=None, seed=seed, **opts)
    model, history = train_deep("gru", data, train, config, dry_run)
    s = R.evaluate(model, Subset(data, test))
    return {"train items": len(train), "accuracy": s.accuracy, "macro F1": s.f1} | {
        "recall 3": s.per_class_recall[3],
        "recall 8": s.per_class_recall[8],
        "final train loss": history.last("train_loss"),
    }


SUITES = {
    "ablation": Benchmark("recognition_ablation", __doc__, ABLATION, ablation("gru"), ["mean"], seeds=1),
    "ablation_cnn": Benchmark(
        "recognition_ablation_cnn",
        __doc__,
        [ABLATION[i] for i in (0, 6, 7)],
        ablation("cnn"),
        ["mean"],
        seeds=1,
    ),
    "guidance": Benchmark(
        "recognition_guidance", __doc__, GUIDANCE, guidance, ["accuracy", "macro F1"], seeds=1
    ),
}

if __name__ == "__main__":
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--suite", choices=SUITES, default="ablation")
    suite, rest = pre.parse_known_args()
    chosen = SUITES.values() if "--dry-run" in rest else [SUITES[suite.suite]]
    sys.exit(max(bench.main(rest) for bench in chosen))
