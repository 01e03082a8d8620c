"""Foundation: the release of the course: its version, its repository, and every URL made from them.

Chapters: all

A release is the git tag ``v<VERSION>`` of :data:`REPOSITORY`. Everything that names it is
derived from this file: ``course_lib.__version__`` and the package version (``pyproject.toml``),
the install line in the first cell of every notebook and its launch link (``make pin-colab``),
and the URLs from which a pip-installed library downloads committed checkpoints and result
tables (pinned to the tag, so a notebook gets the files its library was released with).
``make release-check`` fails unless the tag exists and points at the commit being published.
"""

from __future__ import annotations

import os

#: The version of this release; bump it here only (then ``make pin-colab``, commit, tag).
VERSION = "0.1.0"
#: The course's public repository.
REPOSITORY = "https://github.com/dgm-seq-audio/course"
#: The git tag of this release.
TAG = f"v{VERSION}"
#: ``owner/name`` of the repository on GitHub.
SLUG = REPOSITORY.removeprefix("https://github.com/")
#: What the first cell of every notebook installs on Colab: the library at this release's tag.
INSTALL_SPEC = f"course_lib @ git+{REPOSITORY}@{TAG}"
#: What the first cell of every assignment also installs: the teacher tools from the same tag.
TOOLS_INSTALL_SPEC = f"course-tools @ git+{REPOSITORY}@{TAG}#subdirectory=tools"
#: Environment variable naming another copy of the repository to download committed files from
#: (a mirror, or a local server in tests); it replaces :func:`file_url`'s base URL.
MIRROR_ENV = "COURSE_MIRROR_URL"


def file_url(path: str) -> str:
    """URL of a file of the repository at this release's tag, e.g. ``benchmarks/results/x.csv``.

    Args:
        path: the file's path inside the repository (a folder ends with ``/``).

    Returns:
        ``https://raw.githubusercontent.com/<owner>/<name>/<tag>/<path>``, or ``<mirror>/<path>``
        when ``$COURSE_MIRROR_URL`` is set.
    """
    base = os.environ.get(MIRROR_ENV) or f"https://raw.githubusercontent.com/{SLUG}/{TAG}/"
    return base.rstrip("/") + "/" + path.lstrip("/")


def colab_url(path: str) -> str:
    """The link that opens a notebook of this release on Colab.

    Args:
        path: the notebook's path inside the repository, e.g. ``assignments/student/x.ipynb``.

    Returns:
        ``https://colab.research.google.com/github/<owner>/<name>/blob/<tag>/<path>``.
    """
    return f"https://colab.research.google.com/github/{SLUG}/blob/{TAG}/{path.lstrip('/')}"
