"""The command `python -m vae.train`: train a VAE and write its checkpoint folder.

A thin entry point: the options are in vae.training.cli, the loop in vae.training.loop.
"""

from __future__ import annotations

import sys

from vae.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
