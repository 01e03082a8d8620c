"""Drawing blocks for the book's architecture diagrams, in one consistent style.

Chapters: all

A diagram is a matplotlib figure on a grid of data units (no axes shown), built from boxes and
arrows. One vocabulary across the book:

- ``kind`` of a box: ``"data"`` (a tensor, with its shape), ``"net"`` (a network with weights),
  ``"op"`` (a fixed operation: sum, product, sampling, rounding), ``"loss"`` (a scalar objective);
- an arrow is the forward pass (solid, dark) or a gradient path (``grad=True``: dashed, vermilion),
  optionally labelled with the tensor shape that flows along it.

Colours are the Okabe-Ito palette of :func:`course_lib.notebook.use_course_style`, so the figures
stay readable for colour-blind readers; every kind also differs in shape (rounded, square, round,
double border), not only in colour.

Shapes are written as text, e.g. ``"(B, 2)"``; see :func:`shape` for a helper that reads them from a
tensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import torch
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch

# Okabe-Ito: blue, orange, bluish green, vermilion, reddish purple, sky blue, yellow, black.
COLOURS = {
    "data": "#56B4E9",
    "net": "#E69F00",
    "op": "#F0E442",
    "loss": "#CC79A7",
    "forward": "#000000",
    "grad": "#D55E00",
}
KINDS = ("data", "net", "op", "loss")
#: Widest figure in inches: the book's text column shows about 7 inches at full size.
MAX_WIDTH_IN = 7.6


def shape(x: torch.Tensor, names: str = "") -> str:
    """A tensor's shape as diagram text, e.g. ``shape(torch.zeros(16, 2), "B,d") == "(B=16, d=2)"``.

    Args:
        x: any tensor.
        names: comma-separated dimension names, one per dimension (or empty: numbers only).

    Returns:
        the text.
    """
    dims = [str(d) for d in x.shape]
    if names:
        keys = [n.strip() for n in names.split(",")]
        if len(keys) != len(dims):
            raise ValueError(f"{len(keys)} names for a tensor of {len(dims)} dimensions")
        dims = [f"{k}={d}" for k, d in zip(keys, dims, strict=True)]
    return "(" + ", ".join(dims) + ")"


@dataclass
class Diagram:
    """A diagram on a ``width`` x ``height`` grid (data units; the figure keeps that aspect).

    Attributes:
        width: grid width.
        height: grid height.
        title: the figure title (also the start of its alt text on the website).
        scale: inches per grid unit.
        boxes: the boxes drawn so far, by name: ``(x, y, w, h)``, centre and size.
    """

    width: float
    height: float
    title: str = ""
    scale: float = 0.62
    boxes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"need a positive size, got {self.width} x {self.height}")
        scale = min(self.scale, MAX_WIDTH_IN / self.width)  # wider figures would be shrunk on the page
        self.fig, self.ax = plt.subplots(figsize=(self.width * scale, self.height * scale))
        self.ax.set(xlim=(0, self.width), ylim=(0, self.height), aspect="equal")
        self.ax.axis("off")
        if self.title:
            self.ax.set_title(self.title)

    def box(
        self, name: str, x: float, y: float, text: str, kind: str = "net", w: float = 2.2, h: float = 0.9
    ) -> Diagram:
        """A box centred at (x, y) holding ``text`` (``\\n`` for lines); ``kind`` in :data:`KINDS`."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if name in self.boxes:
            raise ValueError(f"a box named {name!r} is already drawn")
        style = {
            "data": "round,pad=0.08",
            "net": "square,pad=0.08",
            "op": "circle,pad=0.02",
            "loss": "round4,pad=0.1",
        }[kind]
        if kind == "op":
            self.ax.add_patch(Circle((x, y), min(w, h) / 2, fc=COLOURS[kind], ec="black", lw=1))
        else:
            self.ax.add_patch(
                FancyBboxPatch(
                    (x - w / 2, y - h / 2),
                    w,
                    h,
                    boxstyle=style,
                    fc=COLOURS[kind],
                    ec="black",
                    lw=2 if kind == "loss" else 1,
                )
            )
        self.ax.text(x, y, text, ha="center", va="center", fontsize=9)
        self.boxes[name] = (x, y, w if kind != "op" else min(w, h), h if kind != "op" else min(w, h))
        return self

    def _edge(self, name: str, toward: tuple[float, float]) -> tuple[float, float]:
        """The point where the segment from box ``name``'s centre to ``toward`` leaves the box."""
        x, y, w, h = self.boxes[name]
        dx, dy = toward[0] - x, toward[1] - y
        if dx == dy == 0:
            return x, y
        t = min(w / 2 / abs(dx) if dx else float("inf"), h / 2 / abs(dy) if dy else float("inf"))
        return x + t * dx, y + t * dy

    def arrow(
        self,
        a: str,
        b: str,
        label: str = "",
        grad: bool = False,
        bend: float = 0.0,
        label_at: float = 0.5,
        offset: tuple[float, float] = (0.0, 0.18),
    ) -> Diagram:
        """An arrow from box ``a`` to box ``b``: forward (solid) or gradient (``grad``: dashed).

        ``bend`` curves it (radians-like, positive: to the left); ``label`` (e.g. a shape) is
        written at fraction ``label_at`` of the way, shifted by ``offset``.
        """
        for n in (a, b):
            if n not in self.boxes:
                raise KeyError(f"no box named {n!r}; drawn: {sorted(self.boxes)}")
        pa, pb = self._edge(a, self.boxes[b][:2]), self._edge(b, self.boxes[a][:2])
        colour = COLOURS["grad" if grad else "forward"]
        self.ax.add_patch(
            FancyArrowPatch(
                pa,
                pb,
                arrowstyle="-|>",
                mutation_scale=12,
                color=colour,
                lw=1.4,
                ls="--" if grad else "-",
                connectionstyle=f"arc3,rad={bend}",
            )
        )
        if label:
            lx = pa[0] + label_at * (pb[0] - pa[0]) + offset[0]
            ly = pa[1] + label_at * (pb[1] - pa[1]) + offset[1]
            self.ax.text(
                lx,
                ly,
                label,
                ha="center",
                va="bottom",
                fontsize=8,
                color=colour,
                bbox={"fc": "white", "ec": "none", "pad": 0.5, "alpha": 0.8},
            )
        return self

    def note(self, x: float, y: float, text: str, **kw) -> Diagram:
        """Free text at (x, y), e.g. an equation ``"$D^*(x)=p/(p+q)$"``."""
        self.ax.text(
            x,
            y,
            text,
            ha=kw.pop("ha", "center"),
            va=kw.pop("va", "center"),
            fontsize=kw.pop("fontsize", 9),
            **kw,
        )
        return self

    def legend(self, items: Sequence[str] = ("forward", "grad")) -> Diagram:
        """A legend for the arrow styles and box kinds used."""
        names = {
            "forward": "forward pass",
            "grad": "gradient path",
            "data": "tensor",
            "net": "network",
            "op": "operation",
            "loss": "loss",
        }
        handles = [
            Line2D([], [], color=COLOURS[i], ls="--" if i == "grad" else "-", label=names[i])
            if i in ("forward", "grad")
            else Patch(fc=COLOURS[i], ec="black", label=names[i])
            for i in items
        ]
        self.ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, -0.02),
            ncol=len(handles),
            fontsize=8,
            frameon=False,
        )
        return self

    def figure(self) -> plt.Figure:
        """The finished figure (call ``plt.show()`` in a notebook)."""
        self.fig.tight_layout()
        return self.fig
