"""Benchmarks: `python -m bench` measures and writes BENCHMARKS.md."""
