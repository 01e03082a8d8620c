"""Small utilities every chapter uses: seeding, device choice, parameter counts, timing,
and hash-checked checkpoint loading."""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    "set_seed",
    "get_device",
    "count_parameters",
    "Timer",
    "sha256_file",
    "load_verified",
    "cache_dir",
    "committed_checkpoint",
    "committed_result",
]


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (all devices).

    Notebooks call this once at the top. Library functions never touch global
    state: they take an explicit ``seed`` or ``torch.Generator`` argument instead.

    Raises:
        TypeError: if ``seed`` is not an int.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CPU, CUDA and MPS generators
    os.environ["PYTHONHASHSEED"] = str(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then CPU.

    Args:
        prefer: force a device ("cpu", "cuda", "mps"); the ``COURSE_DEVICE``
            environment variable does the same without editing code.

    Raises:
        ValueError: if the requested device is not available here.
    """
    name = prefer or os.environ.get("COURSE_DEVICE")
    if name:
        dev = torch.device(name)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("CUDA was requested but torch.cuda.is_available() is False")
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError("MPS was requested but torch.backends.mps.is_available() is False")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def count_parameters(model: torch.nn.Module, *, trainable_only: bool = True) -> int:
    """Number of (trainable) scalar parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@dataclass
class Timer:
    """Wall-clock timer, usable as a context manager.

    >>> with Timer() as t:
    ...     _ = sum(range(1000))
    >>> t.seconds >= 0
    True
    """

    start: float = field(default=0.0, init=False)
    seconds: float = field(default=0.0, init=False)

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start

    def __str__(self) -> str:
        return f"{self.seconds:.2f} s"


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_verified(
    path: str | Path, sha256: str | None, *, map_location: torch.device | str = "cpu", remedy: str = ""
) -> Any:
    """Check a checkpoint's SHA-256, then ``torch.load(path, weights_only=True)``.

    ``weights_only=True`` refuses pickled code, so only tensors and plain containers come back;
    the hash check catches a truncated, corrupt or stale file before it is read.

    Args:
        path: the checkpoint file.
        sha256: expected hex digest, or ``None`` to skip the check (files you made yourself).
        map_location: where the tensors go.
        remedy: a sentence added to the error messages (e.g. the command that rebuilds the file).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file's hash differs from ``sha256``.
    """
    path = Path(path)
    hint = f" {remedy}" if remedy else ""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}.{hint}")
    if sha256 is not None:
        digest = sha256_file(path)
        if digest != sha256:
            raise ValueError(
                f"checkpoint {path} has SHA-256 {digest}, expected {sha256}: the file is corrupt or "
                f"not the one this version of the course was built with.{hint}"
            )
    return torch.load(path, map_location=map_location, weights_only=True)


#: Where the repository keeps its committed checkpoints, and where they are published.
CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "checkpoints"
CHECKPOINT_URL = "https://raw.githubusercontent.com/dgm-seq-audio/course/main/benchmarks/checkpoints/"


def cache_dir() -> Path:
    """The user cache of the course: ``$COURSE_CACHE``, else ``$XDG_CACHE_HOME/course_lib``,
    else ``~/.cache/course_lib``."""
    if os.environ.get("COURSE_CACHE"):
        return Path(os.environ["COURSE_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "course_lib"


def _find_or_fetch(name: str, local_dir: Path, cached_dir: Path, url: str, sha256: str | None) -> Path:
    """``local_dir/name`` if present, else ``cached_dir/name``, else download ``url + name`` there.

    The download goes to a temporary file, moved into place only when complete (and, with
    ``sha256``, only when its hash matches), so a failed or corrupt download leaves nothing behind.
    """
    for path in (local_dir / name, cached_dir / name):
        if path.is_file():
            return path
    cached = cached_dir / name
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cached.parent, suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            urllib.request.urlretrieve(url + name, tmp)
        except OSError as err:
            raise FileNotFoundError(
                f"{name} is neither in {local_dir} nor in {cached_dir}, and the download from {url + name} "
                f"failed ({err}); clone the repository or run the benchmark script named in its chapter"
            ) from err
        if sha256 is not None and (digest := sha256_file(tmp)) != sha256:
            raise ValueError(f"downloaded {name} has SHA-256 {digest}, expected {sha256}")
        tmp.replace(cached)
    finally:
        tmp.unlink(missing_ok=True)
    return cached


def committed_checkpoint(name: str, sha256: str) -> Path:
    """Path of one of the repository's committed checkpoints (``benchmarks/checkpoints/<name>``).

    Looks in the repository (present in a clone), then in the user cache; when the library was
    pip-installed without the repository (e.g. on Colab) it downloads the file from the published
    repository into the cache, keeping it only if its SHA-256 matches. Load it with
    :func:`load_verified`, which checks the hash of whatever file was found.

    Raises:
        FileNotFoundError: not in the repository or the cache, and the download failed.
        ValueError: the downloaded file has a different SHA-256.
    """
    return _find_or_fetch(name, CHECKPOINT_DIR, cache_dir(), CHECKPOINT_URL, sha256)


RESULTS_DIR = CHECKPOINT_DIR.parent / "results"
RESULTS_URL = CHECKPOINT_URL.replace("/checkpoints/", "/results/")


def committed_result(name: str) -> Path:
    """Path of a committed benchmark result (``benchmarks/results/<name>``: a table the book shows),
    found or fetched like :func:`committed_checkpoint` (no hash: the tables are text the reader sees).

    Raises:
        FileNotFoundError: not in the repository or the cache, and the download failed.
    """
    return _find_or_fetch(name, RESULTS_DIR, cache_dir() / "results", RESULTS_URL, None)
