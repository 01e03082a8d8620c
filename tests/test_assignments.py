"""Assignments: the student notebooks are built right and graded right.

For every assignment in ``assignments/``: the instructor version scores full marks, the
generated student version scores zero with every check *failing* (not erroring), the
committed student notebook is up to date, and no solution text leaks into it. The
notebooks are executed in-process here (fast); one round trip goes through :func:`grade`'s
subprocess, as a teacher would use it (``make assignments`` grades them all that way).
The tools live in ``tools/`` (the ``course-tools`` distribution), outside ``course_lib``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jupytext
import pytest

import course_lib
import tools
from tools import assignments as A
from tools import grading as G
from tools.assignments import COLAB_INSTALL_SPEC

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTOR = A.instructor_notebooks(ROOT)
IDS = [p.stem for p in INSTRUCTOR]


def _nb(cells: list[tuple[str, str]], assignment: str = "gan") -> dict:
    return {
        "cells": [
            {
                "cell_type": t,
                "metadata": {},
                "source": s,
                **({"outputs": [], "execution_count": 1} if t == "code" else {}),
            }
            for t, s in cells
        ],
        "metadata": {"course_lib": {"assignment": assignment}, "jupytext": {"formats": "ipynb,py:percent"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------


def test_make_student_replaces_solutions_and_drops_hidden_tests() -> None:
    nb = _nb(
        [
            (
                "code",
                "def f(x):\n    ### BEGIN SOLUTION\n    secret_value = x * 41\n"
                "    return secret_value\n    ### END SOLUTION\n",
            ),
            ("code", "### BEGIN HIDDEN TESTS\nassert f(1) == 41\n### END HIDDEN TESTS"),
            ("code", "print(1)\n### BEGIN HIDDEN TESTS\nassert f(2) == 82\n### END HIDDEN TESTS\nprint(2)"),
            ("markdown", "Why?\n\n<!-- BEGIN SOLUTION -->\nBecause forty-one.\n<!-- END SOLUTION -->"),
        ]
    )
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "secret_value\n"}]
    st = A.make_student(nb)
    sources = ["".join(c["source"]) for c in st["cells"]]
    assert sources[0] == "def f(x):\n    " + A.FUNCTION_PLACEHOLDER + "\n"
    assert sources[1] == "print(1)\nprint(2)"  # the hidden-tests-only cell is gone
    assert sources[2] == "Why?\n\n" + A.ANSWER_PLACEHOLDER
    assert all(c.get("outputs", []) == [] for c in st["cells"])
    assert all(c.get("execution_count") is None for c in st["cells"] if c["cell_type"] == "code")
    assert st["metadata"] == {"course_lib": {"assignment": "gan"}}
    assert A.leaked_lines(nb, st) == []
    assert nb["cells"][0]["outputs"], "the instructor notebook must not be modified"
    exec(compile(sources[0], "student", "exec"), ns := {})
    with pytest.raises(NotImplementedError):  # the placeholder says "not done yet" when called
        ns["f"](3)


def test_a_top_level_solution_becomes_an_inert_placeholder() -> None:
    nb = _nb([("code", "### BEGIN SOLUTION\nanswer = 41 + 1\n### END SOLUTION\nprint('next')")])
    source = A._source(A.make_student(nb)["cells"][0])
    assert source == A.PLACEHOLDER + "\nprint('next')"
    exec(compile(source, "student", "exec"), {})  # runs: "Run all" goes on


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1\n",
        "x = 1\n### END SOLUTION\n",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
        "y = 2  ### BEGIN SOLUTION\n",
    ],
)
def test_unbalanced_or_inline_markers_are_errors(source: str) -> None:
    with pytest.raises(A.MarkerError):
        A.make_student(_nb([("code", source)]))


def test_missing_assignment_metadata_is_an_error() -> None:
    nb = _nb([("code", "x = 1")])
    nb["metadata"] = {}
    with pytest.raises(A.MarkerError, match="metadata.course_lib.assignment"):
        A.make_student(nb)


def test_leak_detection_catches_a_copied_solution_line() -> None:
    nb = _nb([("code", "def f():\n    ### BEGIN SOLUTION\n    return 41 + 1\n    ### END SOLUTION\n")])
    st = A.make_student(nb)
    st["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "Hint: return 41 + 1"})
    assert A.leaked_lines(nb, st) == ["return 41 + 1"]


def test_there_is_one_assignment_per_chapter() -> None:
    ids = {A.make_student(_load(p), p.name)["metadata"]["course_lib"]["assignment"] for p in INSTRUCTOR}
    assert {"gan", "vae", "wavenet", "rnn_gan", "audio"} <= ids
    assert ids == set(G.CHECKS), "every assignment needs checks in tools.grading, and vice versa"


def test_student_notebooks_are_up_to_date() -> None:
    stale = A.build(ROOT, check=True)
    assert not stale, f"stale student notebooks {stale}: run `python -m tools.assignments build`"


@pytest.mark.parametrize("instructor", INSTRUCTOR, ids=IDS)
def test_instructor_pair_agrees(instructor: Path) -> None:
    py = jupytext.read(instructor.with_suffix(".py"))
    nb = _load(instructor)
    src_py = [c.source for c in py.cells]
    src_nb = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"]]
    assert src_py == src_nb, f"{instructor.name} and its .py differ: `jupytext --sync {instructor}`"
    assert all(not c.get("outputs") for c in nb["cells"]), "commit instructor notebooks without outputs"


@pytest.mark.parametrize("instructor", INSTRUCTOR, ids=IDS)
def test_no_solution_text_in_student_notebook(instructor: Path) -> None:
    student = A.student_path(instructor)
    ins, st = _load(instructor), _load(student)
    assert A.leaked_lines(ins, st) == []
    text = student.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text
    assert all(not c.get("outputs") for c in st["cells"])
    hidden = [c.name for c in G.CHECKS[st["metadata"]["course_lib"]["assignment"]].values() if c.hidden]
    st_code = "\n".join(A._source(c) for c in st["cells"])
    ins_code = "\n".join(A._source(c) for c in ins["cells"])
    for name in hidden:
        assert f'"{name}"' not in st_code, f"hidden check {name} is called in the student notebook"
        assert f'"{name}"' in ins_code, f"hidden check {name} is never run in the instructor notebook"


# ---------------------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("instructor", INSTRUCTOR, ids=IDS)
def test_instructor_full_marks_student_zero(instructor: Path, capsys) -> None:
    assignment = G.assignment_of(instructor)
    ns, errors = G._execute(instructor)
    assert errors == [], errors
    full = G.run_checks(assignment, ns)
    assert [r.status for r in full] == [G.PASS] * len(full), [r.message for r in full]
    ns, errors = G._execute(A.student_path(instructor))
    assert errors == [], f"the untouched student notebook stops: {errors}"
    zero = G.run_checks(assignment, ns)
    assert [r.status for r in zero] == [G.FAIL] * len(zero), [(r.name, r.status, r.message) for r in zero]
    assert all(r.points == 0 and r.message.startswith(G.NOT_DONE) for r in zero)
    assert "Traceback" not in capsys.readouterr().out


class _Reads(dict):
    """A copy of a namespace that records the names read from it."""

    def __init__(self, ns: dict):
        super().__init__(ns)
        self.read: set[str] = set()

    def __getitem__(self, key: str):
        self.read.add(key)
        return super().__getitem__(key)


def _not_done(*args, **kwargs):
    """Stands in for one unsolved function: what a student's untouched placeholder does."""
    raise NotImplementedError


@pytest.mark.parametrize("instructor", INSTRUCTOR, ids=IDS)
def test_each_solution_alone_earns_exactly_its_own_points(instructor: Path) -> None:
    """Independence: a notebook solved except for one function loses that function's points only."""
    assignment = G.assignment_of(instructor)
    for name in G.DEFINES[assignment]:
        ns, _ = G._execute(instructor)
        callers = set()
        for c in G.CHECKS[assignment].values():
            reads = _Reads(ns)
            c.probe(reads, 7)
            if name in reads.read:
                callers.add(c.name)
        ns[name] = _not_done  # the rest of the notebook keeps the solution
        lost = {r.name for r in G.run_checks(assignment, ns, seed=7) if r.status != G.PASS}
        assert lost, f"no check notices that {name} is not done"
        assert lost == callers, f"without {name}: {sorted(lost)} fail, only {sorted(callers)} call it"


def test_every_check_has_points_and_a_goal() -> None:
    for assignment, checks in G.CHECKS.items():
        assert checks, assignment
        for c in checks.values():
            assert c.points > 0 and len(c.goal) > 10, c
    table = G.points_table()
    assert table.count("**total**") == len(G.CHECKS)


def test_check_prints_and_never_raises(capsys) -> None:
    assert G.check("gan", "d_loss", {}) is False
    assert "not done yet: `d_loss` is not defined" in capsys.readouterr().out
    assert G.check("gan", "d_loss", {"d_loss": _not_done}) is False
    assert "d_loss: 0/3 points, not done yet" in capsys.readouterr().out
    assert G.check("gan", "d_loss", {"d_loss": lambda r, f: 1 / 0}) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_grade_a_folder_in_subprocesses(tmp_path: Path) -> None:
    gan = next(p for p in INSTRUCTOR if G.assignment_of(p) == "gan")
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(gan, folder / "alice (1).ipynb")  # renamed by a browser: metadata still says gan
    shutil.copy(A.student_path(gan), folder / "bob.ipynb")
    (folder / "crash.ipynb").write_text(
        A.notebook_text(_nb([("code", "import os\nos._exit(3)")])), encoding="utf-8"
    )
    reports = G.grade_folder(folder, csv_path=tmp_path / "scores.csv", verbose=False, timeout=120)
    by_name = {Path(r.notebook).name: r for r in reports}
    assert by_name["alice (1).ipynb"].score == by_name["alice (1).ipynb"].max_score == 10
    assert by_name["bob.ipynb"].score == 0 and not by_name["bob.ipynb"].crashed
    assert by_name["crash.ipynb"].score == 0 and "exit 3" in by_name["crash.ipynb"].crashed
    rows = (tmp_path / "scores.csv").read_text().splitlines()
    assert rows[0].startswith("notebook,assignment,gan/d_loss") and len(rows) == 4


def test_grade_stops_an_endless_loop(tmp_path: Path) -> None:
    nb = tmp_path / "loop.ipynb"
    nb.write_text(A.notebook_text(_nb([("code", "while True:\n    pass")], "audio")), encoding="utf-8")
    report = G.grade(nb, timeout=8, verbose=False)
    assert report.score == 0 and "still running" in report.crashed
    assert len(report.results) == len(G.CHECKS["audio"])


def test_teachers_guide_shows_the_current_points_table() -> None:
    guide = (ROOT / "chapters/appendix/teachers_guide.md").read_text(encoding="utf-8")
    assert G.points_table() in guide, "paste `python -m tools.grading --table` into the teacher's guide"
    for p in INSTRUCTOR:
        assert f"assignments/student/{p.name}" in guide, f"the teacher's guide does not link {p.name}"


def test_teachers_guide_points_match_the_checks() -> None:
    guide = (ROOT / "chapters/appendix/teachers_guide.md").read_text(encoding="utf-8")
    for p in INSTRUCTOR:
        row = next(line for line in guide.splitlines() if f"assignments/student/{p.name}" in line)
        total = sum(c.points for c in G.CHECKS[G.assignment_of(p)].values())
        assert row.rstrip(" |").endswith(f"| {total}"), (
            f"{p.name}: the guide says {row!r}, checks total {total}"
        )


# ---------------------------------------------------------------------------------------
# The tools beside the library: installed on Colab by every assignment's first cell
# ---------------------------------------------------------------------------------------


def _first_code_cell(path: Path) -> str:
    return next(
        A._source(c) for c in _load(path)["cells"] if c["cell_type"] == "code" and A._source(c).strip()
    )


@pytest.mark.parametrize("instructor", INSTRUCTOR, ids=IDS)
def test_first_cell_installs_the_tools_of_the_same_release(instructor: Path) -> None:
    for nb in (instructor, A.student_path(instructor)):
        first = _first_code_cell(nb)
        assert COLAB_INSTALL_SPEC in first and A.TOOLS_INSTALL_SPEC in first, (
            f"{nb.name}: the first cell must pip-install {COLAB_INSTALL_SPEC!r} and {A.TOOLS_INSTALL_SPEC!r} "
            "(`make pin-colab`)"
        )
    assert not A.pin_colab([instructor, instructor.with_suffix(".py")], check=True)


def test_tools_spec_follows_the_library_pin() -> None:
    assert A.TOOLS_INSTALL_SPEC == (
        COLAB_INSTALL_SPEC.replace("course_lib @", "course-tools @", 1) + "#subdirectory=tools"
    )
    assert tools.__version__ == course_lib.__version__, "release tools/ and course_lib together"


def test_pin_colab_rewrites_both_specs(tmp_path: Path) -> None:
    old = COLAB_INSTALL_SPEC.rsplit("@", 1)[0] + "@v0.0.1"
    old_tools = A.TOOLS_INSTALL_SPEC.replace(COLAB_INSTALL_SPEC.rsplit("@", 1)[1], "v0.0.1")
    nb = tmp_path / "a.py"
    nb.write_text(f'x = ["{old}",\n     "{old_tools}"]\n', encoding="utf-8")
    assert A.pin_colab([nb]) == [nb]
    assert nb.read_text(encoding="utf-8") == f'x = ["{COLAB_INSTALL_SPEC}",\n     "{A.TOOLS_INSTALL_SPEC}"]\n'
    assert A.pin_colab([nb]) == []
    nb.write_text(f'"{A.TOOLS_INSTALL_SPEC}"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="expected one"):
        A.pin_colab([nb])


def test_course_lib_never_imports_the_tools() -> None:
    for py in sorted((ROOT / "course_lib").rglob("*.py")):
        text = py.read_text(encoding="utf-8")
        assert "import tools" not in text and "from tools" not in text, f"{py.name} imports tools/"
