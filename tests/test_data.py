"""course_lib.data: FSDD loading and verification, digit images, synthetic benchmarks."""

from __future__ import annotations

import math
import shutil
import urllib.request

import pytest
import torch

from course_lib import data
from course_lib.audio import SAMPLE_RATE
from tests.conftest import make_wav_bytes, write_tar
from tests.test_utils import serve_files

# ---------------------------------------------------------------- FSDD, real offline copy


@pytest.fixture(scope="module")
def fsdd_all(fsdd_archive, tmp_path_factory):
    import os

    old = os.environ.get("COURSE_CACHE")
    os.environ["COURSE_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        yield data.load_fsdd("all", root=fsdd_archive.parent)
    finally:
        if old is None:
            os.environ.pop("COURSE_CACHE")
        else:
            os.environ["COURSE_CACHE"] = old


def test_fsdd_has_3000_files_six_speakers_ten_digits(fsdd_all):
    assert len(fsdd_all) == 3000
    assert sorted(set(fsdd_all.speakers)) == sorted(data.FSDD_SPEAKERS)
    assert sorted(set(fsdd_all.digits)) == list(range(10))
    per = {(d, s) for d, s in zip(fsdd_all.digits, fsdd_all.speakers, strict=False)}
    assert len(per) == 60


def test_stratified_subset_holds_every_speaker_digit_pair(fsdd_all):
    idx = fsdd_all.stratified(per_cell=2, seed=0)
    pairs = [(fsdd_all.speakers[i], fsdd_all.digits[i]) for i in idx]
    assert len(idx) == 2 * 6 * 10 and idx == sorted(idx)
    assert all(pairs.count(p) == 2 for p in set(pairs)) and len(set(pairs)) == 60
    assert fsdd_all.stratified(per_cell=2, seed=1) != idx  # the seed chooses the takes
    with pytest.raises(ValueError, match="per_cell must be in 1..50"):
        fsdd_all.stratified(per_cell=51)


def test_fsdd_items_are_float_mono_in_range(fsdd_all):
    wave, digit, speaker = fsdd_all[123]
    assert wave.dtype == torch.float32 and wave.dim() == 1
    assert wave.abs().max() <= 1.0
    assert isinstance(digit, int) and speaker in data.FSDD_SPEAKERS
    assert fsdd_all.sample_rate == SAMPLE_RATE == 8000


def test_fsdd_split_is_2700_300_by_take(fsdd_archive, isolated_cache):
    train = data.load_fsdd("train", root=fsdd_archive.parent)
    test = data.load_fsdd("test", root=fsdd_archive.parent)
    assert (len(train), len(test)) == (2700, 300)
    assert min(train.takes) == 5 and max(test.takes) == 4
    assert not set(train.files) & set(test.files)


def test_fsdd_speaker_filter(fsdd_archive, isolated_cache):
    ds = data.load_fsdd("test", root=fsdd_archive.parent, speakers=["theo"])
    assert len(ds) == 50 and set(ds.speakers) == {"theo"}


def test_fsdd_extraction_verifies_content_hash_and_leaves_marker(fsdd_archive, isolated_cache):
    rec = data.find_fsdd(fsdd_archive.parent)
    assert data.fsdd_content_hash(rec) == data.FSDD_CONTENT_SHA256
    assert (rec.parent / ".content_sha256").read_text().strip() == data.FSDD_CONTENT_SHA256
    assert not list(rec.parent.parent.glob(".fsdd-tmp-*")), "temporary folder left behind"


def test_fsdd_extracted_copy_with_a_changed_file_is_rejected(fsdd_archive, isolated_cache, tmp_path):
    rec = data.find_fsdd(fsdd_archive.parent)
    copy = tmp_path / "mine" / "recordings"
    shutil.copytree(rec, copy)
    victim = sorted(copy.glob("*.wav"))[7]
    victim.write_bytes(victim.read_bytes()[:-2] + b"\x00\x01")
    with pytest.raises(data.FSDDError, match="content hash"):
        data.load_fsdd("test", root=copy.parent)


# ---------------------------------------------------------------- corrupt archives


def test_truncated_archive_gives_clear_error_and_no_partial_copy(fsdd_archive, isolated_cache, tmp_path):
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = bad_dir / data.FSDD_ARCHIVE_NAME
    bad.write_bytes(fsdd_archive.read_bytes()[:2_000_000])
    with pytest.raises(data.FSDDError, match="corrupt") as err:
        data.load_fsdd("train", root=bad_dir)
    assert str(bad) in str(err.value)
    assert not (isolated_cache / f"fsdd-{data.FSDD_VERSION}").exists()
    assert not list(isolated_cache.glob(".fsdd-tmp-*"))


def test_explicit_root_with_truncated_archive_is_refused_even_when_the_cache_is_good(
    fsdd_archive, isolated_cache, tmp_path
):
    good = data.find_fsdd(fsdd_archive.parent)  # a verified copy now sits in the cache
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / data.FSDD_ARCHIVE_NAME).write_bytes(fsdd_archive.read_bytes()[:1_000_000])
    with pytest.raises(data.FSDDError, match="truncated"):
        data.load_fsdd("test", root=bad_dir)  # never silently served from the cache
    assert data.fsdd_content_hash(good) == data.FSDD_CONTENT_SHA256  # the good copy is left alone


def test_unknown_archive_with_wrong_content_is_rejected_without_overwriting(
    isolated_cache, tmp_path, fsdd_archive
):
    # a good verified copy already in the cache must survive a later bad extraction attempt
    good = data.find_fsdd(fsdd_archive.parent)
    before = data.fsdd_content_hash(good)
    fake = write_tar(
        tmp_path / "fake.tar.gz",
        {f"x/recordings/{d}_theo_{t}.wav": make_wav_bytes(seed=t) for d in range(2) for t in range(3)},
    )
    with pytest.raises(data.FSDDError):
        data._extract(fake, tmp_path / "dest", check_archive_hash=False)
    assert not (tmp_path / "dest").exists()
    assert data.fsdd_content_hash(good) == before


def test_archive_with_unknown_sha256_is_rejected(isolated_cache, tmp_path):
    write_tar(tmp_path / data.FSDD_ARCHIVE_NAME, {"x/recordings/0_theo_0.wav": make_wav_bytes()})
    with pytest.raises(data.FSDDError, match="not a known FSDD"):
        data.load_fsdd("train", root=tmp_path)
    assert not (isolated_cache / f"fsdd-{data.FSDD_VERSION}").exists()


# ---------------------------------------------------------------- bad inputs


def test_missing_root_raises_file_not_found(isolated_cache, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_fsdd("train", root=tmp_path / "nowhere")


def test_empty_root_raises_file_not_found(isolated_cache, tmp_path):
    with pytest.raises(FileNotFoundError, match="holds neither"):
        data.load_fsdd("train", root=tmp_path)


def test_course_data_env_must_exist(isolated_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="COURSE_DATA"):
        data.find_fsdd()


def test_unknown_split_and_speaker_raise_value_error(isolated_cache):
    with pytest.raises(ValueError, match="split must be"):
        data.load_fsdd("validation")
    with pytest.raises(ValueError, match="unknown speakers"):
        data.load_fsdd("train", speakers=["alice"])


def test_no_download_when_disabled_and_nothing_found(isolated_cache, monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_shared_data_dir", lambda: tmp_path / "no-shared")
    with pytest.raises(FileNotFoundError, match="download=False"):
        data.find_fsdd(download=False)


def test_download_failure_cleans_up_and_explains(isolated_cache, monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_shared_data_dir", lambda: tmp_path / "no-shared")

    def refuse(url, filename):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise OSError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlretrieve", refuse)
    with pytest.raises(data.FSDDError, match="could not download"):
        data.find_fsdd()
    leftovers = list(isolated_cache.glob("*")) if isolated_cache.exists() else []
    assert leftovers == [], leftovers


ARCHIVE_PATH = f"/archive/refs/tags/v{data.FSDD_VERSION}.tar.gz"


def test_downloaded_archive_is_verified_by_content(isolated_cache, monkeypatch, tmp_path, fsdd_archive):
    """The download path over HTTP (a local server with the offline copy standing in for
    GitHub's archive, named by ``$COURSE_FSDD_URL``): downloaded, extracted, checked."""
    monkeypatch.setattr(data, "_shared_data_dir", lambda: tmp_path / "no-shared")
    with serve_files({ARCHIVE_PATH: fsdd_archive.read_bytes()}) as (url, requests):
        monkeypatch.setenv(data.FSDD_URL_ENV, url + ARCHIVE_PATH)
        rec = data.find_fsdd()
        assert data.find_fsdd() == rec and requests == [ARCHIVE_PATH], "the verified copy is reused"
    assert data.fsdd_content_hash(rec) == data.FSDD_CONTENT_SHA256
    assert [p.name for p in isolated_cache.iterdir()] == [f"fsdd-{data.FSDD_VERSION}"], (
        "the downloaded archive is removed after extraction"
    )


@pytest.mark.parametrize("fault", ["cut mid-transfer", "short file", "wrong recordings"])
def test_truncated_or_wrong_download_raises_and_leaves_nothing(isolated_cache, monkeypatch, tmp_path, fault):
    """A broken transfer (fewer bytes than announced), a short archive served as if complete,
    or an archive of other recordings: an FSDDError, and the cache is left empty."""
    monkeypatch.setattr(data, "_shared_data_dir", lambda: tmp_path / "no-shared")
    members = {
        f"{data.FSDD_TOP_FOLDER}/recordings/{d}_george_{t}.wav": make_wav_bytes(seed=10 * d + t)
        for d in range(10)
        for t in range(3)
    }
    archive = write_tar(tmp_path / "other.tar.gz", members).read_bytes()  # 30 recordings, not FSDD's
    body, truncate = {
        "cut mid-transfer": (archive, {ARCHIVE_PATH: len(archive) // 2}),
        "short file": (archive[: len(archive) // 2], None),
        "wrong recordings": (archive, None),
    }[fault]
    with serve_files({ARCHIVE_PATH: body}, truncate=truncate) as (url, requests):
        monkeypatch.setenv(data.FSDD_URL_ENV, url + ARCHIVE_PATH)
        with pytest.raises(data.FSDDError, match="could not download|truncated or corrupt|expected 3000"):
            data.find_fsdd()
        assert requests == [ARCHIVE_PATH]
    leftovers = [p for p in isolated_cache.rglob("*")] if isolated_cache.exists() else []
    assert leftovers == [], leftovers


# ---------------------------------------------------------------- digit images


def test_digits_images_shapes_range_and_fixed_split():
    d = data.load_digits_images()
    assert d.x_train.shape == (1437, 1, 8, 8) and d.x_test.shape == (360, 1, 8, 8)
    assert d.x_train.dtype == torch.float32 and 0 <= d.x_train.min() and d.x_train.max() <= 1
    assert torch.equal(d.x_test, data.load_digits_images().x_test)
    assert torch.bincount(d.y_test).min() >= 35  # stratified: ~36 per class


# ---------------------------------------------------------------- mixtures and sines


def test_ring_mixture_has_distinct_centres_and_right_std():
    x, c = data.ring_mixture(20000, modes=8, std=0.01, seed=1)
    assert x.shape == (20000, 2) and c.shape == (8, 2)
    assert torch.cdist(c, c).add(torch.eye(8) * 10).min() > 0.7  # 2 sin(pi/8) = 0.765
    assert torch.allclose(c.norm(dim=1), torch.ones(8), atol=1e-6)
    nearest = torch.cdist(x, c).argmin(1)
    resid = x - c[nearest]
    assert abs(resid.std().item() - 0.01) < 0.0005
    assert torch.bincount(nearest, minlength=8).min() > 2000


def test_grid_mixture_has_25_distinct_centres_and_right_std():
    x, c = data.grid_mixture(25000, seed=2)
    assert c.shape == (25, 2)
    assert torch.unique(c, dim=0).shape[0] == 25
    assert set(c[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    resid = x - c[torch.cdist(x, c).argmin(1)]
    assert abs(resid.std().item() - 0.05) < 0.002


def test_mixtures_are_reproducible_and_seed_dependent():
    a, _ = data.ring_mixture(100, seed=3)
    b, _ = data.ring_mixture(100, seed=3)
    c, _ = data.ring_mixture(100, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_mixture_bad_arguments():
    with pytest.raises(ValueError):
        data.ring_mixture(0)
    with pytest.raises(ValueError):
        data.grid_mixture(10, std=-1.0)


def test_sines_shape_range_and_frequencies():
    x = data.sines(500, seed=0)
    assert x.shape == (500, 24, 5) and x.dtype == torch.float32
    assert x.min() >= 0 and x.max() <= 1
    # recover each feature's frequency and phase from the first two steps: x0 = (sin(phi)+1)/2
    s = 2 * x.double() - 1
    phase = torch.asin(s[:, 0])
    freq = torch.asin(s[:, 1]) - phase
    assert phase.min() >= 0 and phase.max() <= 0.1 + 1e-6
    assert freq.min() >= -1e-6 and freq.max() <= 0.1 + 1e-6
    assert freq.std() > 0.02  # spread over U(0, 0.1): std 0.029
    t = torch.arange(24, dtype=torch.float64).view(1, 24, 1)
    assert torch.allclose(torch.sin(freq.unsqueeze(1) * t + phase.unsqueeze(1)), s, atol=1e-5)
    assert not math.isclose(x[0, 0, 0].item(), data.sines(500, seed=1)[0, 0, 0].item())
