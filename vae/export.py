"""The command `python -m vae.export RUN OUT`: a run folder written as an onnx-vae/1 folder.

A thin entry point: the export is done by vae.onnx.export.
"""

from __future__ import annotations

import sys

from vae.onnx.export import main

if __name__ == "__main__":
    sys.exit(main())
