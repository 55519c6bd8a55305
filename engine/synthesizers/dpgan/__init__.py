"""The DP conditional tabular GAN (DP-SGD on the discriminator, Opacus ghost clipping)."""

from engine.synthesizers.dpgan.synthesizer import DPGAN

__all__ = ["DPGAN"]
