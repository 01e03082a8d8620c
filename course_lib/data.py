"""Foundation: the data of the course: spoken digits, small images and synthetic benchmarks.

Chapters: all

- **FSDD** (Free Spoken Digit Dataset, release v1.0.10 {cite}`jackson2016fsdd`, CC BY-SA 4.0):
  3,000 mono 8 kHz recordings of the digits 0-9 by 6 speakers, 50 takes each.
  :func:`load_fsdd` finds a local copy (or downloads the public release), checks it
  against a content hash, and returns a :class:`torch.utils.data.Dataset`.
- **Digit images**: scikit-learn's bundled 8x8 digits, :func:`load_digits_images`.
- **2-D mixtures** for mode-collapse experiments (VEEGAN {cite}`srivastava2017veegan`;
  PacGAN {cite}`lin2018pacgan`): :func:`ring_mixture`, :func:`grid_mixture`.
- **Sines**, the TimeGAN benchmark {cite}`yoon2019timegan`: :func:`sines`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import Dataset

from course_lib.audio import SAMPLE_RATE
from course_lib.utils import Seed, cache_dir, download, make_generator, sha256_file

# --- FSDD -----------------------------------------------------------------------------------------

FSDD_VERSION = "1.0.10"
FSDD_SPEAKERS: tuple[str, ...] = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
FSDD_URL = f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v{FSDD_VERSION}.tar.gz"
#: Environment variable naming another URL of the same archive (a mirror, or a local server in tests).
FSDD_URL_ENV = "COURSE_FSDD_URL"
FSDD_ARCHIVE_NAME = f"free-spoken-digit-dataset-v{FSDD_VERSION}.tar.gz"
FSDD_TOP_FOLDER = f"free-spoken-digit-dataset-{FSDD_VERSION}"
FSDD_NUM_FILES = 3000
#: SHA-256 over, for each WAV file in sorted order, its base name then the raw 32-byte
#: SHA-256 of its bytes. It identifies the recordings whatever archive carried them.
FSDD_CONTENT_SHA256 = "0fbe6612aaa20a80ef4371894a46e060038337a518fe3d4728cb7eee7caa013c"
#: SHA-256 of archives known to carry exactly these recordings. The course's offline copy
#: (``shared/data``) is listed; GitHub builds its release tarballs on the fly and does not
#: promise byte-identical files, so a downloaded archive is verified by its content hash.
FSDD_ARCHIVE_SHA256: dict[str, str] = {
    "c9f5261a1fc167145f40ce2afc98843a67806d183afd2b95bcbc0eab3b8c426a": "course offline copy",
}
_MARKER = ".content_sha256"


class FSDDError(RuntimeError):
    """FSDD could not be found, downloaded or verified. The message says what to do."""


def fsdd_content_hash(recordings: str | Path) -> str:
    """Content hash of a folder of FSDD WAV files (see ``FSDD_CONTENT_SHA256``).

    Args:
        recordings: folder holding ``{digit}_{speaker}_{take}.wav`` files.

    Returns:
        The hex SHA-256 digest.
    """
    files = sorted(Path(recordings).glob("*.wav"), key=lambda p: p.name)
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def _shared_data_dir() -> Path:
    """``shared/data`` beside the repository (how tests and CI find the offline copy)."""
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def _verified_copy(folder: Path) -> Path | None:
    """``folder/recordings`` if it holds a copy already verified by :func:`_extract`."""
    rec = folder / "recordings"
    marker = folder / _MARKER
    if marker.is_file() and marker.read_text().strip() == FSDD_CONTENT_SHA256 and rec.is_dir():
        return rec
    return None


def _recordings_in(location: Path) -> Path | None:
    """A folder of recordings inside ``location`` (an extracted copy), if any."""
    for cand in (location / "recordings", location / FSDD_TOP_FOLDER / "recordings", location):
        if cand.is_dir() and any(cand.glob("*_*_*.wav")):
            return cand
    return None


def _archives_in(location: Path) -> list[Path]:
    if location.is_file() and location.name.endswith((".tar.gz", ".tgz")):
        return [location]
    if location.is_dir():
        return sorted(location.glob("*.tar.gz"))
    return []


def _check_archive(archive: Path) -> None:
    """Raise :class:`FSDDError` unless ``archive`` is a known FSDD release archive."""
    digest = sha256_file(archive)
    if digest not in FSDD_ARCHIVE_SHA256:
        raise FSDDError(
            f"{archive} has SHA-256 {digest}, which is not a known FSDD v{FSDD_VERSION} archive: the "
            "file is truncated, corrupt or a different release. Delete it and copy or download it again."
        )


def _extract(archive: Path, dest: Path, *, check_archive_hash: bool) -> Path:
    """Extract the WAV files of ``archive`` into ``dest`` atomically and verify them.

    Everything happens in a temporary folder next to ``dest``, which is renamed into place
    only after the content hash matches; on any failure the temporary folder is removed and
    an existing ``dest`` is left untouched.
    """
    if check_archive_hash:
        _check_archive(archive)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fsdd-tmp-", dir=dest.parent))
    try:
        rec = tmp / "recordings"
        rec.mkdir()
        try:
            with tarfile.open(archive, "r:gz") as tar:
                n = 0
                for member in tar:
                    parts = Path(member.name).parts
                    if not (member.isfile() and member.name.endswith(".wav")):
                        continue
                    if len(parts) < 2 or parts[-2] != "recordings" or ".." in parts:
                        continue
                    src = tar.extractfile(member)
                    assert src is not None
                    (rec / parts[-1]).write_bytes(src.read())
                    n += 1
        except (tarfile.TarError, EOFError, OSError, ValueError) as err:
            raise FSDDError(
                f"could not read {archive} ({type(err).__name__}: {err}). The archive is "
                "truncated or corrupt: delete it and copy or download it again."
            ) from err
        if n != FSDD_NUM_FILES:
            raise FSDDError(
                f"{archive} holds {n} recordings, expected {FSDD_NUM_FILES}: it is incomplete "
                f"or not FSDD v{FSDD_VERSION}. Delete it and download it again."
            )
        digest = fsdd_content_hash(rec)
        if digest != FSDD_CONTENT_SHA256:
            raise FSDDError(
                f"the recordings in {archive} have content hash {digest}, expected "
                f"{FSDD_CONTENT_SHA256}. Delete the archive and download it again."
            )
        (tmp / _MARKER).write_text(FSDD_CONTENT_SHA256 + "\n")
        if dest.exists():  # another process finished first; keep its verified copy
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest / "recordings"


def _download(dest_dir: Path) -> Path:
    """Download the release archive into ``dest_dir`` (atomically; verified later by content).

    The file name is this process's own, so that two processes downloading at once (two
    notebooks) never extract or delete each other's archive.
    """
    url = os.environ.get(FSDD_URL_ENV) or FSDD_URL
    print(f"Downloading FSDD v{FSDD_VERSION} from {url} ...")
    try:
        return download(url, dest_dir / f".{os.getpid()}-{FSDD_ARCHIVE_NAME}")
    except OSError as err:
        raise FSDDError(
            f"could not download {url} ({err}). Check the network, or download the "
            "archive by hand and pass its folder as load_fsdd(root=...) or set COURSE_DATA."
        ) from err


def find_fsdd(root: str | Path | None = None, *, download: bool = True) -> Path:
    """Return the folder of verified FSDD v1.0.10 recordings, fetching them if needed.

    Sources, in order: ``root`` → ``$COURSE_DATA`` → ``shared/data`` beside the repository
    → the user cache (``$COURSE_CACHE`` or ``~/.cache/course_lib``) → download from GitHub
    (``$COURSE_FSDD_URL`` names another URL of the archive).
    A source may hold an extracted ``recordings/`` folder (checked by content hash) or the
    release ``.tar.gz`` (extracted into the cache, atomically, then checked).

    Args:
        root: a folder (or archive) chosen by the caller; it must exist and hold FSDD.
        download: allow the download step.

    Returns:
        the ``recordings/`` folder of a verified copy.

    Raises:
        FileNotFoundError: ``root`` or ``$COURSE_DATA`` does not exist or holds no FSDD.
        FSDDError: a copy was found but is corrupt/incomplete, or the download failed.
    """
    cache = cache_dir() / f"fsdd-{FSDD_VERSION}"
    explicit: list[tuple[str, Path]] = []
    if root is not None:
        explicit.append(("root argument", Path(root).expanduser()))
    elif os.environ.get("COURSE_DATA"):
        explicit.append(("COURSE_DATA", Path(os.environ["COURSE_DATA"]).expanduser()))

    for what, loc in explicit:
        if not loc.exists():
            raise FileNotFoundError(
                f"FSDD {what} {loc} does not exist. Pass the folder that holds "
                f"'recordings/' or '{FSDD_ARCHIVE_NAME}', or leave it unset to use the cache."
            )
        found = _from_location(loc, cache)
        if found is None:
            raise FileNotFoundError(
                f"FSDD {what} {loc} holds neither a 'recordings/' folder of WAV files nor "
                f"'{FSDD_ARCHIVE_NAME}'."
            )
        return found

    verified = _verified_copy(cache)
    if verified is not None:
        return verified
    shared = _shared_data_dir()
    if shared.exists():
        found = _from_location(shared, cache)
        if found is not None:
            return found
    if not download:
        raise FileNotFoundError(
            f"FSDD was not found (looked in COURSE_DATA, {shared} and {cache}) and download=False."
        )
    archive = _download(cache.parent)
    try:
        return _extract(archive, cache, check_archive_hash=False)
    finally:
        archive.unlink(missing_ok=True)


def _from_location(loc: Path, cache: Path) -> Path | None:
    rec = _recordings_in(loc) if loc.is_dir() else None
    if rec is not None:
        digest = fsdd_content_hash(rec)
        if digest != FSDD_CONTENT_SHA256:
            raise FSDDError(
                f"the recordings in {rec} have content hash {digest}, expected "
                f"{FSDD_CONTENT_SHA256} (FSDD v{FSDD_VERSION}, 3,000 files). Files are "
                "missing, changed or from another release: restore them or point to a fresh copy."
            )
        return rec
    archives = _archives_in(loc)
    if not archives:
        return None
    named = [a for a in archives if a.name == FSDD_ARCHIVE_NAME]
    archive = (named or archives)[0]
    _check_archive(archive)  # a corrupt archive here is an error, never silently replaced
    verified = _verified_copy(cache)
    if verified is not None:  # extracted earlier from an archive with this same hash
        return verified
    return _extract(archive, cache, check_archive_hash=False)


def _parse_name(path: Path) -> tuple[int, str, int]:
    digit, speaker, take = path.stem.split("_")
    return int(digit), speaker, int(take)


class FSDD(Dataset):
    """In-memory FSDD split. Items are ``(waveform, digit, speaker)``.

    ``waveform`` is a float32 tensor of shape ``(time,)`` in [-1, 1] at 8 kHz; the
    recordings have different lengths (0.14 s to 2.28 s), so batch with a collate
    function that pads or crops.

    Attributes:
        files, digits, speakers, takes: per-item metadata, in sorted file order.
        sample_rate: 8000.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, files: Sequence[Path]):
        self.files = list(files)
        meta = [_parse_name(f) for f in self.files]
        self.digits = [m[0] for m in meta]
        self.speakers = [m[1] for m in meta]
        self.takes = [m[2] for m in meta]
        self.waveforms: list[torch.Tensor] = []
        for f in self.files:
            data, rate = sf.read(f, dtype="float32", always_2d=False)
            if rate != SAMPLE_RATE or data.ndim != 1:
                raise FSDDError(f"{f}: expected mono {SAMPLE_RATE} Hz, got {rate} Hz, shape {data.shape}")
            self.waveforms.append(torch.from_numpy(data))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int, str]:
        return self.waveforms[i], self.digits[i], self.speakers[i]

    def __repr__(self) -> str:
        return f"FSDD({len(self)} recordings, speakers={sorted(set(self.speakers))})"

    def stratified(self, per_cell: int = 1, *, seed: int = 0) -> list[int]:
        """Indices of ``per_cell`` recordings of every (speaker, digit) pair, drawn with ``seed``.

        The files are sorted digit → speaker → take, so a strided slice such as ``[::15]`` keeps
        only a few speakers; use this for a small test subset that covers every speaker and digit.

        Args:
            per_cell: recordings per (speaker, digit) pair.
            seed: seeds which takes are drawn.

        Returns:
            sorted indices into this split (``per_cell x speakers x digits`` of them).

        Raises:
            ValueError: ``per_cell`` < 1 or more than some pair holds.
        """
        cells: dict[tuple[str, int], list[int]] = {}
        for i, key in enumerate(zip(self.speakers, self.digits, strict=True)):
            cells.setdefault(key, []).append(i)
        if per_cell < 1 or per_cell > min(len(v) for v in cells.values()):
            raise ValueError(f"per_cell must be in 1..{min(len(v) for v in cells.values())}, got {per_cell}")
        g = torch.Generator().manual_seed(seed)
        out = []
        for key in sorted(cells):
            members = cells[key]
            out += [members[j] for j in torch.randperm(len(members), generator=g)[:per_cell].tolist()]
        return sorted(out)


def load_fsdd(
    split: str = "train",
    *,
    root: str | Path | None = None,
    speakers: Iterable[str] | None = None,
) -> FSDD:
    """Load the Free Spoken Digit Dataset (v1.0.10) at 8 kHz.

    Args:
        split: ``"train"`` (takes 5-49, 2,700 files), ``"test"`` (takes 0-4, 300 files)
            or ``"all"``; the dataset's own convention.
        root: folder holding ``recordings/`` or the release archive (see :func:`find_fsdd`).
        speakers: keep only these speakers (e.g. for leave-one-speaker-out experiments).

    Returns:
        An :class:`FSDD` dataset of ``(waveform (time,), digit, speaker)`` items.

    Raises:
        ValueError: unknown split or speaker.
        FileNotFoundError, FSDDError: see :func:`find_fsdd`.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    keep: set[str] | None = None
    if speakers is not None:
        if isinstance(speakers, str):
            speakers = [speakers]
        keep = set(speakers)
        unknown = keep - set(FSDD_SPEAKERS)
        if unknown:
            raise ValueError(f"unknown speakers {sorted(unknown)}; FSDD has {list(FSDD_SPEAKERS)}")
    rec = find_fsdd(root)
    files = []
    for f in sorted(rec.glob("*.wav"), key=lambda p: p.name):
        _, spk, take = _parse_name(f)
        if keep is not None and spk not in keep:
            continue
        if split == "train" and take < 5 or split == "test" and take >= 5:
            continue
        files.append(f)
    return FSDD(files)


# --- Small images ---------------------------------------------------------------------------------


@dataclass
class DigitsImages:
    """scikit-learn's 8x8 digits, scaled to [0, 1], with a fixed train/test split.

    Attributes:
        x_train, x_test: images ``(n, 1, 8, 8)`` in [0, 1].
        y_train, y_test: labels ``(n,)`` int64.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_images(test_size: int = 360, seed: int = 0) -> DigitsImages:
    """Load the 1,797 bundled 8x8 digit images with a fixed, stratified train/test split.

    Pixel values 0-16 are divided by 16, so images lie in [0, 1] (17 grey levels).

    Args:
        test_size: number of test images (default 360, about 20 %).
        seed: split seed; keep the default so results are comparable across chapters.

    Returns:
        the split images and labels.
    """
    digits = load_digits()
    x = digits.images.astype(np.float32) / 16.0
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    as_img = lambda a: torch.from_numpy(a).unsqueeze(1)  # (n, 8, 8) -> (n, 1, 8, 8)  # noqa: E731
    return DigitsImages(as_img(x_tr), torch.from_numpy(y_tr), as_img(x_te), torch.from_numpy(y_te))


# --- Synthetic benchmarks -------------------------------------------------------------------------


def _mixture(n: int, centers: torch.Tensor, std: float, g: torch.Generator) -> torch.Tensor:
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if std <= 0:
        raise ValueError(f"std must be positive, got {std}")
    idx = torch.randint(len(centers), (n,), generator=g)
    return centers[idx] + std * torch.randn(n, 2, generator=g)


def ring_mixture(
    n: int, *, modes: int = 8, radius: float = 1.0, std: float = 0.01, seed: Seed = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Equal-weight Gaussians on a circle (VEEGAN's "2D Ring": 8 modes, radius 1, std 0.01).

    Centres are at angles 2πk/modes, k = 0..modes-1. (``linspace(0, 2π, modes)`` would
    repeat the first centre at 2π and give only modes-1 distinct modes.)

    Args:
        n: number of samples.
        modes: number of Gaussians.
        radius: radius of the circle.
        std: standard deviation of each Gaussian.
        seed: int or generator.

    Returns:
        ``(samples (n, 2), centers (modes, 2))``, float32.
    """
    if modes < 1:
        raise ValueError(f"modes must be >= 1, got {modes}")
    angles = 2 * torch.pi * torch.arange(modes, dtype=torch.float64) / modes
    centers = (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()
    return _mixture(n, centers, std, make_generator(seed)), centers


def grid_mixture(
    n: int, *, side: int = 5, spacing: float = 2.0, std: float = 0.05, seed: Seed = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Equal-weight Gaussians on a ``side x side`` grid centred at 0 (VEEGAN's "2D Grid").

    The defaults give 25 modes at {-4, -2, 0, 2, 4}² with std 0.05.

    Args:
        n, std, seed: as for :func:`ring_mixture`.
        side: modes per row and column.
        spacing: distance between neighbouring modes.

    Returns:
        ``(samples (n, 2), centers (side², 2))``, float32.
    """
    if side < 1:
        raise ValueError(f"side must be >= 1, got {side}")
    coords = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    gx, gy = torch.meshgrid(coords, coords, indexing="ij")
    centers = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    return _mixture(n, centers, std, make_generator(seed)), centers


def sines(n: int, *, seq_len: int = 24, dim: int = 5, seed: int = 0) -> torch.Tensor:
    """The TimeGAN "Sines" data set ({cite}`yoon2019timegan`, data_loading.py).

    Each feature k of each sequence is ``sin(f_k t + φ_k)``, t = 0..seq_len-1, with
    frequency f_k and phase φ_k drawn independently from U(0, 0.1); values are then mapped
    from sin's range [-1, 1] onto [0, 1] by (x + 1) / 2, as in the reference code.

    Args:
        n: number of sequences.
        seq_len: time steps per sequence.
        dim: features per step.
        seed: int seed.

    Returns:
        float32 tensor ``(n, seq_len, dim)`` with values in [0, 1].
    """
    if n <= 0 or seq_len <= 0 or dim <= 0:
        raise ValueError(f"n, seq_len and dim must be positive, got {n}, {seq_len}, {dim}")
    g = make_generator(seed)
    freq = 0.1 * torch.rand(n, 1, dim, generator=g, dtype=torch.float64)
    phase = 0.1 * torch.rand(n, 1, dim, generator=g, dtype=torch.float64)
    t = torch.arange(seq_len, dtype=torch.float64).view(1, seq_len, 1)
    return ((torch.sin(freq * t + phase) + 1) / 2).float()  # (n, seq_len, dim)
