"""Foundation: what the notebooks show: audio players, standard figures, result tables, glue.

Chapters: all

Nothing here computes a result: these helpers display what the chapters measured, and
:func:`glue` hands measured numbers to the page's prose (myst-nb's ``{glue:text}`` role), so
no measured value is typed by hand.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from cycler import cycler
from IPython.display import Audio

from course_lib.audio import log_mel
from course_lib.utils import History

#: Colour-blind-safe colours (Okabe & Ito), in Matplotlib's order of hues (C0 blue, C1 orange,
#: C2 green, C3 red), so that code and captions naming "C3" or "red" keep their meaning.
COURSE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_course_style() -> None:
    """Matplotlib defaults of the course's figures: the colour-blind-safe colour cycle above.

    Figures whose legend tells curves apart give them markers or line styles as well, so that
    they differ in more than colour. Applied once when this module is imported; call it again
    after ``plt.style.use``.
    """
    plt.rcParams["axes.prop_cycle"] = cycler(color=COURSE_COLOURS)
    plt.rcParams["image.cmap"] = "viridis"


class LabelledAudio(Audio):
    """An IPython audio player with a caption saying what it plays (HTML: ``<figure>``).

    Args:
        data: ``(time,)`` samples in [-1, 1], played at their true level.
        rate: sample rate in Hz.
        label: what the clip is, shown above the player and read out by screen readers.
    """

    def __init__(self, data: np.ndarray, rate: int, label: str):
        super().__init__(data, rate=rate, normalize=False)
        self.label = label

    def _repr_html_(self) -> str:
        label = html.escape(self.label)
        player = super()._repr_html_().replace("<audio", f'<audio aria-label="{label}"', 1)
        return f'<figure class="course-audio"><figcaption>{label}</figcaption>{player}</figure>'


def audio_player(
    wave: torch.Tensor | np.ndarray,
    rate: int,
    *,
    label: str,
    max_seconds: float = 10.0,
    min_seconds: float = 1.0,
) -> LabelledAudio:
    """A labelled IPython audio player for a short mono clip, played at its true level.

    ``normalize=False`` keeps quiet signals quiet, so noise levels can be compared by ear;
    the WAV is embedded in the page (about 16 kB per second at 8 kHz), hence the length cap.
    A clip shorter than ``min_seconds`` is padded with silence at its end: browsers show a
    fraction of a second as "0:00" and it is over before a listener has found the button.

    Args:
        wave: ``(time,)`` samples in [-1, 1].
        rate: sample rate in Hz.
        label: what the clip is ("clean", "noisy 0 dB", "MaskNet output"), shown above the player.
        max_seconds: longest clip accepted.
        min_seconds: shorter clips are padded with silence to this length.

    Returns:
        a ``LabelledAudio`` (an ``IPython.display.Audio``) object.

    Raises:
        ValueError: not mono, longer than ``max_seconds``, samples outside [-1, 1], or no label.
    """
    x = torch.as_tensor(wave).detach().cpu().float()
    if x.dim() != 1:
        raise ValueError(f"expected mono audio of shape (time,), got {tuple(x.shape)}")
    if x.numel() > max_seconds * rate:
        raise ValueError(f"clip is {x.numel() / rate:.1f} s long; keep players under {max_seconds} s")
    if x.numel() and x.abs().max() > 1.0:
        raise ValueError(f"samples must lie in [-1, 1] (peak {x.abs().max():.2f}); normalise first")
    if not label.strip():
        raise ValueError("give the player a label saying what it plays, e.g. label='noisy 0 dB'")
    x = torch.nn.functional.pad(x, (0, max(0, round(min_seconds * rate) - x.numel())))
    return LabelledAudio(x.numpy(), rate, label)


def plot_spectrogram(
    ax: plt.Axes,
    spec_db: torch.Tensor,
    rate: int,
    hop_length: int,
    *,
    mel: bool = False,
    title: str | None = None,
    colorbar: bool = True,
) -> plt.Axes:
    """Show a (log-)spectrogram in dB with time in seconds on the x axis.

    Args:
        ax: the axes to draw on.
        spec_db: ``(bins, frames)`` in dB.
        rate: sample rate in Hz.
        hop_length: frame step in samples.
        mel: the bins are mel bands (label them so) rather than linear frequencies.
        title: panel title.
        colorbar: add a dB colour bar.

    Returns:
        the axes.
    """
    s = torch.as_tensor(spec_db).detach().cpu().numpy()
    bins, frames = s.shape
    top = bins if mel else rate / 2
    im = ax.imshow(
        s, origin="lower", aspect="auto", cmap="magma", extent=(0, frames * hop_length / rate, 0, top)
    )
    ax.set(xlabel="time (s)", ylabel="mel band" if mel else "frequency (Hz)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="dB")
    return ax


def waveform_and_spectrogram(wave: torch.Tensor, rate: int, title: str = "", n_mels: int = 40) -> plt.Figure:
    """Two-panel figure: the waveform above its log-mel spectrogram (course defaults).

    Args:
        wave: ``(time,)``.
        rate: sample rate in Hz.
        title: figure title.
        n_mels: mel bands.

    Returns:
        the figure.
    """
    hop = int(0.010 * rate)
    x = torch.as_tensor(wave).detach().cpu().float().numpy()
    fig, (a, b) = plt.subplots(2, 1, figsize=(8, 4.5), constrained_layout=True)
    a.plot(np.arange(len(x)) / rate, x, lw=0.6)
    a.set(xlabel="time (s)", ylabel="amplitude", xlim=(0, len(x) / rate), title=title)
    plot_spectrogram(
        b, log_mel(torch.as_tensor(wave), rate, hop_length=hop, n_mels=n_mels), rate, hop, mel=True
    )
    return fig


# --- Numbers into prose, tables and training curves -----------------------------------------------


def glue(name: str, value: Any) -> Any:
    """Make a measured value available to the page's prose as ``{glue:text}`name:.2f```.

    Uses myst-nb's ``glue`` when it is installed (building the book); elsewhere (Colab) it
    does nothing, so the notebook runs the same.

    Args:
        name: the key the Markdown refers to (unique within the book).
        value: a number or a short string.

    Returns:
        ``value``, so the call can wrap an expression.
    """
    if isinstance(value, (np.generic, torch.Tensor)):  # numpy/torch scalars print as np.float64(...)
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # not building the book (e.g. on Colab): nothing to hand over
        return value
    myst_glue(name, value, display=False)
    return value


def _fmt(v: Any, digits: int) -> str:
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def markdown_table(rows: Sequence[dict], columns: Sequence[str] | None = None, digits: int = 2) -> str:
    """A Markdown table of dict rows; floats rounded to ``digits``.

    Args:
        rows: one dict per row (missing keys give empty cells).
        columns: the columns in order (default: the keys of the first row).
        digits: decimals for floats.

    Returns:
        the table as Markdown text (display it with ``IPython.display.Markdown``).

    Raises:
        ValueError: no rows and no columns.
    """
    if not rows and not columns:
        raise ValueError("markdown_table needs rows or columns")
    columns = list(columns or rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(r.get(c, ""), digits) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def read_csv_rows(path: str | Path) -> list[dict]:
    """Rows of a results CSV as dicts, numbers converted to float and True/False to bool.

    Args:
        path: the CSV file.

    Returns:
        one dict per row.
    """

    def conv(v: str) -> Any:
        try:
            return float(v)
        except ValueError:
            return {"True": True, "False": False}.get(v, v)

    with open(path, newline="") as f:
        return [{k: conv(v) for k, v in row.items()} for row in csv.DictReader(f)]


def pivot(rows: Sequence[dict], index: Sequence[str], column: str, value: str) -> list[dict]:
    """Long rows to wide rows: one per distinct ``index`` tuple, one column per ``column`` value.

    Args:
        rows: long-format rows.
        index: the keys that identify an output row.
        column: the key whose values become column names.
        value: the key whose values fill the cells.

    Returns:
        the wide rows.
    """
    out: dict[tuple, dict] = {}
    for r in rows:
        key = tuple(r[i] for i in index)
        out.setdefault(key, dict(zip(index, key, strict=True)))[str(r[column])] = r[value]
    return list(out.values())


def plot_history(
    history: History, names: Sequence[str] | None = None, *, smooth: int = 1, axes: Any = None
) -> Any:
    """Training curves of a :class:`~course_lib.utils.History`: one panel per loss or metric.

    Args:
        history: what a ``train_*`` function returned.
        names: losses/metrics to show (default: all losses, then all metrics).
        smooth: moving-average window over steps for losses (1: raw).
        axes: existing axes, one per name (default: a new row of panels).

    Returns:
        the figure.
    """
    names = list(names or [*history.losses, *history.metrics])
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.6), squeeze=False)
        axes = axes[0]
    for ax, name in zip(axes, names, strict=True):
        if name in history.losses:
            y = np.asarray(history.losses[name], dtype=float)
            if smooth > 1 and len(y) >= smooth:
                y = np.convolve(y, np.ones(smooth) / smooth, mode="valid")
            ax.plot(np.arange(1, len(y) + 1) + (smooth - 1), y, lw=1)
        else:
            steps, vals = zip(*history.metrics[name], strict=True)
            ax.plot(steps, vals, marker="o", ms=3)
        ax.set(title=name, xlabel="step")
    fig = axes[0].figure
    fig.tight_layout()
    return fig


use_course_style()
