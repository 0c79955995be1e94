"""Imported models: `onnx-vae/1` folders (vae.json, encoder.onnx, decoder.onnx) in and out.

This package's root stays light (no onnx import), so the run listing can ask
`is_onnx_folder` cheaply; load with `vae.onnx.load.load_onnx_folder`, write with
`vae.onnx.export.export_run`, get the in-browser spec with `vae.onnx.browser.browser_spec`.
"""

from vae.onnx.spec import FORMAT, OnnxFolderError, VaeJson, is_onnx_folder, read_vae_json

__all__ = ["FORMAT", "OnnxFolderError", "VaeJson", "is_onnx_folder", "read_vae_json"]
