"""course_lib: the companion library of *Deep Generative Models for Sequences and Audio*.

Chapters: all

Four layers; a module imports only from the layers below it (``tests/test_style.py`` checks)::

    topics       gan ── gan_beyond   vae   wavenet   rnn_gan   codec   restoration   recognition
                   │         (one chapter each; no topic imports another, except gan_beyond → gan)
    judges       evaluators          trained networks that score samples across chapters
    artefacts    checkpoints         one registry, one save/load/verify/fetch path
    foundations  utils · audio · data · metrics · notebook · release   (import nothing above them)

Module → chapter: ``gan`` → chapters/gan/; ``gan_beyond`` → chapters/gan_beyond/; ``vae`` →
chapters/vae/; ``wavenet`` → chapters/wavenet/; ``rnn_gan`` → chapters/rnn_gan/; ``recognition``,
``codec``, ``restoration`` → chapters/audio/ 02, 03, 04; the foundations, ``checkpoints`` and
``evaluators`` serve every chapter. See ``course_lib/README.md`` for the conventions (one
``History`` from every trainer, explicit seeds, committed checkpoints).
"""

from course_lib.release import VERSION

__version__ = VERSION  # the one place of the version: course_lib/release.py
