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
    player = notebook.audio_player(torch.zeros(800), 8000, label="silence")
    assert "audio" in player._repr_html_()
    with pytest.raises(ValueError, match="mono"):
        notebook.audio_player(torch.zeros(2, 800), 8000, label="x")
    with pytest.raises(ValueError, match="under"):
        notebook.audio_player(torch.zeros(8000 * 20), 8000, label="x")
    with pytest.raises(ValueError, match="peak"):
        notebook.audio_player(torch.full((800,), 2.0), 8000, label="x")
    with pytest.raises(ValueError, match="label"):
        notebook.audio_player(torch.zeros(800), 8000, label=" ")


def test_audio_player_is_labelled_and_pads_short_clips_to_a_second():
    player = notebook.audio_player(torch.full((2000,), 0.5), 8000, label="noisy <0 dB>")
    page = player._repr_html_()
    assert "<figcaption>noisy &lt;0 dB&gt;</figcaption>" in page and 'aria-label="noisy &lt;0 dB&gt;"' in page
    long = notebook.audio_player(torch.zeros(12000), 8000, label="long")
    # 16-bit WAV: 44-byte header + 2 bytes per sample; the short clip grew to 8000 samples
    assert len(player.data) == 44 + 2 * 8000 and len(long.data) == 44 + 2 * 12000


def test_course_style_is_colour_blind_safe_and_keeps_matplotlib_hue_names():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    notebook.use_course_style()
    cycle = [c["color"] for c in plt.rcParams["axes.prop_cycle"]]
    assert cycle == notebook.COURSE_COLOURS and len(set(cycle)) == len(cycle)
    blue, red = to_rgb("C0"), to_rgb("C3")  # "C3" is still the red one
    assert blue[2] > max(blue[:2]) and red[0] > max(red[1:])


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
