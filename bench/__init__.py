"""Benchmarks: dicomcore beside other implementations, in one run, as ratios."""
