"""Autograding for the course's assignments: plain checks, no nbgrader/otter, no server.

Each assignment (one per chapter, notebooks in ``assignments/``) has a few graded checks
registered here with their points and the learning goal they test. A check has two halves:

- its **probe** calls the student's functions on inputs drawn from a seed and returns what they
  gave back as plain data (numbers, lists, shapes: JSON, never pickled objects);
- its **judge** draws the same inputs from the same seed, computes the right answer with its own
  reference code (a closed form, a PyTorch built-in, ``course_lib``) and raises
  ``AssertionError`` with a message that names the mistake (without giving the answer away).

Design: the student's code never runs in the process that awards points
------------------------------------------------------------------------
:func:`grade` (the teacher's command) starts a fresh Python process, the *sandbox*, that executes
the submitted notebook and then runs every probe (hidden ones included). The sandbox writes the
probes' plain data to a file and exits. The teacher's process, which has executed none of the
student's code, reads that file with :func:`json.loads` and runs every judge itself. So:

- nothing the student's code does inside the sandbox (printing a fake report to
  ``sys.__stdout__``, ``os._exit(0)``, replacing the grader's functions in ``__main__`` or in
  this module, patching ``torch.allclose``, writing its own result file) can touch the judges,
  the reference answers or the scores: those live only in the teacher's process;
- the inputs are drawn from a secret seed chosen per run (:mod:`secrets`) and the judges
  compare with references computed for exactly these inputs, so the only result file that earns
  points is one holding the right outputs for this run's inputs, i.e. the work of a function
  that computes them. Copied outputs of another run, or made-up ones, earn nothing;
- while the sandbox runs, the ``course_lib`` functions that solve an exercise (e.g.
  ``course_lib.audio.mu_law_encode``) are switched off (their code raises and records the call,
  whatever name or saved reference reaches them), so a thin wrapper around the library scores
  0 with a message that says so. What no check on outputs can tell apart from honest work is a
  function that computes the right answer by other means, e.g. by copying the library's source:
  that is for a reader of the notebook to judge;
- the sandbox runs in a process group of its own, in a fresh temporary folder, with a time
  limit; at the end every process it started is killed. It is a separate process, not an
  operating-system jail: a submission can still read, change or delete whatever the teacher's
  user account can, or stop the grading itself. Grade where that does no harm (a container, a
  fresh Colab runtime), and keep the grader's files read-only to the account that runs it.

Each check grades one piece of work: where a later exercise builds on an earlier one
(``gru_unroll`` on ``gru_cell``, ``elbo`` on ``gaussian_kl``), its probe replaces the earlier
function by the reference while it runs, so one mistake costs only its own points.

In a notebook (a student on Colab gets instant feedback, probe and judge in one process)::

    from tools.grading import check
    check("gan", "d_loss", globals())

For a teacher, on a file or a folder of submitted notebooks (with ``course-tools`` installed,
or from the repository root)::

    python -m tools.grading submissions/ --csv scores.csv
    python -m tools.grading --table          # points table of every assignment

The assignment is read from the notebook's metadata (``metadata.course_lib.assignment``), so
renamed files are graded correctly; without it, from the functions the notebook defines. Cell
magics and shell escapes (``%%time``, ``%timeit``, ``!pip``, ``%matplotlib``) are translated as
IPython does: the Python code of a ``%%time`` cell runs, shell commands do not.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import csv
import functools
import importlib
import io
import json
import math
import numbers
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from course_lib.audio import mu_law_decode as _ref_mu_law_decode
from course_lib.audio import mu_law_encode as _ref_mu_law_encode
from course_lib.metrics import snr as _ref_snr

__all__ = [
    "Check",
    "CheckResult",
    "Report",
    "CHECKS",
    "assignment_of",
    "check",
    "run_checks",
    "grade",
    "grade_folder",
    "write_csv",
    "points_table",
]

PASS, FAIL, ERROR = "pass", "fail", "error"
#: Every message about a placeholder that is still there starts with this.
NOT_DONE = "not done yet"
_MAX_NUMEL = 100_000  # larger outputs are not sent back from the sandbox
_MAX_RESULT_BYTES = 64 * 2**20
_SANDBOX = False  # True inside the grading sandbox: the notebook's own check() calls do nothing

Probe = Callable[[dict, int], dict]
Judge = Callable[[dict, int], None]


@dataclass(frozen=True)
class Check:
    """One graded check: ``probe(namespace, seed)`` gives plain data, ``judge(data, seed)`` marks it."""

    assignment: str
    name: str
    points: int
    goal: str
    probe: Probe
    judge: Judge
    hidden: bool = False


@dataclass
class CheckResult:
    name: str
    points: float
    max_points: int
    status: str  # "pass", "fail" (the work is wrong or missing) or "error" (the result was unreadable)
    message: str = ""
    hidden: bool = False


@dataclass
class Report:
    notebook: str
    assignment: str
    results: list[CheckResult] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    crashed: str = ""  # why the notebook scores 0 without its checks being judged
    note: str = ""  # how it was graded, when not the usual way (e.g. the assignment was inferred)
    seed: int = 0

    @property
    def score(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(c.points for c in CHECKS.get(self.assignment, {}).values())

    @property
    def reason(self) -> str:
        """What a teacher should know about this row: why it crashed, how it was graded."""
        return "; ".join(s for s in (self.crashed, self.note) if s)

    def text(self) -> str:
        lines = [f"{self.notebook}  [assignment {self.assignment or '?'!r}]"]
        if self.note:
            lines.append(f"  note: {self.note}")
        if self.crashed:
            lines.append(f"  could not be graded: {self.crashed}")
        for r in self.results:
            mark = {PASS: "ok  ", FAIL: "FAIL", ERROR: "ERR "}[r.status]
            tag = " (hidden)" if r.hidden else ""
            lines.append(f"  {mark} {r.name:<28} {r.points:g}/{r.max_points}{tag}")
            if r.message and not self.crashed:
                lines.extend("         " + m for m in r.message.splitlines())
        for e in self.cell_errors:
            lines.append(f"  note: {e}")
        lines.append(f"  score: {self.score:g}/{self.max_score}  ({self.seconds:.1f} s)")
        return "\n".join(lines)


#: assignment id -> check name -> Check, in the order the checks were registered.
CHECKS: dict[str, dict[str, Check]] = {}


def _register(
    assignment: str, name: str, points: int, goal: str, probe: Probe, judge: Judge, hidden: bool = False
) -> None:
    CHECKS.setdefault(assignment, {})
    if name in CHECKS[assignment]:
        raise ValueError(f"check {assignment}/{name} registered twice")
    CHECKS[assignment][name] = Check(assignment, name, points, goal, probe, judge, hidden)


# ---------------------------------------------------------------------------------------
# Library functions that solve an exercise: switched off while the student's code runs
# ---------------------------------------------------------------------------------------

#: "module:attribute.path" of the reference implementations of each assignment's exercises.
REFERENCES: dict[str, tuple[str, ...]] = {
    "gan": (
        "course_lib.gan:discriminator_loss",
        "course_lib.gan:g_loss_saturating",
        "course_lib.gan:g_loss_nonsaturating",
        "course_lib.gan:optimal_discriminator",
    ),
    "vae": (
        "course_lib.vae:gaussian_kl",
        "course_lib.vae:reparameterize",
        "course_lib.vae:elbo",
        "course_lib.vae:elbo_terms",
    ),
    "wavenet": ("course_lib.wavenet:StackConfig.receptive_field",),
    "rnn_gan": ("course_lib.rnn_gan:GRUCell.forward", "torch:gru_cell", "torch._VF:gru_cell"),
    "audio": (
        "course_lib.audio:mu_law_encode",
        "course_lib.audio:mu_law_decode",
        "course_lib.audio:add_noise",
        "course_lib.metrics:snr",
    ),
}

#: Names of the reference functions that a student's function reached (appended by the stubs).
_HITS: list[str] = []


def _reference_stub(*args, _course_lib_reference: str, _course_lib_hits: list, **kwargs):
    """Stands in for a switched-off reference (runs with the library module's globals)."""
    _course_lib_hits.append(_course_lib_reference)
    raise RuntimeError(f"{_course_lib_reference} is switched off while your work is checked")


def _switch_off(ref: str) -> Callable[[], None]:
    """Make the reference ``ref`` raise (and record the call); return the function that undoes it."""
    module_name, _, path = ref.partition(":")
    try:
        owner = importlib.import_module(module_name)
        *parents, attr = path.split(".")
        for p in parents:
            owner = getattr(owner, p)
        target = vars(owner).get(attr) if isinstance(owner, type) else getattr(owner, attr)
    except (ImportError, AttributeError):
        return lambda: None
    label = f"{module_name}.{path}"
    if isinstance(target, property):
        target = target.fget
    if isinstance(target, types.FunctionType) and not target.__code__.co_freevars:
        saved = (target.__code__, target.__defaults__, target.__kwdefaults__)
        target.__code__ = _reference_stub.__code__
        target.__defaults__ = None
        target.__kwdefaults__ = {"_course_lib_reference": label, "_course_lib_hits": _HITS}

        def undo() -> None:
            target.__code__, target.__defaults__, target.__kwdefaults__ = saved

        return undo
    if target is not None and callable(target):  # a built-in: replace the attribute itself
        stub = functools.partial(_reference_stub, _course_lib_reference=label, _course_lib_hits=_HITS)
        setattr(owner, attr, stub)
        return lambda: setattr(owner, attr, target)
    return lambda: None


@contextlib.contextmanager
def _library_switched_off(assignment: str) -> Iterator[None]:
    undo = [_switch_off(ref) for ref in REFERENCES.get(assignment, ())]
    try:
        yield
    finally:
        for restore in reversed(undo):
            restore()


# ---------------------------------------------------------------------------------------
# Probe side: call the student's code, turn whatever comes back into plain data
# ---------------------------------------------------------------------------------------


def _encode(obj: object) -> dict:
    """Plain, JSON-ready description of a returned value."""
    if obj is None:
        return {"kind": "none"}
    if isinstance(obj, torch.Tensor):
        if obj.numel() > _MAX_NUMEL or obj.is_complex():
            return {"kind": "other", "type": f"tensor of shape {tuple(obj.shape)} ({obj.dtype})"}
        t = obj.detach().cpu()
        floating = t.is_floating_point()
        return {
            "kind": "tensor",
            "shape": list(t.shape),
            "floating": floating,
            "requires_grad": bool(obj.requires_grad),
            "data": (t.double() if floating else t.long()).flatten().tolist(),
        }
    if isinstance(obj, bool):
        return {"kind": "other", "type": "bool"}
    if isinstance(obj, numbers.Real):
        return {"kind": "number", "value": float(obj)}
    if isinstance(obj, list | tuple) and len(obj) <= _MAX_NUMEL:
        if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in obj):
            return {"kind": "ints", "value": [int(v) for v in obj]}
    return {"kind": "other", "type": type(obj).__name__}


@contextlib.contextmanager
def _replaced(ns: dict, replacements: dict) -> Iterator[None]:
    """Temporarily bind names of the notebook's namespace to the grader's reference functions."""
    missing = object()
    saved = {k: ns.get(k, missing) for k in replacements}
    ns.update(replacements)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is missing:
                ns.pop(k, None)
            else:
                ns[k] = v


def _run(label: str, thunk: Callable[[], object], namespaces: tuple = (), use: dict | None = None):
    """Run the student's ``thunk()``; return ``(plain description, raw value or None)``.

    ``use`` binds names of ``namespaces`` to reference functions meanwhile (earlier parts of
    the work), in the notebook's namespace and in the globals the student's function reads.
    """
    before = len(_HITS)
    raw = None
    try:
        with contextlib.ExitStack() as stack:
            for ns in {id(n): n for n in namespaces}.values():
                stack.enter_context(_replaced(ns, use or {}))
            stack.enter_context(torch.random.fork_rng())
            raw = thunk()
        out = _encode(raw)
    except NotImplementedError:
        out = {"kind": "todo"}
    except (Exception, SystemExit) as exc:
        out = {"kind": "raised", "error": f"{type(exc).__name__}: {exc}"[:400]}
    if len(_HITS) > before:
        out, raw = {"kind": "library", "reference": _HITS[before]}, None
    out["name"] = label
    return out, raw


def _call(ns: dict, name: str, *args, use: dict | None = None, **kwargs) -> dict:
    """Plain description of ``ns[name](*args, **kwargs)``."""
    return _call_raw(ns, name, *args, use=use, **kwargs)[0]


def _call_raw(ns: dict, name: str, *args, use: dict | None = None, **kwargs):
    if name not in ns:
        return {"kind": "missing", "name": name}, None
    func = ns[name]
    if not callable(func):
        return {"kind": "not_callable", "name": name, "type": type(func).__name__}, None
    namespaces = (ns, func.__globals__) if isinstance(getattr(func, "__globals__", None), dict) else (ns,)
    return _run(name, lambda: func(*args, **kwargs), namespaces, use)


def _variable(ns: dict, name: str) -> dict:
    if name not in ns:
        return {"kind": "missing", "name": name}
    return {**_encode(ns[name]), "name": name}


# ---------------------------------------------------------------------------------------
# Judge side: plain data back to tensors and numbers; every problem an AssertionError
# ---------------------------------------------------------------------------------------


def _not_a_value(v: object, what: str) -> None:
    """Raise the message for a result that is not a value (not done, crashed, ...)."""
    if not isinstance(v, dict):
        raise AssertionError(f"{what}: no result came back from your notebook.")
    name = v.get("name", what)
    kind = v.get("kind")
    messages = {
        "todo": f"{NOT_DONE}: `{name}` still raises NotImplementedError; replace that line with your code.",
        "missing": f"{NOT_DONE}: `{name}` is not defined. Run the cell that defines it (or Run all), "
        "and keep the name.",
        "not_callable": f"`{name}` should be a function, but it is a {v.get('type')}.",
        "raised": f"`{name}(...)` raised {v.get('error')}",
        "library": f"`{name}` calls `{v.get('reference')}` of the course's library: the exercise is "
        "to write it yourself from the formula, with torch operations.",
        "none": f"`{name}` returned None: `return` the result.",
    }
    if kind in messages:
        raise AssertionError(messages[kind])


def _tensor(v: dict, what: str, shape: tuple | None = None) -> torch.Tensor:
    _not_a_value(v, what)
    if v.get("kind") != "tensor":
        got = f"a {v.get('type')}" if v.get("kind") == "other" else f"a {v.get('kind')}"
        raise AssertionError(f"{what} should be a torch.Tensor, got {got}.")
    try:
        out = torch.tensor(v["data"], dtype=torch.float64 if v["floating"] else torch.int64)
        out = out.reshape([int(s) for s in v["shape"]])
    except (KeyError, TypeError, ValueError, RuntimeError):
        raise AssertionError(f"{what}: the result could not be read back.") from None
    if shape is not None and tuple(out.shape) != tuple(shape):
        raise AssertionError(f"{what} has shape {tuple(out.shape)}, expected {tuple(shape)}.")
    return out


def _number(v: dict, what: str) -> float:
    _not_a_value(v, what)
    if v.get("kind") == "tensor" and len(v.get("data", [])) == 1:
        return float(_tensor(v, what).item())
    if v.get("kind") == "tensor":
        raise AssertionError(f"{what} should be a single number, got a tensor of shape {tuple(v['shape'])}.")
    if v.get("kind") != "number" or not isinstance(v.get("value"), int | float):
        raise AssertionError(f"{what} should be a number, got a {v.get('type', v.get('kind'))}.")
    return float(v["value"])


def _ints(v: dict, what: str) -> list[int]:
    _not_a_value(v, what)
    if v.get("kind") == "tensor" and not v.get("floating") and len(v.get("shape", [])) == 1:
        return [int(i) for i in v["data"]]
    if v.get("kind") == "ints" and all(isinstance(i, int) for i in v.get("value", [None])):
        return list(v["value"])
    raise AssertionError(f"{what} should be a list of int positions, got a {v.get('type', v.get('kind'))}.")


def _close(
    got: torch.Tensor,
    want: torch.Tensor,
    what: str,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    mistakes: dict[str, torch.Tensor] | None = None,
) -> None:
    """Pass when ``got`` matches ``want``; else name a known mistake it matches, or the error size."""
    got_d, want_d = got.double(), want.double()
    if not torch.isfinite(got_d).all():
        raise AssertionError(f"{what}: your result contains inf or nan ({got_d.flatten()[:4].tolist()} ...).")
    if torch.allclose(got_d, want_d, atol=atol, rtol=rtol):
        return
    for message, wrong in (mistakes or {}).items():
        wrong = wrong.double()
        if wrong.shape == got_d.shape and torch.allclose(got_d, wrong, atol=atol, rtol=rtol):
            raise AssertionError(f"{what}: {message}.")
    err = (got_d - want_d).abs().max().item()
    first = [round(x, 5) for x in got_d.flatten()[:3].tolist()]
    raise AssertionError(
        f"{what}: wrong values (largest error {err:.3g}, allowed {atol:g} + {rtol:g}·|expected|); "
        f"your first values: {first}."
    )


def _gen(seed: int, salt: int) -> torch.Generator:
    """The generator of one check's inputs: the same in the sandbox and in the judge."""
    return torch.Generator().manual_seed((seed * 1_000_003 + salt) % 2**62)


# ---------------------------------------------------------------------------------------
# GAN: the losses of the minimax game, from logits
# ---------------------------------------------------------------------------------------

_G = "gan"


def _ref_g_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    return -F.softplus(fake_logits).mean()  # mean log(1 - D(G(z)))


def _ref_g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake_logits).mean()  # -mean log D(G(z))


def _gan_d_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(seed, 1)
    return torch.randn(64, generator=g) * 2, torch.randn(32, generator=g) * 2


def _gan_d_loss_probe(ns: dict, seed: int) -> dict:
    real, fake = _gan_d_inputs(seed)
    return {
        "random": _call(ns, "d_loss", real, fake),
        "half": _call(ns, "d_loss", torch.zeros(8), torch.zeros(8)),
    }


def _gan_d_loss_judge(out: dict, seed: int) -> None:
    real, fake = (x.double() for x in _gan_d_inputs(seed))
    want = F.softplus(-real).mean() + F.softplus(fake).mean()
    got = _tensor(out["random"], "d_loss(real_logits, fake_logits)", ())
    _close(
        got,
        want,
        "d_loss on random logits",
        mistakes={
            "the real and fake terms are swapped (real samples should be scored as real)": F.softplus(
                real
            ).mean()
            + F.softplus(-fake).mean(),
            "the sign is flipped: L_D is minus V, a loss to minimise": -want,
            "you sum over each batch; the loss takes the mean": F.softplus(-real).sum()
            + F.softplus(fake).sum(),
        },
    )
    half = _tensor(out["half"], "d_loss", ())
    _close(half, torch.tensor(2 * math.log(2)), "d_loss at zero logits (D = 1/2 everywhere)")


def _gan_stable_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits so large that sigmoid(.) rounds to 0 or 1 in float32: ±200 and two drawn from ±[100, 300]."""
    g = _gen(seed, 90)
    extra = (torch.rand(2, generator=g) * 200 + 100) * torch.tensor([1.0, -1.0])
    real = torch.cat([torch.tensor([-200.0, 0.0, 200.0]), extra[:1]])
    return real, torch.cat([torch.tensor([200.0, -200.0, 0.0]), extra[1:]])


def _gan_stable_probe(ns: dict, seed: int) -> dict:
    return {"out": _call(ns, "d_loss", *_gan_stable_inputs(seed))}


def _gan_stable_judge(out: dict, seed: int) -> None:
    real, fake = (x.double() for x in _gan_stable_inputs(seed))
    got = _tensor(out["out"], "d_loss", ())
    if not torch.isfinite(got).all():
        raise AssertionError(
            "d_loss with logits of ±200 is inf or nan: log(sigmoid(.)) underflows there; "
            "use the softplus identities of the introduction."
        )
    _close(got, F.softplus(-real).mean() + F.softplus(fake).mean(), "d_loss with logits of ±200")


def _gan_g_inputs(seed: int) -> torch.Tensor:
    return torch.randn(50, generator=_gen(seed, 2)) * 3


def _gan_g_losses_probe(ns: dict, seed: int) -> dict:
    return {
        name: _call(ns, name, _gan_g_inputs(seed).requires_grad_())
        for name in ("g_loss_saturating", "g_loss_nonsaturating")
    }


def _gan_g_losses_judge(out: dict, seed: int) -> None:
    fake = _gan_g_inputs(seed).double()
    sat, nonsat = _ref_g_loss_saturating(fake), _ref_g_loss_nonsaturating(fake)
    for name, want, other in (("g_loss_saturating", sat, nonsat), ("g_loss_nonsaturating", nonsat, sat)):
        got = _tensor(out[name], f"{name}(fake_logits)", ())
        _close(
            got,
            want,
            name,
            mistakes={
                "the sign is flipped": -want,
                "this is the other generator loss": other,
                "the sign is flipped, and this is the other generator loss": -other,
            },
        )
        if not out[name].get("requires_grad"):
            raise AssertionError(f"{name} is cut off from the logits' gradient: no .detach() or .item().")


def _gan_gradient_logits(seed: int) -> list[float]:
    return [-6.0, *(torch.rand(2, generator=_gen(seed, 3)) * 10 - 8).tolist()]


def _gan_gradients_probe(ns: dict, seed: int) -> dict:
    refs = {"g_loss_saturating": _ref_g_loss_saturating, "g_loss_nonsaturating": _ref_g_loss_nonsaturating}
    return {"ratios": [_call(ns, "gradient_ratio", x, use=refs) for x in _gan_gradient_logits(seed)]}


def _gan_gradients_judge(out: dict, seed: int) -> None:
    for logit, v in zip(_gan_gradient_logits(seed), out["ratios"], strict=True):
        got = _number(v, f"gradient_ratio({logit:.3g})")
        d = 1 / (1 + math.exp(-logit))  # D(G(z))
        want = (1 - d) / d  # |d L_ns / d logit| / |d L_sat / d logit| = (1 - D) / D
        if math.isclose(got, want, rel_tol=0.01):
            continue
        if math.isclose(got, 1 / want, rel_tol=0.01):
            raise AssertionError(
                f"gradient_ratio({logit:.3g}) is upside down: the non-saturating gradient goes on top."
            )
        raise AssertionError(
            f"gradient_ratio({logit:.3g}) = {got:.4g} is not |d L_ns / d logit| / |d L_sat / d logit|: "
            "differentiate both generator losses with respect to the logit (torch.autograd.grad) "
            "and divide the absolute values."
        )


def _gan_p(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(seed, 4)
    p_data, p_g = torch.rand(6, generator=g) + 0.05, torch.rand(6, generator=g) + 0.05
    p_data, p_g = torch.cat([p_data, torch.tensor([0.3, 0.0])]), torch.cat([p_g, torch.tensor([0.0, 0.2])])
    return p_data / p_data.sum(), p_g / p_g.sum()


def _gan_optimal_probe(ns: dict, seed: int) -> dict:
    return {
        "d": _call(ns, "optimal_discriminator", *_gan_p(seed)),
        "v": _variable(ns, "value_at_equilibrium"),
    }


def _gan_optimal_judge(out: dict, seed: int) -> None:
    p_data, p_g = (p.double() for p in _gan_p(seed))
    got = _tensor(out["d"], "optimal_discriminator(p_data, p_g)", (8,))
    _close(
        got,
        p_data / (p_data + p_g),
        "D*(x)",
        mistakes={"this is p_g / (p_data + p_g): D* is the probability that x is real": p_g / (p_data + p_g)},
    )
    v = _number(out["v"], "value_at_equilibrium")
    if math.isclose(v, -math.log(4), abs_tol=1e-3):
        return
    if v > 0:
        hint = "V is a sum of expected logs of probabilities, so it cannot be positive"
    elif math.isclose(v, -2.0, abs_tol=1e-3):
        hint = "that is in bits: give it in nats (natural logarithm)"
    elif math.isclose(v, -math.log(2), abs_tol=1e-3):
        hint = "V has two expectations, and each contributes"
    else:
        hint = "put D* = 1/2 (p_g = p_data) into both expectations of V"
    raise AssertionError(f"value_at_equilibrium = {v:.4f} is not V(D*, G) at p_g = p_data: {hint}.")


_register(
    _G,
    "d_loss",
    3,
    "write the discriminator's loss -E log D(x) - E log(1 - D(G(z))) from logits",
    _gan_d_loss_probe,
    _gan_d_loss_judge,
)
_register(
    _G,
    "d_loss_stable",
    1,
    "compute log-sigmoids stably (softplus), never log(sigmoid(.))",
    _gan_stable_probe,
    _gan_stable_judge,
    hidden=True,
)
_register(
    _G,
    "g_losses",
    2,
    "tell the saturating generator loss from the non-saturating one",
    _gan_g_losses_probe,
    _gan_g_losses_judge,
)
_register(
    _G,
    "gradients",
    2,
    "explain why the saturating loss gives the generator no gradient early on",
    _gan_gradients_probe,
    _gan_gradients_judge,
)
_register(
    _G,
    "optimal_d",
    2,
    "derive the optimal discriminator D* = p_data / (p_data + p_g) and V(D*, G)",
    _gan_optimal_probe,
    _gan_optimal_judge,
)


# ---------------------------------------------------------------------------------------
# VAE: the KL term, the reparameterisation trick and the ELBO
# ---------------------------------------------------------------------------------------

_V = "vae"


def _ref_gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)


def _vae_kl_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(seed, 5)
    return torch.randn(16, 5, generator=g), torch.randn(16, 5, generator=g)


def _vae_kl_probe(ns: dict, seed: int) -> dict:
    return {
        "random": _call(ns, "gaussian_kl", *_vae_kl_inputs(seed)),
        "prior": _call(ns, "gaussian_kl", torch.zeros(3, 4), torch.zeros(3, 4)),
    }


def _vae_kl_judge(out: dict, seed: int) -> None:
    mu, logvar = (x.double() for x in _vae_kl_inputs(seed))
    per_dim = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)
    got = _tensor(out["random"], "gaussian_kl(mu, logvar)", (16,))
    _close(
        got,
        per_dim.sum(-1),
        "gaussian_kl, one value per example",
        mistakes={
            "you average over the latent dimensions; the KL of independent ones is their sum": per_dim.mean(
                -1
            ),
            "the factor 1/2 is missing": 2 * per_dim.sum(-1),
            "the sign is flipped: a KL divergence is never negative": -per_dim.sum(-1),
            "logvar is treated as the standard deviation; it is the log of the variance": 0.5
            * (mu**2 + logvar**2 - 1 - (logvar**2).log()).sum(-1),
        },
    )
    prior = _tensor(out["prior"], "gaussian_kl of the prior", (3,))
    _close(prior, torch.zeros(3), "gaussian_kl(0, 0), the prior against itself")


def _vae_reparam_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = _gen(seed, 6)
    return torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)


def _vae_reparam_probe(ns: dict, seed: int) -> dict:
    mu, logvar, eps = _vae_reparam_inputs(seed)
    mu, logvar = mu.requires_grad_(), logvar.requires_grad_()
    z, raw = _call_raw(ns, "reparameterize", mu, logvar, eps)
    grads: tuple = (None, None)
    if isinstance(raw, torch.Tensor) and raw.requires_grad:
        grads = torch.autograd.grad(raw.sum(), (mu, logvar), allow_unused=True)
    return {"z": z, "d_mu": _encode(grads[0]), "d_logvar": _encode(grads[1])}


def _vae_reparam_judge(out: dict, seed: int) -> None:
    mu, logvar, eps = (x.double() for x in _vae_reparam_inputs(seed))
    sigma = (0.5 * logvar).exp()
    z = _tensor(out["z"], "reparameterize(mu, logvar, eps)", (6, 3))
    _close(
        z,
        mu + sigma * eps,
        "z",
        mistakes={
            "your sigma is the variance exp(logvar); z needs the standard deviation": mu + logvar.exp() * eps,
            "your sigma is logvar itself; logvar is the log of the variance": mu + logvar * eps,
            "eps multiplies mu: z is the mean shifted by sigma * eps": mu * sigma * eps,
        },
    )
    for key, name in (("d_mu", "mu"), ("d_logvar", "logvar")):
        if out[key].get("kind") != "tensor":
            raise AssertionError(
                f"no gradient reaches {name} through z: compute z from mu and logvar with torch "
                "operations, without .detach(), .item() or torch.no_grad()."
            )
    _close(
        _tensor(out["d_logvar"], "dz/dlogvar", (6, 3)),
        0.5 * sigma * eps,
        "the gradient of z with respect to logvar",
    )


def _vae_elbo_inputs(seed: int) -> tuple[torch.Tensor, ...]:
    g = _gen(seed, 7)
    x = (torch.rand(8, 20, generator=g) > 0.5).float()
    logits = torch.randn(8, 20, generator=g) * 2
    return x, logits, torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g) * 0.5


def _vae_elbo_probe(ns: dict, seed: int) -> dict:
    return {"elbo": _call(ns, "elbo", *_vae_elbo_inputs(seed), use={"gaussian_kl": _ref_gaussian_kl})}


def _vae_elbo_judge(out: dict, seed: int) -> None:
    x, logits, mu, logvar = (t.double() for t in _vae_elbo_inputs(seed))
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    log_px, kl = -bce.sum(-1), _ref_gaussian_kl(mu, logvar)
    got = _tensor(out["elbo"], "elbo(x, logits, mu, logvar)", (8,))
    _close(
        got,
        log_px - kl,
        "ELBO per example",
        mistakes={
            "you average the log-likelihood over pixels; the ELBO sums it": -bce.mean(-1) - kl,
            "the KL term is added; the ELBO subtracts it": log_px + kl,
            "this is the negative ELBO (a loss); return the bound itself": kl - log_px,
            "the log-likelihood has the wrong sign: log p(x|z) is minus the cross-entropy": bce.sum(-1) - kl,
        },
    )


def _vae_mc_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(seed, 8)
    return torch.randn(1, 2, generator=g), torch.randn(1, 2, generator=g) * 0.7


def _vae_mc_probe(ns: dict, seed: int) -> dict:
    return {"kl": _call(ns, "gaussian_kl", *_vae_mc_inputs(seed))}


def _vae_mc_judge(out: dict, seed: int) -> None:
    mu, logvar = _vae_mc_inputs(seed)
    eps = torch.randn(200_000, 2, generator=_gen(seed, 9))
    z = mu + (0.5 * logvar).exp() * eps
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    mc = (q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z)).sum(-1).mean()
    kl = _tensor(out["kl"], "gaussian_kl", (1,))
    _close(
        kl, mc.reshape(1), "gaussian_kl against a 200,000-sample Monte Carlo estimate", atol=0.03, rtol=0.0
    )


_register(
    _V,
    "gaussian_kl",
    3,
    "write KL(N(mu, sigma^2) || N(0, I)) in closed form, summed over latents",
    _vae_kl_probe,
    _vae_kl_judge,
)
_register(
    _V,
    "reparameterize",
    2,
    "sample z = mu + sigma * eps so that gradients reach mu and log-variance",
    _vae_reparam_probe,
    _vae_reparam_judge,
)
_register(
    _V,
    "elbo",
    3,
    "assemble the ELBO: Bernoulli log-likelihood of the pixels minus the KL term",
    _vae_elbo_probe,
    _vae_elbo_judge,
)
_register(
    _V,
    "kl_monte_carlo",
    1,
    "check a closed form against a Monte Carlo estimate",
    _vae_mc_probe,
    _vae_mc_judge,
    hidden=True,
)


# ---------------------------------------------------------------------------------------
# WaveNet: causal dilated convolutions and the receptive field
# ---------------------------------------------------------------------------------------

_W = "wavenet"


class _ReferenceCausalConv(torch.nn.Module):
    """The grader's own causal layer (left padding), for checks of ``input_support``."""

    def __init__(self, kernel_size: int, dilation: int, causal: bool = True):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.causal = causal
        self.conv = torch.nn.Conv1d(1, 1, kernel_size, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left = self.pad if self.causal else self.pad // 2
        return self.conv(F.pad(x, (left, self.pad - left)))


def _wn_rf_cases(seed: int) -> list[tuple[int, list[int]]]:
    g = _gen(seed, 10)
    k = int(torch.randint(2, 5, (), generator=g))
    dil = [2 ** int(i) for i in torch.randint(0, 6, (5,), generator=g)]
    return [(2, [1]), (2, [1, 2, 4, 8]), (3, [1, 1, 1]), (2, [2**i for i in range(10)] * 3), (k, dil)]


def _wn_rf_probe(ns: dict, seed: int) -> dict:
    return {"rf": [_call(ns, "receptive_field", k, list(dil)) for k, dil in _wn_rf_cases(seed)]}


def _wn_rf_judge(out: dict, seed: int) -> None:
    for (k, dil), v in zip(_wn_rf_cases(seed), out["rf"], strict=True):
        call = f"receptive_field({k}, {dil[:6]}{'...' if len(dil) > 6 else ''})"
        got, want = _number(v, call), 1 + sum((k - 1) * d for d in dil)
        if got == want:
            continue
        if got == want - 1:
            raise AssertionError(f"{call} = {got:g} is one short: output t also sees input t itself.")
        raise AssertionError(f"{call} = {got:g} is wrong: each layer adds (k - 1) times its dilation.")


def _wn_conv_cases(seed: int) -> list[tuple[int, int]]:
    return [(2, 1), (2, 4), (3, 2), (int(torch.randint(2, 5, (), generator=_gen(seed, 11))), 3)]


def _wn_conv_probe(ns: dict, seed: int) -> dict:
    cases = []
    for i, (k, d) in enumerate(_wn_conv_cases(seed)):
        x = torch.randn(2, 3, 40, generator=_gen(seed, 12 + i))
        conv, raw = _call_raw(ns, "CausalConv1d", 3, 5, kernel_size=k, dilation=d)
        layer = getattr(raw, "conv", None)
        if raw is not None and not isinstance(layer, torch.nn.Conv1d):
            conv = {"kind": "no_conv"}
        case = {"init": conv}
        if isinstance(layer, torch.nn.Conv1d) and callable(raw):
            case["out"] = _run("CausalConv1d.forward", lambda raw=raw, x=x: raw(x))[0]
            case["weight"], case["bias"] = _encode(layer.weight), _encode(layer.bias)
        cases.append(case)
    return {"cases": cases}


def _conv_mistakes(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, k: int, d: int) -> dict:
    pad = (k - 1) * d
    mistakes = {
        "the zeros are on the right: output t then sees the future": F.conv1d(
            F.pad(x, (0, pad)), w, b, dilation=d
        )
    }
    if d > 1:
        wrong = F.conv1d(F.pad(x, (k - 1, pad - k + 1)), w, b, dilation=d)
        mistakes["the left padding ignores the dilation"] = wrong
    return mistakes


def _wn_conv_judge(out: dict, seed: int) -> None:
    for i, ((k, d), case) in enumerate(zip(_wn_conv_cases(seed), out["cases"], strict=True)):
        if case["init"].get("kind") == "no_conv":
            raise AssertionError(
                "keep the `self.conv = nn.Conv1d(...)` line of the template: the check reads it."
            )
        if case["init"].get("kind") != "other":
            _not_a_value(case["init"], f"CausalConv1d(3, 5, kernel_size={k}, dilation={d})")
        x = torch.randn(2, 3, 40, generator=_gen(seed, 12 + i)).double()
        w, b = _tensor(case["weight"], "conv.weight", (5, 3, k)), _tensor(case["bias"], "conv.bias", (5,))
        what = f"CausalConv1d(kernel_size={k}, dilation={d})"
        got = _tensor(case["out"], f"the output of {what}")
        if got.shape[-1] != 40:
            raise AssertionError(
                f"{what} turns 40 input steps into {got.shape[-1]}: pad so that the length is kept."
            )
        got = _tensor(case["out"], f"the output of {what}", (2, 5, 40))
        _close(
            got,
            F.conv1d(F.pad(x, ((k - 1) * d, 0)), w, b, dilation=d),
            what,
            mistakes=_conv_mistakes(x, w, b, k, d),
        )


def _wn_support_cases(seed: int) -> list[tuple[int, int, bool, int]]:
    g = _gen(seed, 20)
    d = int(torch.randint(1, 5, (), generator=g))
    t = int(torch.randint(15, 30, (), generator=g))
    return [(3, d, True, t), (2, 1, True, t + 3), (3, d, False, t)]


def _support_of(ns: dict, module: torch.nn.Module, length: int, t: int, salt: int, seed: int) -> dict:
    x = torch.randn(1, 1, length, generator=_gen(seed, salt))
    return _call(ns, "input_support", module, x, t)


def _wn_causality_probe(ns: dict, seed: int) -> dict:
    out = []
    for i, (k, d, causal, t) in enumerate(_wn_support_cases(seed)):
        torch.manual_seed(seed % 2**31 + i)
        out.append(_support_of(ns, _ReferenceCausalConv(k, d, causal), 40, t, 21 + i, seed))
    return {"supports": out}


def _wn_causality_judge(out: dict, seed: int) -> None:
    for (k, d, causal, t), v in zip(_wn_support_cases(seed), out["supports"], strict=True):
        kind = "a causal" if causal else "a centred (not causal)"
        got = _ints(v, "input_support(module, x, t)")
        first = t - (k - 1) * d if causal else t - (k - 1) * d // 2
        want = list(range(first, first + (k - 1) * d + 1, d))
        if got != want:
            raise AssertionError(
                f"for {kind} convolution (k={k}, d={d}), input_support(..., t={t}) returned {got}, "
                "which are not the input positions with a non-zero gradient: back-propagate output t "
                "and read the gradient of x (sorted positions)."
            )


def _wn_stack_t(seed: int) -> int:
    return int(torch.randint(20, 250, (), generator=_gen(seed, 31)))


def _wn_stack_probe(ns: dict, seed: int) -> dict:
    torch.manual_seed(seed % 2**31)
    stack = torch.nn.Sequential(*(_ReferenceCausalConv(2, d) for d in (1, 2, 4, 8)))
    return {"support": _support_of(ns, stack, 256, _wn_stack_t(seed), 30, seed)}


def _wn_stack_judge(out: dict, seed: int) -> None:
    t = _wn_stack_t(seed)
    got = _ints(out["support"], "input_support(stack, x, t)")
    if got != list(range(t - 15, t + 1)):
        span = f"{len(got)} positions from {got[0]} to {got[-1]}" if got else "nothing"
        raise AssertionError(
            f"on a stack of causal layers (k=2, dilations 1, 2, 4, 8) input_support reports {span} "
            f"for output {t}; the stack's receptive field is a run of contiguous positions ending at t."
        )


_register(
    _W,
    "receptive_field",
    2,
    "compute the receptive field 1 + sum_l (k - 1) d_l of a dilated stack",
    _wn_rf_probe,
    _wn_rf_judge,
)
_register(
    _W,
    "causal_conv",
    3,
    "implement a causal dilated convolution by left padding (k - 1) d zeros",
    _wn_conv_probe,
    _wn_conv_judge,
)
_register(
    _W,
    "causality",
    2,
    "verify causality: output t depends only on inputs t - (k-1)d, ..., t",
    _wn_causality_probe,
    _wn_causality_judge,
)
_register(
    _W,
    "stack_support",
    1,
    "measure a stack's receptive field with gradients",
    _wn_stack_probe,
    _wn_stack_judge,
    hidden=True,
)


# ---------------------------------------------------------------------------------------
# RNN: a GRU cell from its equations, unrolled over time
# ---------------------------------------------------------------------------------------

_R = "rnn_gan"


def _ref_gru_cell(x, h, W_ih, W_hh, b_ih, b_hh, swap_update: bool = False, late_bias: bool = False):  # noqa: N803
    """One GRU step in PyTorch's convention (gates r, z, n); the flags give two common mistakes."""
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    if late_bias:  # the reset gate applied to W_hn h only, b_hn added outside it
        b_hn = b_hh.chunk(3, dim=-1)[2]
        n = torch.tanh(i_n + r * (h_n - b_hn) + b_hn)
    else:
        n = torch.tanh(i_n + r * h_n)
    return z * n + (1 - z) * h if swap_update else (1 - z) * n + z * h


def _rnn_weights(seed: int, d_in: int = 3, hidden: int = 4) -> tuple[torch.Tensor, ...]:
    g = _gen(seed, 40)
    return (
        torch.randn(3 * hidden, d_in, generator=g) * 0.6,
        torch.randn(3 * hidden, hidden, generator=g) * 0.6,
        torch.randn(3 * hidden, generator=g) * 0.3,
        torch.randn(3 * hidden, generator=g) * 0.3,
    )


def _rnn_cell_inputs(seed: int) -> tuple[torch.Tensor, ...]:
    g = _gen(seed, 41)
    return (torch.randn(5, 3, generator=g), torch.randn(5, 4, generator=g), *_rnn_weights(seed))


def _rnn_cell_probe(ns: dict, seed: int) -> dict:
    return {"h": _call(ns, "gru_cell", *_rnn_cell_inputs(seed))}


def _rnn_cell_judge(out: dict, seed: int) -> None:
    x, h, w_ih, w_hh, b_ih, b_hh = (t.double() for t in _rnn_cell_inputs(seed))
    ref = torch.nn.GRUCell(3, 4).double()
    with torch.no_grad():
        for p, w in zip(
            (ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh), (w_ih, w_hh, b_ih, b_hh), strict=True
        ):
            p.copy_(w)
        want = ref(x, h)
    reorder = torch.cat([torch.arange(4, 8), torch.arange(0, 4), torch.arange(8, 12)])  # z, r, n
    got = _tensor(out["h"], "gru_cell(x, h, W_ih, W_hh, b_ih, b_hh)", (5, 4))
    _close(
        got,
        want,
        "gru_cell against torch.nn.GRUCell with the same weights",
        mistakes={
            "the update gate's two roles are swapped: which of n and h does z weigh?": _ref_gru_cell(
                x, h, w_ih, w_hh, b_ih, b_hh, swap_update=True
            ),
            "the stacked weights are read in the wrong order: the chunks are r, z, n": _ref_gru_cell(
                x, h, w_ih[reorder], w_hh[reorder], b_ih[reorder], b_hh[reorder]
            ),
            "the reset gate must multiply the whole recurrent term of n, bias b_hn included": _ref_gru_cell(
                x, h, w_ih, w_hh, b_ih, b_hh, late_bias=True
            ),
        },
    )


def _rnn_unroll_inputs(seed: int) -> tuple[torch.Tensor, ...]:
    g = _gen(seed, 42)
    return (torch.randn(2, 7, 3, generator=g), torch.randn(2, 4, generator=g), *_rnn_weights(seed + 1))


def _rnn_unroll_probe(ns: dict, seed: int) -> dict:
    return {"states": _call(ns, "gru_unroll", *_rnn_unroll_inputs(seed), use={"gru_cell": _ref_gru_cell})}


def _rnn_unroll_judge(out: dict, seed: int) -> None:
    x, h0, w_ih, w_hh, b_ih, b_hh = (t.double() for t in _rnn_unroll_inputs(seed))
    gru = torch.nn.GRU(3, 4, batch_first=True).double()
    with torch.no_grad():
        for p, w in zip(
            (gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0),
            (w_ih, w_hh, b_ih, b_hh),
            strict=True,
        ):
            p.copy_(w)
        want, _ = gru(x, h0.unsqueeze(0))
    got = _tensor(out["states"], "gru_unroll(x, h0, ...)")
    if tuple(got.shape) == (2, 4):
        raise AssertionError("gru_unroll returns only the last state: return every state, (batch, time, H).")
    got = _tensor(out["states"], "gru_unroll(x, h0, ...)", (2, 7, 4))
    shifted = torch.cat([h0.unsqueeze(1), want[:, :-1]], dim=1)
    _close(
        got,
        want,
        "gru_unroll against torch.nn.GRU(batch_first=True)",
        mistakes={"each state is one step late: h_0 is the input state, not an output": shifted},
    )


def _rnn_gate_inputs(seed: int, update_bias: float) -> tuple[torch.Tensor, ...]:
    g = _gen(seed, 43)
    w_ih, w_hh, b_ih, b_hh = _rnn_weights(seed + 2)
    b_hh = b_hh.clone()
    b_hh[4:8] = update_bias  # the update gate saturates at 1 (+50) or 0 (-50)
    return torch.randn(2, 3, generator=g), torch.randn(2, 4, generator=g), w_ih, w_hh, b_ih, b_hh


def _rnn_gate_probe(ns: dict, seed: int) -> dict:
    return {str(b): _call(ns, "gru_cell", *_rnn_gate_inputs(seed, b)) for b in (50.0, -50.0)}


def _rnn_gate_judge(out: dict, seed: int) -> None:
    for bias, meaning in (
        (50.0, "z = 1: the state must be copied unchanged"),
        (-50.0, "z = 0: h' is the candidate n"),
    ):
        x, h, *w = (t.double() for t in _rnn_gate_inputs(seed, bias))
        got = _tensor(out[str(bias)], "gru_cell", (2, 4))
        _close(got, _ref_gru_cell(x, h, *w), f"with the update gate saturated at {meaning}")


_register(
    _R,
    "gru_cell",
    4,
    "write the GRU equations (reset and update gates, candidate state)",
    _rnn_cell_probe,
    _rnn_cell_judge,
)
_register(
    _R,
    "unroll",
    2,
    "unroll a recurrent cell over a sequence (batch, time, features)",
    _rnn_unroll_probe,
    _rnn_unroll_judge,
)
_register(
    _R,
    "gate_limits",
    1,
    "read the update gate: z = 1 copies the state, z = 0 replaces it",
    _rnn_gate_probe,
    _rnn_gate_judge,
    hidden=True,
)


# ---------------------------------------------------------------------------------------
# Audio: µ-law companding and signal-to-noise ratios
# ---------------------------------------------------------------------------------------

_A = "audio"


def _decaying_tone(level: float = 1.0) -> torch.Tensor:
    """The assignment's test signal: a 220 Hz tone at 8 kHz decaying over one second, peak ``level``."""
    t = torch.arange(8000) / 8000
    return level * torch.exp(-3 * t) * torch.sin(2 * math.pi * 220 * t)


def _audio_signal(seed: int, salt: int) -> torch.Tensor:
    level = 10 ** float(torch.empty(()).uniform_(-2.5, -0.2, generator=_gen(seed, salt)))
    return (_decaying_tone(level) + 0.003 * torch.randn(8000, generator=_gen(seed, salt + 1))).clamp(-1, 1)


def _ref_snr_db(clean: torch.Tensor, estimate: torch.Tensor) -> float:
    return _ref_snr(clean, estimate).item()


# The grader's own µ-law and SNR, lent to a student's later function while it is checked (the
# library's functions are switched off then).
def _own_mu_law_encode(x: torch.Tensor, mu: int = 255) -> torch.Tensor:
    y = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return ((y + 1) / 2 * mu + 0.5).floor().long().clamp(0, mu)


def _own_mu_law_decode(codes: torch.Tensor, mu: int = 255) -> torch.Tensor:
    y = 2 * codes.double() / mu - 1
    return torch.sign(y) * torch.expm1(y.abs() * math.log1p(mu)) / mu


def _own_snr_db(clean: torch.Tensor, estimate: torch.Tensor) -> float:
    return 10 * math.log10(
        clean.double().pow(2).sum().item() / (clean - estimate).double().pow(2).sum().item()
    )


def _linear_pcm(x: torch.Tensor) -> torch.Tensor:
    """8-bit linear PCM: codes floor((x + 1) / 2 * 256) clipped to [0, 255], decoded to their centre."""
    return (((x + 1) / 2 * 256).floor().clamp(0, 255) + 0.5) / 256 * 2 - 1


def _audio_encode_inputs(seed: int) -> torch.Tensor:
    return torch.cat([torch.linspace(-1, 1, 2001), _audio_signal(seed, 50)])


def _audio_encode_probe(ns: dict, seed: int) -> dict:
    return {"codes": _call(ns, "mu_law_encode", _audio_encode_inputs(seed))}


def _audio_encode_judge(out: dict, seed: int) -> None:
    x = _audio_encode_inputs(seed)
    got = _tensor(out["codes"], "mu_law_encode(x)", tuple(x.shape))
    if got.is_floating_point():
        raise AssertionError("mu_law_encode should return integer codes (int64), not floats.")
    if got.min() < 0 or got.max() > 255:
        raise AssertionError(f"codes must lie in [0, 255], yours span [{got.min()}, {got.max()}].")
    want = _ref_mu_law_encode(x)
    if (got != want).float().mean().item() <= 1e-3 and (got - want).abs().max() <= 1:
        return
    if (got == 255 - want).float().mean() > 0.99:
        raise AssertionError("your codes are mirrored: code 0 belongs to x = -1 and code 255 to x = +1.")
    if ((got - want).abs() <= 1).float().mean() > 0.99:
        raise AssertionError(
            f"{(got != want).float().mean().item():.1%} of your codes are one step off: check the rounding."
        )
    raise AssertionError(
        f"{(got != want).float().mean().item():.1%} of your codes are wrong (by up to "
        f"{(got - want).abs().max().item()} codes): compress with F(x) first, then quantise F(x)."
    )


def _audio_decode_inputs(seed: int) -> torch.Tensor:
    return torch.randperm(256, generator=_gen(seed, 55))  # every code once, in a drawn order


def _audio_decode_probe(ns: dict, seed: int) -> dict:
    return {"x": _call(ns, "mu_law_decode", _audio_decode_inputs(seed))}


def _audio_decode_judge(out: dict, seed: int) -> None:
    codes = _audio_decode_inputs(seed)
    want = _ref_mu_law_decode(codes).double()
    got = _tensor(out["x"], "mu_law_decode(codes)", (256,))
    y = 2 * codes.double() / 255 - 1
    _close(
        got,
        want,
        "mu_law_decode of every code 0..255",
        mistakes={"you return y, the companded value: invert the companding too": y},
    )


def _audio_snr_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = _audio_signal(seed, 60)
    return x, x + 0.05 * x.abs().max() * torch.randn(8000, generator=_gen(seed, 62))


def _audio_snr_probe(ns: dict, seed: int) -> dict:
    return {"snr": _call(ns, "snr_db", *_audio_snr_inputs(seed))}


def _audio_snr_judge(out: dict, seed: int) -> None:
    got = _number(out["snr"], "snr_db(clean, estimate)")
    want = _ref_snr_db(*_audio_snr_inputs(seed))
    if math.isclose(got, want, abs_tol=0.01):
        return
    for wrong, hint in (
        (2 * want, "that is 20 log10 of the ratio: the SNR compares powers (squares), so 10 log10"),
        (want / 2, "that is 5 log10 or an amplitude ratio: the SNR is 10 log10 of a ratio of powers"),
        (-want, "the ratio is upside down: signal power over noise power"),
        (want * math.log(10) / 10, "that is a natural log of the ratio, not decibels"),
    ):
        if math.isclose(got, wrong, abs_tol=0.02):
            raise AssertionError(f"snr_db = {got:.3f} dB: {hint}.")
    raise AssertionError(
        f"snr_db = {got:.3f} dB is wrong: the noise is estimate - clean, and both powers are sums of squares."
    )


def _audio_mix_cases(seed: int) -> list[float]:
    return [0.0, 20.0, round(float(torch.empty(()).uniform_(-5, 30, generator=_gen(seed, 70))), 2)]


def _audio_mix_probe(ns: dict, seed: int) -> dict:
    x, noise = _audio_signal(seed, 71), torch.randn(8000, generator=_gen(seed, 73))
    return {"noisy": [_call(ns, "mix_at_snr", x, noise, s) for s in _audio_mix_cases(seed)]}


def _audio_mix_judge(out: dict, seed: int) -> None:
    x, noise = _audio_signal(seed, 71).double(), torch.randn(8000, generator=_gen(seed, 73)).double()
    for target, v in zip(_audio_mix_cases(seed), out["noisy"], strict=True):
        added = _tensor(v, f"mix_at_snr(clean, noise, {target})", (8000,)) - x
        if added.abs().max() == 0 or F.cosine_similarity(added, noise, dim=0).item() < 0.9999:
            raise AssertionError(
                "noisy - clean must be a scaled copy of the noise (multiply it by one gain)."
            )
        got = 10 * math.log10(x.pow(2).sum().item() / added.pow(2).sum().item())
        if not math.isclose(got, target, abs_tol=0.01):
            hint = (
                "the gain scales amplitudes: take a square root of the power ratio"
                if math.isclose(got, target / 2, abs_tol=0.05) or math.isclose(got, 2 * target, abs_tol=0.05)
                else "solve SNR(clean, clean + g noise) = snr for g"
            )
            raise AssertionError(f"mix_at_snr(..., {target}) gives an SNR of {got:.2f} dB: {hint}.")


def _audio_gain_levels(seed: int) -> list[float]:
    return [0.8, 0.008, round(10 ** float(torch.empty(()).uniform_(-2.5, -0.5, generator=_gen(seed, 80))), 4)]


def _audio_gain_probe(ns: dict, seed: int) -> dict:
    refs = {"mu_law_encode": _own_mu_law_encode, "mu_law_decode": _own_mu_law_decode, "snr_db": _own_snr_db}
    return {
        "gain": [
            _call(ns, "mu_law_advantage_db", _decaying_tone(a), use=refs) for a in _audio_gain_levels(seed)
        ]
    }


def _audio_gain_judge(out: dict, seed: int) -> None:
    for level, v in zip(_audio_gain_levels(seed), out["gain"], strict=True):
        x = _decaying_tone(level)
        got = _number(v, f"mu_law_advantage_db(tone of peak {level})")
        want = _ref_snr_db(x, _ref_mu_law_decode(_ref_mu_law_encode(x))) - _ref_snr_db(x, _linear_pcm(x))
        if math.isclose(got, want, abs_tol=0.1):
            continue
        hint = (
            "the difference is upside down: SNR of µ-law minus SNR of linear PCM"
            if math.isclose(got, -want, abs_tol=0.1)
            else "quantise x both ways, decode, and subtract the two SNRs (µ-law minus linear, in dB)"
        )
        raise AssertionError(f"mu_law_advantage_db on a tone of peak {level} gives {got:.2f} dB: {hint}.")


_register(
    _A,
    "mu_law_encode",
    3,
    "compand with F(x) = sign(x) ln(1 + mu|x|) / ln(1 + mu) and quantise to 8 bits",
    _audio_encode_probe,
    _audio_encode_judge,
)
_register(
    _A,
    "mu_law_decode",
    2,
    "invert the companding: x = sign(y) ((1 + mu)^|y| - 1) / mu",
    _audio_decode_probe,
    _audio_decode_judge,
)
_register(
    _A,
    "snr",
    2,
    "measure quality as SNR = 10 log10(sum x^2 / sum (x - x_hat)^2) in dB",
    _audio_snr_probe,
    _audio_snr_judge,
)
_register(
    _A,
    "mix_at_snr",
    2,
    "scale noise to reach a target SNR when simulating noisy recordings",
    _audio_mix_probe,
    _audio_mix_judge,
)
_register(
    _A,
    "mu_law_gain",
    1,
    "compare 8-bit mu-law with 8-bit linear PCM on a decaying tone",
    _audio_gain_probe,
    _audio_gain_judge,
    hidden=True,
)

#: Names each assignment's student defines: how a notebook without metadata is recognised.
DEFINES: dict[str, tuple[str, ...]] = {
    "gan": ("d_loss", "g_loss_saturating", "g_loss_nonsaturating", "gradient_ratio", "optimal_discriminator"),
    "vae": ("gaussian_kl", "reparameterize", "elbo"),
    "wavenet": ("receptive_field", "CausalConv1d", "input_support"),
    "rnn_gan": ("gru_cell", "gru_unroll"),
    "audio": ("mu_law_encode", "mu_law_decode", "snr_db", "mix_at_snr", "mu_law_advantage_db"),
}


# ---------------------------------------------------------------------------------------
# Running checks in one process (a student's self-checks; tests)
# ---------------------------------------------------------------------------------------


def _judge(c: Check, data: object, seed: int) -> CheckResult:
    """Mark one check from its probe's plain data (in the teacher's process)."""
    try:
        if not isinstance(data, dict):
            raise AssertionError("no result came back from the notebook for this check.")
        c.judge(data, seed)
    except AssertionError as exc:
        return CheckResult(c.name, 0, c.points, FAIL, str(exc) or "assertion failed", c.hidden)
    except Exception as exc:  # data the judge cannot read (not what its probe returns): 0 points
        message = f"the notebook's result for this check could not be read ({type(exc).__name__}: {exc})"
        return CheckResult(c.name, 0, c.points, ERROR, message, c.hidden)
    return CheckResult(c.name, c.points, c.points, PASS, "", c.hidden)


def _run_one(c: Check, ns: dict, seed: int | None = None) -> CheckResult:
    """Probe and judge in this process; the probe's data makes the same JSON round trip as in grade()."""
    seed = secrets.randbelow(2**31) if seed is None else seed
    with _library_switched_off(c.assignment), torch.random.fork_rng():
        data = c.probe(ns, seed)
    return _judge(c, json.loads(json.dumps(data)), seed)


def _checks_of(assignment: str) -> dict[str, Check]:
    if assignment not in CHECKS:
        raise KeyError(f"unknown assignment {assignment!r}; known: {', '.join(CHECKS)}")
    return CHECKS[assignment]


def check(assignment: str, name: str, namespace: dict) -> bool:
    """Run one check in a notebook and print the outcome; returns True when it passes.

    Never raises on wrong or unfinished work, so "Run all" goes on to the next exercise.
    (Inside the grader's sandbox it does nothing: the grader runs every check itself.)
    """
    if _SANDBOX:
        return False
    r = _run_one(_checks_of(assignment)[name], namespace)
    if r.status == PASS:
        print(f"✓ {name}: {r.points:g}/{r.max_points} points")
    elif r.message.startswith(NOT_DONE):
        print(f"… {name}: 0/{r.max_points} points, {r.message}")
    else:
        print(f"✗ {name}: 0/{r.max_points} points\n  {r.message}")
    return r.status == PASS


def run_checks(
    assignment: str, namespace: dict, include_hidden: bool = True, seed: int | None = None
) -> list[CheckResult]:
    """Run every check of ``assignment`` on ``namespace`` (the globals of an executed notebook).

    ``seed`` draws the checks' inputs (default: a fresh one).
    """
    if _SANDBOX:
        return []
    seed = secrets.randbelow(2**31) if seed is None else seed
    return [
        _run_one(c, namespace, seed)
        for c in _checks_of(assignment).values()
        if include_hidden or not c.hidden
    ]


# ---------------------------------------------------------------------------------------
# Executing a notebook's code cells as plain Python (magics translated, shell not run)
# ---------------------------------------------------------------------------------------


def _python_source(source: str) -> str:
    """The Python that IPython would run for a cell (``%%time`` -> ``run_cell_magic(...)``)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with every Jupyter install
        return _strip_magics(source)
    return TransformerManager().transform_cell(source)


def _strip_magics(source: str) -> str:
    """Without IPython: run a cell magic's body as Python, drop magic and shell lines."""
    lines = source.lstrip("\n").splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]
    return "\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)


class _Shell:
    """What ``get_ipython()`` gives the translated cells: Python magics run, the rest is noted."""

    PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")
    QUIET_LINE_MAGICS = ("matplotlib", "load_ext", "reload_ext", "autoreload", "config", "precision")

    def __init__(self, ns: dict, notes: list[str]):
        self.ns, self.notes = ns, notes

    def _run(self, code: str, mode: str = "exec"):
        compiled = compile(_python_source(code) if mode == "exec" else code, "<magic>", mode)
        return eval(compiled, self.ns) if mode == "eval" else exec(compiled, self.ns)

    def run_cell_magic(self, name: str, line: str, body: str) -> None:
        if name in self.PYTHON_CELL_MAGICS:
            return self._run(body)
        if name == "writefile":
            path = Path(line.split()[-1])
            with path.open("a" if "-a" in line.split() else "w", encoding="utf-8") as f:
                f.write(body)
            return None
        self.notes.append(f"a %%{name} cell is not run by the grader")
        return None

    def run_line_magic(self, name: str, line: str):
        if name in ("time", "timeit"):
            words = line.split()
            while words and words[0].startswith("-"):  # %timeit -n 10 -r 3 stmt: run stmt once
                flag = words.pop(0)
                if flag in ("-n", "-r", "-p") and words:
                    words.pop(0)
            statement = " ".join(words)
            try:
                return self._run(statement, "eval")
            except SyntaxError:
                return self._run(statement)
        if name not in self.QUIET_LINE_MAGICS:
            self.notes.append(f"%{name} {line} is not run by the grader")
        return None

    def system(self, command: str) -> None:
        self.notes.append(f"shell command not run by the grader: !{command}")

    def getoutput(self, command: str) -> list[str]:
        self.system(command)
        return []


def _code_cells(nb: dict) -> list[tuple[int, str]]:
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append((i, src if isinstance(src, str) else "".join(map(str, src))))
    return out


def _execute(notebook: Path) -> tuple[dict, list[str]]:
    """Execute a notebook's code cells in one namespace; errors are recorded, not raised."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    ns: dict = {"__name__": "__main__"}
    notes: list[str] = []
    shell = _Shell(ns, notes)
    ns["get_ipython"] = lambda: shell
    sink = io.StringIO()
    for i, src in _code_cells(nb):
        try:
            code = compile(_python_source(src), f"<cell {i}>", "exec")
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                exec(code, ns)
        except (Exception, SystemExit) as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            notes.append(f"cell {i} raised {type(exc).__name__}: {first}"[:300])
        sink.seek(0)
        sink.truncate()
    return ns, notes


# ---------------------------------------------------------------------------------------
# The sandbox: the student's notebook and the probes, in a process of their own
# ---------------------------------------------------------------------------------------


def _sandbox_main() -> None:
    """Entry point of the sandbox process: ``notebook request.json result.json``."""
    global _SANDBOX
    notebook, request_path, result_path = sys.argv[1:4]
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    assignment, seed = request["assignment"], int(request["seed"])
    import matplotlib

    matplotlib.use("Agg")
    _SANDBOX = True
    probes = {}
    with _library_switched_off(assignment):
        ns, notes = _execute(Path(notebook))
        for c in _checks_of(assignment).values():
            try:
                probes[c.name] = c.probe(ns, seed)
            except Exception as exc:  # a probe never fails on the student's errors; this is a safety net
                probes[c.name] = {"kind": "raised", "error": repr(exc)[:400]}
    Path(result_path).write_text(json.dumps({"probes": probes, "notes": notes}), encoding="utf-8")


def _kill_process_group(proc: subprocess.Popen) -> None:
    """Kill the sandbox and every process it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()


def _run_sandbox(notebook: Path, assignment: str, seed: int, timeout: float) -> tuple[dict | None, str]:
    """Run the notebook and the probes in a fresh process; return (plain data, why it failed)."""
    with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
        tmp_path = Path(tmp)
        request, result, log = tmp_path / "request.json", tmp_path / "result.json", tmp_path / "output.txt"
        work = tmp_path / "work"
        work.mkdir()
        request.write_text(json.dumps({"assignment": assignment, "seed": seed}), encoding="utf-8")
        here = str(Path(__file__).resolve().parents[1])  # the folder that holds the `tools` package
        env = {**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
        env.pop("PYTHONSTARTUP", None)
        code = "from tools.grading import _sandbox_main; _sandbox_main()"
        cmd = [sys.executable, "-c", code, str(notebook.resolve()), str(request), str(result)]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=work,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_process_group(proc)
                return None, f"still running after {timeout:g} s (an endless loop?)"
            _kill_process_group(proc)
        tail = log.read_bytes()[-600:].decode("utf-8", "replace").strip()
        if not result.is_file() or result.stat().st_size > _MAX_RESULT_BYTES:
            return (
                None,
                f"the notebook stopped Python before it could be checked (exit {proc.returncode}): {tail}",
            )
        try:
            data = json.loads(result.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None, "the notebook's run left an unreadable result"
    if not isinstance(data, dict) or not isinstance(data.get("probes"), dict):
        return None, "the notebook's run left an unreadable result"
    return data, ""


# ---------------------------------------------------------------------------------------
# Grading notebooks (the teacher's process: reads plain data, judges, never runs student code)
# ---------------------------------------------------------------------------------------


def _read_notebook(path: Path) -> dict:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a readable notebook ({type(exc).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a Jupyter notebook (no list of cells)")
    return nb


def _defined_names(nb: dict) -> set[str]:
    """Top-level functions, classes and variables of the code cells (parsed, never run)."""
    names: set[str] = set()
    for _, src in _code_cells(nb):
        try:
            tree = ast.parse(_python_source(src))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _assignment_for(nb: dict) -> tuple[str, str]:
    """(assignment, note): from the metadata, else from the names the notebook defines."""
    meta = nb.get("metadata")
    course = meta.get("course_lib") if isinstance(meta, dict) else None
    if isinstance(course, dict) and isinstance(course.get("assignment"), str):
        if course["assignment"] not in CHECKS:
            raise ValueError(f"its metadata names an unknown assignment {course['assignment']!r}")
        return course["assignment"], ""
    defined = _defined_names(nb)
    found = [a for a, names in DEFINES.items() if 2 * len(defined & set(names)) > len(names)]
    if len(found) == 1:
        return found[0], (
            f"metadata.course_lib.assignment is missing; graded as {found[0]!r}, "
            "the assignment whose functions it defines"
        )
    raise ValueError(
        "metadata.course_lib.assignment is missing and the functions it defines match "
        f"{'no assignment' if not found else 'several assignments: ' + ', '.join(found)}; "
        "grade it with --assignment NAME"
    )


def assignment_of(notebook: str | Path) -> str:
    """The assignment id of a notebook: its metadata (``metadata.course_lib.assignment``), or else
    the one assignment whose functions it defines. Raises ValueError (with the reason) otherwise."""
    return _assignment_for(_read_notebook(Path(notebook)))[0]


def grade(
    notebook: str | Path,
    *,
    assignment: str | None = None,
    timeout: float = 600,
    verbose: bool = True,
    seed: int | None = None,
) -> Report:
    """Execute a submitted notebook in a sandbox process and grade it in this one.

    Never raises on a bad submission: a notebook that cannot be graded gets a report with score
    0 and the reason in ``crashed``.

    Args:
        notebook: path of the ``.ipynb`` file.
        assignment: the assignment id; default: the notebook's metadata (or the functions it defines).
        timeout: seconds before the run is stopped (the report then says so; score 0).
        verbose: print the score report.
        seed: seed of the checks' inputs; default: a fresh secret one.

    Returns:
        A :class:`Report` with one :class:`CheckResult` per check (hidden ones included).
    """
    notebook = Path(notebook)
    report = Report(str(notebook), assignment or "")
    t0 = time.perf_counter()
    try:
        nb = _read_notebook(notebook)
        if assignment is None:
            assignment, report.note = _assignment_for(nb)
        checks = _checks_of(assignment)
    except (ValueError, KeyError) as exc:
        report.crashed = str(exc.args[0] if exc.args else exc)
    else:
        report.assignment = assignment
        report.seed = secrets.randbelow(2**31) if seed is None else seed
        data, report.crashed = _run_sandbox(notebook, assignment, report.seed, timeout)
        if data is not None:
            notes = data.get("notes")
            report.cell_errors = [str(n)[:300] for n in notes[:50]] if isinstance(notes, list) else []
            report.results = [_judge(c, data["probes"].get(c.name), report.seed) for c in checks.values()]
        else:
            report.results = [
                CheckResult(c.name, 0, c.points, FAIL, report.crashed, c.hidden) for c in checks.values()
            ]
    report.seconds = time.perf_counter() - t0
    if verbose:
        print(report.text())
    return report


def grade_folder(
    folder: str | Path, *, csv_path: str | Path | None = None, timeout: float = 600, verbose: bool = True
) -> list[Report]:
    """Grade every ``.ipynb`` in ``folder`` (recursively); optionally write a CSV of scores.

    Every notebook gets a row, those that cannot be graded too (score 0 and the reason).
    """
    paths = sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    reports = [grade(p, timeout=timeout, verbose=verbose) for p in paths]
    if csv_path is not None:
        write_csv(reports, csv_path)
    return reports


def write_csv(reports: list[Report], path: str | Path) -> None:
    """One row per notebook: file, assignment, points per check, score, maximum, note."""
    names = [f"{a}/{n}" for a, cs in CHECKS.items() for n in cs]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["notebook", "assignment", *names, "score", "max_score", "note"])
        for r in reports:
            got = {f"{r.assignment}/{c.name}": c.points for c in r.results}
            row = [r.notebook, r.assignment, *[got.get(n, "") for n in names], r.score, r.max_score, r.reason]
            w.writerow(row)


def points_table(assignment: str | None = None) -> str:
    """A markdown table of the checks: assignment, check, points, hidden, learning goal."""
    rows = ["| assignment | check | points | hidden | learning goal |", "| --- | --- | --- | --- | --- |"]
    for a, checks in CHECKS.items():
        if assignment not in (None, a):
            continue
        for c in checks.values():
            goal = c.goal.replace("|", "\\|")
            rows.append(f"| {a} | `{c.name}` | {c.points} | {'yes' if c.hidden else ''} | {goal} |")
        rows.append(f"| {a} | **total** | **{sum(c.points for c in checks.values())}** | | |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.grading", description=__doc__.split("\n")[0])
    p.add_argument("paths", nargs="*", help="submitted notebooks or folders of notebooks")
    p.add_argument("--csv", help="write the scores of all graded notebooks to this CSV file")
    p.add_argument("--timeout", type=float, default=600, help="seconds per notebook (default 600)")
    p.add_argument("--table", action="store_true", help="print the points table of every assignment")
    p.add_argument("--assignment", help="grade as this assignment instead of reading the metadata")
    args = p.parse_args(argv)
    if args.table:
        print(points_table())
    reports: list[Report] = []
    for path in map(Path, args.paths):
        if path.is_dir():
            reports += grade_folder(path, timeout=args.timeout)
        else:
            reports.append(grade(path, assignment=args.assignment, timeout=args.timeout))
    if args.csv:
        write_csv(reports, args.csv)
        print(f"scores written to {args.csv}")
    if reports:
        mean = sum(r.score for r in reports) / len(reports)
        print(f"\ngraded {len(reports)} notebook(s); mean score {mean:.1f}")
    if not args.paths and not args.table:
        p.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
