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


def committed_checkpoint(name: str, sha256: str) -> Path:
    """Path of one of the repository's committed checkpoints, hash-checked.

    Looks in the repository (``benchmarks/checkpoints/``, present in a clone), then in the user
    cache; when the library was pip-installed without the repository (e.g. on Colab) it downloads
    the file from the published repository into the cache. A download goes to a temporary file
    first and is moved into place only when its SHA-256 matches, so a failed or corrupt download
    leaves nothing behind.

    Raises:
        FileNotFoundError: not in the repository or the cache, and the download failed.
        ValueError: the file found (or downloaded) has a different SHA-256.
    """
    local = CHECKPOINT_DIR / name
    if local.is_file():
        return local
    cached = cache_dir() / name
    if cached.is_file():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cached.parent, suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            urllib.request.urlretrieve(CHECKPOINT_URL + name, tmp)
        except OSError as err:
            raise FileNotFoundError(
                f"checkpoint {name} is neither in {CHECKPOINT_DIR} nor in {cached.parent}, and the "
                f"download from {CHECKPOINT_URL + name} failed ({err}); clone the repository or run the "
                "benchmark script named in its chapter"
            ) from err
        digest = sha256_file(tmp)
        if digest != sha256:
            raise ValueError(f"downloaded {name} has SHA-256 {digest}, expected {sha256}")
        tmp.replace(cached)
    finally:
        tmp.unlink(missing_ok=True)
    return cached


RESULTS_DIR = CHECKPOINT_DIR.parent / "results"
RESULTS_URL = CHECKPOINT_URL.replace("/checkpoints/", "/results/")


def committed_result(name: str) -> Path:
    """Path of a committed benchmark result (``benchmarks/results/<name>``: a table the book shows).

    Looks in the repository, then in the user cache; when the library was pip-installed without the
    repository (e.g. on Colab) it downloads the file from the published repository into the cache.

    Raises:
        FileNotFoundError: not in the repository or the cache, and the download failed.
    """
    local = RESULTS_DIR / name
    if local.is_file():
        return local
    cached = cache_dir() / "results" / name
    if cached.is_file():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cached.parent, suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            urllib.request.urlretrieve(RESULTS_URL + name, tmp)
        except OSError as err:
            raise FileNotFoundError(
                f"result {name} is neither in {RESULTS_DIR} nor in {cached.parent}, and the download from "
                f"{RESULTS_URL + name} failed ({err}); clone the repository or run its benchmark script"
            ) from err
        tmp.replace(cached)
    finally:
        tmp.unlink(missing_ok=True)
    return cached
