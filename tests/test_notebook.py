"""course_lib.notebook: players, tables, glue and training curves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from course_lib import notebook
from course_lib.utils import History


def test_audio_player_checks_input():
    player = notebook.audio_player(torch.zeros(800), 8000)
    assert "audio" in player._repr_html_()
    with pytest.raises(ValueError, match="mono"):
        notebook.audio_player(torch.zeros(2, 800), 8000)
    with pytest.raises(ValueError, match="under"):
        notebook.audio_player(torch.zeros(8000 * 20), 8000)
    with pytest.raises(ValueError, match="peak"):
        notebook.audio_player(torch.full((800,), 2.0), 8000)


def test_markdown_table_read_csv_and_pivot(tmp_path):
    rows = [{"m": "a", "snr": 0, "v": 1.234}, {"m": "a", "snr": 5, "v": 2.0}, {"m": "b", "snr": 0, "v": 3.0}]
    table = notebook.markdown_table(rows, digits=1)
    assert table.splitlines()[0] == "| m | snr | v |" and "| a | 0 | 1.2 |" in table
    wide = notebook.pivot(rows, ["m"], "snr", "v")
    assert wide == [{"m": "a", "0": 1.234, "5": 2.0}, {"m": "b", "0": 3.0}]
    (tmp_path / "r.csv").write_text("m,v,ok\na,1.5,True\n")
    assert notebook.read_csv_rows(tmp_path / "r.csv") == [{"m": "a", "v": 1.5, "ok": True}]
    with pytest.raises(ValueError):
        notebook.markdown_table([])


def test_glue_returns_plain_numbers():
    assert notebook.glue("test_value", 1.5) == 1.5
    for v in (np.float64(0.25), torch.tensor(0.25)):  # reprs "np.float64(...)" break {glue:text}
        out = notebook.glue("test_scalar", v)
        assert type(out) is float and out == 0.25


def test_plot_history_draws_one_panel_per_curve():
    h = History()
    for i in range(10):
        h.add(loss=1.0 / (i + 1))
    h.add_metric(10, acc=0.9)
    fig = notebook.plot_history(h, smooth=3)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "acc"]
