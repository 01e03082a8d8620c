"""Self-check quizzes that work offline, in a notebook and on the website.

Chapters: all

A quiz is a list of :class:`Question` s, each with options and one explanation *per option* (why it
is right, or why it is tempting and wrong). :class:`Quiz` renders as plain HTML with ``<details>``
elements: click an option to reveal its verdict and explanation. That needs no kernel, no
JavaScript and no widgets, so it works the same in Jupyter, on Colab and on the website. In code,
``quiz.check({1: "b", 2: "a"})`` scores a set of answers and prints the explanations of the wrong
ones.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Question:
    """One multiple-choice question.

    Attributes:
        text: the question (Markdown-free text; ``$...$`` math is passed through for MathJax).
        options: the answers offered, 2 to 8.
        answer: index of the right option (0-based).
        explanations: one per option: why it is right or why it is wrong.
    """

    text: str
    options: tuple[str, ...]
    answer: int
    explanations: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.options)
        if not 2 <= n <= len(LETTERS):
            raise ValueError(f"a question needs 2 to {len(LETTERS)} options, got {n}: {self.text!r}")
        if len(self.explanations) != n:
            raise ValueError(f"need one explanation per option ({n}), got {len(self.explanations)}")
        if not 0 <= self.answer < n:
            raise ValueError(f"answer must index an option (0 to {n - 1}), got {self.answer}")
        if any(not e.strip() for e in self.explanations):
            raise ValueError(f"every option needs an explanation: {self.text!r}")


def _inline(text: str) -> str:
    """HTML-escape; ``$x$`` becomes ``\\(x\\)``, ```code``` <code>, ``*word*`` <em> (outside math)."""
    parts = html.escape(text, quote=False).split("$")
    for i in range(0, len(parts), 2):  # even parts lie outside $...$
        parts[i] = re.sub(
            r"\*([^*\s][^*]*?)\*", r"<em>\1</em>", re.sub(r"`([^`]+)`", r"<code>\1</code>", parts[i])
        )
    # odd parts are math: MathJax typesets \( \) inside cell outputs on the website, not $ $
    return "".join(p if i % 2 == 0 else rf"\({p}\)" for i, p in enumerate(parts))


@dataclass(frozen=True)
class Quiz:
    """A titled list of questions; displays as HTML, scores answers with :meth:`check`.

    Attributes:
        title: shown above the questions.
        questions: the questions, numbered from 1.
    """

    title: str
    questions: tuple[Question, ...]

    def __post_init__(self) -> None:
        if not self.questions:
            raise ValueError("a quiz needs at least one question")

    def _repr_html_(self) -> str:
        parts = [
            f'<div class="course-quiz tex2jax_process"><p><strong>{_inline(self.title)}</strong> '
            "(click an option to see whether it is right, and why)</p><ol>"
        ]
        for q in self.questions:
            parts.append(f"<li><p>{_inline(q.text)}</p>")
            for i, (opt, why) in enumerate(zip(q.options, q.explanations, strict=True)):
                verdict = "Right." if i == q.answer else "Not quite."
                parts.append(
                    f"<details><summary>({LETTERS[i]}) {_inline(opt)}</summary>"
                    f"<p><em>{verdict}</em> {_inline(why)}</p></details>"
                )
            parts.append("</li>")
        parts.append("</ol></div>")
        return "".join(parts)

    def __repr__(self) -> str:  # what a plain-text front end shows
        lines = [self.title]
        for n, q in enumerate(self.questions, 1):
            lines.append(f"{n}. {q.text}")
            lines += [f"   ({LETTERS[i]}) {o}" for i, o in enumerate(q.options)]
        return "\n".join(lines)

    def check(self, answers: Mapping[int, str]) -> int:
        """Score ``answers`` (question number from 1 -> option letter) and print the feedback.

        Args:
            answers: e.g. ``{1: "b", 2: "a"}``; unanswered questions count as wrong.

        Returns:
            the number of right answers.
        """
        right = 0
        for n, q in enumerate(self.questions, 1):
            given = answers.get(n)
            if given is not None and (len(given) != 1 or given not in LETTERS[: len(q.options)]):
                raise ValueError(
                    f"question {n}: answer with one of {list(LETTERS[: len(q.options)])}, got {given!r}"
                )
            if given is None:
                print(f"{n}. not answered")
                continue
            i = LETTERS.index(given)
            right += i == q.answer
            print(f"{n}. ({given}) {'right' if i == q.answer else 'not quite'}: {q.explanations[i]}")
        print(f"{right} of {len(self.questions)} right")
        return right


def quiz(title: str, questions: Sequence[Mapping]) -> Quiz:
    """Build a :class:`Quiz` from plain dicts (the form notebooks write them in).

    Args:
        title: e.g. ``"Self-check: GAN foundations"``.
        questions: dicts with keys ``q`` (text), ``options`` (list), ``answer`` (the right option's
            letter) and ``why`` (list: one explanation per option).

    Returns:
        the quiz; display it as the last expression of a cell.
    """
    built = []
    for d in questions:
        missing = {"q", "options", "answer", "why"} - set(d)
        if missing:
            raise ValueError(f"question {d.get('q', '?')!r} lacks {sorted(missing)}")
        if d["answer"] not in LETTERS[: len(d["options"])]:
            raise ValueError(f"answer {d['answer']!r} is not one of the options' letters: {d['q']!r}")
        built.append(Question(d["q"], tuple(d["options"]), LETTERS.index(d["answer"]), tuple(d["why"])))
    return Quiz(title, tuple(built))


def knobs(draw: Callable[..., None], **sliders: tuple[float, float, float, float]) -> object:
    """Sliders that redraw ``draw(**values)`` in an output area (ipywidgets 7.7 and 8).

    It needs a running kernel; the website cannot run it, so a page shows a static figure of a few
    settings just before (drawn by the same ``draw``). Integer sliders are made when every number
    of a spec is an ``int``.

    Args:
        draw: called with one keyword per slider; it draws (``plt.show()``) or displays.
        sliders: ``name=(min, max, step, value)``.

    Returns:
        the widget box (already displayed).
    """
    import ipywidgets as widgets
    from IPython.display import display

    out = widgets.Output()
    made = {}
    for name, (lo, hi, step, value) in sliders.items():
        if not lo <= value <= hi or step <= 0:
            raise ValueError(
                f"slider {name}: need min <= value <= max and step > 0, got {(lo, hi, step, value)}"
            )
        kind = (
            widgets.IntSlider
            if all(isinstance(v, int) for v in (lo, hi, step, value))
            else widgets.FloatSlider
        )
        made[name] = kind(value=value, min=lo, max=hi, step=step, description=name, continuous_update=False)

    def redraw(_=None) -> None:
        with out:
            out.clear_output(wait=True)
            draw(**{n: s.value for n, s in made.items()})

    for s in made.values():
        s.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([*made.values(), out])
    display(box)
    return box
