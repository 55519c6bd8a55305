"""Synthesizers: models that learn the encoded table under DP (:mod:`.base` is the protocol).

Import :mod:`engine.synthesizers.registry` to have every built-in synthesizer registered.
"""
