"""Every built-in synthesizer, registered by importing this module."""

from engine.synthesizers.dpgan import synthesizer as _dpgan  # noqa: F401  (registers DPGAN)
from engine.synthesizers.base import registered, synthesizer_class

__all__ = ["registered", "synthesizer_class"]
