"""Shared fixtures: the FSDD archive of the course's offline copy, and a tiny fake FSDD."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

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
