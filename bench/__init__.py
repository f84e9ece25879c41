"""Benchmarks (see bench/README.md); run with `bench/run` or `python -m bench`."""
