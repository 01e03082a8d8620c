"""course_lib: the companion library of *Deep Generative Models for Sequences and Audio*.

One module per chapter topic, as in the book (libfmp-style):

- :mod:`course_lib.utils`     seeds, device, parameter counts, a timer
- :mod:`course_lib.data`      FSDD spoken digits, sklearn digit images, 2-D mixtures, sines
- :mod:`course_lib.audio`     audio I/O, mu-law, STFT / mel / MFCC in plain torch, noise mixing
- :mod:`course_lib.metrics`   SNR, SI-SDR, log-spectral distance
- :mod:`course_lib.notebook`  Colab detection, audio players and figure helpers for notebooks

Chapters add their own modules (``gan``, ``vae``, ``wavenet``, ...).
"""

__version__ = "0.1.0"
