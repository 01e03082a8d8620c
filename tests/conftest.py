"""Shared fixtures: the FSDD archive of the course's offline copy, a tiny fake FSDD, and a guard
that a library call leaves the global RNGs (torch, NumPy, ``random``) untouched."""

from __future__ import annotations

import io
import random
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from course_lib import data

SHARED_ARCHIVE = data._shared_data_dir() / data.FSDD_ARCHIVE_NAME


@pytest.fixture(scope="session")
def fsdd_archive() -> Path:
    if not SHARED_ARCHIVE.is_file():
        pytest.skip(f"offline FSDD copy not found at {SHARED_ARCHIVE}")
    return SHARED_ARCHIVE


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty cache; COURSE_DATA unset, so only explicit roots are used."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE", str(cache))
    monkeypatch.delenv("COURSE_DATA", raising=False)
    return cache


def make_wav_bytes(seconds: float = 0.1, rate: int = 8000, seed: int = 0) -> bytes:
    x = np.random.default_rng(seed).uniform(-0.5, 0.5, int(seconds * rate)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def write_tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


# --- global RNG guard ------------------------------------------------------------------------
# Library code takes explicit generators (tests/test_style.py::test_no_global_rng checks the
# source); these check the behaviour: the global RNG states are the same before and after.


def _rng_states() -> dict[str, object]:
    states: dict[str, object] = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "random": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["torch.cuda"] = torch.cuda.get_rng_state_all()
    return states


def _same(a: object, b: object) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _check_rng_states(before: dict[str, object], what: str) -> None:
    after = _rng_states()
    changed = [name for name in before if name not in after or not _same(before[name], after[name])]
    assert not changed, (
        f"{what} changed the global RNG state of {', '.join(changed)}; library code must take an "
        "explicit generator (torch.Generator, np.random.default_rng(seed)) or fork the RNG "
        "(course_lib.utils / torch.random.fork_rng)"
    )


def assert_rng_untouched(fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)``, assert the global RNG states did not change, return its result."""
    before = _rng_states()
    out = fn(*args, **kwargs)
    _check_rng_states(before, getattr(fn, "__qualname__", repr(fn)))
    return out


@pytest.fixture
def global_rng_guard():
    """Fail the test if its body changes the global torch, NumPy or ``random`` RNG state."""
    before = _rng_states()
    yield
    _check_rng_states(before, "the test body")
