"""DP-SGD's noise step, drawn from the run's :class:`~engine.privacy.randomness.NoiseSource`.

Opacus's fast-gradient-clipping optimizer clips per-sample gradients (ghost clipping) and adds
N(0, σ²C²) to their sum; this subclass keeps all of that and changes only where the noise comes
from, since Opacus draws it from a torch generator.
"""

from __future__ import annotations

from opacus.optimizers import DPOptimizerFastGradientClipping
from opacus.optimizers.optimizer import _check_processed_flag, _mark_as_processed

from engine.privacy.randomness import NoiseSource


class NoisedOptimizer(DPOptimizerFastGradientClipping):
    """``DPOptimizerFastGradientClipping`` whose Gaussian noise comes from ``noise``."""

    def __init__(self, *args, noise: NoiseSource, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.noise = noise

    def add_noise(self) -> None:
        std = self.noise_multiplier * self.max_grad_norm
        for p in self.params:
            _check_processed_flag(p.summed_grad)
            p.grad = (p.summed_grad + self.noise.normal_like(p.summed_grad, std)).view_as(p)
            _mark_as_processed(p.summed_grad)
