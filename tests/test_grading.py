"""The grader against students who try to fool it, and against honest work it used to misjudge.

Every submission below is graded as a teacher grades (:func:`tools.grading.grade`, one sandbox
process per notebook). The forgeries attack the grading itself rather than solve the exercises:
a fake report printed to the real stdout before a hard exit, the grader's functions replaced in
``__main__``, the checks and ``torch`` monkeypatched, a result file written by hand (made-up,
or right answers for another run's inputs), a thin wrapper around the library. Each must score 0
with the reason in ``scores.csv``. Honest work must score what it is worth: a ``%%time`` cell
with a correct solution full marks, a wrong GRU gate only the gate's points, a notebook without
the course metadata graded (or listed with a reason), never a traceback.
"""

from __future__ import annotations

import csv
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import pytest
from filelock import FileLock

from tools import assignments as A
from tools import grading as G

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTOR = {G.assignment_of(p): p for p in A.instructor_notebooks(ROOT)}
GRADER_SEED = 1234  # the seed of the run attacked by the replayed result file
TIMEOUT = 120


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}


def _blank(assignment: str, *extra_cells: str) -> dict:
    """The untouched student notebook of ``assignment``, with ``extra_cells`` appended."""
    nb = _load(A.student_path(INSTRUCTOR[assignment]))
    nb["cells"] += [_code_cell(c) for c in extra_cells]
    return nb


def _solved(assignment: str) -> dict:
    return _load(INSTRUCTOR[assignment])


def _replace_in_code(nb: dict, old: str, new: str) -> dict:
    hits = 0
    for cell in nb["cells"]:
        src = A._source(cell)
        if cell["cell_type"] == "code" and old in src:
            cell["source"] = src.replace(old, new)
            hits += 1
    assert hits == 1, f"{old!r} found in {hits} cells"
    return nb


# --- The forgeries: each cell is what a student could append to an untouched notebook -------

FAKE_STDOUT_REPORT = """
import json, os, sys
from tools.grading import CHECKS
fake = {"results": [{"name": c.name, "points": c.points, "max_points": c.points, "status": "pass",
                     "message": "", "hidden": c.hidden} for c in CHECKS["gan"].values()],
        "cell_errors": [], "seconds": 0.0}
sys.__stdout__.write("\\n@@GRADING@@" + json.dumps(fake) + "\\n")
sys.__stdout__.flush()
os._exit(0)
"""

PATCH_MAIN = """
import sys
for module in list(sys.modules.values()):
    if module is None or not hasattr(module, "CheckResult"):
        continue
    CheckResult = module.CheckResult
    def _always_pass(c, ns, *args, _R=CheckResult, **kwargs):
        return _R(c.name, c.points, c.points, "pass", "", c.hidden)
    for name in ("_run_one", "_judge"):
        if hasattr(module, name):
            setattr(module, name, _always_pass)
    if hasattr(module, "run_checks"):
        module.run_checks = lambda a, ns, include_hidden=True, _m=module: [
            _always_pass(c, ns) for c in _m.CHECKS[a].values()]
"""

MONKEYPATCH_CHECKS = """
import math, sys
import torch
torch.allclose = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
for module in list(sys.modules.values()):
    registry = getattr(module, "CHECKS", None)
    for checks in registry.values() if isinstance(registry, dict) else []:
        for c in checks.values():
            for attr in ("func", "judge"):
                if hasattr(c, attr):
                    object.__setattr__(c, attr, lambda *args, **kwargs: None)
            if hasattr(c, "probe"):
                object.__setattr__(c, "probe", lambda ns, seed: {"status": "pass", "points": c.points})
"""

FAKE_RESULT_FILE = """
import json, os, sys
from tools.grading import CHECKS
made_up = {"kind": "number", "value": 0.0, "status": "pass", "points": 10}
probes = {name: {key: made_up for key in ("random", "half", "out", "d", "v", "z", "kl", "elbo", "prior")}
          for name in CHECKS["vae"]}
for path in sys.argv[1:]:
    if path.endswith(".json"):
        with open(path, "w") as f:
            json.dump({"probes": probes, "notes": [], "results": [], "score": 9}, f)
os._exit(0)
"""

# Right answers, but for inputs of another seed: run the teacher's solution's probes with
# seed 4321 and hand their output in as this run's result file.
REPLAYED_RESULT_FILE = """
import json, os, sys
from pathlib import Path
from tools import grading
solution, _ = grading._execute(Path({instructor!r}))
probes = {{c.name: c.probe(solution, 4321) for c in grading.CHECKS["rnn_gan"].values()}}
for path in sys.argv[1:]:
    if path.endswith(".json"):
        Path(path).write_text(json.dumps({{"probes": probes, "notes": []}}))
os._exit(0)
"""

THIN_WRAPPERS = """
import course_lib.audio
from course_lib.audio import add_noise
from course_lib.metrics import snr

_encode = course_lib.audio.mu_law_encode          # a reference saved before grading starts


def mu_law_encode(x, mu=255):
    return _encode(x)


mu_law_decode = course_lib.audio.mu_law_decode     # the library's own function under the name


def snr_db(clean, estimate):
    return snr(clean, estimate).item()


def mix_at_snr(clean, noise, snr):
    return add_noise(clean, noise, snr)
"""


def _submissions(folder: Path) -> dict[str, tuple[dict, dict]]:
    """file name -> (notebook, keyword arguments of grade())."""
    rnn = _solved("rnn_gan")
    timed_rnn = _solved("rnn_gan")
    for cell in timed_rnn["cells"]:
        src = A._source(cell)
        if cell["cell_type"] == "code" and src.startswith(("def gru_cell", "def gru_unroll")):
            cell["source"] = "%%time\n" + src
        elif cell["cell_type"] == "code" and src.startswith("import torch"):
            cell["source"] = "%matplotlib inline\n!pip install -q nothing-at-all\n%time x0 = 1\n" + src
    wrong_gate = _replace_in_code(
        _solved("rnn_gan"), "return (1 - z) * n + z * h", "return z * n + (1 - z) * h"
    )
    no_metadata = _solved("gan")
    no_metadata["metadata"] = {}
    unknown = {"cells": [_code_cell("print('hello')")], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    replay = REPLAYED_RESULT_FILE.format(instructor=str(INSTRUCTOR["rnn_gan"]))
    return {
        "fake_stdout_report.ipynb": (_blank("gan", FAKE_STDOUT_REPORT), {}),
        "patch_main.ipynb": (_blank("audio", PATCH_MAIN), {}),
        "monkeypatch_checks.ipynb": (_blank("wavenet", MONKEYPATCH_CHECKS), {}),
        "fake_result_file.ipynb": (_blank("vae", FAKE_RESULT_FILE), {}),
        "replayed_result_file.ipynb": (_blank("rnn_gan", replay), {"seed": GRADER_SEED}),
        "thin_wrappers.ipynb": (_blank("audio", THIN_WRAPPERS), {}),
        "blank.ipynb": (_blank("gan"), {}),
        "no_metadata.ipynb": (no_metadata, {}),
        "not_an_assignment.ipynb": (unknown, {}),
        "not_json.ipynb": ("{ this is not a notebook", {}),
        "percent_time.ipynb": (timed_rnn, {}),
        "wrong_gate.ipynb": (wrong_gate, {}),
        "solved.ipynb": (rnn, {}),
    }


def _grade_all(folder: Path) -> dict[str, object]:
    """Every submission graded once, two sandboxes at a time: file name -> Report (or the exception)."""
    jobs = []
    for name, (nb, kwargs) in _submissions(folder).items():
        text = nb if isinstance(nb, str) else A.notebook_text(nb)
        (folder / name).write_text(text, encoding="utf-8")
        jobs.append((folder / name, kwargs))

    def run(job):
        path, kwargs = job
        try:
            return G.grade(path, timeout=TIMEOUT, verbose=False, **kwargs)
        except Exception as exc:  # a grader that raises fails the tests below, with this exception
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip([p.name for p, _ in jobs], pool.map(run, jobs), strict=True))


def _to_json(reports: dict[str, object]) -> str:
    return json.dumps(
        {k: {"error": repr(r)} if isinstance(r, Exception) else asdict(r) for k, r in reports.items()}
    )


def _from_json(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, d in json.loads(text).items():
        if "error" in d:
            out[name] = RuntimeError(d["error"])
        else:
            out[name] = G.Report(**{**d, "results": [G.CheckResult(**r) for r in d["results"]]})
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, object]:
    """The reports of every submission; with pytest-xdist, computed by one worker and shared."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:
        return _grade_all(tmp_path_factory.mktemp("submissions"))
    shared = tmp_path_factory.getbasetemp().parent / f"graded-{run_id}"
    shared.mkdir(exist_ok=True)
    with FileLock(str(shared / "lock")):
        cache = shared / "reports.json"
        if not cache.is_file():
            cache.write_text(_to_json(_grade_all(shared)), encoding="utf-8")
        return _from_json(cache.read_text(encoding="utf-8"))


def _report(graded: dict, name: str):
    report = graded[name]
    if isinstance(report, Exception):
        pytest.fail(f"grading {name} raised {type(report).__name__}: {report}")
    return report


def _points(report) -> dict[str, float]:
    return {r.name: r.points for r in report.results}


@pytest.mark.parametrize(
    "name",
    [
        "fake_stdout_report.ipynb",
        "patch_main.ipynb",
        "monkeypatch_checks.ipynb",
        "fake_result_file.ipynb",
        "replayed_result_file.ipynb",
    ],
)
def test_forged_results_score_zero(graded: dict, name: str) -> None:
    report = _report(graded, name)
    assert report.max_score > 0 and len(report.results) == len(G.CHECKS[report.assignment])
    assert report.score == 0, [(r.name, r.points) for r in report.results]
    assert all(r.status != G.PASS and r.message for r in report.results)


def test_a_hard_exit_is_reported_as_such(graded: dict) -> None:
    report = _report(graded, "fake_stdout_report.ipynb")
    assert report.score == 0
    assert "stopped Python before it could be checked (exit 0)" in report.reason


def test_patched_grader_functions_leave_the_placeholders_not_done(graded: dict) -> None:
    report = _report(graded, "patch_main.ipynb")
    assert report.score == 0
    assert all(r.message.startswith(G.NOT_DONE) for r in report.results)


def test_a_replayed_result_file_fails_on_this_runs_inputs(graded: dict) -> None:
    report = _report(graded, "replayed_result_file.ipynb")
    assert report.score == 0 and report.seed == GRADER_SEED
    assert not any(r.message.startswith(G.NOT_DONE) for r in report.results), "the forged data was judged"


def test_thin_wrappers_around_the_library_score_zero(graded: dict) -> None:
    report = _report(graded, "thin_wrappers.ipynb")
    points = _points(report)
    assert points["mu_law_encode"] == points["mu_law_decode"] == points["snr"] == points["mix_at_snr"] == 0
    messages = {r.name: r.message for r in report.results}
    assert "course_lib.audio.mu_law_encode" in messages["mu_law_encode"]
    assert "course_lib.audio.mu_law_decode" in messages["mu_law_decode"]
    assert "course_lib.metrics.snr" in messages["snr"]
    assert "course_lib.audio.add_noise" in messages["mix_at_snr"]


def test_a_blank_notebook_runs_to_the_end_and_scores_zero(graded: dict) -> None:
    report = _report(graded, "blank.ipynb")
    assert report.score == 0 and not report.crashed
    assert all(r.message.startswith(G.NOT_DONE) for r in report.results)
    assert not any(" raised " in e for e in report.cell_errors), report.cell_errors


def test_missing_metadata_is_graded_by_the_functions_it_defines(graded: dict) -> None:
    report = _report(graded, "no_metadata.ipynb")
    assert report.assignment == "gan" and report.score == report.max_score == 10
    assert "metadata.course_lib.assignment is missing" in report.reason


@pytest.mark.parametrize("name", ["not_an_assignment.ipynb", "not_json.ipynb"])
def test_an_ungradable_notebook_gets_a_reason_not_a_traceback(graded: dict, name: str) -> None:
    report = _report(graded, name)
    assert report.score == 0 and report.results == []
    assert report.reason and "Traceback" not in report.text()


def test_cell_magics_run_the_cells_python(graded: dict) -> None:
    report = _report(graded, "percent_time.ipynb")
    assert report.score == report.max_score == 7, [(r.name, r.message) for r in report.results]
    assert any("!pip install -q nothing-at-all" in e for e in report.cell_errors)


def test_a_wrong_update_gate_costs_only_the_gates_points(graded: dict) -> None:
    report = _report(graded, "wrong_gate.ipynb")
    points = _points(report)
    assert points == {"gru_cell": 0, "unroll": 2, "gate_limits": 0}
    message = next(r.message for r in report.results if r.name == "gru_cell")
    assert "update gate" in message and "swapped" in message
    assert _report(graded, "solved.ipynb").score == 7


def test_scores_csv_lists_every_notebook_with_its_reason(graded: dict, tmp_path: Path) -> None:
    reports = [_report(graded, name) for name in sorted(graded)]
    G.write_csv(reports, tmp_path / "scores.csv")
    with open(tmp_path / "scores.csv", newline="", encoding="utf-8") as f:
        rows = {Path(r["notebook"]).name: r for r in csv.DictReader(f)}
    assert set(rows) == set(graded)
    for name in (
        "fake_stdout_report.ipynb",
        "not_an_assignment.ipynb",
        "not_json.ipynb",
        "no_metadata.ipynb",
    ):
        assert rows[name]["note"], f"{name} has no reason in scores.csv"
    assert float(rows["fake_stdout_report.ipynb"]["score"]) == 0
    assert (
        rows["not_an_assignment.ipynb"]["assignment"] == ""
        and float(rows["not_an_assignment.ipynb"]["score"]) == 0
    )


# --- In one process: the pieces the sandbox relies on -------------------------------------


def test_library_references_are_switched_off_and_restored() -> None:
    import course_lib.audio

    before = course_lib.audio.mu_law_encode.__code__
    with G._library_switched_off("audio"):
        with pytest.raises(RuntimeError, match="switched off"):
            course_lib.audio.mu_law_encode(G.torch.zeros(3))
    assert course_lib.audio.mu_law_encode.__code__ is before
    assert course_lib.audio.mu_law_encode(G.torch.zeros(3)).tolist() == [128, 128, 128]


def test_the_judges_draw_new_inputs_for_every_seed() -> None:
    ns, _ = G._execute(INSTRUCTOR["audio"])
    for c in G.CHECKS["audio"].values():
        assert json.dumps(c.probe(ns, 1)) != json.dumps(c.probe(ns, 2)), f"{c.name} ignores the seed"


@pytest.mark.parametrize(
    "source", ["%%time\nx = 1\n", "%%timeit -n 1\nx = 1\n", "%time x = 1\n", "%timeit -n 3 -r 1 x = 1\n"]
)
def test_time_magics_run_their_code(source: str, tmp_path: Path) -> None:
    path = tmp_path / "magic.ipynb"
    path.write_text(json.dumps({"cells": [_code_cell(source)], "metadata": {}}), encoding="utf-8")
    ns, notes = G._execute(path)
    assert ns.get("x") == 1 and notes == []
