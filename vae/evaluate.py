"""The command `python -m vae.evaluate DIR`: test-set figures of a trained VAE.

A thin entry point: the figures are computed by vae.training.evaluate.
"""

from __future__ import annotations

import sys

from vae.training.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
