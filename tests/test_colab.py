"""Colab, as a student meets it: the first cell, the launch buttons, and a simulated Colab run.

- Every notebook of the book (``_toc.yml``) and every assignment starts with the install cell:
  ``course_lib`` pinned to :data:`tools.assignments.COLAB_INSTALL_SPEC` (a release tag),
  only when ``"google.colab" in sys.modules``, never naming torch or ipywidgets.
- The "launch on Colab" URL of every notebook page, built the way sphinx-book-theme builds it
  from ``_config.yml``, points at a notebook that exists in the repository.
- ``test_colab_simulation`` (slow: ``make colab`` runs it with ``COURSE_COLAB_SIM=1``) builds a
  venv like Colab's (torch 2.13.0 CPU, ipywidgets 7.7.1, pandas, a kernel; no book tools),
  runs each notebook's first cell with ``google.colab`` marked as imported (installing the
  library from a copy of this checkout instead of GitHub), then the notebook top to bottom:
  the setup notebook and the fastest notebook of every chapter (part of ``_toc.yml``).
  It also checks that installing ``course_lib`` left torch and ipywidgets untouched.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from tools.assignments import COLAB_INSTALL_SPEC, COURSE_REPOSITORY, colab_install_cell

ROOT = Path(__file__).resolve().parents[1]
#: What Colab has preinstalled that the simulation reproduces (the rest comes from course_lib's
#: own dependencies). torch 2.13.0 is the only CPU wheel this machine can install.
COLAB_PREINSTALLED = ["torch==2.13.0", "ipywidgets==7.7.1", "pandas", "ipykernel", "nbclient", "nbformat"]
#: Folders under chapters/ and toc parts that hold no chapter (the Colab simulation skips them).
NOT_CHAPTERS = {"appendix"}
NOT_CHAPTER_PARTS = {"Getting started", "Back matter"}
FORBIDDEN_IN_INSTALL = ("torch", "ipywidgets", "--upgrade", "-U", "--force-reinstall")


def _files_in(node) -> list[str]:
    """Every ``file:`` value inside a part of the toc, in order."""
    if isinstance(node, dict):
        own = [node["file"]] if "file" in node else []
        return own + [f for v in node.values() for f in _files_in(v)]
    if isinstance(node, list):
        return [f for v in node for f in _files_in(v)]
    return []


def toc_files(root: Path = ROOT) -> list[str]:
    """Every ``file:`` (and the ``root:``) of ``_toc.yml``, in book order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"], *_files_in({k: v for k, v in toc.items() if k != "root"})]


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    return [root / f"{f}.ipynb" for f in toc_files(root) if (root / f"{f}.ipynb").is_file()]


def assignment_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "assignments").glob("*.ipynb")) + sorted(
        (root / "assignments/student").glob("*.ipynb")
    )


def first_code_cell(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "code" and src.strip():  # an empty cell runs nothing
            return src
    raise AssertionError(f"{nb_path} has no code cell")


def install_problems(src: str) -> list[str]:
    """What is wrong with a first cell, judged on its syntax tree (empty list: nothing)."""
    try:
        tree = ast.parse(src)
    except SyntaxError as exc:
        return [f"not valid Python: {exc}"]
    problems = []
    ifs = [n for n in tree.body if isinstance(n, ast.If)]
    others = [n for n in tree.body if not isinstance(n, ast.If | ast.Import | ast.ImportFrom)]
    if len(ifs) != 1 or others:
        return ['the cell must hold imports and one `if "google.colab" in sys.modules:` block, nothing else']
    test = ifs[0].test
    if not (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Constant)
        and test.left.value == "google.colab"
        and isinstance(test.ops[0], ast.In)
        and ast.unparse(test.comparators[0]) == "sys.modules"
    ):
        problems.append(
            f'the install must be guarded by `"google.colab" in sys.modules`, got `{ast.unparse(test)}`'
        )
    if ifs[0].orelse:
        problems.append("the Colab guard must have no else branch (nothing runs outside Colab)")
    strings = [n.value for n in ast.walk(ifs[0]) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    if COLAB_INSTALL_SPEC not in strings:
        specs = [s for s in strings if "course_lib" in s]
        problems.append(f"installs {specs or 'nothing'}, expected {COLAB_INSTALL_SPEC!r}")
    for s in strings:
        for bad in FORBIDDEN_IN_INSTALL:
            if s == bad or (bad.isalpha() and re.search(rf"(^|[\s,]){bad}([<>=~!\s,]|$)", s)):
                problems.append(
                    f"the install names {s!r}: never install or upgrade torch/ipywidgets on Colab"
                )
    if "pip" not in strings or "install" not in strings:
        problems.append("the guarded block should run `pip install` on the spec")
    return problems


# ---------------------------------------------------------------------------------------
# First cells
# ---------------------------------------------------------------------------------------


def test_canonical_cell_is_valid() -> None:
    assert install_problems(colab_install_cell()) == []
    assert COLAB_INSTALL_SPEC.startswith(f"course_lib @ git+{COURSE_REPOSITORY}@")
    pin = COLAB_INSTALL_SPEC.rsplit("@", 1)[1]
    assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", pin), f"pin to a release tag or a commit, not {pin!r}"


@pytest.mark.parametrize(
    "src, expected",
    [
        (colab_install_cell().replace("if ", "if not "), "guarded"),
        (colab_install_cell(COLAB_INSTALL_SPEC.rsplit("@", 1)[0] + "@main"), "expected"),
        (colab_install_cell().replace('"-q",', '"-q", "torch>=2.5",'), "never install"),
        (colab_install_cell().replace('"-q",', '"-q", "-U",'), "never install"),
        (colab_install_cell() + "\nprint('hi')", "nothing else"),
    ],
)
def test_install_problems_catches_bad_cells(src: str, expected: str) -> None:
    assert any(expected in p for p in install_problems(src)), install_problems(src)


def test_config_repository_matches_install_spec() -> None:
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["repository"]["url"].rstrip("/") == COURSE_REPOSITORY
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert "path_to_book" not in cfg["repository"], "path_to_book breaks the Colab paths (see BOOK-NOTES)"


NOTEBOOKS = toc_notebooks() + assignment_notebooks()


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_first_cell_installs_pinned_course_lib_on_colab_only(nb: Path) -> None:
    problems = install_problems(first_code_cell(nb))
    assert not problems, (
        f"{nb.relative_to(ROOT)}: first code cell: " + "; ".join(problems) + ". Fix with "
        "`python -m tools.assignments pin-colab` (`make pin-colab`), or copy the setup notebook's first cell."
    )


# ---------------------------------------------------------------------------------------
# Launch buttons
# ---------------------------------------------------------------------------------------


def colab_url(page: str, root: Path = ROOT) -> str:
    """The Colab URL that sphinx-book-theme builds for a notebook page of the book."""
    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repo = cfg["repository"]
    org_repo = repo["url"].rstrip("/").split("github.com/")[1]
    book_path = repo.get("path_to_book", "").strip("/")
    path = f"{book_path}/{page}.ipynb" if book_path else f"{page}.ipynb"
    return f"{cfg['launch_buttons']['colab_url']}/github/{org_repo}/blob/{repo.get('branch', 'main')}/{path}"


def test_launch_links_point_at_notebooks_in_the_repository() -> None:
    pages = [f for f in toc_files() if (ROOT / f"{f}.ipynb").is_file()]
    assert pages, "no notebook in _toc.yml"
    for page in pages:
        url = colab_url(page)
        m = re.fullmatch(r"https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/(.+)", url)
        assert m, url
        assert f"https://github.com/{m[1]}" == COURSE_REPOSITORY, url
        target = ROOT / m[3]
        assert target.is_file() and target.suffix == ".ipynb", f"{url} points at {m[3]}, not a notebook here"
        assert "/./" not in url and "//" not in m[3], url


def test_teachers_guide_colab_links_exist() -> None:
    guide = ROOT / "chapters/appendix/teachers_guide.md"
    if not guide.is_file():
        pytest.skip("no teacher's guide yet")
    links = re.findall(
        r"https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/([^)\s>]+)", guide.read_text()
    )
    assert links, "the teacher's guide should link each student notebook on Colab"
    for path in links:
        assert (ROOT / path).is_file(), f"teacher's guide links {path}, which does not exist"


# ---------------------------------------------------------------------------------------
# The Colab simulation (slow)
# ---------------------------------------------------------------------------------------


def committed_seconds(nb_path: Path) -> float:
    """Wall time of the committed execution, from nbclient's per-cell timestamps (inf if none)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    total = 0.0
    for cell in nb["cells"]:
        ex = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
            t0 = datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))
            t1 = datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
            total += (t1 - t0).total_seconds()
        elif cell["cell_type"] == "code":
            return float("inf")
    return total


def toc_parts(root: Path = ROOT) -> dict[str, list[Path]]:
    """Notebooks of each part (caption) of ``_toc.yml``: a part is a chapter of the course."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    parts: dict[str, list[Path]] = {}
    for part in toc.get("parts", []):
        files = _files_in(part.get("chapters", []))
        parts[part.get("caption", "")] = [
            root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").is_file()
        ]
    return parts


def colab_notebooks(root: Path = ROOT) -> list[Path]:
    """The setup notebook, then the fastest notebook (by committed run time) of every other part."""
    chosen = [root / "chapters/setup/working_with_the_course.ipynb"]
    for caption, nbs in toc_parts(root).items():
        nbs = [nb for nb in nbs if nb.parent.name not in NOT_CHAPTERS and nb not in chosen]
        if nbs and caption not in NOT_CHAPTER_PARTS:
            chosen.append(min(nbs, key=committed_seconds))
    return chosen


DRIVER = textwrap.dedent(
    """
    import json, sys, time
    import nbformat
    from nbclient import NotebookClient

    path, spec, local_spec = sys.argv[1], sys.argv[2], sys.argv[3]
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code" and c.source.strip())
    assert spec in first.source, f"{path}: the first code cell does not install {spec!r}"
    first.source = first.source.replace(spec, local_spec)
    # What Colab's runtime looks like to the notebook: google.colab is imported.
    marker = nbformat.v4.new_code_cell(
        "import sys, types\\nsys.modules.setdefault('google.colab', types.ModuleType('google.colab'))"
    )
    nb.cells.insert(0, marker)
    t0 = time.time()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
    print(json.dumps({"seconds": time.time() - t0}))
    """
)


def _venv_key() -> str:
    h = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    h.update(" ".join(COLAB_PREINSTALLED).encode())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def _colab_venv(tmp_root: Path) -> Path:
    """A venv with Colab's preinstalled packages, cached under /tmp by a hash of pyproject.toml."""
    venv = tmp_root / f"course_colab_venv_{_venv_key()}"
    py = venv / "bin" / "python"
    if (venv / ".ready").is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # torch first, pinned, so nothing can pull a CUDA build; then the rest of Colab's stack.
    subprocess.run([str(py), "-m", "pip", "install", "-q", COLAB_PREINSTALLED[0]], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *COLAB_PREINSTALLED], check=True)
    subprocess.run(
        [str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
        check=True,
        capture_output=True,
    )
    (venv / ".ready").write_text("ok\n")
    return venv


def _versions(py: Path) -> str:
    code = "import torch, ipywidgets; print(torch.__version__, ipywidgets.__version__)"
    return subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.skipif(
    os.environ.get("COURSE_COLAB_SIM") != "1", reason="slow: run by `make colab` (COURSE_COLAB_SIM=1)"
)
def test_colab_simulation(tmp_path: Path) -> None:
    t_start = time.time()
    venv = _colab_venv(Path(os.environ.get("COURSE_COLAB_VENV_DIR", "/tmp")))
    py = venv / "bin" / "python"
    # A clean slate for the library: the first cell must install it.
    subprocess.run([str(py), "-m", "pip", "uninstall", "-q", "-y", "course_lib"], capture_output=True)
    for tool in ("jupyter_book", "sphinx", "jupytext", "nbval", "librosa", "course_lib"):
        found = (
            subprocess.run([str(py), "-c", f"import {tool}"], capture_output=True, cwd=tmp_path).returncode
            == 0
        )
        assert not found, f"the Colab venv must not have {tool} before the first cell runs"
    before = _versions(py)
    # What `git+...@tag` would fetch: the tracked package files, copied (pip builds in the copy).
    src = tmp_path / "course_src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "course_lib", src / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    local_spec = f"course_lib @ {src.as_uri()}"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER"))}
    # No internet here. What the library downloads on Colab is provided locally instead and
    # verified by hash just the same: checkpoints and result tables (fetched from the repository
    # into the user cache) are put in the cache, and the offline FSDD copy stands in for the
    # GitHub release.
    cache = tmp_path / "cache"
    (cache / "checkpoints").mkdir(parents=True)
    for ckpt in sorted((ROOT / "benchmarks" / "checkpoints").glob("*")):
        if ckpt.is_file():  # where course_lib.checkpoints.fetch puts a download
            shutil.copy2(ckpt, cache / "checkpoints" / ckpt.name)
    # likewise the committed benchmark tables the pages display (course_lib.utils.committed_result)
    shutil.copytree(ROOT / "benchmarks" / "results", cache / "results")
    env.update(
        TQDM_DISABLE="1",
        COURSE_CACHE=str(cache),
        COURSE_DATA=str(ROOT.parent / "shared" / "data"),
        PATH=f"{venv / 'bin'}:{env.get('PATH', '')}",
    )
    timings: list[str] = []
    failures: list[str] = []

    def run(nb: Path) -> None:
        t0 = time.time()
        rel = nb.relative_to(ROOT)
        try:
            proc = subprocess.run(
                [str(py), str(driver), str(nb), COLAB_INSTALL_SPEC, local_spec],
                capture_output=True,
                text=True,
                env=env,
                timeout=900,
            )
        except subprocess.TimeoutExpired:
            failures.append(f"{rel} still running after 900 s on simulated Colab")
            return
        timings.append(f"{rel}: {time.time() - t0:.0f} s")
        if proc.returncode != 0:
            failures.append(f"{rel} failed on simulated Colab:\n{proc.stdout[-1500:]}\n{proc.stderr[-3000:]}")

    first, *rest = colab_notebooks()
    run(first)  # installs course_lib; the other first cells then find it installed, as on Colab
    with ThreadPoolExecutor(max_workers=2) as pool:  # the CI machine has 2 cores
        list(pool.map(run, rest))
    print("\n".join(timings), f"\ntotal {time.time() - t_start:.0f} s")
    assert not failures, "\n\n".join(failures)
    assert _versions(py) == before, (
        f"installing course_lib changed torch/ipywidgets: {before} -> {_versions(py)}"
    )
    installed = subprocess.run(
        [str(py), "-c", "import course_lib, pathlib; print(pathlib.Path(course_lib.__file__).parent)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert "site-packages" in installed, f"the notebooks must use the installed library, not {installed}"
