"""Generators for every layer (hypothesis strategies), mutators and the fuzzer.

Nothing in dicomcore imports this package; hypothesis is imported only here
and in the tests.
"""
