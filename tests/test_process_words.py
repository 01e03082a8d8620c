"""The book and the package speak to readers about the subject, not about how they were made.

Words of the production process (``issue``, ``ANCHOR``, ``tracker``, ``ticket``) do not belong in
a chapter, a page, the results tables, the course library or the book's configuration: a reader
has no issue tracker to look at, and "the issue's targets" or "(issue 8)" means nothing to them.
A legitimate use (a link to the project's GitHub issues for reporting an error, Jupyter Book's
``use_issues_button`` option) goes into :data:`ALLOWED` with its reason.

Run: ``pytest tests/test_process_words.py``; every offending line is printed with its path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Files read by a reader of the book or a user of the package.
SCANNED = sorted(
    {
        *ROOT.glob("chapters/**/*.py"),
        *ROOT.glob("chapters/**/*.md"),
        *ROOT.glob("*.md"),
        *ROOT.glob("course_lib/*.py"),
        *ROOT.glob("benchmarks/results/*.md"),
        ROOT / "_toc.yml",
        ROOT / "_config.yml",
    }
    - {p for p in ROOT.glob("chapters/**/*.py") if ".ipynb_checkpoints" in p.parts}
)

#: ``issue`` / ``tracker`` / ``ticket`` in any case, not inside a longer word (an underscore counts
#: as a separator, so identifiers such as ``issue_8`` are caught); ``ANCHOR`` as the upper-case
#: marker (``<<ANCHOR ...>>``) that production notes use, so that the ordinary word "anchor" stays usable.
PROCESS_WORD = re.compile(r"(?i:(?<![a-z])(?:issues?|trackers?|tickets?)(?![a-z]))|(?<![A-Za-z])ANCHOR")

#: (file relative to the root, regex matched against the offending line) -> why it is legitimate.
ALLOWED: dict[tuple[str, str], str] = {
    ("_config.yml", r"^\s*use_issues_button:"): "Jupyter Book's option for the repository's issues button",
}


def offending_lines(path: Path) -> list[str]:
    """Every line of ``path`` with a process word that no :data:`ALLOWED` entry covers."""
    rel = path.relative_to(ROOT).as_posix()
    rules = [re.compile(rx) for (name, rx) in ALLOWED if name == rel]
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if PROCESS_WORD.search(line) and not any(r.search(line) for r in rules):
            out.append(f"{rel}:{n}: {line.strip()}")
    return out


def test_scanned_files_exist():
    assert len(SCANNED) > 20 and all(p.is_file() for p in SCANNED)


@pytest.mark.parametrize("path", SCANNED, ids=[p.relative_to(ROOT).as_posix() for p in SCANNED])
def test_no_process_words(path):
    found = offending_lines(path)
    assert not found, (
        "words about how the book was made, not about its subject (rephrase for a reader, or add a "
        "legitimate use to ALLOWED in tests/test_process_words.py):\n  " + "\n  ".join(found)
    )


def test_allow_list_entries_are_used():
    for (name, rx), why in ALLOWED.items():
        text = (ROOT / name).read_text(encoding="utf-8")
        assert re.search(rx, text, re.M), f"ALLOWED entry for {name} ({why}) matches nothing: remove it"


@pytest.mark.parametrize(
    "line, bad",
    [
        ("# <<ANCHOR wavenet-rf issue 12>>", True),
        ("This meets the issue's targets.", True),
        ("Floors the KL per dimension (issue 8).", True),
        ("An alias named in the issue tracker.", True),
        ("See ticket #4.", True),
        ("The Issues page lists them.", True),
        ("The anchor of a box is its corner.", False),
        ("Tissue and reissued are other words.", False),
        ("use_issues_button: true", True),
        ("def close_issue_8():", True),
    ],
)
def test_detector(line, bad):
    assert bool(PROCESS_WORD.search(line)) is bad
