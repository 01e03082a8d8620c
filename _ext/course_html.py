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
"""

from __future__ import annotations

import json
import re

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


def setup(app):
    app.connect("html-page-context", _scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
