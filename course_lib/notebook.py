"""Helpers for the book's notebooks: Colab detection, audio players and standard figures."""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib import __version__

__all__ = [
    "is_colab",
    "audio_player",
    "plot_waveform",
    "plot_spectrogram",
    "waveform_and_spectrogram",
    "COURSE_REPOSITORY",
    "COLAB_INSTALL_SPEC",
    "colab_install_cell",
]


def is_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


def audio_player(wave: torch.Tensor | np.ndarray, rate: int, *, max_seconds: float = 10.0):
    """An IPython audio player for a short mono clip, played at its true level.

    ``normalize=False`` keeps quiet signals quiet, so noise levels can be compared by ear;
    the WAV is embedded in the page (about 16 kB per second at 8 kHz), hence the length cap.

    Raises:
        ValueError: not mono, longer than ``max_seconds``, or samples outside [-1, 1].
    """
    from IPython.display import Audio

    x = torch.as_tensor(wave).detach().cpu().float()
    if x.dim() != 1:
        raise ValueError(f"expected mono audio of shape (time,), got {tuple(x.shape)}")
    if x.numel() > max_seconds * rate:
        raise ValueError(f"clip is {x.numel() / rate:.1f} s long; keep players under {max_seconds} s")
    if x.numel() and x.abs().max() > 1.0:
        raise ValueError(f"samples must lie in [-1, 1] (peak {x.abs().max():.2f}); normalise first")
    return Audio(x.numpy(), rate=rate, normalize=False)


def plot_waveform(ax: plt.Axes, wave: torch.Tensor, rate: int, title: str | None = None, **kw) -> plt.Axes:
    """Waveform against time in seconds."""
    x = torch.as_tensor(wave).detach().cpu().float().numpy()
    ax.plot(np.arange(len(x)) / rate, x, lw=0.6, **kw)
    ax.set(xlabel="time (s)", ylabel="amplitude", xlim=(0, len(x) / rate))
    if title:
        ax.set_title(title)
    return ax


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
    """Show a (log-)spectrogram ``(bins, frames)`` in dB with time in seconds on the x axis."""
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


def waveform_and_spectrogram(wave: torch.Tensor, rate: int, title: str = "", n_mels: int = 40):
    """Two-panel figure: the waveform above its log-mel spectrogram (course defaults)."""
    from course_lib.audio import log_mel

    hop = int(0.010 * rate)
    fig, (a, b) = plt.subplots(2, 1, figsize=(8, 4.5), constrained_layout=True)
    plot_waveform(a, wave, rate, title=title or None)
    plot_spectrogram(
        b, log_mel(torch.as_tensor(wave), rate, hop_length=hop, n_mels=n_mels), rate, hop, mel=True
    )
    return fig


# ---------------------------------------------------------------------------------------
# The first cell of every notebook (chapters and assignments)
# ---------------------------------------------------------------------------------------

#: The course's public repository (also ``repository.url`` in ``_config.yml``).
COURSE_REPOSITORY = "https://github.com/dgm-seq-audio/course"
#: What every notebook's first cell installs on Colab: this release of the library, pinned to
#: the git tag ``v<version>`` so that a notebook always gets the code it was executed with.
#: Bump ``course_lib.__version__``, rewrite the first cells with
#: ``python -m course_lib.assignments pin-colab``, commit, and tag that commit.
COLAB_INSTALL_SPEC = f"course_lib @ git+{COURSE_REPOSITORY}@v{__version__}"


def colab_install_cell(spec: str = COLAB_INSTALL_SPEC) -> str:
    """Source of the canonical first code cell: installs ``spec`` on Colab only.

    It never names torch or ipywidgets: the library asks only for lower bounds that Colab's
    preinstalled versions meet, so pip leaves them alone.
    """
    return (
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:  # Colab only; never reinstalls torch or ipywidgets\n'
        "    subprocess.run(\n"
        '        [sys.executable, "-m", "pip", "install", "-q",\n'
        f'         "{spec}"],\n'
        "        check=True,\n"
        "    )"
    )
