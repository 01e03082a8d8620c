"""course_lib.utils: seeds and generators, device, timing, History, cache folder, downloads.

:func:`serve_files` is a small HTTP server on the loopback address, used here and by the
checkpoint and FSDD tests to exercise the real download path (``urllib``) with right,
wrong and truncated files.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import random
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from course_lib import utils


def test_set_seed_makes_all_generators_repeatable():
    utils.set_seed(123)
    a = (random.random(), np.random.rand(), torch.rand(3))
    utils.set_seed(123)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[:2] == b[:2] and torch.equal(a[2], b[2])
    with pytest.raises(TypeError):
        utils.set_seed("7")


def test_make_generator_from_int_none_or_generator():
    a = torch.rand(3, generator=utils.make_generator(5))
    assert torch.equal(a, torch.rand(3, generator=utils.make_generator(5)))
    assert torch.equal(
        torch.rand(2, generator=utils.make_generator(None)), torch.rand(2, generator=utils.make_generator(0))
    )
    g = torch.Generator().manual_seed(1)
    assert utils.make_generator(g) is g
    with pytest.raises(TypeError, match="seed"):
        utils.make_generator(1.5)


def test_seeded_is_reproducible_and_restores_the_global_rng():
    torch.manual_seed(42)
    before = torch.get_rng_state()
    with utils.seeded(7):
        a = torch.nn.Linear(4, 4).weight.detach().clone()
    assert torch.equal(torch.get_rng_state(), before)  # the caller's stream is untouched
    with utils.seeded(7):
        b = torch.nn.Linear(4, 4).weight.detach().clone()
    assert torch.equal(a, b)
    with utils.seeded(8):
        c = torch.nn.Linear(4, 4).weight.detach().clone()
    assert not torch.equal(a, c)


def test_get_device_cpu_and_unavailable(monkeypatch):
    assert utils.get_device("cpu").type == "cpu"
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert utils.get_device().type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            utils.get_device("cuda")


def test_count_parameters():
    m = torch.nn.Linear(3, 2)  # 3*2 + 2
    assert utils.count_parameters(m) == 8
    m.bias.requires_grad_(False)
    assert utils.count_parameters(m) == 6
    assert utils.count_parameters(m, trainable_only=False) == 8


def test_timer_measures_wall_and_cpu_time():
    with utils.Timer() as t:
        time.sleep(0.05)
    assert 0.04 < t.seconds < 1.0 and t.cpu_seconds < 0.04  # sleeping costs no CPU
    with utils.Timer() as t:
        sum(i * i for i in range(300_000))
    assert t.cpu_seconds > 0


def test_history_records_losses_metrics_time_and_round_trips():
    h = utils.History()
    with h.timed():
        for step in range(1, 4):
            h.add(d=torch.tensor(1.0 / 2**step), g=2.0)
        h.add_metric(3, hq=0.5)
    assert h.steps == 3 and h.losses["d"] == [0.5, 0.25, 0.125] and h.last("hq") == 0.5
    assert h.wall_s >= 0 and h.cpu_s >= 0
    assert h.to_dict()["metrics"] == {"hq": [[3, 0.5]]}
    with pytest.raises(KeyError, match="recorded"):
        h.last("nope")


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "c"))
    assert utils.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("COURSE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert utils.cache_dir() == tmp_path / "x" / "course_lib"


def test_sha256_file(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"abc" * 1000)
    assert utils.sha256_file(p) == hashlib.sha256(b"abc" * 1000).hexdigest()


# ---------------------------------------------------------------- downloads over HTTP


class _FileHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files[path]``; for a path in ``server.truncate`` it announces the full
    length but sends only that many bytes, then closes the connection (a broken download)."""

    def do_GET(self) -> None:
        body = self.server.files.get(self.path)  # type: ignore[attr-defined]
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: self.server.truncate.get(self.path, len(body))])  # type: ignore[attr-defined]

    def log_message(self, *args: object) -> None:  # quiet test output
        pass


@contextlib.contextmanager
def serve_files(
    files: dict[str, bytes], truncate: dict[str, int] | None = None
) -> Iterator[tuple[str, list]]:
    """Serve ``{"/path": bytes}`` on 127.0.0.1 in a thread; yields (base URL, list of requested paths)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FileHandler)
    server.files, server.truncate, server.requests = files, truncate or {}, []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_download_over_http_checks_the_hash_and_keeps_nothing_bad(tmp_path):
    good = b"the right bytes" * 1000
    digest = hashlib.sha256(good).hexdigest()
    files = {"/good": good, "/wrong": b"other bytes" * 1000, "/cut": good}
    with serve_files(files, truncate={"/cut": 100}) as (url, requests):
        dest = tmp_path / "cache" / "f.bin"
        assert utils.download(f"{url}/good", dest, sha256=digest) == dest and dest.read_bytes() == good
        for path, error in [("/wrong", ValueError), ("/cut", OSError), ("/missing", OSError)]:
            with pytest.raises(error):
                utils.download(f"{url}{path}", tmp_path / "cache" / "g.bin", sha256=digest)
            with pytest.raises(error):  # a failed download never replaces a good file either
                utils.download(f"{url}{path}", dest, sha256=digest)
        assert requests == ["/good"] + [p for p in ("/wrong", "/cut", "/missing") for _ in range(2)]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["f.bin"]
    assert dest.read_bytes() == good
