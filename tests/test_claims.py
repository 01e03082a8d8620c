"""No measured number is typed into the prose of a notebook: measured values are glued.

Every markdown cell of every notebook under ``chapters/`` is scanned for a literal *measured
value*: a number followed by one of the units ``dB``, ``%``, ``nat(s)``, ``bit(s)``
(``bits/sample``, ``bits/dim``, ``bit/s``), ``kbit/s`` / ``kbps``, ``samples/s``, a factor
``×`` (``20×``, ``20 ×``, ``20x``) or ``s`` (seconds). Such a number must come from the
executed notebook through a myst-nb glue role (``{glue:}`name```, ``{glue:text}`name:.2f```),
which renders it without it ever appearing as a literal in the source; a number typed by hand
goes stale the first time a model is retrained.

Not scanned: math (``$...$``, ``$$...$$``, ``\\begin{...}``), inline code and roles
(``{cite}`...```, ``{glue:}`...```, ...), code fences (directive fences such as
``{exercise}`` or ``{admonition}`` *are* scanned, their option lines are not), URLs,
link targets and HTML.

Allowed (see :data:`ALLOWED`, each entry says why): *definitions*, i.e. settings the author
chose or facts that hold by construction (8 kHz audio, 8-bit µ-law, a 16 kbit/s operating
point, 1 s clips, a 10 ms hop, ...) and published figures quoted from a paper: a number that
is followed, within the same sentence, by a ``{cite}`` role. Tune :data:`ALLOWED` only for
genuine definitions; a measured value is fixed by gluing it, not by allow-listing it.

Run one chapter: ``pytest tests/test_claims.py -k wavenet``. On failure every offending
snippet is printed with its notebook and cell index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("**/*.ipynb") if ".ipynb_checkpoints" not in p.parts)

# A number (1, 0.26, 3,000, .5) not glued to a preceding word, version or path.
NUMBER = r"(?<![\w.^_/])(?<!\w-)(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?<=\d)"
SPACE = r"[ \n\u00a0\u2009\u202f]?"  # at most one (normal, newline, no-break, thin) space
UNIT = (
    r"(?:"
    r"kbit/s|kbits/s|kb/s|kbps|bits?/s(?:ample)?|bits?/dim|bits?\b|"
    r"nats?/dim|nats?\b|"
    r"samples/s\b|"
    r"dB(?![a-zA-Z])|"
    r"%|"
    r"×(?![ \u00a0]?\d)|x(?![\w-]| ?\d)|"  # a factor (20×, 20x), not a size such as 129 × 101 or 8x8
    r"s(?![\w/])"  # seconds
    r")"
)
CLAIM = re.compile(rf"{NUMBER}{SPACE}{UNIT}")

#: Phrases that may hold a literal number with a unit, as regexes matched against the masked
#: text (math, code and roles already blanked), each with the reason it is a *definition*
#: (a setting the author chose, or a fact that holds by construction) and not a measurement.
#: A claim is allowed when it lies inside a match. A space in a pattern matches any run of
#: whitespace (markdown wraps lines). Keep entries to a few words of context: never allow a
#: bare "number + unit", so that the same number stated as a result is still caught.
ALLOWED: dict[str, str] = {
    # --- formats and standards: facts of the data, not results --------------------------------
    r"\b(?:8|16|32) bits (?:per sample|µ-law|PCM)": "a sample format (8-bit µ-law, 16-bit PCM)",
    r"(?:out of|quantise to) (?:8|16) bits": "a sample format (8-bit µ-law, 16-bit PCM)",
    r"channels of \d+ bits": "a codec's design: D channels of b bits each",
    r"\b64 kbit/s": "G.711's rate, 8000 samples/s × 8 bits, a property of the standard",
    r"\b8000 samples/s": "the sampling rate of the FSDD recordings (8 kHz), a property of the data",
    r"\b\d+(?:\.\d+)? s at 8 kHz": "the duration of a fixed number of samples at 8 kHz",
    r"samples, about \d+(?:\.\d+)? s\b": "the duration of a fixed number of samples at 8 kHz",
    # --- textbook constants and closed forms: true by construction ---------------------------
    r"\b6(?:\.02)? dB(?: of SNR)? per (?:extra )?bit": "the 6.02 dB-per-bit rule of uniform quantisation",
    r"should add about 6 dB of SNR": "the 6.02 dB-per-bit rule, stated as the prediction to test",
    r"loses about 6 dB of SNR per 6 dB of level": "uniform PCM's SNR follows the level, by construction",
    r"side lobes \(−13 dB\)": "the rectangular window's first side lobe, a textbook constant",
    r"log 2 ≈ 1\.386 nats": "2 log 2, the value of the GAN game at the optimum (closed form)",
    r"\b3\.32 bits": "log2(10), the entropy of the uniform distribution over ten digits",
    r"random string is valid with probability \d+(?:\.\d+)? %": (
        "the share of valid Dyck strings, counted exactly (Catalan numbers), not sampled"
    ),
    r"perfectly scores ≈ 100 % HQ|can be 100 % valid": "a thought experiment, true by definition",
    # --- settings chosen by the author: the experiment's definition ---------------------------
    r"\b(?:16|8|4|2) kbit/s": (
        "the codec's operating points, fixed by design (channels × bits × frames/s); a measured "
        "rate (entropy, arithmetic-coded bytes) has decimals and must be glued"
    ),
    r"bit/s = \d+ kbit/s|codebooks: \d+ kbit/s|bits, so \d+ bits": (
        "an exercise's worked arithmetic from the numbers it states"
    ),
    r"\b\d+(?:\.\d+)? s (?:each|crops?|clips?|samples|windows?|segments?"
    r"|of (?:audio|speech|samples|the digit))": "the length of the crops or clips an experiment uses",
    r"\b1 s at a 10 ms hop": "the size of a spectrogram in a worked example",
    r"\b80 dB below the peak": "the top_db floor of power_to_db, a setting (librosa's default)",
    r"(?:noise|mixture|mixed|babble) at (?:\d+(?:, | and |–))*\d+ dB": "the SNR of a test condition",
    r"\bat (?:\d+(?:, | and |–))*\d+ dB (?:SNR|white|pink|babble)": "the SNR of a test condition",
    r"\(?\b\d+ dB (?:white|pink|babble)\b": "the SNR of a test condition",
    r"\b\d+ dB (?:quieter|louder|less signal)|over the same \d+ dB": "a level change the author applies",
    r"should be at least \d+ dB|[≥≤] \d+ %|fall below \d+ %|KL (?:below|≪) \d+(?:\.\d+)? nats?": (
        "a pass threshold or a cut-off set by the author, not a result"
    ),
    r"lr_D = \d+ × lr_G": "a learning-rate ratio, a setting",
    r"(?:cut to|the same|the quietest|the loudest|only|the other) \d+ %(?: of| only|\.)"
    r"|on \d+ % of each set": ("the size of a data subset or split chosen by the author"),
}
_ALLOWED = [re.compile(p.replace(" ", r"\s+")) for p in ALLOWED]

_CITE = re.compile(r"\{cite(?::\w+)?\}`[^`]*`")
# A sentence ends at . ! ? before whitespace (not after "et al", "e.g", "i.e", "cf", "vs") or at a
# blank line.
_SENTENCE_END = re.compile(r"(?<!\bal)(?<!e\.g)(?<!i\.e)(?<!\bcf)(?<!\bvs)[.!?](?=\s|$)|\n\s*\n")


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` replaced by spaces (newlines kept), so offsets survive."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _blank_all(text: str, pattern: str, flags: int = 0, group: int = 0) -> str:
    for m in reversed(list(re.finditer(pattern, text, flags))):
        text = _blank(text, m.start(group), m.end(group))
    return text


def mask(text: str) -> str:
    """The markdown ``text`` with everything that is not prose blanked out, offsets preserved."""
    # Fences: a code fence is blanked whole; a directive fence ({exercise}, {admonition}, ...)
    # keeps its body, without the fence lines and the ":option:" lines that follow the opening.
    out, stack, head = [], [], False  # stack of (marker, is_code) of the open fences
    for line in text.split("\n"):
        stripped = line.strip()
        m = re.match(r"^(`{3,}|~{3,}|:{3,})(.*)$", stripped)
        if m and stack and not m.group(2).strip() and m.group(1).startswith(stack[-1][0]):
            stack.pop()
            out.append(" " * len(line))
            continue
        if m and not (stack and stack[-1][1]):
            info = m.group(2).strip()
            directive = m.group(1)[0] == ":" or (
                info.startswith("{") and not info.startswith(("{code", "{math}", "{glue"))
            )
            stack.append((m.group(1), not directive))
            head = True
            out.append(" " * len(line))
            continue
        if stack and (stack[-1][1] or (head and re.match(r"^:\w[\w-]*:", stripped))):
            out.append(" " * len(line))
            continue
        head = False
        out.append(line)
    text = "\n".join(out)
    text = _blank_all(text, r"<!--.*?-->", re.S)
    text = _blank_all(text, r"\$\$.*?\$\$", re.S)
    text = _blank_all(text, r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S)
    text = _blank_all(text, r"(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$(?!\d)")
    text = _blank_all(text, r"\{[\w:.-]+\}`[^`]*`")  # roles: {cite}, {glue:text}, {numref}, ...
    text = _blank_all(text, r"(`+)[^`]*?\1")  # inline code
    text = _blank_all(text, r"\]\([^)]*\)")  # link targets
    text = _blank_all(text, r"https?://\S+|www\.\S+")
    text = _blank_all(text, r"</?[a-zA-Z][^>\n]*>")
    text = _blank_all(text, r"^\([\w:.-]+\)=\s*$", re.M)  # MyST labels
    return text


def _published(source: str, end: int) -> bool:
    """True when a ``{cite}`` follows offset ``end`` of ``source`` within the same sentence."""
    stop = _SENTENCE_END.search(source, end)
    tail = source[end : stop.start() if stop else len(source)]
    return bool(_CITE.search(tail))


def claims(source: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the literal measured values in one markdown cell's source."""
    masked = mask(source)
    allowed = [m.span() for rx in _ALLOWED for m in rx.finditer(masked)]
    # Sentence ends are searched in the source with math blanked (decimal points) but roles kept.
    prose = _blank_all(source, r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
    found = []
    for m in CLAIM.finditer(masked):
        if any(a <= m.start() and m.end() <= b for a, b in allowed) or _published(prose, m.end()):
            continue
        found.append(m.span())
    return found


def _snippet(source: str, start: int, end: int, width: int = 50) -> str:
    left, right = max(0, start - width), min(len(source), end + width)
    text = source[left:start] + "[[" + source[start:end] + "]]" + source[end:right]
    return ("…" if left else "") + " ".join(text.split()) + ("…" if right < len(source) else "")


def notebook_claims(path: Path) -> list[str]:
    """Every offending snippet of the notebook at ``path``, as ``'cell N: …snippet…'``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    out = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        out += [f"cell {i}: {_snippet(source, a, b)}" for a, b in claims(source)]
    return out


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "chapters").with_suffix("")) for p in NOTEBOOKS]
)
def test_no_literal_measured_values(path):
    found = notebook_claims(path)
    assert not found, (
        f"{path.relative_to(ROOT)}: {len(found)} literal measured value(s) in markdown; glue them "
        "({glue:text}`name:.1f`), or, if it is a definition or a cited published figure, see ALLOWED "
        "in tests/test_claims.py:\n  " + "\n  ".join(found)
    )


# --- the scanner itself --------------------------------------------------------------------


_CASES = [
    ("The codec reaches 12.3 dB SI-SDR.", ["12.3 dB"]),
    ("It scores 93.5 % on the test split.", ["93.5 %"]),
    ("The bound is 1.23 nats per dimension.", ["1.23 nats"]),
    ("Training took 41 s on a laptop.", ["41 s"]),
    ("The sampler is 20× faster.", ["20×"]),
    ("The sampler is 20x faster.", ["20x"]),
    ("The loss is 3.2 bits/dim.", ["3.2 bits/dim"]),
    ("The stream costs 11.2 kbit/s.", ["11.2 kbit/s"]),
    ("It generates 4000 samples/s.", ["4000 samples/s"]),
    ("It scores {glue:text}`sdr:.1f` dB SI-SDR.", []),
    ("Math is skipped: $x = 12$ dB and $$y = 3\\%$$.", []),
    ("Code is skipped: `snr = 12.3 dB`.", []),
    ("A 129 × 101 spectrogram of 8x8 images.", []),
    ("Telephone speech at 8 kHz with 8 bits per sample costs 64 kbit/s.", []),
    ("WaveNet reached a MOS of 4.21, 0.5 better {cite}`vandenoord2016wavenet`.", []),
    ("WaveNet reached 4.21 dB. Ours is 3.1 dB {cite}`x`.", ["4.21 dB"]),
    ("See https://example.org/12%20dB for details.", []),
    ("```python\nprint('12 dB')\n```\nDone.", []),
    ("```{admonition} Note\n:class: tip\nWe measured 12 dB.\n```", ["12 dB"]),
    ("````{exercise} Q\n:label: q\n```python\nx = '12 dB'\n```\nIt gave 3 dB.\n````", ["3 dB"]),
    ("Its MOS, 4.21 dB as van den Oord et al. {cite}`vandenoord2016wavenet` report.", []),
    ("Noise at 0 and 5 dB SNR; the model gains 7.5 dB at 0 dB white noise.", ["7.5 dB"]),
    ("It scores 12\ndB SI-SDR.", ["12\ndB"]),
]


@pytest.mark.parametrize("text, expected", _CASES, ids=[f"case{i}" for i in range(len(_CASES))])
def test_scanner(text, expected):
    assert [text[a:b] for a, b in claims(text)] == expected
