"""Synthesizers used only by the tests, registered by importing their module."""
