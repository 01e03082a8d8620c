"""The committed artefacts: one registry of checkpoints, and one way to save, find, verify and load.

Chapters: all

A checkpoint is a ``torch.save`` of plain containers, ``{"config": dict, "state_dict": dict,
"meta": dict}``, so it loads with ``torch.load(..., weights_only=True)``, which refuses
pickled code. The registry ``checkpoints.json`` beside this file maps each name (the file
name without ``.pt``) to its file and SHA-256; it is written by a command, never by hand::

    python -m course_lib.checkpoints update   # after a benchmark saved new files
    python -m course_lib.checkpoints check    # every registered file is present and intact

A file is found in the repository (``benchmarks/checkpoints/``), then in the user cache,
and otherwise downloaded into the cache from the repository at the library's release tag
(:func:`course_lib.release.file_url`; ``$COURSE_MIRROR_URL`` names another copy): to a
temporary file that is moved into place only when its hash matches, so a failed download
never replaces a good file. Committed result tables (``benchmarks/results/``) resolve the same way.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import torch

from course_lib.release import file_url
from course_lib.utils import cache_dir, download, sha256_file

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT_DIR = REPO_ROOT / "benchmarks" / "checkpoints"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
#: Where a pip-installed library (e.g. on Colab) downloads committed files from: the release tag.
PUBLISHED_URL = file_url("benchmarks/")
REGISTRY_FILE = Path(__file__).with_name("checkpoints.json")
#: ``{name: (file, sha256)}`` of every committed checkpoint (read from ``checkpoints.json``).
REGISTRY: dict[str, tuple[str, str]] = {
    k: (v["file"], v["sha256"]) for k, v in json.loads(REGISTRY_FILE.read_text()).items()
}


def _plain(x: Any) -> Any:
    """Dataclasses to dicts and tuples to lists, recursively: what ``weights_only`` accepts."""
    if is_dataclass(x) and not isinstance(x, type):
        x = asdict(x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def save(model: torch.nn.Module, path: str | Path, *, config: Any = None, **meta: Any) -> str:
    """Save a model's weights with its config and metadata as plain containers.

    Args:
        model: the trained model (its ``state_dict`` is moved to the CPU).
        path: destination ``.pt`` file (folders are created).
        config: the model's config (a dataclass or dict; default ``model.cfg`` if it has one).
        **meta: anything plain to keep beside it (training steps, scores, the command...).

    Returns:
        the file's SHA-256 (register it with ``python -m course_lib.checkpoints update``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = getattr(model, "cfg", None) if config is None else config
    blob = {
        "config": _plain(config) if config is not None else {},
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": _plain(meta),
    }
    torch.save(blob, path)
    return sha256_file(path)


def verify(path: str | Path, sha256: str) -> Path:
    """Check that a file exists and has the expected SHA-256.

    Args:
        path: the file.
        sha256: the expected hex digest.

    Returns:
        the path.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file's hash differs (truncated, corrupt or stale); the file is left as it is.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    digest = sha256_file(path)
    if digest != sha256:
        raise ValueError(
            f"{path} has SHA-256 {digest}, expected {sha256}: the file is corrupt or not the one this "
            "version of the course was built with; delete it to download it again, or rebuild it with "
            "the benchmark script named in its chapter"
        )
    return path


def _find_or_fetch(file: str, local_dir: Path, cached_dir: Path, url: str, sha256: str | None) -> Path:
    """``local_dir/file``, else ``cached_dir/file``, else a download of ``url + file`` into the cache."""
    for path in (local_dir / file, cached_dir / file):
        if path.is_file():
            return path
    try:
        return download(url + file, cached_dir / file, sha256=sha256)
    except OSError as err:
        raise FileNotFoundError(
            f"{file} is neither in {local_dir} nor in {cached_dir}, and the download from {url + file} "
            f"failed ({err}); clone the repository or run the benchmark script named in its chapter"
        ) from err


def _entry(name: str) -> tuple[str, str]:
    if name not in REGISTRY:
        raise KeyError(f"no committed checkpoint {name!r}; registered: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def fetch(name: str) -> Path:
    """Path of a registered checkpoint: the repository's copy, the cached one, or a download.

    Args:
        name: a registry name, e.g. ``"wavenet_digits"``.

    Returns:
        a local path (its hash is checked by :func:`load`).

    Raises:
        KeyError: unknown name, listing the registered ones.
        FileNotFoundError: not found locally and the download failed.
        ValueError: the downloaded file's hash is wrong (nothing is kept).
    """
    file, digest = _entry(name)
    return _find_or_fetch(
        file, CHECKPOINT_DIR, cache_dir() / "checkpoints", PUBLISHED_URL + "checkpoints/", digest
    )


def load(name_or_path: str | Path, *, sha256: str | None = None, map_location: Any = "cpu") -> dict:
    """Load a checkpoint after checking its hash, with ``torch.load(..., weights_only=True)``.

    Args:
        name_or_path: a registry name (found with :func:`fetch`, checked against the registry),
            or the path of a file you saved yourself.
        sha256: expected digest for a path (``None``: not checked; ignored for a name).
        map_location: where the tensors go.

    Returns:
        the saved dict, usually ``{"config", "state_dict", "meta"}``.

    Raises:
        KeyError: unknown registry name. FileNotFoundError: missing file. ValueError: wrong hash.
    """
    if isinstance(name_or_path, str) and name_or_path in REGISTRY:
        path = verify(fetch(name_or_path), REGISTRY[name_or_path][1])
    elif isinstance(name_or_path, Path) or str(name_or_path).endswith(".pt"):
        path = verify(name_or_path, sha256) if sha256 else Path(name_or_path)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint at {path}")
    else:
        _entry(str(name_or_path))  # raises KeyError with the registered names
    return torch.load(path, map_location=map_location, weights_only=True)


def register(folder: str | Path = CHECKPOINT_DIR, registry_file: str | Path = REGISTRY_FILE) -> dict:
    """Rewrite the registry from the ``.pt`` files in ``folder`` (their names and hashes).

    Args:
        folder: the checkpoints folder.
        registry_file: the JSON registry to write.

    Returns:
        the new registry as ``{name: {"file", "sha256", "bytes"}}``.
    """
    entries = {
        p.stem: {"file": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(Path(folder).glob("*.pt"))
    }
    Path(registry_file).write_text(json.dumps(entries, indent=2) + "\n")
    return entries


def committed_result(name: str) -> Path:
    """Path of a committed benchmark table (``benchmarks/results/<name>``), found or fetched.

    Args:
        name: file name, e.g. ``"codec_rd.csv"``.

    Returns:
        a local path.

    Raises:
        FileNotFoundError: not in the repository or the cache, and the download failed.
    """
    return _find_or_fetch(name, RESULTS_DIR, cache_dir() / "results", PUBLISHED_URL + "results/", None)


def _main(argv: list[str] | None = None) -> int:
    """Command line: ``update`` rewrites the registry, ``check`` verifies every file."""
    parser = argparse.ArgumentParser(prog="python -m course_lib.checkpoints", description=__doc__)
    parser.add_argument("command", choices=["update", "check"])
    args = parser.parse_args(argv)
    if args.command == "update":
        for name, e in register().items():
            print(f"{name:32s} {e['sha256']}  {e['bytes']:>9,d} bytes")
        return 0
    for name, (file, digest) in sorted(REGISTRY.items()):
        verify(CHECKPOINT_DIR / file, digest)
        print(f"ok  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
