"""Colab, as a student meets it: the release pin, the first cell, the launch links, and a simulated Colab run.

- **The release** (``course_lib/release.py``) is the one place of the version and the
  repository; every copy elsewhere is derived from it or checked here: ``course_lib.__version__``,
  the package versions, ``repository.url`` in ``_config.yml``, the checkpoint and result URLs
  (pinned to the tag), the teacher's guide's links and install lines, and ``make release-check``.
- Every notebook of the book (``_toc.yml``) and every assignment starts with the install cell:
  ``course_lib`` pinned to :data:`course_lib.release.INSTALL_SPEC` (the tag ``v<version>``),
  only when ``"google.colab" in sys.modules``, never naming torch or ipywidgets.
- The "launch on Colab" URL of every notebook page, built the way sphinx-book-theme builds it
  from ``_config.yml``, points at a notebook that exists in the repository.
- ``test_colab_simulation`` (slow: ``make colab`` runs it with ``COURSE_COLAB_SIM=1``) builds a
  venv like Colab's in this clone (``.venv-colab``, git-ignored, so that runs in two clones never
  meet): Colab's Python when this machine has it and a CPU torch wheel exists for it (see
  :func:`colab_python`), the CPU build of torch first, then Colab's preinstalled releases
  (:data:`COLAB_PREINSTALLED`). The library is built once from a copy of this checkout, as pip
  builds the tag's source on Colab, and every notebook of ``_toc.yml`` then runs with
  ``google.colab`` marked as imported, its first cell installing that build. Everything the
  library downloads comes over HTTP from a local server holding the same files (the FSDD release
  archive, the checkpoints and result tables of ``benchmarks/``), into an empty cache, checked
  by hash; a wrong and a truncated checkpoint, served on purpose, must be refused.
  Not every notebook runs to the end: all 18 to the end (``COLAB_FULL=1``) took 14.2 min on
  the 2-core machine (``rnn_gan/02`` alone 6.4 min), more than the 8 min this step may take.
  The setup notebook and the fastest notebook of every chapter run to the end; every other
  notebook runs its install cell, its imports (the cells up to the one that imports
  ``course_lib``, which in several chapters also loads the data) and then every download it
  makes (``load_fsdd``, ``committed_result``, ``checkpoints.load``, ``pretrained_*`` called with
  constant arguments). ``make colab COLAB_FULL=1`` runs every notebook to the end. The step
  prints its timings; on the 2-core machine, shared with other work, it took 4.0 min with the
  venv already built; the first build of the venv adds about 3 min (mostly downloads).
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import functools
import hashlib
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import yaml

import course_lib
import tools
from course_lib import release
from tools.assignments import (
    COLAB_INSTALL_SPEC,
    COURSE_REPOSITORY,
    PINNED_PAGES,
    colab_install_cell,
    pin_colab,
)

ROOT = Path(__file__).resolve().parents[1]
#: Colab's runtime as Google publishes it (``os-info.txt`` and ``pip-freeze.txt`` of the
#: repository googlecolab/backend-info, 2026-08-19): Python 3.13 and these preinstalled
#: releases of what the course imports. The one exception is torch: Colab's CPU runtime has
#: torch 2.11.0+cpu; the simulation installs :data:`COLAB_TORCH` (the CPU build this
#: machine can install), first and alone, so that nothing can pull a CUDA build.
COLAB_PYTHON = "3.13"
COLAB_TORCH = "torch==2.13.0"
COLAB_PREINSTALLED = [
    "numpy==2.1.3",
    "scipy==1.16.3",
    "matplotlib==3.10.0",
    "scikit-learn==1.6.1",
    "soundfile==0.14.0",
    "ipywidgets==7.7.1",
    "pandas==2.2.3",
    "tqdm==4.67.3",
    "ipykernel==6.17.1",
    "nbclient==0.10.4",
    "nbformat==5.11.1",
]
#: Folders under chapters/ and toc parts that hold no chapter (the Colab simulation skips them).
NOT_CHAPTERS = {"appendix"}
NOT_CHAPTER_PARTS = {"Getting started", "Back matter"}
FORBIDDEN_IN_INSTALL = ("torch", "ipywidgets", "--upgrade", "-U", "--force-reinstall")


# ---------------------------------------------------------------------------------------
# The release: one place, every copy derived or checked
# ---------------------------------------------------------------------------------------


def test_release_is_the_one_place_of_the_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", release.VERSION) and release.TAG == f"v{release.VERSION}"
    assert course_lib.__version__ == release.VERSION
    assert tools.__version__ == release.VERSION, (
        "tools/__init__.py: set __version__ to course_lib/release.py's"
    )
    for toml, attr in [
        ("pyproject.toml", "course_lib.release.VERSION"),
        ("tools/pyproject.toml", "tools.__version__"),
    ]:
        text = (ROOT / toml).read_text(encoding="utf-8")
        assert re.search(r'^dynamic = \["version"\]$', text, flags=re.M), f"{toml}: the version is dynamic"
        assert re.search(rf'^version = {{ attr = "{re.escape(attr)}" }}', text, flags=re.M), f"{toml}: {attr}"
        assert not re.search(r"^version\s*=\s*\"", text, flags=re.M), f"{toml}: no literal version"


def test_release_specs_and_urls_are_made_from_the_repository_and_tag(monkeypatch) -> None:
    monkeypatch.delenv(release.MIRROR_ENV, raising=False)
    repo, tag = release.REPOSITORY, release.TAG
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo)
    assert COURSE_REPOSITORY == repo and COLAB_INSTALL_SPEC == release.INSTALL_SPEC
    assert release.INSTALL_SPEC == f"course_lib @ git+{repo}@{tag}"
    assert release.TOOLS_INSTALL_SPEC == f"course-tools @ git+{repo}@{tag}#subdirectory=tools"
    assert release.file_url("benchmarks/results/x.csv") == (
        f"https://raw.githubusercontent.com/{release.SLUG}/{tag}/benchmarks/results/x.csv"
    )
    assert (
        release.colab_url("a/b.ipynb")
        == f"https://colab.research.google.com/github/{release.SLUG}/blob/{tag}/a/b.ipynb"
    )


def test_teachers_guide_links_and_install_lines_follow_the_release() -> None:
    for page in PINNED_PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        links = re.findall(r"https://colab\.research\.google\.com/github/[^)\s>]+", text)
        assert links, f"{page} should link the student notebooks on Colab"
        for link in links:
            path = link.split("/blob/", 1)[1].split("/", 1)[1]
            assert link == release.colab_url(path), f"{page}: {link} is not {release.colab_url(path)}"
        assert release.INSTALL_SPEC in text and release.TOOLS_INSTALL_SPEC in text, page
        assert pin_colab([ROOT / page], check=True) == [], f"{page}: run `make pin-colab`"


def test_pin_colab_points_stale_links_and_lines_at_the_tag(tmp_path: Path) -> None:
    old = f"{release.REPOSITORY}@v0.0.1"
    page = tmp_path / "guide.md"
    page.write_text(
        f"[nb](https://colab.research.google.com/github/{release.SLUG}/blob/main/a/b.ipynb)\n"
        f'`pip install "course_lib @ git+{old}" "course-tools @ git+{old}#subdirectory=tools"`\n'
    )
    assert pin_colab([page]) == [page]
    assert page.read_text() == (
        f"[nb]({release.colab_url('a/b.ipynb')})\n"
        f'`pip install "{release.INSTALL_SPEC}" "{release.TOOLS_INSTALL_SPEC}"`\n'
    )
    assert pin_colab([page], check=True) == []


def _release_check(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "make",
            "-s",
            "-f",
            str(ROOT / "Makefile"),
            "release-check",
            f"PY={sys.executable}",
            "RELEASE_PIN_CHECK=true",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )


@pytest.mark.skipif(not (shutil.which("make") and shutil.which("git")), reason="needs make and git")
def test_release_check_needs_the_tag_on_head(tmp_path: Path) -> None:
    """``make release-check`` in a small repository of its own (version 9.8.7): it fails, saying
    how to create the tag, until ``v9.8.7`` is on HEAD; it never creates or moves a tag."""
    (tmp_path / "course_lib").mkdir()
    text = (ROOT / "course_lib" / "release.py").read_text(encoding="utf-8")
    (tmp_path / "course_lib" / "release.py").write_text(
        re.sub(r'VERSION = "[^"]+"', 'VERSION = "9.8.7"', text)
    )
    (tmp_path / "course_lib" / "__init__.py").write_text("")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for cmd in (
        ["init", "-q"],
        ["add", "."],
        ["commit", "-qm", "one"],
        ["commit", "-q", "--allow-empty", "-m", "two"],
    ):
        subprocess.run(git + cmd, cwd=tmp_path, check=True, capture_output=True)
    missing = _release_check(tmp_path)
    assert missing.returncode != 0 and "tag v9.8.7 does not exist" in missing.stdout, missing
    assert "git tag -a v9.8.7" in missing.stdout
    assert subprocess.run(["git", "tag"], cwd=tmp_path, capture_output=True, text=True).stdout == ""
    subprocess.run(git + ["tag", "v9.8.7", "HEAD~1"], cwd=tmp_path, check=True)
    elsewhere = _release_check(tmp_path)
    assert elsewhere.returncode != 0 and "not at HEAD" in elsewhere.stdout, elsewhere
    subprocess.run(git + ["tag", "-f", "v9.8.7", "HEAD"], cwd=tmp_path, check=True, capture_output=True)
    assert _release_check(tmp_path).returncode == 0
    (tmp_path / "course_lib" / "__init__.py").write_text("# changed\n")
    dirty = _release_check(tmp_path)
    assert dirty.returncode != 0 and "uncommitted changes" in dirty.stdout, dirty


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
    assert pin == f"v{course_lib.__version__}", f"install from the tag of course_lib.__version__, not {pin!r}"


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


def full_run_notebooks(root: Path = ROOT) -> list[Path]:
    """The setup notebook, then the fastest notebook (by committed run time) of every other part."""
    chosen = [root / "chapters/setup/working_with_the_course.ipynb"]
    for caption, nbs in toc_parts(root).items():
        nbs = [nb for nb in nbs if nb.parent.name not in NOT_CHAPTERS and nb not in chosen]
        if nbs and caption not in NOT_CHAPTER_PARTS:
            chosen.append(min(nbs, key=committed_seconds))
    return chosen


def _code_cells(nb: dict) -> list[str]:
    return [
        c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]


def _imports_course_lib(src: str) -> bool:
    return bool(re.search(r"^\s*(from course_lib[\s.]|import course_lib)", src, flags=re.M))


def _is_download(call: ast.Call) -> bool:
    """A call of the library's download entry points with constant arguments only."""
    name = ast.unparse(call.func)
    entry = name.rsplit(".", 1)[-1] in {"load_fsdd", "find_fsdd", "committed_result"}
    entry = entry or name.rsplit(".", 1)[-1].startswith("pretrained_")
    entry = entry or name in {"checkpoints.load", "checkpoints.fetch"}
    try:
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            ast.literal_eval(arg)
    except ValueError:
        return False
    return entry


def download_calls(nb_path: Path) -> list[str]:
    """Every download a notebook makes with constant arguments, as source, in order, once each."""
    calls: list[str] = []
    for src in _code_cells(json.loads(nb_path.read_text(encoding="utf-8"))):
        try:
            tree = ast.parse(src)
        except SyntaxError:  # a cell with IPython magics
            continue
        calls += [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_download(n)]
    return list(dict.fromkeys(calls))


def test_download_calls_and_the_first_cells_of_every_notebook() -> None:
    """What a notebook not run to the end runs: the cells up to its course_lib imports, and downloads."""
    for nb in toc_notebooks():
        cells = _code_cells(json.loads(nb.read_text(encoding="utf-8")))
        assert any(_imports_course_lib(c) for c in cells[1:]) or "appendix" in nb.parts, nb
    calls = download_calls(ROOT / "chapters/audio/04_restoration.ipynb")
    assert "load_fsdd('test')" in calls and "committed_result('restoration_denoise.csv')" in calls
    assert "load_fsdd('train', speakers=['george'])" in calls
    assert not any("f'" in c or 'f"' in c for c in calls), "f-strings are not constant arguments"


DRIVER = textwrap.dedent(
    """
    import json, pathlib, sys, time
    import nbformat
    from nbclient import NotebookClient

    job = json.loads(pathlib.Path(sys.argv[1]).read_text())
    nb = nbformat.read(job["path"], as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    first = code[0]
    assert job["spec"] in first.source, f"{job['path']}: the first code cell does not install {job['spec']!r}"
    # Each Colab notebook has a runtime of its own; here two share one venv, so their installs
    # take turns (two pips replacing one package at once break each other).
    first.source = (
        f"import fcntl\\n_lock = open({job['install_lock']!r}, 'w')\\nfcntl.flock(_lock, fcntl.LOCK_EX)\\n"
        + first.source.replace(job["spec"], job["local_spec"])
        + "\\nfcntl.flock(_lock, fcntl.LOCK_UN)"
    )
    if not job["full"]:  # the install cell, the cells up to the course_lib imports, then the downloads
        last = next(i for i, c in enumerate(code) if i and job["imports_marker"] in c.source)
        nb.cells = code[: last + 1] + [nbformat.v4.new_code_cell(job["probe"])]
    # What Colab's runtime looks like to the notebook: google.colab is imported.
    marker = nbformat.v4.new_code_cell(
        "import sys, types\\nsys.modules.setdefault('google.colab', types.ModuleType('google.colab'))"
    )
    nb.cells.insert(0, marker)
    t0 = time.time()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(pathlib.Path(job["path"]).parent)}}).execute()
    print(json.dumps({"seconds": time.time() - t0}))
    """
)

#: Run in the Colab venv after the setup notebook: every registered checkpoint through the
#: installed library's download path (into the empty cache, hash-checked), and a wrong and a
#: short file, served on purpose, refused with nothing left in a second cache.
CHECKPOINT_PROBE = textwrap.dedent(
    """
    import os, pathlib, sys
    from course_lib import checkpoints as C
    assert "site-packages" in C.__file__, C.__file__
    for name in sorted(C.REGISTRY):
        C.load(name)
    print(f"{len(C.REGISTRY)} checkpoints downloaded and verified")
    bad_cache = pathlib.Path(sys.argv[1])
    os.environ["COURSE_CACHE"] = str(bad_cache)
    C.PUBLISHED_URL = sys.argv[2]
    for name in sys.argv[3:]:
        try:
            C.fetch(name)
        except ValueError as err:
            assert "SHA-256" in str(err), err
        else:
            raise AssertionError(f"a corrupt {name} was accepted")
    left = [p for p in bad_cache.rglob("*") if p.is_file()]
    assert not left, f"a refused download left {left}"
    """
)


@functools.cache
def _pyenv_roots() -> list[Path]:
    roots = [Path.home() / ".pyenv"]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        roots.insert(0, Path(out))
    return roots


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path.parents[1].name))


def _cpu_torch_for(python_version: str) -> bool:
    """Whether pip here resolves ``COLAB_TORCH`` for that Python to a CPU build (metadata only:
    a build that asks for ``nvidia-*`` packages is the CUDA one, gigabytes, never installed)."""
    with (
        tempfile.TemporaryDirectory() as target,
        contextlib.suppress(subprocess.SubprocessError, OSError, ValueError, KeyError, IndexError),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-deps",
             "--only-binary=:all:", "--python-version", python_version, "--target", target, "--report", "-",
             COLAB_TORCH, *shlex.split(os.environ.get("TORCH_PIP_ARGS", ""))],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        requires = json.loads(proc.stdout)["install"][0]["metadata"].get("requires_dist", [])
        return not any(r.startswith("nvidia-") for r in requires)
    return False


def colab_python() -> tuple[str, str]:
    """The interpreter of the simulation and why: Colab's Python (``COLAB_PYTHON``) from pyenv
    (``pyenv root``, ``~/.pyenv``) or ``$COURSE_COLAB_PYTHON`` when it is here and a CPU torch
    wheel exists for it (``TORCH_PIP_ARGS`` may name an index that has one); otherwise the
    Python running the tests, which ``make setup`` gave a CPU torch."""
    if os.environ.get("COURSE_COLAB_PYTHON"):
        return os.environ["COURSE_COLAB_PYTHON"], "COURSE_COLAB_PYTHON"
    found = sorted(
        (
            p
            for root in _pyenv_roots()
            for p in root.glob(f"versions/{COLAB_PYTHON}*/bin/python{COLAB_PYTHON}")
        ),
        key=_version_key,
    )
    on_path = shutil.which(f"python{COLAB_PYTHON}")
    candidates = [str(p) for p in found[-1:]] + ([on_path] if on_path else [])
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if not candidates:
        return sys.executable, f"Python {COLAB_PYTHON} not found (pyenv or PATH); simulating on {here}"
    if not _cpu_torch_for(COLAB_PYTHON):
        return sys.executable, (
            f"{candidates[0]} is here, but pip finds no CPU build of {COLAB_TORCH} for Python {COLAB_PYTHON} "
            f"(only the CUDA one, never installed here); simulating on {here}. Where an index has one: "
            "make colab TORCH_PIP_ARGS='--index-url <CPU wheel index>'"
        )
    return candidates[0], f"Colab's Python {COLAB_PYTHON}"


def _venv_key(python: str) -> str:
    h = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    for part in (COLAB_TORCH, *COLAB_PREINSTALLED, os.environ.get("TORCH_PIP_ARGS", ""), python):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]


def _colab_venv(venv: Path, python: str) -> Path:
    """A venv with Colab's preinstalled packages in ``venv``, rebuilt when its key changes."""
    key = _venv_key(python)
    py = venv / "bin" / "python"
    if (venv / ".colab-key").is_file() and (venv / ".colab-key").read_text().strip() == key:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(py), "-m", "pip", "install", "-q"]
    # torch first, pinned and alone, so nothing can pull a CUDA build; then the rest, with torch held.
    subprocess.run([*pip, COLAB_TORCH, *shlex.split(os.environ.get("TORCH_PIP_ARGS", ""))], check=True)
    (venv / "torch-pin.txt").write_text(COLAB_TORCH + "\n")
    subprocess.run([*pip, "-c", str(venv / "torch-pin.txt"), *COLAB_PREINSTALLED], check=True)
    subprocess.run(
        [str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
        check=True,
        capture_output=True,
    )
    (venv / ".colab-key").write_text(key + "\n")
    return venv


def _pinned_versions(py: Path) -> dict[str, str]:
    names = [r.split("==")[0].lower() for r in (COLAB_TORCH, *COLAB_PREINSTALLED)]
    freeze = subprocess.run(
        [str(py), "-m", "pip", "freeze"], capture_output=True, text=True, check=True
    ).stdout
    return {
        n.lower(): v
        for n, v in (line.split("==", 1) for line in freeze.splitlines() if "==" in line)
        if n.lower() in names
    }


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt: str, *args: object) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``folder`` over HTTP on 127.0.0.1; yields its URL and the list of requested paths."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _published_copy(tmp: Path) -> Path:
    """What the library downloads on Colab, laid out as the repository at the tag, plus corrupt copies."""
    site = tmp / "published"
    (site / "fsdd").mkdir(parents=True)
    (site / "benchmarks").symlink_to(ROOT / "benchmarks", target_is_directory=True)
    archive = ROOT.parent / "shared" / "data" / "free-spoken-digit-dataset-v1.0.10.tar.gz"
    (site / "fsdd" / archive.name).symlink_to(archive)
    broken = site / "broken" / "benchmarks" / "checkpoints"
    broken.mkdir(parents=True)
    files = sorted((ROOT / "benchmarks" / "checkpoints").glob("*.pt"))[:2]
    broken.joinpath(files[0].name).write_bytes(b"<html>not a checkpoint</html>")  # a wrong file
    broken.joinpath(files[1].name).write_bytes(
        files[1].read_bytes()[: files[1].stat().st_size // 2]
    )  # cut short
    return site


@pytest.mark.skipif(
    os.environ.get("COURSE_COLAB_SIM") != "1", reason="slow: run by `make colab` (COURSE_COLAB_SIM=1)"
)
def test_colab_simulation(tmp_path: Path) -> None:
    t_start = time.time()
    venv = ROOT / os.environ.get("COURSE_COLAB_VENV", ".venv-colab")
    lock = open(f"{venv}.lock", "w")  # two runs in one clone wait for each other
    fcntl.flock(lock, fcntl.LOCK_EX)
    python, why = colab_python()
    py = _colab_venv(venv, python) / "bin" / "python"
    version = subprocess.run([str(py), "-V"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"\nColab venv {venv.relative_to(ROOT)}, {version}, ready in {time.time() - t_start:.0f} s: {why}")
    # A clean slate for the library: the first cell must install it.
    subprocess.run([str(py), "-m", "pip", "uninstall", "-q", "-y", "course_lib"], capture_output=True)
    for tool in ("jupyter_book", "sphinx", "jupytext", "nbval", "librosa", "course_lib"):
        found = (
            subprocess.run([str(py), "-c", f"import {tool}"], capture_output=True, cwd=tmp_path).returncode
            == 0
        )
        assert not found, f"the Colab venv must not have {tool} before the first cell runs"
    before = _pinned_versions(py)
    # What `git+...@tag` would fetch: the tracked package files, copied (pip builds in the copy).
    src = tmp_path / "course_src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "course_lib", src / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    # Built once, as pip builds the tag's source on Colab; every first cell then installs the wheel.
    subprocess.run(
        [str(py), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheel"), str(src)],
        check=True,
    )
    (wheel,) = (tmp_path / "wheel").glob("course_lib-*.whl")
    assert wheel.name == f"course_lib-{release.VERSION}-py3-none-any.whl", wheel.name
    local_spec = f"course_lib @ {wheel.as_uri()}"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER", "COURSE_"))  # no COURSE_DATA: download
    }
    cache = tmp_path / "cache"  # empty: everything the notebooks need is downloaded into it
    site = _published_copy(tmp_path)
    full = full_run_notebooks()
    if os.environ.get("COURSE_COLAB_FULL"):
        full = toc_notebooks()
    timings: list[str] = []
    failures: list[str] = []

    def run(nb: Path) -> None:
        t0 = time.time()
        rel = nb.relative_to(ROOT)
        imports = (
            "from course_lib" if "from course_lib" in nb.read_text(encoding="utf-8") else "import course_lib"
        )
        probe = "\n".join(
            ["from course_lib import checkpoints", "from course_lib.checkpoints import committed_result",
             "from course_lib.data import find_fsdd, load_fsdd", *download_calls(nb)]
        )  # fmt: skip
        job = {
            "path": str(nb),
            "spec": COLAB_INSTALL_SPEC,
            "local_spec": local_spec,
            "install_lock": str(tmp_path / "pip.lock"),
            "full": nb in full,
            "imports_marker": imports,
            "probe": probe,
        }
        job_file = tmp_path / f"job-{rel.stem}-{rel.parent.name}.json"
        job_file.write_text(json.dumps(job))
        try:
            proc = subprocess.run(
                [str(py), str(driver), str(job_file)], capture_output=True, text=True, env=env, timeout=900
            )
        except subprocess.TimeoutExpired:
            failures.append(f"{rel} still running after 900 s on simulated Colab")
            return
        timings.append(
            f"{rel}: {time.time() - t0:.0f} s ({'to the end' if nb in full else 'first cells, downloads'})"
        )
        if proc.returncode != 0:
            failures.append(f"{rel} failed on simulated Colab:\n{proc.stdout[-1500:]}\n{proc.stderr[-3000:]}")

    with _serve(site) as (url, requests):
        env.update(
            TQDM_DISABLE="1",
            COURSE_CACHE=str(cache),
            COURSE_MIRROR_URL=f"{url}/",
            COURSE_FSDD_URL=f"{url}/fsdd/free-spoken-digit-dataset-v1.0.10.tar.gz",
            PATH=f"{venv / 'bin'}:{env.get('PATH', '')}",
        )
        first, *rest = toc_notebooks()
        run(first)  # installs course_lib and downloads FSDD; the others then find both, as on Colab
        assert not failures, failures[0]
        broken = [p.stem for p in sorted((site / "broken/benchmarks/checkpoints").iterdir())]
        probe = subprocess.run(
            [str(py), "-c", CHECKPOINT_PROBE, str(tmp_path / "bad"), f"{url}/broken/benchmarks/", *broken],
            capture_output=True, text=True, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert probe.returncode == 0, probe.stdout + probe.stderr
        print(probe.stdout.strip())
        with ThreadPoolExecutor(max_workers=2) as pool:  # the CI machine has 2 cores
            list(pool.map(run, rest))
    print("\n".join(timings), f"\ntotal {time.time() - t_start:.0f} s")
    assert not failures, "\n\n".join(failures)
    fsdd = [r for r in requests if r.startswith("/fsdd/")]
    assert len(fsdd) == 1, f"FSDD should be downloaded once, then found in the cache: {fsdd}"
    assert any(r.startswith("/benchmarks/results/") for r in requests), "no result table was downloaded"
    registered = json.loads((ROOT / "course_lib" / "checkpoints.json").read_text())
    got = {r.rsplit("/", 1)[1] for r in requests if r.startswith("/benchmarks/checkpoints/")}
    assert got == {e["file"] for e in registered.values()}, "every checkpoint comes over the download path"
    assert _pinned_versions(py) == before, (
        f"installing course_lib changed Colab's preinstalled packages: {before} -> {_pinned_versions(py)}"
    )
    installed = subprocess.run(
        [str(py), "-c", "import course_lib, pathlib; print(pathlib.Path(course_lib.__file__).parent)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert "site-packages" in installed, f"the notebooks must use the installed library, not {installed}"
