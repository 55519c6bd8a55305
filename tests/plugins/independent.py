"""A second synthesizer, used only in tests: every column drawn on its own from the encoder's DP
marginals. It makes no release of its own, so its ε is the preprocessing's.

It is here to prove the synthesizer protocol: one module and a registration, and it trains,
samples, saves and loads through the same CLI and app paths as the DP-GAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from engine.encoding import TableEncoder
from engine.privacy.accountant import PrivacyAccountant
from engine.privacy.plan import Budget, SynthesizerPlan
from engine.synthesizers.base import FitContext, Synthesizer, register


@dataclass(frozen=True)
class IndependentSettings:
    pass


@register
class IndependentMarginals(Synthesizer):
    name = "independent"
    settings_class = IndependentSettings

    @classmethod
    def plan(cls, settings: IndependentSettings, rows: int, epochs: int, budget: Budget,
             columns: int) -> SynthesizerPlan:
        """No release beyond preprocessing: the encoder's DP marginals are the whole model."""
        return SynthesizerPlan([], {})

    def fit(self, data: torch.Tensor, context: FitContext) -> None:
        context.stop_if_cancelled(0)
        context.log("Independent marginals: each column is drawn on its own from its DP marginal.")

    def facts(self) -> dict[str, Any]:
        return {"columns": len(self.encoder.columns)}

    def losses_description(self) -> str:
        return "none (nothing is trained beyond the DP marginals)"

    def sample(self, count: int, given: tuple[int, int] | None, generator: torch.Generator) -> np.ndarray:
        rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=generator)))
        out = np.zeros((count, self.encoder.width), dtype=np.float32)
        for i, (span, shares) in enumerate(zip(self.encoder.spans, self.encoder.marginal_targets())):
            slots = rng.choice(span.slots, size=count, p=shares)
            if given is not None and given[0] == i:
                slots[:] = given[1]
            out[np.arange(count), span.start + slots] = 1.0
            if span.scalar is not None:
                out[:, span.scalar] = rng.random(count)
        return out

    def model_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        return {}, {"columns": len(self.encoder.columns)}

    @classmethod
    def from_model_state(cls, encoder: TableEncoder, tensors: dict[str, torch.Tensor],
                         meta: dict[str, Any]) -> "IndependentMarginals":
        if int(meta["columns"]) != len(encoder.columns):
            raise ValueError("column count")
        return cls(encoder, IndependentSettings())

    def training_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        return {}, {"steps": 0}

    def restore_training_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                               accountant: PrivacyAccountant) -> None:
        pass
