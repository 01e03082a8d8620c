"""Foundation: seeds and generators, device choice, parameter counts, timing, the user cache,
and the one :class:`History` every trainer returns.

Chapters: all

Randomness convention of the whole library: a function that draws random numbers takes a
``seed`` (int) or a ``torch.Generator`` and never changes the global RNG. Where PyTorch
offers no generator argument (parameter initialisation, dropout), the code runs inside
:func:`seeded`, which forks the global RNG and restores it afterwards. Only notebooks call
:func:`set_seed`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

#: What functions that draw random numbers accept: an int seed, a generator, or None (seed 0).
Seed = int | torch.Generator | None


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (for notebooks only).

    Args:
        seed: a non-negative int.

    Raises:
        TypeError: ``seed`` is not an int.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CPU, CUDA and MPS generators


def make_generator(seed: Seed = 0) -> torch.Generator:
    """A CPU ``torch.Generator`` from an int seed (``None`` means 0), or the generator itself.

    Args:
        seed: int seed, or an existing generator (returned unchanged, so draws continue).

    Returns:
        the generator.

    Raises:
        TypeError: ``seed`` is neither an int, ``None`` nor a generator.
    """
    if isinstance(seed, torch.Generator):
        return seed
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
        raise TypeError(f"seed must be an int or a torch.Generator, got {type(seed).__name__}")
    return torch.Generator().manual_seed(0 if seed is None else int(seed))


@contextlib.contextmanager
def seeded(seed: Seed) -> Iterator[None]:
    """Run a block with the global torch RNG seeded, then restore the caller's RNG state.

    For what PyTorch draws from the global RNG only (``nn`` initialisation, dropout): the
    block is reproducible and the caller's random stream is left as it was.

    Args:
        seed: int seed, or a generator from which one seed is drawn.

    Yields:
        nothing; use as ``with seeded(seed): ...``.
    """
    if isinstance(seed, torch.Generator):
        seed = int(torch.randint(2**62, (1,), generator=seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0 if seed is None else int(seed))
        yield


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple MPS, then CPU.

    Args:
        prefer: force a device ("cpu", "cuda", "mps"); the ``COURSE_DEVICE`` environment
            variable does the same without editing code.

    Returns:
        the device.

    Raises:
        ValueError: the requested device is not available here.
    """
    name = prefer or os.environ.get("COURSE_DEVICE")
    if name:
        dev = torch.device(name)
        available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
        if not available.get(dev.type, True):
            raise ValueError(f"{dev.type} was requested but is not available on this machine")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def count_parameters(model: torch.nn.Module, *, trainable_only: bool = True) -> int:
    """Number of scalar parameters of a model.

    Args:
        model: any module.
        trainable_only: count only parameters with ``requires_grad``.

    Returns:
        the count.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@dataclass
class Timer:
    """Wall-clock and CPU-time timer, used as a context manager.

    Attributes:
        seconds: wall-clock seconds of the last ``with`` block.
        cpu_seconds: CPU seconds (user + system, all threads of this process) of that block.

    >>> with Timer() as t:
    ...     _ = sum(range(1000))
    >>> t.seconds >= 0 and t.cpu_seconds >= 0
    True
    """

    seconds: float = field(default=0.0, init=False)
    cpu_seconds: float = field(default=0.0, init=False)
    _start: tuple[float, float] = field(default=(0.0, 0.0), init=False, repr=False)

    def __enter__(self) -> Timer:
        self._start = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start[0]
        self.cpu_seconds = time.process_time() - self._start[1]

    def __str__(self) -> str:
        return f"{self.seconds:.2f} s"


@dataclass
class History:
    """What every ``train_*`` function returns: losses per step, metrics now and then, time.

    Attributes:
        losses: ``{name: [value at step 1, 2, ...]}``, one value per training step.
        metrics: ``{name: [(step, value), ...]}``, logged at evaluation steps.
        wall_s: wall-clock seconds spent training.
        cpu_s: CPU seconds (all threads) spent training.
    """

    losses: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, **losses: float | torch.Tensor) -> None:
        """Append one step's losses (tensors are converted with ``float``)."""
        for k, v in losses.items():
            self.losses.setdefault(k, []).append(float(v))

    def add_metric(self, step: int, **values: float) -> None:
        """Record evaluation results measured after ``step`` training steps."""
        for k, v in values.items():
            self.metrics.setdefault(k, []).append((int(step), float(v)))

    @property
    def steps(self) -> int:
        """Number of training steps recorded (length of the longest loss curve)."""
        return max((len(v) for v in self.losses.values()), default=0)

    def last(self, name: str) -> float:
        """Latest value of a loss or metric.

        Args:
            name: a key of ``losses`` or ``metrics``.

        Returns:
            the value.

        Raises:
            KeyError: no such loss or metric, naming the ones recorded.
        """
        if name in self.losses and self.losses[name]:
            return self.losses[name][-1]
        if name in self.metrics and self.metrics[name]:
            return self.metrics[name][-1][1]
        raise KeyError(f"no loss or metric {name!r}; recorded: {sorted(self.losses) + sorted(self.metrics)}")

    @contextlib.contextmanager
    def timed(self) -> Iterator[History]:
        """Add the wall-clock and CPU time of a ``with`` block to ``wall_s`` and ``cpu_s``.

        Yields:
            this history.
        """
        with Timer() as t:
            yield self
        self.wall_s += t.seconds
        self.cpu_s += t.cpu_seconds

    def to_dict(self) -> dict:
        """Plain containers only, so a checkpoint saved with it loads with ``weights_only=True``.

        Returns:
            ``{"losses", "metrics", "wall_s", "cpu_s"}``.
        """
        metrics = {k: [list(p) for p in v] for k, v in self.metrics.items()}
        return {"losses": self.losses, "metrics": metrics, "wall_s": self.wall_s, "cpu_s": self.cpu_s}


def cache_dir() -> Path:
    """The user cache of the course.

    Returns:
        ``$COURSE_CACHE``, else ``$XDG_CACHE_HOME/course_lib``, else ``~/.cache/course_lib``.
    """
    if os.environ.get("COURSE_CACHE"):
        return Path(os.environ["COURSE_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "course_lib"


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes.

    Args:
        path: the file.

    Returns:
        64 hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: str | Path, *, sha256: str | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically: into a temporary file, renamed only when complete.

    A failed download, or one whose SHA-256 differs from ``sha256``, leaves nothing behind and
    never replaces an existing ``dest``.

    Args:
        url: what to fetch.
        dest: the file to create (its folder is created).
        sha256: expected hex digest (``None``: not checked).

    Returns:
        ``dest``.

    Raises:
        OSError: the download failed (network, missing file).
        ValueError: the downloaded bytes have another SHA-256.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".download-", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        urllib.request.urlretrieve(url, tmp)
        if sha256 is not None and (digest := sha256_file(tmp)) != sha256:
            raise ValueError(f"{url} has SHA-256 {digest}, expected {sha256}; nothing was kept")
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
