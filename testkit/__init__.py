"""Helpers shared by the tests and the benchmarks (plain modules: no pytest, no assertions)."""
