"""nbval settings for the book's notebooks (``make nbval``).

Notebooks run with ``--nbval-lax``: every cell must execute, and the assertions inside the
training cells check measured quality. Only cells marked ``# NBVAL_CHECK_OUTPUT`` have their
output compared with the committed one; for those, stderr (warnings, progress bars) is never
compared, and timings and memory addresses are masked (``nbval_sanitize.cfg``, passed by the Makefile).
"""



def pytest_collection_modifyitems(items):
    for item in items:
        nb = getattr(item, "parent", None)
        skip = getattr(nb, "skip_compare", None)
        if skip is not None and "stderr" not in skip:
            nb.skip_compare = (*skip, "stderr")
