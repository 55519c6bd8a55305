"""Doppel's engine: everything computational, free of Qt. See DESIGN.md §1 for the flow."""

__version__ = "0.1.0"
