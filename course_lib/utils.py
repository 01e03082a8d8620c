"""Small utilities every chapter uses: seeding, device choice, parameter counts, timing,
and hash-checked checkpoint loading."""

from __future__ import annotations

import hashlib
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["set_seed", "get_device", "count_parameters", "Timer", "sha256_file", "load_verified"]


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
