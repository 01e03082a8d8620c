"""Quizzes and sliders (course_lib.teaching) and the diagram blocks (course_lib.diagrams)."""

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from course_lib.diagrams import Diagram, shape
from course_lib.teaching import Question, quiz

QS = [
    {"q": "Two plus two?", "options": ["3", "4"], "answer": "b", "why": ["off by one", "yes"]},
    {
        "q": "Is `x` code?",
        "options": ["yes", "no", "maybe"],
        "answer": "a",
        "why": ["it is", "no", "no"],
    },
]


def test_quiz_check_scores_and_explains(capsys):
    q = quiz("Self-check", QS)
    assert q.check({1: "b", 2: "c"}) == 1
    out = capsys.readouterr().out
    assert "off by one" not in out and "1 of 2 right" in out and "(c) not quite" in out
    assert q.check({}) == 0


def test_quiz_html_marks_emphasis_outside_math_only():
    q = quiz("t", [{"q": "Is *this* $a*b*c$?", "options": ["x", "y"], "answer": "a", "why": ["1", "2"]}])
    assert "<em>this</em>" in q._repr_html_() and r"\(a*b*c\)" in q._repr_html_()


def test_quiz_html_reveals_every_explanation_once():
    html = quiz("Self-check", QS)._repr_html_()
    assert html.count("<details>") == 5 and html.count("Right.") == 2 and html.count("Not quite.") == 3
    assert "<code>x</code>" in html and "<script" not in html


@pytest.mark.parametrize(
    "bad",
    [
        {"q": "x", "options": ["a", "b"], "answer": "c", "why": ["1", "2"]},  # answer not an option
        {"q": "x", "options": ["a", "b"], "answer": "a", "why": ["1"]},  # one explanation short
        {"q": "x", "options": ["a", "b"], "answer": "a", "why": ["1", " "]},  # empty explanation
        {"q": "x", "options": ["a"], "answer": "a", "why": ["1"]},  # one option
        {"q": "x", "options": ["a", "b"], "why": ["1", "2"]},  # no answer
    ],
)
def test_quiz_rejects_malformed_questions(bad):
    with pytest.raises(ValueError):
        quiz("t", [bad])


def test_quiz_rejects_an_answer_that_is_not_an_option():
    with pytest.raises(ValueError, match="question 1"):
        quiz("t", QS).check({1: "z"})
    with pytest.raises(ValueError):
        Question("x", ("a", "b"), 2, ("1", "2"))


def test_knobs_redraws_on_change():
    pytest.importorskip("ipywidgets")
    from course_lib.teaching import knobs

    seen = []
    box = knobs(lambda beta, k: seen.append((beta, k)), beta=(0.0, 4.0, 0.5, 1.0), k=(1, 9, 1, 3))
    assert seen == [(1.0, 3)]
    box.children[1].value = 5
    assert seen[-1] == (1.0, 5) and type(box.children[1]).__name__ == "IntSlider"
    with pytest.raises(ValueError):
        knobs(lambda beta: None, beta=(0.0, 1.0, 0.1, 2.0))


def test_diagram_boxes_arrows_and_errors():
    d = Diagram(8, 3, title="t")
    d.box("x", 1.5, 1.5, "x\n" + shape(torch.zeros(16, 2), "B,d"), kind="data")
    d.box("g", 5, 1.5, "G", kind="net").arrow("x", "g", "(B, 2)").arrow("g", "x", grad=True, bend=0.3)
    assert d.boxes["x"][:2] == (1.5, 1.5)
    # the arrow starts on the box's edge, not at its centre
    assert d._edge("x", (5, 1.5)) == pytest.approx((1.5 + 1.1, 1.5))
    with pytest.raises(ValueError):
        d.box("x", 0, 0, "again")
    with pytest.raises(KeyError):
        d.arrow("x", "nowhere")
    with pytest.raises(ValueError):
        d.box("y", 0, 0, "y", kind="cloud")
    with pytest.raises(ValueError):
        shape(torch.zeros(2, 3), "B")
    assert d.figure() is d.fig
