"""Count what each chapter notebook offers a learner: exercises with solutions, figures, numbered
derivations, widgets, quizzes and Think! prompts.

    python tools/teaching_counts.py            # a Markdown table over chapters/**/*.ipynb
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def counts(path: Path) -> dict:
    """The counts for one executed notebook."""
    nb = json.loads(path.read_text())
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    exercises = set(re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", md))
    solutions = set(re.findall(r"```\{solution\} (\S+)", md))
    return {
        "notebook": str(path.relative_to(ROOT / "chapters")).removesuffix(".ipynb"),
        "exercises with solutions": len(exercises & solutions),
        "exercises": len(exercises),
        "figures": sum("image/png" in o.get("data", {}) for o in outputs),
        "derivations": len(re.findall(r"\*\*Derivation", md)) + len(re.findall(r"```\{prf:proof\}", md)),
        "numbered equations": len(re.findall(r"\\tag\{", md)),
        "widgets": len(re.findall(r"\bknobs\(|widgets\.(?:Int|Float)Slider\(", code)),
        "quiz": int(bool(re.search(r"\bquiz\(", code))),
        "think prompts": len(re.findall(r"```\{admonition\} Think!", md)),
    }


def main() -> int:
    rows = [counts(p) for p in sorted((ROOT / "chapters").glob("**/*.ipynb")) if "checkpoints" not in str(p)]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    total = {k: sum(r[k] for r in rows) for k in keys[1:]}
    print("| total | " + " | ".join(str(v) for v in total.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
