"""The course's teacher tooling: autograder, student-notebook builder, Results page.

- :mod:`tools.grading`: the assignments' checks, ``check``/``run_checks`` for the notebooks'
  self-checks, and ``python -m tools.grading submissions/`` for a teacher;
- :mod:`tools.assignments`: ``python -m tools.assignments build|selftest|pin-colab``;
- :mod:`tools.results`: ``python -m tools.results`` writes ``chapters/appendix/results.md``.

Why a separate, tiny distribution (``course-tools``, ``tools/pyproject.toml``) rather than
modules of ``course_lib``: ``course_lib`` is what every reader installs and imports, on Colab
and on a laptop, so it holds only what the chapters use; a reader of the book never needs a
grader or a page generator. The dependency runs one way only: ``tools`` imports ``course_lib``
(the checks compare with its reference implementations), ``course_lib`` never imports
``tools``.

Why a distribution at all, rather than a folder on ``sys.path``: the assignment notebooks call
``tools.grading.check`` for their self-checks, and a student runs them where only ``pip`` can
bring code, on Colab (the notebook is opened from GitHub, without the repository), or in a
Jupyter kernel whose working folder is ``assignments/student/``. So:

- on Colab, the first cell of every assignment installs both distributions from the same
  release tag, in one ``pip install`` (see :data:`tools.assignments.TOOLS_INSTALL_SPEC`)::

      pip install "course_lib @ git+<repo>@<tag>" \\
                  "course-tools @ git+<repo>@<tag>#subdirectory=tools"

- in a clone, ``make setup`` installs it editable (``pip install -e ./tools``) beside
  ``course_lib``; from the repository root ``python -m tools.assignments ...`` also works
  without any install, as the repository root is then on ``sys.path``.

``course-tools`` does not declare ``course_lib`` as a dependency: ``course_lib`` is not on
PyPI, and a bare name there would let pip fetch whatever a stranger might publish under it.
Every install route above installs both together; the import below says what to do otherwise.
"""

from __future__ import annotations

try:
    import course_lib  # noqa: F401  (fail early, with the fix, when it is missing)
except ImportError as exc:  # pragma: no cover - only without course_lib
    raise ImportError(
        "course-tools needs course_lib: pip install it from the same release, e.g. "
        '"course_lib @ git+https://github.com/dgm-seq-audio/course@<tag>", or run `make setup` in a clone'
    ) from exc

#: The release of the tools; always the same as ``course_lib.__version__`` (a unit test checks).
__version__ = "0.1.0"
