"""Spoken-digit recognition on FSDD under two protocols, deep models against classical baselines.

- ``official``: the dataset's own split (train takes 5-49, test takes 0-4; same speakers).
- ``loso``: leave-one-speaker-out, 6 folds: train on five speakers (all takes), test on the
  sixth, whom the model never heard.

Deep models (``course_lib.recognition``: log-mel CNN, GRU, transformer) are trained for a fixed
number of epochs with the default augmentation (time shift, noise, SpecAugment), AdamW and
weight decay, keeping the last weights (no test data is used for any choice). Classical
baselines: per-segment log-mel or MFCC statistics with logistic regression or an RBF SVM.

Rows are appended to ``recognition_loso.csv`` after every fold, so a partial run still leaves
results; ``recognition_loso.md`` summarises them and ``recognition_loso_confusion.csv`` holds
the confusion matrices summed over folds.

    python benchmarks/recognition_loso.py --epochs 12     # the committed run (see the .md)
    python benchmarks/recognition_loso.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import csv
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Subset

from course_lib import recognition as R
from course_lib.data import load_fsdd

ROOT = Path(__file__).resolve().parents[1]

CLASSICAL = {
    # name: (segment_statistics options, classifier, C)
    "logmel10+logreg": (dict(kind="logmel", n_segments=10), "logreg", 1.0),
    "mfcc12+delta+logreg": (dict(kind="mfcc", n_segments=12, deltas=True, trim_db=40.0), "logreg", 1.0),
    "mfcc12+delta+svm": (dict(kind="mfcc", n_segments=12, deltas=True, trim_db=40.0), "svm", 10.0),
}


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def folds(data, protocols: list[str], speakers: list[str] | None):
    """Yield (protocol, test_speaker, train_idx, test_idx) over the ``all`` split."""
    if "official" in protocols:
        tr = [i for i, t in enumerate(data.takes) if t >= 5]
        te = [i for i, t in enumerate(data.takes) if t < 5]
        yield "official", "all", tr, te
    if "loso" in protocols:
        for spk, tr, te in R.leave_one_speaker_out(data.speakers):
            if speakers is None or spk in speakers:
                yield "loso", spk, tr, te


def _table(header: list[str], rows: list[list]) -> str:
    fmt = [f"{v:.3f}" if isinstance(v, float) else str(v) for r in rows for v in r]
    body = [fmt[i * len(header) : (i + 1) * len(header)] for i in range(len(rows))]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])


def summarise(records: list[dict]) -> str:
    """Markdown tables from the CSV records (values as strings or numbers)."""
    out = []
    models = list(dict.fromkeys(r["model"] for r in records))
    keys = ["accuracy", "precision", "recall", "f1"]
    off = [r for r in records if r["protocol"] == "official"]
    if off:
        rows = [[m] + [float(r[k]) for k in keys] for m in models for r in off if r["model"] == m]
        out += ["## Official split (test takes 0-4, 300 recordings)", "", _table(["model"] + keys, rows), ""]
    loso = [r for r in records if r["protocol"] == "loso"]
    if loso:
        spks = sorted({r["test_speaker"] for r in loso})
        acc_rows, f_rows = [], []
        for m in models:
            rs = {r["test_speaker"]: r for r in loso if r["model"] == m}
            if not rs:
                continue
            accs = [float(rs[s]["accuracy"]) if s in rs else float("nan") for s in spks]
            done = [a for a in accs if a == a]
            acc_rows.append([m] + accs + [float(np.mean(done)), float(np.min(done))])
            f_rows.append([m, len(rs)] + [float(np.mean([float(r[k]) for r in rs.values()])) for k in keys])
        out += ["## Leave-one-speaker-out accuracy per test speaker", ""]
        out += [_table(["model"] + spks + ["mean", "min"], acc_rows), ""]
        out += ["## Leave-one-speaker-out scores (mean over folds)", ""]
        out += [_table(["model", "folds"] + keys, f_rows), ""]
    return "\n".join(out)


def merge(out: Path) -> None:
    """Summarise the parallel runs (one per model and fold) into ``recognition_loso.md``."""
    records, lines = [], []
    for p in sorted(out.glob("recognition_loso_*.csv")):
        if p.name.endswith("_confusion.csv"):
            continue
        with open(p) as f:
            records += list(csv.DictReader(f))
        md = p.with_suffix(".md")
        if md.is_file():
            lines += [
                ln for ln in md.read_text().splitlines() if ln.startswith(("- command", "- CPU", "- date"))
            ]
    head = ["# FSDD digit recognition: official split and leave-one-speaker-out (merged)", ""]
    head += ["Runs merged here (one process per model and fold):", ""] + lines + [""]
    (out / "recognition_loso.md").write_text("\n".join(head) + summarise(records))
    print((out / "recognition_loso.md").read_text())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archs", default="cnn,gru,transformer")
    ap.add_argument("--classical", default=",".join(CLASSICAL), help="comma list, or 'none'")
    ap.add_argument("--protocols", default="official,loso")
    ap.add_argument("--speakers", default=None, help="comma list of LOSO test speakers (default all)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--dry-run", action="store_true", help="tiny models, few items, 1 epoch")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tag", default="", help="suffix of the result files (parallel runs per model)")
    ap.add_argument(
        "--merge", action="store_true", help="only summarise every recognition_loso_*.csv in --out"
    )
    args = ap.parse_args(argv)
    if args.merge:
        merge(args.out)
        return
    torch.set_num_threads(args.threads)
    archs = [a for a in args.archs.split(",") if a]
    classical = [] if args.classical == "none" else [c for c in args.classical.split(",") if c]
    protocols = args.protocols.split(",")
    speakers = args.speakers.split(",") if args.speakers else None
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "recognition_loso" + (f"_{args.tag}" if args.tag else "")
    csv_path, conf_csv, md_path = (args.out / f"{stem}{ext}" for ext in (".csv", "_confusion.csv", ".md"))
    for f in (csv_path, conf_csv):
        f.unlink(missing_ok=True)
    t0, w0 = time.process_time(), time.time()

    data = load_fsdd("all")
    if args.dry_run:
        keep = [i for i, t in enumerate(data.takes) if t % 25 in (0, 5)]  # 240 items, 2 takes of each
        data = Subset(data, keep)
        data.takes = [data.dataset.takes[i] for i in keep]
        data.speakers = [data.dataset.speakers[i] for i in keep]
        args.epochs = 1
        classical = classical[-1:]
        speakers = (speakers or sorted(set(data.speakers)))[:1]
    labels = np.array([int(d) for _, d, _ in data])
    feats = {}
    for name in classical:
        opts = CLASSICAL[name][0]
        key = tuple(sorted(opts.items()))
        if key not in feats:
            feats[key] = R.classical_features(data, **opts)[0]

    conf_rows, records = [], []
    for proto, spk, tr, te in folds(data, protocols, speakers):
        rows = []
        for name in classical:
            opts, clf, c = CLASSICAL[name]
            x = feats[tuple(sorted(opts.items()))]
            t = time.process_time()
            pipe = R.fit_classical(x[tr], labels[tr], clf, c=c, seed=args.seed)
            s = R.classification_scores(labels[te], pipe.predict(x[te]))
            rows.append((name, s, time.process_time() - t))
        for arch in archs:
            t = time.process_time()
            model = R.train_digit_classifier(
                Subset(data, tr),
                arch=arch,
                epochs=args.epochs,
                seed=args.seed,
                tiny=args.dry_run,
                patience=None,
                device="cpu",
                progress=False,
            )
            s = R.evaluate(model, Subset(data, te))
            rows.append((arch, s, time.process_time() - t))
        for name, s, sec in rows:
            rec = {"protocol": proto, "test_speaker": spk, "model": name, **s.row(), "cpu_s": round(sec, 1)}
            print(rec, flush=True)
            records.append(rec)
            _write_csv(csv_path, records)
            for i in range(R.NUM_CLASSES):
                for j in range(R.NUM_CLASSES):
                    conf_rows.append(
                        {
                            "protocol": proto,
                            "model": name,
                            "test_speaker": spk,
                            "true": i,
                            "pred": j,
                            "count": int(s.confusion[i, j]),
                        }
                    )
        _write_csv(conf_csv, conf_rows)
        info = R.machine_info()
        cmd = "python " + " ".join(shlex.quote(a) for a in [str(Path(sys.argv[0]))] + sys.argv[1:])
        head = [
            "# FSDD digit recognition: official split and leave-one-speaker-out",
            "",
            f"- date: {info['date']}; machine: {platform.processor() or platform.machine()}, "
            f"{info['cpus']} cores, torch {info['torch']}, {args.threads} thread(s)",
            f"- command: `{cmd}`",
            f"- deep models: {args.epochs} epochs each (scaled down from the library default of 30 to fit"
            " the CPU budget), seed "
            f"{args.seed}, default augmentation, last weights kept",
            f"- CPU time so far {time.process_time() - t0:.0f} s, wall {time.time() - w0:.0f} s",
            "",
        ]
        md_path.write_text("\n".join(head) + summarise(records))
    print(md_path.read_text())


if __name__ == "__main__":
    main()
