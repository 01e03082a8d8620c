"""Autograding for the course's assignments: plain ``assert``-style checks, no nbgrader/otter.

Each assignment (one per chapter, notebooks in ``assignments/``) has a few graded checks
registered here with their points and the learning goal they test. A check receives the
namespace of the executed notebook (its globals), calls the student's functions on fixed
inputs and compares the answer with a closed form, a PyTorch built-in or ``course_lib``'s
reference implementation. A failed check raises ``AssertionError`` with a message that says
what was expected and what to change; the grader turns it into 0 points, never into a crash.

In a notebook (a student on Colab gets instant feedback)::

    from tools.grading import check
    check("gan", "d_loss", globals())

For a teacher, on a file or a folder of submitted notebooks (with ``course-tools`` installed,
or from the repository root)::

    python -m tools.grading submissions/ --csv scores.csv
    python -m tools.grading --table          # points table of every assignment

:func:`grade` executes a submission in a separate Python process (no Jupyter kernel needed,
so it also runs on Colab), with a time limit, runs *all* checks of its assignment, hidden ones
included, and prints a score report. The assignment is read from the notebook's metadata
(``metadata.course_lib.assignment``), so renamed files are graded correctly.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import numbers
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from course_lib.audio import mu_law_decode, mu_law_encode
from course_lib.metrics import snr

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


@dataclass(frozen=True)
class Check:
    """One graded check: ``func(namespace)`` raises ``AssertionError`` when the work is wrong."""

    assignment: str
    name: str
    points: int
    goal: str
    func: Callable[[dict], None]
    hidden: bool = False


@dataclass
class CheckResult:
    name: str
    points: float
    max_points: int
    status: str  # "pass", "fail" (the work is wrong or missing) or "error" (a bug in the check)
    message: str = ""
    hidden: bool = False


@dataclass
class Report:
    notebook: str
    assignment: str
    results: list[CheckResult] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    crashed: str = ""

    @property
    def score(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(c.points for c in CHECKS.get(self.assignment, {}).values())

    def text(self) -> str:
        lines = [f"{self.notebook}  [assignment {self.assignment!r}]"]
        if self.crashed:
            lines.append(f"  could not be graded: {self.crashed}")
        for r in self.results:
            mark = {PASS: "ok  ", FAIL: "FAIL", ERROR: "ERR "}[r.status]
            tag = " (hidden)" if r.hidden else ""
            lines.append(f"  {mark} {r.name:<28} {r.points:g}/{r.max_points}{tag}")
            if r.message:
                lines.extend("         " + m for m in r.message.splitlines())
        for e in self.cell_errors:
            lines.append(f"  note: {e}")
        lines.append(f"  score: {self.score:g}/{self.max_score}  ({self.seconds:.1f} s)")
        return "\n".join(lines)


#: assignment id -> check name -> Check, in the order the checks were registered.
CHECKS: dict[str, dict[str, Check]] = {}


def _register(assignment: str, name: str, points: int, goal: str, hidden: bool = False):
    def deco(func: Callable[[dict], None]) -> Callable[[dict], None]:
        CHECKS.setdefault(assignment, {})
        if name in CHECKS[assignment]:
            raise ValueError(f"check {assignment}/{name} registered twice")
        CHECKS[assignment][name] = Check(assignment, name, points, goal, func, hidden)
        return func

    return deco


# ---------------------------------------------------------------------------------------
# Helpers for writing checks: every failure becomes an AssertionError with a useful message
# ---------------------------------------------------------------------------------------


def _need(ns: dict, name: str, callable_: bool = True):
    if name not in ns:
        raise AssertionError(
            f"`{name}` is not defined. Run the cell that defines it (or Run all), and keep the name."
        )
    obj = ns[name]
    if callable_ and not callable(obj):
        raise AssertionError(f"`{name}` should be a function, but it is a {type(obj).__name__}.")
    return obj


def _call(ns: dict, name: str, *args, **kwargs):
    """Call the student's ``name(*args)``; turn its exceptions and ``None`` into failures."""
    func = _need(ns, name)
    try:
        out = func(*args, **kwargs)
    except Exception as exc:  # the student's code failed: a failed check, not a grader crash
        raise AssertionError(f"`{name}(...)` raised {type(exc).__name__}: {exc}") from None
    if out is None:
        raise AssertionError(
            f"`{name}` returned None: replace the `...` placeholder with your code and `return` the result."
        )
    return out


def _tensor(out, what: str, shape: tuple | None = None) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise AssertionError(f"{what} should be a torch.Tensor, got {type(out).__name__}.")
    if shape is not None and tuple(out.shape) != tuple(shape):
        raise AssertionError(f"{what} has shape {tuple(out.shape)}, expected {tuple(shape)}.")
    return out


def _close(got: torch.Tensor, want: torch.Tensor, what: str, atol: float = 1e-5, rtol: float = 1e-4) -> None:
    got_d, want_d = got.detach().double(), want.detach().double()
    if not torch.isfinite(got_d).all():
        raise AssertionError(f"{what}: your result contains inf or nan ({got_d.flatten()[:4].tolist()} ...).")
    if not torch.allclose(got_d, want_d, atol=atol, rtol=rtol):
        err = (got_d - want_d).abs().max().item()
        raise AssertionError(
            f"{what}: largest error {err:.3g} (allowed {atol:g} + {rtol:g}·|expected|).\n"
            f"first values: got {got_d.flatten()[:3].tolist()}, expected {want_d.flatten()[:3].tolist()}"
        )


def _number(out, what: str) -> float:
    if isinstance(out, torch.Tensor):
        if out.numel() != 1:
            raise AssertionError(
                f"{what} should be a single number, got a tensor of shape {tuple(out.shape)}."
            )
        out = out.item()
    if not isinstance(out, numbers.Real) or isinstance(out, bool):
        raise AssertionError(f"{what} should be a number, got {type(out).__name__}.")
    return float(out)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------
# GAN: the losses of the minimax game, from logits
# ---------------------------------------------------------------------------------------

_G = "gan"


@_register(_G, "d_loss", 3, "write the discriminator's loss -E log D(x) - E log(1 - D(G(z))) from logits")
def _gan_d_loss(ns: dict) -> None:
    g = _gen(0)
    real, fake = torch.randn(64, generator=g) * 2, torch.randn(32, generator=g) * 2
    want = (
        -torch.log(torch.sigmoid(real.double())).mean() - torch.log(1 - torch.sigmoid(fake.double())).mean()
    )
    got = _tensor(_call(ns, "d_loss", real, fake), "d_loss(real_logits, fake_logits)", ())
    _close(got, want, "d_loss on random logits")
    half = _tensor(_call(ns, "d_loss", torch.zeros(8), torch.zeros(8)), "d_loss", ())
    _close(half, torch.tensor(2 * math.log(2)), "d_loss at D = 1/2 everywhere (should be 2 log 2)")


@_register(
    _G, "d_loss_stable", 1, "compute log-sigmoids stably (softplus), never log(sigmoid(.))", hidden=True
)
def _gan_d_loss_stable(ns: dict) -> None:
    real, fake = torch.tensor([-200.0, 0.0, 200.0]), torch.tensor([200.0, -200.0, 0.0])
    got = _tensor(_call(ns, "d_loss", real, fake), "d_loss", ())
    want = F.softplus(-real.double()).mean() + F.softplus(fake.double()).mean()
    _close(got, want, "d_loss with logits of ±200 (use F.softplus or F.binary_cross_entropy_with_logits)")


@_register(_G, "g_losses", 2, "tell the saturating generator loss from the non-saturating one")
def _gan_g_losses(ns: dict) -> None:
    fake = torch.randn(50, generator=_gen(1)) * 3
    d = torch.sigmoid(fake.double())
    sat = _tensor(_call(ns, "g_loss_saturating", fake), "g_loss_saturating(fake_logits)", ())
    _close(sat, torch.log(1 - d).mean(), "g_loss_saturating = mean log(1 - D(G(z)))")
    ns_loss = _tensor(_call(ns, "g_loss_nonsaturating", fake), "g_loss_nonsaturating(fake_logits)", ())
    _close(ns_loss, -torch.log(d).mean(), "g_loss_nonsaturating = -mean log D(G(z))")


@_register(_G, "gradients", 2, "explain why the saturating loss gives the generator no gradient early on")
def _gan_gradients(ns: dict) -> None:
    # A discriminator that easily spots fakes: D(G(z)) = sigmoid(-6), about 0.0025.
    for name, want in (
        ("g_loss_saturating", -torch.sigmoid(torch.tensor(-6.0))),
        ("g_loss_nonsaturating", -(1 - torch.sigmoid(torch.tensor(-6.0)))),
    ):
        logits = torch.full((4,), -6.0, requires_grad=True)
        out = _tensor(_call(ns, name, logits), name, ())
        if not out.requires_grad:
            raise AssertionError(f"{name} does not depend on the logits through autograd (did you detach?).")
        (grad,) = torch.autograd.grad(out, logits)
        _close(grad * 4, want.expand(4), f"d {name} / d logit at D(G(z)) = sigmoid(-6)", atol=1e-4)
    ratio = _number(_need(ns, "gradient_ratio", callable_=False), "gradient_ratio")
    want_ratio = (1 - torch.sigmoid(torch.tensor(-6.0))).item() / torch.sigmoid(torch.tensor(-6.0)).item()
    if not math.isclose(ratio, want_ratio, rel_tol=0.02):
        raise AssertionError(
            f"gradient_ratio = {ratio:.4g}, expected |non-saturating grad| / |saturating grad| "
            f"= {want_ratio:.4g} at D(G(z)) = sigmoid(-6)."
        )


@_register(_G, "optimal_d", 2, "derive the optimal discriminator D* = p_data / (p_data + p_g) and V(D*, G)")
def _gan_optimal_d(ns: dict) -> None:
    p_data = torch.tensor([0.1, 0.5, 0.0, 0.4])
    p_g = torch.tensor([0.3, 0.5, 0.2, 0.0])
    got = _tensor(_call(ns, "optimal_discriminator", p_data, p_g), "optimal_discriminator", (4,))
    _close(got, torch.tensor([0.25, 0.5, 0.0, 1.0]), "D*(x) = p_data / (p_data + p_g)")
    v = _number(_need(ns, "value_at_equilibrium", callable_=False), "value_at_equilibrium")
    if not math.isclose(v, -math.log(4), abs_tol=1e-3):
        raise AssertionError(
            f"value_at_equilibrium = {v:.4f}; V(D*, G) when p_g = p_data is -log 4 (in nats)."
        )


# ---------------------------------------------------------------------------------------
# VAE: the KL term, the reparameterisation trick and the ELBO
# ---------------------------------------------------------------------------------------

_V = "vae"


@_register(_V, "gaussian_kl", 3, "write KL(N(mu, sigma^2) || N(0, I)) in closed form, summed over latents")
def _vae_kl(ns: dict) -> None:
    g = _gen(2)
    mu, logvar = torch.randn(16, 5, generator=g), torch.randn(16, 5, generator=g)
    want = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu.double(), (0.5 * logvar.double()).exp()),
        torch.distributions.Normal(torch.zeros(()).double(), torch.ones(()).double()),
    ).sum(-1)
    got = _tensor(_call(ns, "gaussian_kl", mu, logvar), "gaussian_kl(mu, logvar)", (16,))
    _close(got, want, "gaussian_kl, one value per example (sum over the latent dimensions)")
    zero = _tensor(_call(ns, "gaussian_kl", torch.zeros(3, 4), torch.zeros(3, 4)), "gaussian_kl", (3,))
    _close(zero, torch.zeros(3), "gaussian_kl of the prior itself must be 0")


@_register(_V, "reparameterize", 2, "sample z = mu + sigma * eps so that gradients reach mu and log-variance")
def _vae_reparam(ns: dict) -> None:
    g = _gen(3)
    mu = torch.randn(6, 3, generator=g).requires_grad_()
    logvar = torch.randn(6, 3, generator=g).requires_grad_()
    eps = torch.randn(6, 3, generator=g)
    z = _tensor(_call(ns, "reparameterize", mu, logvar, eps), "reparameterize(mu, logvar, eps)", (6, 3))
    _close(z, mu + (0.5 * logvar).exp() * eps, "z = mu + exp(logvar / 2) * eps")
    if not z.requires_grad:
        raise AssertionError("z carries no gradient: compute it from mu and logvar without detaching.")
    d_mu, d_lv = torch.autograd.grad(z.sum(), (mu, logvar), allow_unused=True)
    if d_mu is None or d_lv is None:
        raise AssertionError("gradients must flow to both mu and logvar through z.")
    _close(d_lv, 0.5 * (0.5 * logvar).exp() * eps, "dz/dlogvar = exp(logvar / 2) * eps / 2")


@_register(_V, "elbo", 3, "assemble the ELBO: Bernoulli log-likelihood of the pixels minus the KL term")
def _vae_elbo(ns: dict) -> None:
    g = _gen(4)
    x = (torch.rand(8, 20, generator=g) > 0.5).float()
    logits = torch.randn(8, 20, generator=g) * 2
    mu, logvar = torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g) * 0.5
    log_px = -F.binary_cross_entropy_with_logits(logits.double(), x.double(), reduction="none").sum(-1)
    kl = 0.5 * (mu.double() ** 2 + logvar.double().exp() - 1 - logvar.double()).sum(-1)
    got = _tensor(_call(ns, "elbo", x, logits, mu, logvar), "elbo(x, logits, mu, logvar)", (8,))
    _close(got, log_px - kl, "ELBO per example = sum_pixels log p(x|z) - KL (in nats; not averaged)")


@_register(_V, "kl_monte_carlo", 1, "check a closed form against a Monte Carlo estimate", hidden=True)
def _vae_kl_mc(ns: dict) -> None:
    mu, logvar = torch.tensor([[0.7, -1.2]]), torch.tensor([[-0.5, 0.8]])
    eps = torch.randn(200_000, 2, generator=_gen(5))
    z = _tensor(_call(ns, "reparameterize", mu.expand(200_000, 2), logvar.expand(200_000, 2), eps), "z")
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    mc = (q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z)).sum(-1).mean()
    kl = _tensor(_call(ns, "gaussian_kl", mu, logvar), "gaussian_kl", (1,))
    _close(
        kl, mc.reshape(1), "gaussian_kl against a 200,000-sample Monte Carlo estimate", atol=0.02, rtol=0.0
    )


# ---------------------------------------------------------------------------------------
# WaveNet: causal dilated convolutions and the receptive field
# ---------------------------------------------------------------------------------------

_W = "wavenet"


@_register(_W, "receptive_field", 2, "compute the receptive field 1 + sum_l (k - 1) d_l of a dilated stack")
def _wn_rf(ns: dict) -> None:
    cases = [
        ((2, [1]), 2),
        ((2, [1, 2, 4, 8]), 16),
        ((3, [1, 2, 4]), 15),
        ((2, [1, 1, 1, 1]), 5),
        ((2, [2**i for i in range(10)] * 3), 3070),
    ]
    for (k, dil), want in cases:
        got = _number(_call(ns, "receptive_field", k, dil), "receptive_field")
        if got != want:
            raise AssertionError(
                f"receptive_field({k}, {dil[:6]}{'...' if len(dil) > 6 else ''}) = {got:g}, expected {want}."
            )


def _student_conv(ns: dict, c_in: int, c_out: int, k: int, d: int) -> torch.nn.Module:
    cls = _need(ns, "CausalConv1d")
    try:
        torch.manual_seed(0)
        conv = cls(c_in, c_out, kernel_size=k, dilation=d)
    except Exception as exc:
        raise AssertionError(
            f"CausalConv1d({c_in}, {c_out}, kernel_size={k}, dilation={d}) raised {exc!r}"
        ) from None
    if not isinstance(getattr(conv, "conv", None), torch.nn.Conv1d):
        raise AssertionError(
            "keep the `self.conv = nn.Conv1d(...)` line of the template: the check reads its weights."
        )
    return conv


def _forward(conv: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    try:
        out = conv(x)
    except Exception as exc:
        raise AssertionError(f"CausalConv1d.forward raised {type(exc).__name__}: {exc}") from None
    if out is None:
        raise AssertionError(
            "CausalConv1d.forward returned None: fill in the placeholder and return the output."
        )
    return out


@_register(_W, "causal_conv", 3, "implement a causal dilated convolution by left padding (k - 1) d zeros")
def _wn_causal(ns: dict) -> None:
    for k, d in ((2, 1), (2, 4), (3, 2)):
        conv = _student_conv(ns, 3, 5, k, d)
        x = torch.randn(2, 3, 40, generator=_gen(6))
        out = _tensor(_forward(conv, x), "CausalConv1d output", (2, 5, 40))
        w, b = conv.conv.weight, conv.conv.bias
        want = F.conv1d(F.pad(x, ((k - 1) * d, 0)), w, b, dilation=d)
        _close(out, want, f"CausalConv1d(kernel_size={k}, dilation={d}) output")


@_register(_W, "causality", 2, "verify causality: output t depends only on inputs t - (k-1)d, ..., t")
def _wn_causality(ns: dict) -> None:
    k, d, t = 3, 4, 25
    conv = _student_conv(ns, 1, 1, k, d)
    x = torch.randn(1, 1, 40, generator=_gen(7), requires_grad=True)
    out = _tensor(_forward(conv, x), "CausalConv1d output", (1, 1, 40))
    (grad,) = torch.autograd.grad(out[0, 0, t], x)
    support = sorted(torch.nonzero(grad[0, 0]).flatten().tolist())
    want = [t - j * d for j in range(k - 1, -1, -1)]
    if support != want:
        raise AssertionError(
            f"output {t} depends on inputs {support}; a causal conv (k={k}, d={d}) uses {want}."
        )


@_register(_W, "stack_support", 1, "measure a stack's receptive field with gradients", hidden=True)
def _wn_stack(ns: dict) -> None:
    dil = [1, 2, 4, 8]
    layers = [_student_conv(ns, 1, 1, 2, d) for d in dil]
    x = torch.randn(1, 1, 64, generator=_gen(8), requires_grad=True)
    h = x
    for layer in layers:
        h = _forward(layer, h)
    (grad,) = torch.autograd.grad(h[0, 0, -1], x)
    span = 64 - int(torch.nonzero(grad[0, 0]).min())
    want = _number(_call(ns, "receptive_field", 2, dil), "receptive_field")
    if span != want or want != 16:
        raise AssertionError(
            f"the stack's measured receptive field is {span}, receptive_field says {want:g}; "
            "both should be 16."
        )


# ---------------------------------------------------------------------------------------
# RNN: a GRU cell from its equations, unrolled over time
# ---------------------------------------------------------------------------------------

_R = "rnn_gan"


def _gru_reference(seed: int, d_in: int = 3, hidden: int = 4) -> torch.nn.GRUCell:
    torch.manual_seed(seed)
    return torch.nn.GRUCell(d_in, hidden).double()


@_register(_R, "gru_cell", 4, "write the GRU equations (reset and update gates, candidate state)")
def _rnn_gru_cell(ns: dict) -> None:
    ref = _gru_reference(9)
    x, h = torch.randn(5, 3, generator=_gen(9)).double(), torch.randn(5, 4, generator=_gen(10)).double()
    args = (x, h, ref.weight_ih.detach(), ref.weight_hh.detach(), ref.bias_ih.detach(), ref.bias_hh.detach())
    got = _tensor(_call(ns, "gru_cell", *args), "gru_cell(x, h, W_ih, W_hh, b_ih, b_hh)", (5, 4))
    _close(got, ref(x, h), "gru_cell against torch.nn.GRUCell with the same weights (gate order r, z, n)")


@_register(_R, "unroll", 2, "unroll a recurrent cell over a sequence (batch, time, features)")
def _rnn_unroll(ns: dict) -> None:
    torch.manual_seed(11)
    gru = torch.nn.GRU(3, 4, batch_first=True).double()
    x = torch.randn(2, 7, 3, generator=_gen(11)).double()
    h0 = torch.randn(2, 4, generator=_gen(12)).double()
    params = (
        gru.weight_ih_l0.detach(),
        gru.weight_hh_l0.detach(),
        gru.bias_ih_l0.detach(),
        gru.bias_hh_l0.detach(),
    )
    got = _tensor(_call(ns, "gru_unroll", x, h0, *params), "gru_unroll(x, h0, ...)", (2, 7, 4))
    want, _ = gru(x, h0.unsqueeze(0))
    _close(got, want, "gru_unroll against torch.nn.GRU(batch_first=True)")


@_register(
    _R, "gate_limits", 1, "read the update gate: z = 1 copies the state, z = 0 replaces it", hidden=True
)
def _rnn_gate_limits(ns: dict) -> None:
    w_ih, w_hh = torch.zeros(12, 3).double(), torch.zeros(12, 4).double()
    b = torch.zeros(12).double()
    b_hh = b.clone()
    b_hh[4:8] = 50.0  # update gate saturated at 1: the state is copied unchanged
    x, h = torch.randn(2, 3, generator=_gen(13)).double(), torch.randn(2, 4, generator=_gen(14)).double()
    got = _tensor(_call(ns, "gru_cell", x, h, w_ih, w_hh, b, b_hh), "gru_cell", (2, 4))
    _close(got, h, "with the update gate at 1, h' must equal h (h' = (1 - z) * n + z * h)")


# ---------------------------------------------------------------------------------------
# Audio: µ-law companding and signal-to-noise ratios
# ---------------------------------------------------------------------------------------

_A = "audio"


def _test_signal() -> torch.Tensor:
    t = torch.arange(8000) / 8000
    g = _gen(15)
    return (
        0.6 * torch.exp(-3 * t) * torch.sin(2 * math.pi * 220 * t) + 0.01 * torch.randn(8000, generator=g)
    ).clamp(-1, 1)


@_register(
    _A, "mu_law_encode", 3, "compand with F(x) = sign(x) ln(1 + mu|x|) / ln(1 + mu) and quantise to 8 bits"
)
def _audio_encode(ns: dict) -> None:
    x = torch.cat([torch.linspace(-1, 1, 2001), _test_signal()])
    got = _tensor(_call(ns, "mu_law_encode", x), "mu_law_encode(x)", tuple(x.shape))
    if torch.is_floating_point(got):
        raise AssertionError("mu_law_encode should return integer codes (use .long()), not floats.")
    want = mu_law_encode(x)
    if got.min() < 0 or got.max() > 255:
        raise AssertionError(f"codes must lie in [0, 255], yours span [{got.min()}, {got.max()}].")
    wrong = (got != want).float().mean().item()
    if wrong > 1e-3 or (got - want).abs().max() > 1:
        raise AssertionError(
            f"{wrong:.1%} of your codes differ from course_lib.audio.mu_law_encode "
            "(map F(x) in [-1, 1] to floor((F(x) + 1) / 2 * 255 + 0.5))."
        )


@_register(_A, "mu_law_decode", 2, "invert the companding: x = sign(y) ((1 + mu)^|y| - 1) / mu")
def _audio_decode(ns: dict) -> None:
    codes = torch.arange(256)
    got = _tensor(_call(ns, "mu_law_decode", codes), "mu_law_decode(codes)", (256,))
    _close(got, mu_law_decode(codes), "mu_law_decode of every code 0..255", atol=1e-5)


@_register(_A, "snr", 2, "measure quality as SNR = 10 log10(sum x^2 / sum (x - x_hat)^2) in dB")
def _audio_snr(ns: dict) -> None:
    x = _test_signal()
    est = x + 0.05 * torch.randn(8000, generator=_gen(16))
    got = _number(_call(ns, "snr_db", x, est), "snr_db(clean, estimate)")
    want = snr(x, est).item()
    if not math.isclose(got, want, abs_tol=0.01):
        raise AssertionError(
            f"snr_db = {got:.3f} dB, expected {want:.3f} dB (power ratio, not amplitude; dB = 10 log10)."
        )


@_register(_A, "mix_at_snr", 2, "scale noise to reach a target SNR when simulating noisy recordings")
def _audio_mix(ns: dict) -> None:
    x, noise = _test_signal(), torch.randn(8000, generator=_gen(17))
    for target in (0.0, 5.0, 20.0):
        noisy = _tensor(
            _call(ns, "mix_at_snr", x, noise, target), f"mix_at_snr(clean, noise, {target})", (8000,)
        )
        added = noisy - x
        cos = F.cosine_similarity(added.double(), noise.double(), dim=0).item()
        if cos < 0.9999:
            raise AssertionError(
                "noisy - clean must be a scaled copy of the noise (multiply the noise by one gain)."
            )
        got = 10 * math.log10(x.pow(2).sum().item() / added.pow(2).sum().item())
        if not math.isclose(got, target, abs_tol=0.01):
            raise AssertionError(f"mix_at_snr(..., {target}) gives an SNR of {got:.3f} dB.")


@_register(_A, "mu_law_gain", 1, "compare 8-bit mu-law with 8-bit linear PCM on a decaying tone", hidden=True)
def _audio_gain(ns: dict) -> None:
    v = _number(_need(ns, "mu_law_advantage_db", callable_=False), "mu_law_advantage_db")
    x = _test_signal()
    lin = (((x + 1) / 2 * 256).floor().clamp(0, 255) + 0.5) / 256 * 2 - 1
    want = (snr(x, mu_law_decode(mu_law_encode(x))) - snr(x, lin)).item()
    if not math.isclose(v, want, abs_tol=0.1):
        raise AssertionError(f"mu_law_advantage_db = {v:.2f} dB, the measurement gives {want:.2f} dB.")


# ---------------------------------------------------------------------------------------
# Running checks, grading notebooks
# ---------------------------------------------------------------------------------------


def _run_one(c: Check, ns: dict) -> CheckResult:
    try:
        with torch.random.fork_rng():
            c.func(ns)
    except AssertionError as exc:
        return CheckResult(c.name, 0, c.points, FAIL, str(exc) or "assertion failed", c.hidden)
    except Exception as exc:
        tb = traceback.format_exc(limit=-2)
        return CheckResult(c.name, 0, c.points, ERROR, f"the check itself failed: {exc!r}\n{tb}", c.hidden)
    return CheckResult(c.name, c.points, c.points, PASS, "", c.hidden)


def _checks_of(assignment: str) -> dict[str, Check]:
    if assignment not in CHECKS:
        raise KeyError(f"unknown assignment {assignment!r}; known: {', '.join(CHECKS)}")
    return CHECKS[assignment]


def check(assignment: str, name: str, namespace: dict) -> bool:
    """Run one check in a notebook and print the outcome; returns True when it passes.

    Never raises on wrong work, so "Run all" goes on to the next exercise.
    """
    r = _run_one(_checks_of(assignment)[name], namespace)
    if r.status == PASS:
        print(f"✓ {name}: {r.points:g}/{r.max_points} points")
    else:
        print(f"✗ {name}: 0/{r.max_points} points\n  {r.message}")
    return r.status == PASS


def run_checks(assignment: str, namespace: dict, include_hidden: bool = True) -> list[CheckResult]:
    """Run every check of ``assignment`` on ``namespace`` (the globals of an executed notebook)."""
    return [_run_one(c, namespace) for c in _checks_of(assignment).values() if include_hidden or not c.hidden]


def assignment_of(notebook: str | Path) -> str:
    """The assignment id stored in a notebook's metadata (``metadata.course_lib.assignment``)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    try:
        return nb["metadata"]["course_lib"]["assignment"]
    except (KeyError, TypeError):
        raise ValueError(
            f"{notebook} has no metadata.course_lib.assignment: it is not a course assignment "
            "(or its metadata was stripped); pass assignment=... explicitly."
        ) from None


def _cell_code(source: str) -> str:
    """Drop IPython-only lines (magics, shell escapes) so the cell runs as plain Python."""
    if source.lstrip().startswith("%%"):
        return ""
    keep = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(keep)


def _execute(notebook: Path) -> tuple[dict, list[str]]:
    """Execute a notebook's code cells in one namespace; errors are recorded, not raised."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    ns: dict = {"__name__": "__main__"}
    errors: list[str] = []
    sink = io.StringIO()
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        try:
            code = compile(_cell_code(src), f"<cell {i}>", "exec")
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                exec(code, ns)
        except Exception as exc:
            errors.append(
                f"cell {i} raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            )
    return ns, errors


def _worker(notebook: str, assignment: str) -> None:
    """Entry point of the grading subprocess: execute, check, print the report as JSON."""
    import matplotlib

    matplotlib.use("Agg")
    path = Path(notebook).resolve()
    os.chdir(path.parent)
    t0 = time.perf_counter()
    ns, errors = _execute(path)
    results = run_checks(assignment, ns)
    out = {
        "results": [asdict(r) for r in results],
        "cell_errors": errors,
        "seconds": time.perf_counter() - t0,
    }
    sys.stdout.write("\n@@GRADING@@" + json.dumps(out) + "\n")


def grade(
    notebook: str | Path, *, assignment: str | None = None, timeout: float = 600, verbose: bool = True
) -> Report:
    """Execute a submitted notebook in a fresh Python process and grade it.

    Args:
        notebook: path of the ``.ipynb`` file.
        assignment: the assignment id; default: read from the notebook's metadata.
        timeout: seconds before the run is stopped (the report then says so; score 0).
        verbose: print the score report.

    Returns:
        A :class:`Report` with one :class:`CheckResult` per check (hidden ones included).
    """
    notebook = Path(notebook)
    assignment = assignment or assignment_of(notebook)
    checks = _checks_of(assignment)
    report = Report(str(notebook), assignment)
    env = {**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1"}
    env.pop("PYTHONSTARTUP", None)
    cmd = [
        sys.executable,
        "-m",
        "tools.grading",
        "--worker",
        str(notebook.resolve()),
        "--assignment",
        assignment,
    ]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        payload = proc.stdout.rpartition("@@GRADING@@")[2] if "@@GRADING@@" in proc.stdout else ""
        if not payload:
            report.crashed = (
                f"the notebook stopped Python (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        else:
            data = json.loads(payload)
            report.results = [CheckResult(**r) for r in data["results"]]
            report.cell_errors = data["cell_errors"]
    except subprocess.TimeoutExpired:
        report.crashed = f"still running after {timeout:g} s (an endless loop?)"
    report.seconds = time.perf_counter() - t0
    if report.crashed:
        report.results = [
            CheckResult(c.name, 0, c.points, FAIL, report.crashed, c.hidden) for c in checks.values()
        ]
    if verbose:
        print(report.text())
    return report


def grade_folder(
    folder: str | Path, *, csv_path: str | Path | None = None, timeout: float = 600, verbose: bool = True
) -> list[Report]:
    """Grade every ``.ipynb`` in ``folder`` (recursively); optionally write a CSV of scores.

    The CSV has one row per notebook: file, assignment, one column per check, total, maximum.
    """
    paths = sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    reports = []
    for p in paths:
        try:
            reports.append(grade(p, timeout=timeout, verbose=verbose))
        except ValueError as exc:
            print(f"skipped {p}: {exc}")
    if csv_path is not None:
        write_csv(reports, csv_path)
    return reports


def write_csv(reports: list[Report], path: str | Path) -> None:
    """One row per notebook: file, assignment, points per check, score, maximum."""
    names = [f"{a}/{n}" for a, cs in CHECKS.items() for n in cs]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["notebook", "assignment", *names, "score", "max_score"])
        for r in reports:
            got = {f"{r.assignment}/{c.name}": c.points for c in r.results}
            w.writerow([r.notebook, r.assignment, *[got.get(n, "") for n in names], r.score, r.max_score])


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
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.assignment)
        return 0
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
