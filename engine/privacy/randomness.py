"""The randomness a privacy argument relies on: DP noise and Poisson sampling.

It comes from one generator seeded with 128 bits from the operating system's CSPRNG
(``secrets``), separate from everything else that is random in a run (initial weights, latent
noise of fake rows), so nothing that can be read off a released model — an untouched initial
weight, say — helps to guess it. PyTorch's CPU generator is not used for it: it keeps only 32
bits of its seed. A fixed seed exists for tests only and makes the run non-private.
"""

from __future__ import annotations

import secrets

import numpy as np
import torch

ENTROPY_BITS = 128


class NoiseSource:
    """Gaussian noise and Bernoulli draws from PCG64-DXSM seeded with 128 bits of entropy."""

    def __init__(self, seed: int | None = None) -> None:
        self.private = seed is None
        entropy = secrets.randbits(ENTROPY_BITS) if seed is None else int(seed) + (1 << ENTROPY_BITS)
        self.numpy = np.random.Generator(np.random.PCG64DXSM(np.random.SeedSequence(entropy)))

    def normal(self, shape: tuple[int, ...] | int, std: float) -> np.ndarray:
        """N(0, std²) draws as float64."""
        return self.numpy.normal(0.0, std, size=shape)

    def normal_like(self, reference: torch.Tensor, std: float) -> torch.Tensor:
        """N(0, std²) noise with the shape, dtype and device of ``reference``."""
        draws = self.numpy.standard_normal(size=tuple(reference.shape), dtype=np.float32)
        return torch.from_numpy(draws).to(device=reference.device, dtype=reference.dtype).mul_(std)

    def sample_rows(self, rows: int, rate: float, device: torch.device) -> torch.Tensor:
        """Poisson sampling: each of ``rows`` rows kept independently with probability ``rate``."""
        return torch.from_numpy(self.numpy.random(rows) < rate).to(device)
