"""The DP-GAN's hyperparameters (``RunConfig.settings`` overrides them; ``--set`` in the benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DPGANSettings:
    batch_size: int | None = None            # expected real rows per step; None = from the row count
    max_grad_norm: float = 1.0               # per-sample clipping bound C of DP-SGD
    generator_lr: float = 1e-3
    discriminator_lr: float = 1e-3
    marginal_weight: float = 1.0             # pull the generator's marginals to the DP ones (free)
    noise_dim: int = 64
    generator_hidden: tuple[int, ...] = (256, 256)
    discriminator_hidden: tuple[int, ...] = (256, 256)
