"""Student notebooks from instructor notebooks, and the Colab pin of every first cell.

An instructor notebook (``assignments/<NN_name>.ipynb``, paired with a ``py:percent`` file)
holds the full solution between markers, nbgrader-style but with no nbgrader needed:

- in a code cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` become
  one placeholder line at the indentation of the markers: inside a function body
  ``raise NotImplementedError  # YOUR CODE HERE`` (every check, and the notebook's own
  self-check cells, report it as "not done yet", so "Run all" reaches the end), at the top
  level of a cell ``...  # YOUR CODE HERE`` (a variable left undefined, reported the same way).
  A solution block must therefore sit either in a function body or at a cell's top level,
  never inside a top-level loop or ``if``;
- in a markdown cell, the text between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
  becomes ``*Your answer here.*``;
- the lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are removed (a cell
  left empty is dropped); :func:`tools.grading.grade` runs those checks anyway.

Outputs and execution counts are cleared, cell metadata other than tags is dropped, and the
notebook keeps ``metadata.course_lib.assignment`` so that the grader knows what it grades.

Usage (from the repository root)::

    python -m tools.assignments build           # write assignments/student/*.ipynb
    python -m tools.assignments build --check   # fail if any student notebook is stale
    python -m tools.assignments selftest        # instructor 100 %, student 0 %, via grade()
    python -m tools.assignments pin-colab       # rewrite first cells to the release's specs
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course_lib import release
from tools.grading import FAIL, NOT_DONE, PASS, grade

# ---------------------------------------------------------------------------------------
# The release pin: the first cell of every notebook (chapters and assignments)
# ---------------------------------------------------------------------------------------

#: The course's public repository (also ``repository.url`` in ``_config.yml``): see course_lib/release.py.
COURSE_REPOSITORY = release.REPOSITORY
#: What every notebook's first cell installs on Colab: this release of the library, pinned to
#: the git tag ``v<version>`` so that a notebook always gets the code it was executed with.
#: Bump ``course_lib.release.VERSION``, rewrite the first cells with
#: ``make pin-colab``, commit, and tag that commit (``make release-check``).
COLAB_INSTALL_SPEC = release.INSTALL_SPEC


def colab_install_cell(spec: str = COLAB_INSTALL_SPEC) -> str:
    """Source of the canonical first code cell, which installs the library on Colab only.

    It never names torch or ipywidgets: the library asks only for lower bounds that Colab's
    preinstalled versions meet, so pip leaves them alone.

    Args:
        spec: the pip requirement to install.

    Returns:
        the cell's source code.
    """
    return (
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:  # Colab only; never reinstalls torch or ipywidgets\n'
        "    subprocess.run(\n"
        '        [sys.executable, "-m", "pip", "install", "-q",\n'
        f'         "{spec}"],\n'
        "        check=True,\n"
        "    )"
    )


__all__ = [
    "PLACEHOLDER",
    "FUNCTION_PLACEHOLDER",
    "ANSWER_PLACEHOLDER",
    "MarkerError",
    "instructor_notebooks",
    "student_path",
    "make_student",
    "solution_lines",
    "leaked_lines",
    "build",
    "selftest",
    "notebook_text",
    "pin_colab",
    "TOOLS_INSTALL_SPEC",
]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
PLACEHOLDER = "...  # YOUR CODE HERE"
FUNCTION_PLACEHOLDER = "raise NotImplementedError  # YOUR CODE HERE"
ANSWER_PLACEHOLDER = "*Your answer here.*"
STUDENT_DIR = "student"
_KEEP_NB_METADATA = ("kernelspec", "language_info", "course_lib")


class MarkerError(ValueError):
    """Unbalanced or nested solution / hidden-test markers in an instructor notebook."""


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _lines_to_source(lines: list[str]) -> list[str]:
    """nbformat's on-disk form: a list of lines, each but the last ending in a newline."""
    return [line + "\n" for line in lines[:-1]] + lines[-1:] if lines else []


def _replace_blocks(
    text: str, begin: str, end: str, replacement: str | None, where: str, indented: str | None = None
) -> tuple[str, list[str]]:
    """Replace each ``begin``...``end`` block of lines; return the new text and the removed lines.

    ``replacement`` None removes the block; otherwise one line with the marker's indentation,
    ``indented`` instead of ``replacement`` where that indentation is not zero (a function body).
    """
    out: list[str] = []
    removed: list[str] = []
    inside = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped == begin:
            if inside:
                raise MarkerError(f"{where}: nested {begin!r}")
            inside = True
            if replacement is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(indent + (indented if indent and indented else replacement))
        elif stripped == end:
            if not inside:
                raise MarkerError(f"{where}: {end!r} without {begin!r}")
            inside = False
        elif inside:
            removed.append(line)
        else:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}: {begin!r} is never closed by {end!r}")
    return "\n".join(out), removed


def make_student(instructor: dict, name: str = "notebook") -> dict:
    """The student version of an instructor notebook (a new dict; the input is not changed)."""
    nb = copy.deepcopy(instructor)
    meta = nb.get("metadata", {})
    if "assignment" not in meta.get("course_lib", {}):
        raise MarkerError(f"{name}: metadata.course_lib.assignment is missing (the grader needs it)")
    nb["metadata"] = {k: meta[k] for k in _KEEP_NB_METADATA if k in meta}
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        where = f"{name}, cell {i}"
        text = _source(cell)
        if cell["cell_type"] == "code":
            text, _ = _replace_blocks(text, BEGIN_HIDDEN, END_HIDDEN, None, where)
            text, _ = _replace_blocks(
                text, BEGIN_SOLUTION, END_SOLUTION, PLACEHOLDER, where, FUNCTION_PLACEHOLDER
            )
            if not text.strip():
                continue
            cell["outputs"] = []
            cell["execution_count"] = None
        elif cell["cell_type"] == "markdown":
            text, _ = _replace_blocks(text, MD_BEGIN, MD_END, ANSWER_PLACEHOLDER, where)
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN, MD_BEGIN, MD_END):
            if marker in text:
                raise MarkerError(f"{where}: marker {marker!r} must stand alone on its line")
        cell["source"] = _lines_to_source(text.split("\n"))
        tags = cell.get("metadata", {}).get("tags")
        cell["metadata"] = {"tags": tags} if tags else {}
        cell.pop("attachments", None)
        cells.append(cell)
    nb["cells"] = cells
    return nb


def solution_lines(instructor: dict) -> set[str]:
    """Stripped, non-trivial lines that only the solutions and hidden tests contain."""
    inside_blocks: set[str] = set()
    outside: set[str] = set()
    for i, cell in enumerate(instructor.get("cells", [])):
        text = _source(cell)
        if cell["cell_type"] == "code":
            text, hidden = _replace_blocks(text, BEGIN_HIDDEN, END_HIDDEN, None, f"cell {i}")
            text, sol = _replace_blocks(text, BEGIN_SOLUTION, END_SOLUTION, "", f"cell {i}")
        else:
            hidden = []
            text, sol = _replace_blocks(text, MD_BEGIN, MD_END, "", f"cell {i}")
        inside_blocks.update(s.strip() for s in [*hidden, *sol])
        outside.update(s.strip() for s in text.split("\n"))
    return {s for s in inside_blocks - outside if len(s) >= 6 and re.search(r"[A-Za-z0-9]", s)}


def leaked_lines(instructor: dict, student: dict) -> list[str]:
    """Solution or hidden-test lines that appear anywhere in the student notebook's JSON text."""
    text = "\n".join(_source(c) for c in student.get("cells", []))
    text += json.dumps(student)
    return sorted(s for s in solution_lines(instructor) if s in text or json.dumps(s)[1:-1] in text)


def notebook_text(nb: dict) -> str:
    """Serialise like nbformat (sorted keys, one-space indent, UTF-8, final newline)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def instructor_notebooks(root: str | Path = ".") -> list[Path]:
    """The instructor notebooks: ``<root>/assignments/*.ipynb``, sorted."""
    return sorted((Path(root) / "assignments").glob("*.ipynb"))


def student_path(instructor: Path) -> Path:
    return instructor.parent / STUDENT_DIR / instructor.name


def build(root: str | Path = ".", check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) every student notebook; return the stale ones.

    Also removes student notebooks whose instructor notebook is gone (or lists them with
    ``check``).
    """
    stale: list[Path] = []
    sources = instructor_notebooks(root)
    for src in sources:
        nb = json.loads(src.read_text(encoding="utf-8"))
        student = make_student(nb, src.name)
        leaks = leaked_lines(nb, student)
        if leaks:
            raise MarkerError(f"{src.name}: solution text would leak into the student notebook: {leaks[:3]}")
        text = notebook_text(student)
        dest = student_path(src)
        if not dest.is_file() or dest.read_text(encoding="utf-8") != text:
            stale.append(dest)
            if not check:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(text, encoding="utf-8")
    wanted = {student_path(s).name for s in sources}
    for orphan in sorted((Path(root) / "assignments" / STUDENT_DIR).glob("*.ipynb")):
        if orphan.name not in wanted:
            stale.append(orphan)
            if not check:
                orphan.unlink()
    return stale


# ---------------------------------------------------------------------------------------
# The pinned Colab install lines of every notebook's first cell
# ---------------------------------------------------------------------------------------

#: What the first cell of every assignment notebook installs on Colab beside
#: ``COLAB_INSTALL_SPEC``: these tools (the self-checks of :mod:`tools.grading`), from the same
#: release tag (or commit) and the repository's ``tools/`` folder.
TOOLS_INSTALL_SPEC = release.TOOLS_INSTALL_SPEC
_PIN = r"@[A-Za-z0-9._/\-]+"
_SPEC_RE = re.compile(r"course_lib @ git\+" + re.escape(COURSE_REPOSITORY) + _PIN)
_TOOLS_SPEC_RE = re.compile(
    r"course-tools @ git\+" + re.escape(COURSE_REPOSITORY) + _PIN + "#subdirectory=tools"
)
#: A link that opens a notebook of the repository on Colab, at some tag or branch.
_COLAB_LINK_RE = re.compile(
    r"https://colab\.research\.google\.com/github/" + re.escape(release.SLUG) + r"/blob/[^/\s]+/"
)
#: Markdown pages whose install lines and Colab links follow the release too.
PINNED_PAGES = ("chapters/appendix/teachers_guide.md",)


def pin_colab(paths: list[Path], check: bool = False) -> list[Path]:
    """Point the install lines of each notebook (``.ipynb`` and ``.py``) at the release's specs.

    The ``course_lib`` line becomes COLAB_INSTALL_SPEC and, in an assignment, the
    ``course-tools`` line TOOLS_INSTALL_SPEC; a Colab link to the repository points at the
    release tag (:func:`course_lib.release.colab_url`). Only these strings change (text
    substitutions), so outputs and formatting stay as they are. Returns the files that were
    (or, with ``check``, would be) changed. A file without exactly one ``course_lib`` line,
    or with more than one ``course-tools`` line, is an error.
    """
    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        found, found_tools = _SPEC_RE.findall(text), _TOOLS_SPEC_RE.findall(text)
        if len(found) != 1 or len(found_tools) > 1:
            raise ValueError(
                f"{path}: expected one `course_lib @ git+{COURSE_REPOSITORY}@...` line and at most one "
                f"`course-tools @ git+...#subdirectory=tools` line, found {len(found)} and {len(found_tools)}"
            )
        pinned = _TOOLS_SPEC_RE.sub(TOOLS_INSTALL_SPEC, _SPEC_RE.sub(COLAB_INSTALL_SPEC, text))
        pinned = _COLAB_LINK_RE.sub(release.colab_url(""), pinned)
        if pinned != text:
            changed.append(path)
            if not check:
                path.write_text(pinned, encoding="utf-8")
    return changed


def _toc_notebooks(root: Path) -> list[Path]:
    """Every ``file:`` of ``_toc.yml`` that is a notebook, as ``.ipynb`` paths."""
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    files = re.findall(r"^\s*-?\s*(?:file|root):\s*(\S+)\s*$", toc, flags=re.M)
    return [root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").is_file()]


def selftest(root: str | Path = ".", timeout: float = 600, workers: int = 2) -> list[str]:
    """Grade every instructor notebook and its student version as a teacher would.

    Returns the problems found (empty: every instructor notebook scores full marks and runs
    without a failing cell; every student notebook runs to its end and scores zero, each check
    reporting its placeholder as not done yet).
    """
    sources = instructor_notebooks(root)
    jobs = [p for src in sources for p in (src, student_path(src))]
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each grade() is its own process
        reports = dict(zip(jobs, pool.map(lambda p: grade(p, timeout=timeout), jobs), strict=True))
    problems = []
    for src in sources:
        full, zero = reports[src], reports[student_path(src)]
        if full.crashed or any(r.status != PASS for r in full.results) or full.score != full.max_score:
            problems.append(f"{src}: instructor version scored {full.score:g}/{full.max_score}")
        if any(" raised " in e for e in full.cell_errors):
            problems.append(f"{src}: a cell of the instructor version fails: {full.cell_errors}")
        if zero.crashed or any(r.status != FAIL or r.points for r in zero.results):
            problems.append(f"{student_path(src)}: student version is not graded 0 by failing checks")
        if any(not r.message.startswith(NOT_DONE) for r in zero.results):
            problems.append(f"{student_path(src)}: a check does not report its placeholder as not done yet")
        if any(" raised " in e for e in zero.cell_errors):
            problems.append(f"{student_path(src)}: the untouched notebook stops: {zero.cell_errors}")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.assignments", description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["build", "selftest", "pin-colab"])
    p.add_argument("--root", default=".", help="repository root (default: the current folder)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if something is out of date")
    p.add_argument(
        "paths", nargs="*", help="pin-colab: notebooks to rewrite (default: _toc.yml + assignments)"
    )
    args = p.parse_args(argv)
    root = Path(args.root)
    if args.command == "build":
        stale = build(root, check=args.check)
        verb = "out of date" if args.check else "written"
        for s in stale:
            print(f"{verb}: {s}")
        print(f"{len(instructor_notebooks(root))} assignment(s), {len(stale)} student notebook(s) {verb}")
        if args.check and stale:
            print(
                "run `python -m tools.assignments build` (or `make student-notebooks`) and commit the result"
            )
        return 1 if args.check and stale else 0
    if args.command == "selftest":
        problems = selftest(root)
        print("\n".join(problems) or "selftest: every instructor notebook 100%, every student notebook 0%")
        return 1 if problems else 0
    paths = [Path(x) for x in args.paths] or [
        *_toc_notebooks(root),
        *(
            p
            for p in sorted((root / "chapters").rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in p.parts and _SPEC_RE.search(p.read_text(encoding="utf-8"))
        ),
        *instructor_notebooks(root),
        *(root / page for page in PINNED_PAGES if (root / page).is_file()),
    ]
    paths += [q.with_suffix(".py") for q in paths if q.suffix == ".ipynb" and q.with_suffix(".py").is_file()]
    changed = pin_colab(sorted(set(paths)), check=args.check)
    for c in changed:
        print(f"{'not pinned' if args.check else 'pinned'}: {c}")
    verb = "not pinned to" if args.check else "pinned to"
    print(f"{len(changed)} file(s) {verb} {COLAB_INSTALL_SPEC!r} (assignments: and {TOOLS_INSTALL_SPEC!r})")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
