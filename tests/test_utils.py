"""course_lib.utils and course_lib.notebook."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest
import torch

from course_lib import notebook, utils


def test_set_seed_makes_all_generators_repeatable():
    utils.set_seed(123)
    a = (np.random.rand(), torch.rand(3))
    utils.set_seed(123)
    b = (np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and torch.equal(a[1], b[1])
    with pytest.raises(TypeError):
        utils.set_seed("7")


def test_get_device_cpu_and_unavailable(monkeypatch):
    assert utils.get_device("cpu").type == "cpu"
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert utils.get_device().type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            utils.get_device("cuda")


def test_count_parameters():
    m = torch.nn.Linear(3, 2)  # 3*2 + 2
    assert utils.count_parameters(m) == 8
    m.bias.requires_grad_(False)
    assert utils.count_parameters(m) == 6
    assert utils.count_parameters(m, trainable_only=False) == 8


def test_timer_measures_elapsed_time():
    with utils.Timer() as t:
        time.sleep(0.05)
    assert 0.04 < t.seconds < 1.0


def test_audio_player_checks_input():
    player = notebook.audio_player(torch.zeros(800), 8000)
    assert "audio" in player._repr_html_()
    with pytest.raises(ValueError, match="mono"):
        notebook.audio_player(torch.zeros(2, 800), 8000)
    with pytest.raises(ValueError, match="under"):
        notebook.audio_player(torch.zeros(8000 * 20), 8000)
    with pytest.raises(ValueError, match="peak"):
        notebook.audio_player(torch.full((800,), 2.0), 8000)


def test_is_colab_false_here():
    assert notebook.is_colab() is False


def test_load_verified_checks_hash_and_leaves_the_file_alone(tmp_path):
    from course_lib.utils import load_verified, sha256_file

    path = tmp_path / "ck.pt"
    torch.save({"w": torch.arange(3.0)}, path)
    digest = sha256_file(path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert torch.equal(load_verified(path, digest)["w"], torch.arange(3.0))
    path.write_bytes(path.read_bytes()[:-7])  # truncated download
    before = path.read_bytes()
    with pytest.raises(ValueError, match="SHA-256"):
        load_verified(path, digest, remedy="Run make-it.py.")
    assert path.read_bytes() == before  # nothing overwritten or deleted
    with pytest.raises(FileNotFoundError, match="make-it.py"):
        load_verified(tmp_path / "missing.pt", digest, remedy="Run make-it.py.")


def test_committed_checkpoint_prefers_repository_then_cache_and_keeps_nothing_bad(tmp_path, monkeypatch):
    from course_lib import utils as U

    repo, cache = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    cache.mkdir()
    good = repo / "ck.pt"
    torch.save({"w": torch.ones(2)}, good)
    digest = U.sha256_file(good)
    monkeypatch.setattr(U, "CHECKPOINT_DIR", repo)
    monkeypatch.setenv("COURSE_CACHE", str(cache))
    assert U.committed_checkpoint("ck.pt", digest) == good
    # not in the repository: a download that serves the wrong bytes is refused and leaves nothing
    monkeypatch.setattr(U, "CHECKPOINT_DIR", tmp_path / "no-repo")
    monkeypatch.setattr(U, "CHECKPOINT_URL", (tmp_path / "mirror").as_uri() + "/")
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "ck.pt").write_bytes(b"not the checkpoint")
    with pytest.raises(ValueError, match="SHA-256"):
        U.committed_checkpoint("ck.pt", digest)
    assert list(cache.iterdir()) == []
    # the right bytes are downloaded into the cache and found there afterwards
    (tmp_path / "mirror" / "ck.pt").write_bytes(good.read_bytes())
    assert U.committed_checkpoint("ck.pt", digest) == cache / "ck.pt"
    assert U.sha256_file(cache / "ck.pt") == digest
    # no repository, no cache, no mirror: a clear error
    with pytest.raises(FileNotFoundError, match="clone the repository"):
        U.committed_checkpoint("other.pt", digest)


def test_committed_result_falls_back_to_a_download_into_the_cache(tmp_path, monkeypatch):
    from course_lib import utils as U

    assert U.committed_result("rnn_gan_table.md").is_file()  # in a clone: the repository's copy
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "t.md").write_text("| a |\n")
    monkeypatch.setattr(U, "RESULTS_DIR", tmp_path / "no-repo")
    monkeypatch.setattr(U, "RESULTS_URL", (tmp_path / "mirror").as_uri() + "/")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    got = U.committed_result("t.md")
    assert got == tmp_path / "cache" / "results" / "t.md" and got.read_text() == "| a |\n"
    with pytest.raises(FileNotFoundError, match="clone the repository"):
        U.committed_result("missing.md")
    assert sorted(p.name for p in got.parent.iterdir()) == ["t.md"]  # no partial file left
