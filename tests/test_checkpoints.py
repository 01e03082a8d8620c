"""course_lib.checkpoints: the registry, save/load/verify/fetch, and committed result tables."""

from __future__ import annotations

import json

import pytest
import torch

from course_lib import checkpoints as C
from course_lib import release
from course_lib.utils import sha256_file
from tests.test_utils import serve_files


def test_registry_matches_the_committed_files():
    """The registry is generated from the files: every entry's file exists with that hash,
    and every committed .pt file is registered."""
    files = sorted(p.name for p in C.CHECKPOINT_DIR.glob("*.pt"))
    assert sorted(f for f, _ in C.REGISTRY.values()) == files
    for name, (file, digest) in C.REGISTRY.items():
        assert name == file.removesuffix(".pt")
        assert sha256_file(C.CHECKPOINT_DIR / file) == digest, (
            f"{file}: run python -m course_lib.checkpoints update"
        )
        assert (C.CHECKPOINT_DIR / file).stat().st_size <= 10 * 2**20


def test_every_committed_checkpoint_has_the_one_layout():
    for name in C.REGISTRY:
        blob = C.load(name)
        assert set(blob) == {"config", "state_dict", "meta"}, name
        assert all(isinstance(v, torch.Tensor) for v in blob["state_dict"].values())


def test_save_then_load_round_trip_with_config_and_meta(tmp_path):
    model = torch.nn.Linear(3, 2)
    digest = C.save(model, tmp_path / "m.pt", config={"sizes": (3, 2)}, steps=5)
    blob = C.load(tmp_path / "m.pt", sha256=digest)
    assert blob["config"] == {"sizes": [3, 2]} and blob["meta"] == {"steps": 5}
    assert torch.equal(blob["state_dict"]["weight"], model.weight)


def test_corrupt_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "m.pt"
    digest = C.save(torch.nn.Linear(2, 2), path)
    path.write_bytes(path.read_bytes()[:-9])  # truncated
    before = path.read_bytes()
    with pytest.raises(ValueError, match="SHA-256"):
        C.load(path, sha256=digest)
    assert path.read_bytes() == before
    with pytest.raises(FileNotFoundError):
        C.load(tmp_path / "missing.pt")


def test_unknown_registry_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="wavenet_digits"):
        C.load("wavenet_digtis")


def test_weights_only_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"f": print}, path)  # a function, not tensors: weights_only must refuse it
    with pytest.raises(Exception, match="(?i)weights"):
        C.load(path)


def test_fetch_prefers_repository_then_cache_and_keeps_no_bad_download(tmp_path, monkeypatch):
    repo, mirror = tmp_path / "repo", tmp_path / "mirror"
    (mirror / "checkpoints").mkdir(parents=True)
    repo.mkdir()
    good = repo / "ck.pt"
    C.save(torch.nn.Linear(2, 2), good)
    digest = sha256_file(good)
    monkeypatch.setitem(C.REGISTRY, "ck", ("ck.pt", digest))
    monkeypatch.setattr(C, "CHECKPOINT_DIR", repo)
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(C, "PUBLISHED_URL", mirror.as_uri() + "/")
    assert C.fetch("ck") == good
    # not in the repository: wrong bytes from the mirror are refused and nothing is kept
    monkeypatch.setattr(C, "CHECKPOINT_DIR", tmp_path / "no-repo")
    (mirror / "checkpoints" / "ck.pt").write_bytes(b"not the checkpoint")
    with pytest.raises(ValueError, match="SHA-256"):
        C.fetch("ck")
    cache = tmp_path / "cache" / "checkpoints"
    assert list(cache.iterdir()) == []
    # the right bytes are downloaded into the cache, then found there
    (mirror / "checkpoints" / "ck.pt").write_bytes(good.read_bytes())
    assert C.fetch("ck") == cache / "ck.pt"
    assert torch.equal(C.load("ck")["state_dict"]["weight"], C.load(good)["state_dict"]["weight"])
    # nowhere and no mirror: a clear error
    monkeypatch.setitem(C.REGISTRY, "gone", ("gone.pt", digest))
    with pytest.raises(FileNotFoundError, match="clone the repository"):
        C.fetch("gone")


def test_committed_result_falls_back_to_a_download_into_the_cache(tmp_path, monkeypatch):
    assert C.committed_result("rnn_gan_table.md").is_file()  # in a clone: the repository's copy
    (tmp_path / "mirror" / "results").mkdir(parents=True)
    (tmp_path / "mirror" / "results" / "t.md").write_text("| a |\n")
    monkeypatch.setattr(C, "RESULTS_DIR", tmp_path / "no-repo")
    monkeypatch.setattr(C, "PUBLISHED_URL", (tmp_path / "mirror").as_uri() + "/")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    got = C.committed_result("t.md")
    assert got == tmp_path / "cache" / "results" / "t.md" and got.read_text() == "| a |\n"
    with pytest.raises(FileNotFoundError, match="clone the repository"):
        C.committed_result("missing.md")
    assert sorted(p.name for p in got.parent.iterdir()) == ["t.md"]  # no partial file left


def test_register_writes_names_and_hashes(tmp_path):
    C.save(torch.nn.Linear(1, 1), tmp_path / "a.pt")
    entries = C.register(tmp_path, tmp_path / "reg.json")
    assert json.loads((tmp_path / "reg.json").read_text()) == entries
    assert entries["a"]["sha256"] == sha256_file(tmp_path / "a.pt")


def test_published_files_are_pinned_to_the_release_tag(monkeypatch):
    monkeypatch.delenv(release.MIRROR_ENV, raising=False)
    url = f"https://raw.githubusercontent.com/{release.SLUG}/{release.TAG}/benchmarks/"
    assert C.PUBLISHED_URL == release.file_url("benchmarks/") == url
    monkeypatch.setenv(release.MIRROR_ENV, "http://127.0.0.1:8000/copy/")
    assert release.file_url("benchmarks/x.pt") == "http://127.0.0.1:8000/copy/benchmarks/x.pt"


def test_fetch_over_http_refuses_wrong_and_truncated_files_and_keeps_nothing(tmp_path, monkeypatch):
    """The download path a pip-installed library takes (e.g. on Colab), against a local server
    named by ``$COURSE_MIRROR_URL``: only a file with the registered hash is ever kept."""
    good = tmp_path / "ck.pt"
    C.save(torch.nn.Linear(2, 2), good)
    monkeypatch.setitem(C.REGISTRY, "ck", ("ck.pt", sha256_file(good)))
    monkeypatch.setattr(C, "CHECKPOINT_DIR", tmp_path / "no-repo")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "checkpoints"
    path = "/benchmarks/checkpoints/ck.pt"
    for served, cut, error in [
        (b"not the checkpoint", None, ValueError),
        (good.read_bytes(), 64, FileNotFoundError),
    ]:
        with serve_files({path: served}, truncate={path: cut} if cut else None) as (url, requests):
            monkeypatch.setenv(release.MIRROR_ENV, url)
            monkeypatch.setattr(C, "PUBLISHED_URL", release.file_url("benchmarks/"))
            with pytest.raises(error):
                C.fetch("ck")
            assert requests == [path]
        assert list(cache.iterdir()) == [], "a wrong or truncated download must leave nothing in the cache"
    with serve_files({path: good.read_bytes()}) as (url, requests):
        monkeypatch.setattr(C, "PUBLISHED_URL", url + "/benchmarks/")
        assert C.fetch("ck") == cache / "ck.pt"
        assert torch.equal(C.load("ck")["state_dict"]["weight"], C.load(good)["state_dict"]["weight"])
        assert requests == [path], "found in the cache the second time"
    assert sorted(p.name for p in cache.iterdir()) == ["ck.pt"]
