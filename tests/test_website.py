"""The website as a reader meets it: every page of the built book in headless Chromium.

Run by ``make browser`` after ``make build`` (``COURSE_BROWSER_TEST=1``; it needs
``_build/html``, Debian's ``chromium`` and ``chromium-driver``, and a local MathJax 3 copy,
all installed by the Makefile). For every page of ``_toc.yml``:

- the page loads with no console error (level SEVERE);
- every ``<img>`` decodes (``naturalWidth > 0``), and a notebook page shows at least as many
  images as its notebook has image outputs;
- every ``<audio>`` element of a notebook output loads its sound (metadata read, no error);
- a notebook page's "launch on Colab" link is exactly the URL built from ``_config.yml``
  (``tests/test_colab.py::colab_url``), and points at a notebook of the repository;
- every internal link resolves to a built file, and its ``#anchor`` to an element id;
- every math element is typeset by MathJax, without MathJax errors.

And what a reader sees (each check fails on a page that has the fault):

- no Markdown table left as pipe text (a ``|---|`` separator outside code) and no TeX left as
  text outside MathJax (``$$``, ``\\frac``, ``\\tau``: display math the parser did not see);
- no ``<h1>``/``<h2>`` inside a cell output that the page's contents do not list; no heading
  repeated on a page, and no file name (``wavenet_digits``) as a heading;
- every image has alt text, and it is not a file path; a figure (at least
  :data:`FIGURE_MIN_WIDTH` px) is shown at no less than :data:`MIN_IMAGE_SCALE` of its pixel
  width, below which its 10 pt labels are under 8 px tall;
- every audio player has a label (``aria-label`` or a ``<figcaption>``) and lasts at least
  :data:`MIN_CLIP_SECONDS`;
- at a phone's width (:data:`PHONE_WIDTH` px) nothing makes the page pan sideways.

The machine has no internet. The test serves the site from a local HTTP server that maps the
CDN addresses the pages use (MathJax; require.js and the widget manager of pages with
ipywidgets) onto local copies of the same packages from npm; any other external request is
blocked and reported as a console error. Screenshots of every page go to
``_build/browser/screenshots/`` (CI artefacts, not committed).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.test_colab import ROOT, colab_url, toc_files

HTML = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "_build" / "html"))
ARTEFACTS = ROOT / "_build" / "browser"
NPM = Path(os.environ.get("COURSE_BROWSER_NPM", ARTEFACTS / "npm" / "node_modules"))
#: CDN addresses used by the built pages -> (local URL, folder of the same npm package here).
CDN_MAP = [
    (r"https://cdn\.jsdelivr\.net/npm/mathjax@3/", "/__cdn0__/", NPM / "mathjax"),
    (
        r"https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[\d.]+/require\.min\.js",
        "/__cdn1__/require.js",
        NPM / "requirejs",
    ),
    (
        r"https://cdn\.jsdelivr\.net/npm/@jupyter-widgets/html-manager@[^/\"']+/dist(?=[/\"'])",
        "/__cdn2__",
        NPM / "@jupyter-widgets/html-manager/dist",
    ),
]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    os.environ.get("COURSE_BROWSER_TEST") != "1",
    reason="needs the built site and Chromium: run by `make browser` (COURSE_BROWSER_TEST=1)",
)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves _build/html; rewrites CDN URLs in HTML to local copies served under /__cdnN__/."""

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def translate_path(self, path: str) -> str:
        p = unquote(urlsplit(path).path)
        for i, (_, _, folder) in enumerate(CDN_MAP):
            prefix = f"/__cdn{i}__/"
            if p.startswith(prefix):
                return str(folder / p[len(prefix) :])
        return super().translate_path(path)

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            text = path.read_text(encoding="utf-8")
            for pattern, local, _ in CDN_MAP:
                text = re.sub(pattern, local, text)
            # A local copy is not byte-identical to the CDN's minified file: drop its SRI hash.
            text = re.sub(
                r"<script\b[^>]*>",
                lambda m: (
                    re.sub(r'\s(integrity|crossorigin)="[^"]*"', "", m.group(0))
                    if "/__cdn" in m.group(0)
                    else m.group(0)
                ),
                text,
            )
            body = text.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Bytes(body)
        return super().send_head()


class _Bytes:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *_):
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    assert (HTML / "index.html").is_file(), "no built site: run `make build` first"
    for pattern, _, folder in CDN_MAP:
        assert folder.is_dir(), f"no local copy of {pattern} at {folder}: run `make browser-deps`"
    handler = functools.partial(_Handler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.is_file() and CHROMEDRIVER.is_file(), "install Debian's chromium and chromium-driver"
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
        # No internet here: anything not on localhost fails fast instead of hanging.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _outputs(page: str) -> tuple[int, int]:
    """(image outputs, audio outputs) of the notebook behind a page (0, 0 for markdown)."""
    nb_path = ROOT / f"{page}.ipynb"
    if not nb_path.is_file():
        return 0, 0
    images = audios = 0
    for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            images += any(k.startswith("image/") for k in data)
            html = data.get("text/html", "")
            html = html if isinstance(html, str) else "".join(html)
            audios += html.count("<audio")
    return images, audios


PAGES = toc_files()


def _wait(driver, script: str, timeout: float = 20.0):
    t0 = time.time()
    while True:
        value = driver.execute_script(script)
        if value or time.time() - t0 > timeout:
            return value
        time.sleep(0.2)


@pytest.mark.parametrize("page", PAGES)
def test_page(page: str, server: str, browser) -> None:
    html_file = HTML / f"{page}.html"
    assert html_file.is_file(), f"{page} is in _toc.yml but {html_file} was not built"
    browser.get_log("browser")  # drop entries of earlier pages
    url = urljoin(server, f"{page}.html")
    browser.get(url)
    _wait(browser, "return document.readyState === 'complete'")
    problems: list[str] = []

    # Math: every .math element typeset by MathJax, no errors.
    n_math = browser.execute_script("return document.querySelectorAll('.math').length")
    if n_math:
        done = _wait(
            browser,
            "return window.MathJax && MathJax.startup && MathJax.startup.document && "
            "document.querySelectorAll('mjx-container').length >= arguments[0]".replace(
                "arguments[0]", str(n_math)
            ),
        )
        n_mjx = browser.execute_script("return document.querySelectorAll('mjx-container').length")
        if not done:
            problems.append(f"math: {n_mjx} of {n_math} math elements typeset by MathJax")
        n_err = browser.execute_script("return document.querySelectorAll('mjx-merror').length")
        if n_err:
            problems.append(f"math: {n_err} MathJax errors")

    # Images: all decode; at least one per image output of the notebook.
    want_images, want_audio = _outputs(page)
    imgs = browser.execute_script(
        "return Array.from(document.images)"
        ".map(i => [i.getAttribute('src') || '', i.complete, i.naturalWidth])"
    )
    broken = [src[:80] for src, complete, width in imgs if not (complete and width > 0)]
    if broken:
        problems.append(f"images that do not decode: {broken}")
    decoded = sum(1 for _, complete, width in imgs if complete and width > 0)
    if decoded < want_images:
        problems.append(f"{decoded} decoded images, the notebook has {want_images} image outputs")

    # Audio: every player loads its sound.
    if want_audio:
        ok = _wait(
            browser,
            "const a = Array.from(document.querySelectorAll('audio'));"
            f"return a.length >= {want_audio} && a.every(x => x.readyState >= 1 || x.error);",
        )
        states = browser.execute_script(
            "return Array.from(document.querySelectorAll('audio')).map(a => [a.readyState, a.duration, "
            "a.error ? a.error.code : 0])"
        )
        bad = [s for s in states if not (s[0] >= 1 and s[1] > 0 and s[2] == 0)]
        if not ok or bad or len(states) < want_audio:
            problems.append(f"audio: {len(states)} players (want {want_audio}), not playable: {bad}")

    # Colab launch link of notebook pages.
    colab_links = browser.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.dropdown-launch-buttons a[href*=\"colab.research.google.com\"]'))"
        ".map(a => a.getAttribute('href'))"
    )
    if (ROOT / f"{page}.ipynb").is_file():
        want = colab_url(page)
        if set(colab_links) != {want}:
            problems.append(f"Colab links {sorted(set(colab_links))}, expected [{want!r}]")
    elif colab_links:
        problems.append(f"a page without a notebook has Colab links: {colab_links}")

    # Internal links and anchors.
    hrefs = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
    )
    for href in sorted(set(hrefs)):
        if re.match(r"^(https?:|mailto:|javascript:|data:)", href) or href in ("#", ""):
            continue
        target = urlsplit(urljoin(url, href))
        rel = unquote(target.path).lstrip("/")
        path = HTML / rel if rel else HTML / "index.html"
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            problems.append(f"broken link {href!r} (no {path.relative_to(HTML)})")
            continue
        if target.fragment and path.suffix == ".html":
            ids = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))
            if unquote(target.fragment) not in ids:
                problems.append(f"broken anchor {href!r}")

    problems += _reader_checks(browser)
    problems += _phone_overflow(browser)

    shots = ARTEFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shots / f"{page.replace('/', '__')}.png"))

    # Console errors (after everything above had time to load).
    # The browser's own request for /favicon.ico (the book has no favicon) is not the page's.
    # The widget manager (html-manager 1.0.6) sometimes asks for its icon fonts relative to the
    # page before it has worked out where its own files are (about one page load in ten here,
    # depending on timing); the widgets render without them. Those requests are printed, not failed.
    icon_font = re.compile(r"/@jupyter-widgets/[0-9a-f]{20}\.(?:woff2?|ttf|eot|svg) - Failed to load")
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    fonts = [m for m in severe if icon_font.search(m)]
    if fonts:
        print(f"{page}: {len(fonts)} widget icon-font requests not served (timing of the widget manager)")
    errors = [m for m in severe if "/favicon.ico " not in m and m not in fonts]
    if errors:
        problems.append(f"console errors: {errors[:12]}")
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


#: Text of the page's article outside code, typeset math and scripts: what a reader sees as prose.
_PROSE_TEXT = """
const main = document.querySelector('main');
if (!main) { return ''; }
const copy = main.cloneNode(true);
copy.querySelectorAll('pre, code, script, style, textarea, mjx-container, mjx-assistive-mml, .math')
  .forEach(e => e.remove());
return copy.textContent;
"""
#: A Markdown table's separator cell (|---| or | :--: |) left in the text: the table was not parsed.
PIPE_TABLE = re.compile(r"\|\s*:?-{3,}:?\s*\|")
#: TeX that MathJax never saw: $$ or a control word such as \frac, \tau, \operatorname.
RAW_TEX = re.compile(r"\$\$|\\[A-Za-z]{2,}")
#: A figure whose width is scaled below this share of its pixel width has text that is too small
#: to read (Matplotlib's 10 pt labels at 100 dpi are 14 px tall; at 0.6 they are 8 px).
MIN_IMAGE_SCALE = 0.6
#: Images narrower than this (pixels) are icons or thumbnails, not figures with text.
FIGURE_MIN_WIDTH = 400
#: A clip shorter than this (seconds) is over before a listener hears it.
MIN_CLIP_SECONDS = 1.0
#: A phone's CSS width (pixels): nothing on the page may make it pan sideways.
PHONE_WIDTH = 390
#: Alt text that is a file name or a path, not a description.
PATH_ALT = re.compile(r"(^|/)[^\s/]+\.(png|jpe?g|gif|svg|webp)$|^\.{0,2}/|/_images/", re.I)
#: A heading that is a file name (``wavenet_digits``, ``codec_rd.md``), not words for a reader.
FILE_NAME = re.compile(r"^[\w.-]*_[\w.-]*$|\.(md|csv|py|ipynb)$")

_HEADINGS = """
const toc = new Set(Array.from(document.querySelectorAll('.bd-toc-nav a, nav.page-toc a'))
  .map(a => a.textContent.trim()));
const article = document.querySelector('article') || document.querySelector('main');
const text = h => { const c = h.cloneNode(true); c.querySelectorAll('.headerlink').forEach(e => e.remove());
  return c.textContent.replace(/\\s+/g, ' ').trim(); };
return {
  outputs: Array.from(article.querySelectorAll('.cell_output h1, .cell_output h2'))
    .map(text).filter(t => !toc.has(t)),
  all: Array.from(article.querySelectorAll('h1, h2, h3')).map(text),
};
"""
_IMAGES = """
return Array.from(document.querySelectorAll('main img')).map(i => {
  const r = i.getBoundingClientRect();
  return [i.getAttribute('src') || '', i.getAttribute('alt'), i.naturalWidth, r.width];
});
"""
_PLAYERS = """
return Array.from(document.querySelectorAll('main audio')).map(a => {
  const fig = a.closest('figure');
  const cap = fig && fig.querySelector('figcaption');
  const label = (a.getAttribute('aria-label') || a.getAttribute('title') || (cap ? cap.textContent : ''))
  return [label.trim(), a.duration];
});
"""
_OVERFLOW = """
const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth <= width + 1) { return []; }
const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
  const o = getComputedStyle(p).overflowX;
  if (o === 'auto' || o === 'scroll' || o === 'hidden') { return true; } }
  return false; };
const wide = Array.from(document.querySelectorAll('main *')).filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 1 && !scrolls(e); });
const leaves = wide.filter(e => !wide.some(o => o !== e && e.contains(o)));
return [document.documentElement.scrollWidth, width,
  leaves.slice(0, 4).map(e => e.tagName.toLowerCase() + ': ' + (e.textContent || '').trim().slice(0, 60))];
"""


def _reader_checks(driver) -> list[str]:
    """What a reader meets on the page: tables, math, headings, figures, players."""
    problems: list[str] = []
    prose = driver.execute_script(_PROSE_TEXT)
    if rows := PIPE_TABLE.findall(prose):
        problems.append(f"Markdown table rows shown as raw text: {rows[:2]}")
    if tex := sorted(set(RAW_TEX.findall(prose))):
        problems.append(f"TeX shown as text, outside MathJax: {tex[:6]}")

    headings = driver.execute_script(_HEADINGS)
    if headings["outputs"]:
        problems.append(
            f"cell outputs add headings that are not in the page contents: {headings['outputs'][:4]}"
        )
    repeated = sorted({h for h in headings["all"] if headings["all"].count(h) > 1})
    if repeated:
        problems.append(f"headings repeated on the page: {repeated[:4]}")
    if files := [h for h in headings["all"] if FILE_NAME.search(h)]:
        problems.append(f"file names as headings: {files[:4]}")

    images = driver.execute_script(_IMAGES)
    bad_alt = [
        src.rsplit("/", 1)[-1][:40]
        for src, alt, _, _ in images
        if not (alt or "").strip() or PATH_ALT.search(alt)
    ]
    if bad_alt:
        problems.append(f"{len(bad_alt)} images whose alt text is empty or a path: {bad_alt[:3]}")
    small = [
        f"{src.rsplit('/', 1)[-1][:16]} {shown:.0f}/{natural} px"
        for src, _, natural, shown in images
        if natural >= FIGURE_MIN_WIDTH and shown > 0 and shown / natural < MIN_IMAGE_SCALE
    ]
    if small:
        problems.append(
            f"figures shrunk below {MIN_IMAGE_SCALE:.0%} of their size (text unreadable): {small[:4]}"
        )

    players = driver.execute_script(_PLAYERS)
    if unlabelled := sum(1 for label, _ in players if not label):
        problems.append(f"{unlabelled} of {len(players)} audio players have no label saying what they play")
    if short := [f"{label or '?'} ({d:.2f} s)" for label, d in players if d and d < MIN_CLIP_SECONDS]:
        problems.append(f"audio clips shorter than {MIN_CLIP_SECONDS} s: {short[:4]}")
    return problems


def _phone_overflow(driver) -> list[str]:
    """Elements that make the page pan sideways on a phone-sized window."""
    size = driver.get_window_size()
    driver.set_window_size(PHONE_WIDTH, 844)
    try:
        time.sleep(0.3)
        _wait(driver, f"return document.documentElement.clientWidth <= {PHONE_WIDTH}", timeout=5)
        found = driver.execute_script(_OVERFLOW)
    finally:
        driver.set_window_size(size["width"], size["height"])
    if not found:
        return []
    scroll, width, culprits = found
    return [f"at {PHONE_WIDTH} px the page is {scroll} px wide (view {width} px): {culprits}"]
