"""The DP conditional GAN: DP-SGD on the discriminator, the generator trained through it.

Planning (for every size class, before any row is read): q = batch / rows and steps = epochs / q,
then σ is the smallest noise multiplier that fits the budget left after preprocessing. Before every discriminator step the
accountant is asked whether one more step still fits; the plan makes sure it does until the last
planned step. The model samples from an ensemble of the generators of up to
:data:`ENSEMBLE_SIZE` epochs of the second half of training (post-processing, no ε).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from engine.compute import choose_threads
from engine.encoding import TableEncoder
from engine.privacy.accountant import PrivacyAccountant, Release
from engine.privacy.plan import Budget, SynthesizerPlan
from engine.run import Progress
from engine.synthesizers.base import FitContext, Synthesizer, register
from engine.synthesizers.dpgan.conditions import Conditions
from engine.synthesizers.dpgan.networks import Generator, GeneratorEnsemble, activate
from engine.synthesizers.dpgan.settings import DPGANSettings
from engine.synthesizers.dpgan.steps import GanSteps

ENSEMBLE_SIZE = 20         # most generator snapshots a model samples from
MAX_MEMBERS = 64           # a larger count in stored metadata means a damaged or edited file


def kept_epoch(epoch: int, epochs: int) -> bool:
    """Whether the generator at the end of ``epoch`` joins the model's ensemble: epochs of the
    second half, evenly spaced so that at most ``ENSEMBLE_SIZE`` are kept, the last always."""
    half = epochs - epochs // 2
    stride = -(-half // ENSEMBLE_SIZE)
    return epoch > epochs // 2 and (epochs - epoch) % stride == 0


def default_batch_size(rows: int) -> int:
    """About 50 steps per epoch, at least 64 rows: on Adult at ε = 3, batches of about 512 gave a
    TSTR AUC of 0.877 against 0.863 for 1,024 and 0.831 for 2,048 (benchmarks/results/tuning_adult.json):
    more, noisier steps beat fewer, cleaner ones there. ``rows`` is the smallest of the size class."""
    return max(64, rows // 50)


@register
class DPGAN(Synthesizer):
    name = "dpgan"
    settings_class = DPGANSettings

    def __init__(self, encoder: TableEncoder, settings: DPGANSettings, plan: SynthesizerPlan | None = None) -> None:
        super().__init__(encoder, settings, plan)
        facts = plan.facts if plan is not None else {}
        self.sigma = float(facts.get("noise_multiplier", 0.0))
        self.q = float(facts.get("sample_rate", 0.0))
        self.steps = int(facts.get("steps_planned", 0))
        self.step = 0
        self.batch = 0
        self.rows_per_second = 0.0
        self.ensemble: GeneratorEnsemble | None = None
        self._gan: GanSteps | None = None
        self._restored: dict[str, torch.Tensor] | None = None

    # ------------------------------------------------------------------ learning

    @classmethod
    def plan(cls, settings: DPGANSettings, rows: int, epochs: int, budget: Budget) -> SynthesizerPlan:
        """q = batch / rows and steps = epochs / q, then the smallest σ that fits the budget."""
        q = min(1.0, (settings.batch_size or default_batch_size(rows)) / rows)
        steps = max(int(round(epochs / q)), 1)
        sigma = budget.smallest(lambda s: [Release(s, q, steps)], key=("dpgan", q, steps))
        return SynthesizerPlan([Release(sigma, q, steps)],
                               {"noise_multiplier": sigma, "sample_rate": q, "steps_planned": steps})

    def facts(self) -> dict[str, Any]:
        return {"noise_multiplier": self.sigma, "sample_rate": self.q, "batch": self.batch,
                "steps": self.step, "steps_planned": self.steps, "epochs": self.step * self.q}

    def losses_description(self) -> str:
        return "generator loss and the discriminator's score of synthetic rows, per epoch"

    def fit(self, data: torch.Tensor, context: FitContext) -> None:
        accountant = context.accountant
        self.batch = max(int(round(self.q * context.rows)), 1)    # fake rows per step: the expected real ones
        steps = self.steps if any(span.slots > 1 for span in self.encoder.spans) else 0
        if steps == 0:
            context.log("Nothing is left to learn at this ε: every learned column has a single released value. "
                        "No training steps are taken; raise ε or declare public bounds and categories in the schema.")
        gan = GanSteps(self.encoder, data, self.settings, self.batch, self.sigma, context.noise, context.init)
        if self._restored is not None:
            gan.restore(self._restored)
            self._restored = None
        self._gan = gan
        if data.device.type == "cpu" and self.step < steps:
            context.log(f"Training on {choose_threads(gan.probe).describe()}.")
        accountant.start_steps(Release(self.sigma, self.q))
        steps_per_epoch = max(int(round(1 / self.q)), 1)
        epochs_planned = int(np.ceil(self.steps / steps_per_epoch))
        first_step = self.step
        g_sum = torch.zeros((), device=data.device)
        score_sum = torch.zeros((), device=data.device)
        interval_steps, interval_start = 0, time.perf_counter()
        train_started = time.perf_counter()
        while self.step < steps and accountant.can_step(self.step):
            context.stop_if_cancelled(self.step)
            gan.discriminator_step()
            self.step += 1
            g_loss, score = gan.generator_step()
            g_sum += g_loss
            score_sum += score
            interval_steps += 1
            if self.step % steps_per_epoch == 0 or self.step == self.steps:
                now = time.perf_counter()
                elapsed = now - train_started
                epoch = int(np.ceil(self.step / steps_per_epoch))
                context.progress(Progress(
                    epoch=epoch, epochs=epochs_planned, step=self.step, steps=self.steps,
                    losses={"generator loss": float(g_sum) / interval_steps,
                            "D score of synthetic rows": float(score_sum) / interval_steps},
                    epsilon_spent=accountant.epsilon_after(self.step), epsilon_target=context.epsilon_target,
                    rows_per_second=interval_steps * self.batch / max(now - interval_start, 1e-9),
                    seconds=context.seconds_before + now - context.started,
                    eta_seconds=elapsed / (self.step - first_step) * (self.steps - self.step)))
                if kept_epoch(epoch, epochs_planned):
                    gan.keep_snapshot()
                if context.checkpoint is not None and self.step < self.steps:
                    context.checkpoint(self.step)
                g_sum.zero_()
                score_sum.zero_()
                interval_steps, interval_start = 0, time.perf_counter()
        accountant.finish_steps(self.step)
        self.rows_per_second = (self.step - first_step) * self.batch / max(time.perf_counter() - train_started, 1e-9)
        self.ensemble = gan.ensemble()
        if len(gan.snapshots) > 1:
            context.log(f"The model samples from the generators of {len(gan.snapshots)} epochs of the second half of "
                        "training, in turn: this evens out the swings of a DP-trained GAN from epoch to epoch and "
                        "reads no real row.")

    # ------------------------------------------------------------------ sampling

    def sample(self, count: int, given: tuple[int, int] | None, generator: torch.Generator) -> np.ndarray:
        assert self.ensemble is not None, "sample() needs a fitted or loaded model"
        conditions = Conditions(self.encoder, torch.device("cpu"))
        cond, _, _ = conditions.for_fake(count, generator, given)
        latent = torch.randn(count, self.settings.noise_dim, generator=generator)
        with torch.no_grad():
            return activate(self.ensemble(latent, cond), self.encoder, hard=True).numpy()

    # ------------------------------------------------------------------ storage

    def _architecture(self) -> dict[str, Any]:
        return {"noise_dim": self.settings.noise_dim, "generator_hidden": list(self.settings.generator_hidden),
                "condition_width": Conditions(self.encoder, torch.device("cpu")).width,
                "data_width": self.encoder.width}

    def model_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        assert self.ensemble is not None
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.ensemble.state_dict().items()}
        return tensors, {**self._architecture(), "members": len(self.ensemble.members)}

    @classmethod
    def from_model_state(cls, encoder: TableEncoder, tensors: dict[str, torch.Tensor],
                         meta: dict[str, Any]) -> "DPGAN":
        members = int(meta["members"])
        if not 1 <= members <= MAX_MEMBERS:
            raise ValueError("member count")
        hidden = tuple(int(h) for h in meta["generator_hidden"])
        settings = DPGANSettings(noise_dim=int(meta["noise_dim"]), generator_hidden=hidden)
        synthesizer = cls(encoder, settings)
        expected = synthesizer._architecture()
        if (int(meta["data_width"]), int(meta["condition_width"])) != (expected["data_width"],
                                                                         expected["condition_width"]):
            raise ValueError("architecture does not match the encoder")
        ensemble = GeneratorEnsemble([Generator(int(meta["noise_dim"]), int(meta["condition_width"]),
                                                int(meta["data_width"]), hidden) for _ in range(members)])
        ensemble.load_state_dict(tensors)
        synthesizer.ensemble = ensemble.eval()
        return synthesizer

    def training_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        assert self._gan is not None
        return self._gan.capture(), {"steps": self.steps, "step": self.step}

    def restore_training_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                               accountant: PrivacyAccountant) -> None:
        if int(meta["steps"]) != self.steps or not 0 <= int(meta["step"]) <= self.steps:
            raise ValueError("step")
        self.step = int(meta["step"])
        self._restored = tensors
