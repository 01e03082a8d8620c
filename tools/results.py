"""The book's "Results" page, generated from the committed benchmark results.

Every ``benchmarks/results/*.md`` file (written by a ``benchmarks/<prefix>_*.py`` script, with
its date, machine and command) becomes one section of ``chapters/appendix/results.md``,
grouped by chapter in book order. The tables are copied as they are, so the published
figures that a benchmark reports beside its own stay side by side; headings inside a file
become bold lines (the page's own headings stay consistent for the book's table of contents)
and links become plain text (results files link to files that are not pages).

Usage (from the repository root)::

    python -m tools.results            # rewrite chapters/appendix/results.md
    python -m tools.results --check    # exit 1 if the page is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["CHAPTERS", "PAGE", "chapter_of", "headings", "run_date", "render_page", "write_page"]

PAGE = Path("chapters/appendix/results.md")
RESULTS = Path("benchmarks/results")
#: File-name prefix -> chapter, in book order (the longest matching prefix wins).
CHAPTERS: list[tuple[str, str]] = [
    ("gan", "GANs"),
    ("gan_beyond", "GANs beyond images"),
    ("vae", "Variational autoencoders"),
    ("wavenet", "WaveNet"),
    ("rnn_gan", "Recurrent GANs"),
    ("recognition", "Audio: recognition"),
    ("codec", "Audio: compression"),
    ("restoration", "Audio: restoration"),
]
OTHER = "Other benchmarks"


def chapter_of(name: str) -> str:
    """The chapter of a results file, from its name's prefix."""
    matches = [(len(p), ch) for p, ch in CHAPTERS if name == p or name.startswith(p + "_")]
    return max(matches)[1] if matches else OTHER


def run_date(text: str) -> str | None:
    """The run date a results file records (``date: 2026-11-23 ...``), if any."""
    m = re.search(r"\bdate:?\**\s*:?\s*(\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2})?(?: UTC)?)", text, flags=re.I)
    return m.group(1) if m else None


def _body(text: str) -> tuple[str, str]:
    """(title, body) of a results file, with inner headings as bold lines and links as text."""
    lines = text.strip("\n").splitlines()
    title = ""
    if lines and lines[0].startswith("# "):
        title, lines = lines[0][2:].strip(), lines[1:]
    out = []
    in_code = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif not in_code:
            m = re.match(r"^#{1,6}\s+(.*)$", line)
            if m:
                line = f"**{m.group(1).strip()}**"
            line = re.sub(r"!?\[([^\]]*)\]\((?!https?://)([^)]*)\)", r"\1 (`\2`)", line)
            if line.startswith("|") and out and out[-1].strip() and not out[-1].startswith("|"):
                out.append("")  # a table directly under a list item would be read as part of it
        out.append(line)
    return title, "\n".join(out).strip("\n")


def headings(files: list[Path], titles: list[str]) -> list[str]:
    """One distinct, readable heading per results file.

    A file without a title, or whose title is its own file name, is named by its file name in
    words (``wavenet_digits`` -> "Wavenet digits"). Files that share a title (one benchmark run
    with several settings) keep it, followed by the part of the file name that tells them
    apart (``recognition_loso_cnn`` -> "... (cnn)").
    """
    words = [
        t if t and t != f.stem else f.stem.replace("_", " ").capitalize()
        for f, t in zip(files, titles, strict=True)
    ]
    out = list(words)
    for title in {w for w in words if words.count(w) > 1}:
        group = [i for i, w in enumerate(words) if w == title]
        parts = [files[i].stem.split("_") for i in group]
        common = 0
        while all(len(p) > common and p[common] == parts[0][common] for p in parts):
            common += 1
        for i, p in zip(group, parts, strict=True):
            if p[common:]:
                out[i] = f"{title.rstrip('.')} ({' '.join(p[common:])})"
    return out


def render_page(root: str | Path = ".") -> str:
    """The text of the Results page for the results files under ``root``."""
    root = Path(root)
    files = sorted((root / RESULTS).glob("*.md"))
    order = [ch for _, ch in CHAPTERS] + [OTHER]
    by_chapter: dict[str, list[Path]] = {}
    for f in files:
        by_chapter.setdefault(chapter_of(f.stem), []).append(f)
    parts = [
        "# Results",
        "",
        "The benchmark tables of all chapters in one place. Each section is copied from a file in",
        "`benchmarks/results/` that a script in `benchmarks/` wrote, with the date of the run, the",
        "machine and the exact command that regenerates it; where a chapter compares with a paper,",
        "the published figures stand in the same table or right below it. The runs are scaled down",
        "from the papers to fit a laptop CPU (fewer steps and seeds): each section says how. This",
        "page itself is generated: `make results-page` (or `python -m tools.results`) rewrites",
        "it, and the unit tests fail when it no longer matches the committed results.",
        "",
    ]
    if not files:
        parts += ["No benchmark results are committed yet.", ""]
    for chapter in sorted(by_chapter, key=order.index):
        parts += [f"## {chapter}", ""]
        texts = [f.read_text(encoding="utf-8") for f in by_chapter[chapter]]
        bodies = [_body(text) for text in texts]
        names = headings(by_chapter[chapter], [title for title, _ in bodies])
        for f, text, (_, body), name in zip(by_chapter[chapter], texts, bodies, names, strict=True):
            date = run_date(text)
            parts += [
                f"### {name}",
                "",
                f"*Source: `{RESULTS.as_posix()}/{f.name}`; "
                + (f"run on {date}.*" if date else "the file records no date.*"),
                "",
                body,
                "",
            ]
    return "\n".join(parts).rstrip("\n") + "\n"


def write_page(root: str | Path = ".", check: bool = False) -> bool:
    """Write the page (or only compare, with ``check``); True if it was out of date."""
    path = Path(root) / PAGE
    text = render_page(root)
    stale = not path.is_file() or path.read_text(encoding="utf-8") != text
    if stale and not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.results", description=__doc__.split("\n")[0])
    p.add_argument("--root", default=".", help="repository root (default: the current folder)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if the page is stale")
    args = p.parse_args(argv)
    stale = write_page(args.root, check=args.check)
    if args.check and stale:
        print(f"{PAGE} is out of date: run `make results-page` and commit it")
        return 1
    print(f"{PAGE} {'rewritten' if stale else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
