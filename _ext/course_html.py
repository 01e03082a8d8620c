"""Sphinx fixes for the course website (``sphinx.local_extensions`` in ``_config.yml``).

Both were found by ``tests/test_website.py`` (console errors in headless Chromium):

- Each page's ``<script>`` list holds sphinx-thebe's and sphinx-togglebutton's inline
  configuration twice (Sphinx 7.4 keeps one copy with ``filename=None`` and one with
  ``filename=''``, which its duplicate check tells apart), so browsers throw
  "Identifier 'THEBE_JS_URL' has already been declared" on every page. Keep the first copy.
- On pages with ipywidgets, myst-nb loads the widget manager ``embed-amd.js`` from a CDN with
  a plain ``<script>``; require.js then resolves the module's own address against the page
  (``chapters/x/@jupyter-widgets/html-manager/dist/``), so its fonts 404. A ``require.config``
  placed right before it maps that module path to the CDN folder the script came from.
- That widget manager typesets widget labels with MathJax 2's ``MathJax.Hub.Queue``; the
  book loads MathJax 3, which has no ``Hub``, so every widget page throws "Cannot read
  properties of undefined (reading 'Queue')". A small shim, placed before MathJax, gives
  MathJax 3 a ``Hub.Queue`` that calls ``MathJax.typesetPromise``.

And three for readers, checked by the same test:

- Markdown printed by a cell (a results file with its ``#`` title) must not add headings that
  the page's contents do not list: headings inside cell outputs become bold paragraphs.
- A figure printed by a cell has no alt text, so Sphinx writes its file path. Unless the cell
  sets one (metadata ``mystnb: image: alt:``), the alt text is derived from the figure's words
  in the cell's code (titles, axis labels, legend labels) and the section it belongs to.
- ``course.css``: long hashes, paths and display equations wrap or scroll inside their own
  box instead of making a phone's page pan sideways; audio players show their label.
- ``course.js``: figures drawn by widgets in the browser get alt text too (the section and the
  sliders that redraw them).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from docutils import nodes

_HUB_SHIM = """window.MathJax = window.MathJax || {};
(function (mj) {
  var queue = function (job) {
    var el = job && job[2];
    if (window.MathJax.typesetPromise && el) { window.MathJax.typesetPromise([el]); }
  };
  mj.Hub = mj.Hub || {Queue: queue};
  mj.startup = mj.startup || {};
  var ready = mj.startup.ready;
  mj.startup.ready = function () {
    if (ready) { ready(); } else { window.MathJax.startup.defaultReady(); }
    window.MathJax.Hub = window.MathJax.Hub || {Queue: queue};
  };
})(window.MathJax);"""
_MANAGER = re.compile(r"^(?P<dir>https?://.*/@jupyter-widgets/html-manager@[^/]+/dist)/embed-amd\.js$")


def _scripts(app, pagename, templatename, context, doctree):
    from sphinx.builders.html._assets import _JavaScript

    scripts = list(context.get("script_files", []))
    names = [str(getattr(js, "filename", "") or "") for js in scripts]
    has_widgets = any(_MANAGER.match(n) for n in names)
    seen, kept = set(), []
    for js, name in zip(scripts, names, strict=True):
        key = (getattr(js, "filename", None) or "", repr(sorted(getattr(js, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        if has_widgets and "mathjax" in name.lower():
            kept.append(_JavaScript("", body=_HUB_SHIM, priority=getattr(js, "priority", 500)))
        m = _MANAGER.match(name)
        if m:
            paths = {"@jupyter-widgets/html-manager/dist": m["dir"]}
            body = f"if (window.require) {{ require.config({{paths: {json.dumps(paths)}}}); }}"
            kept.append(_JavaScript("", body=body, priority=getattr(js, "priority", 500)))
        kept.append(js)
    context["script_files"] = kept


def _in_output(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.container) and "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


_FIGURE_WORDS = {"title", "suptitle", "set_title", "xlabel", "set_xlabel", "ylabel", "set_ylabel", "label"}


def _figure_words(source: str) -> list[str]:
    """String constants a cell passes as titles, axis labels or legend labels, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    words: list[str] = []

    def text(value: ast.AST) -> str:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        if isinstance(value, ast.JoinedStr):  # f"digit {d}" -> "digit …"
            return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in value.values).strip()
        return ""

    for node in ast.walk(tree):
        if isinstance(node, ast.For) and {"title", "name", "label"} & {
            n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)
        }:
            if isinstance(node.iter, (ast.List, ast.Tuple, ast.Dict)):  # for ax, title in [(a, "clean"), ...]
                words += [text(c) for c in ast.walk(node.iter) if len(text(c)) > 2]
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        found = [text(a) for a in node.args[:1]] if name in _FIGURE_WORDS else []
        if name.startswith(("show", "plot")):  # the course's drawing helpers: titles, curve names
            found += [text(e) for a in node.args for e in (a.elts if isinstance(a, ast.List) else [a])]
        found += [text(k.value) for k in node.keywords if k.arg in _FIGURE_WORDS]
        letters = [w for w in found if len(re.findall(r"[^\W\d_]", w)) > 2]  # not "(…)" or "x"
        words += [" ".join(w.replace("$", "").replace("\\", "").split()) for w in letters]
    return list(dict.fromkeys(words))


def _section_title(node: nodes.Node) -> str:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.section) and parent.children:
            return parent[0].astext()
        parent = parent.parent
    return ""


def _cell_source(node: nodes.Node) -> str:
    parent = node.parent
    while parent is not None and not (
        isinstance(parent, nodes.container) and "cell" in parent.get("classes", [])
    ):
        parent = parent.parent
    if parent is None:
        return ""
    blocks = [b for b in parent.findall(nodes.literal_block) if not _in_output(b)]
    return blocks[0].astext() if blocks else ""


def _alt_text(image: nodes.image) -> str:
    words = _figure_words(_cell_source(image))
    section = _section_title(image)
    alt = f"Figure for “{section}”" if section else "Figure"
    return alt + (": " + "; ".join(words[:8]) if words else "")


def _readable_outputs(app, doctree: nodes.document, docname: str) -> None:
    """Demote headings printed by cells; give cell figures alt text derived from their code."""
    for rubric in list(doctree.findall(nodes.rubric)):
        if _in_output(rubric):  # a Markdown heading printed by a cell (myst: a rubric with a level)
            paragraph = nodes.paragraph("", "", nodes.strong("", "", *rubric.children))
            rubric.replace_self(paragraph)
    for image in doctree.findall(nodes.image):
        alt = image.get("alt", "").strip()
        if _in_output(image) and (not alt or alt == image.get("uri")):
            image["alt"] = _alt_text(image)


def _copy_css(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        for name in ("course.css", "course.js"):
            (static / name).write_text((Path(__file__).parent / name).read_text())


def setup(app):
    app.connect("html-page-context", _scripts, priority=900)
    app.connect("doctree-resolved", _readable_outputs)
    app.connect("build-finished", _copy_css)
    app.add_css_file("course.css")
    app.add_js_file("course.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
