"""The DP conditional GAN: DP-SGD on the discriminator, the generator trained through it.

Planning (for every size class, before any row is read): q = batch / rows and steps = epochs / q,
then σ is the smallest noise multiplier that fits the budget left after preprocessing. Before every discriminator step the
accountant is asked whether one more step still fits; the plan makes sure it does until the last
planned step. The model samples from an ensemble of the generators of up to
:data:`ENSEMBLE_SIZE` epochs of the second half of training (post-processing, no ε).
"""

from __future__ import annotations

import dataclasses

import math
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
from engine.synthesizers.dpgan.marginals import (MarginalFit, Measured, choose_pair, measure_pair, pair_coding,
                                                 real_codes)
from engine.synthesizers.dpgan.networks import Generator, GeneratorEnsemble, activate
from engine.synthesizers.dpgan.settings import DPGANSettings
from engine.synthesizers.dpgan.steps import GanSteps

ENSEMBLE_SIZE = 20         # most generator snapshots a model samples from
MAX_MEMBERS = 64           # a larger count in stored metadata means a damaged or edited file
SCORING_ROWS = 4096        # generator rows whose softmax outputs estimate its pair marginals when choosing
FINAL_FIT_STAGES = 20      # progress reports (and ensemble snapshots, second half) of the final fit


def kept_epoch(epoch: int, epochs: int) -> bool:
    """Whether the generator at the end of ``epoch`` joins the model's ensemble: epochs of the
    second half, evenly spaced so that at most ``ENSEMBLE_SIZE`` are kept, the last always."""
    half = epochs - epochs // 2
    stride = -(-half // ENSEMBLE_SIZE)
    return epoch > epochs // 2 and (epochs - epoch) % stride == 0


def round_noise(rho: float, selection_share: float) -> tuple[float, float]:
    """A pair round's choice ε and measurement σ for its zCDP budget ρ: the choice gets
    ``selection_share`` of ρ (ε²/8), the measurement the rest (1/(2σ²))."""
    return math.sqrt(8 * selection_share * rho), math.sqrt(1 / (2 * (1 - selection_share) * rho))


def rho_of_round(sigma: float, selection_share: float) -> float:
    """The zCDP budget of a pair round whose measurement had noise σ (the inverse of :func:`round_noise`)."""
    return 1 / (2 * (1 - selection_share) * sigma ** 2)


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
        facts = plan.facts if plan is not None else {}
        if "generator_hidden" in facts:
            settings = dataclasses.replace(settings, generator_hidden=tuple(int(h) for h in facts["generator_hidden"]))
        super().__init__(encoder, settings, plan)
        self.rounds = int(facts.get("rounds", 0))
        self.selection_epsilon = float(facts.get("selection_epsilon", 0.0))
        self.pair_sigma = float(facts.get("pair_sigma", 0.0))
        # zCDP ρ of all rounds together: the planned rounds' choices and measurements
        self.pair_rho = self.rounds * rho_of_round(self.pair_sigma, settings.selection_share) if self.pair_sigma else 0.0
        self.round_rho = self.pair_rho / self.rounds if self.rounds else 0.0   # of the next round (it grows)
        self.independence = float(facts.get("independence", settings.independence_prior))
        self.sigma = float(facts.get("noise_multiplier", 0.0))
        self.q = float(facts.get("sample_rate", 0.0))
        self.steps = int(facts.get("steps_planned", 0))
        self.step = 0
        self.batch = 0
        self.rows_per_second = 0.0
        self.measured: list[Measured] = []
        self.rounds_done = 0
        self.learned_positions = self.steps > 0      # a DP discriminator taught the positions inside bins
        self.ensemble: GeneratorEnsemble | None = None
        self._gan: GanSteps | None = None
        self._restored: dict[str, torch.Tensor] | None = None

    # ------------------------------------------------------------------ planning

    @classmethod
    def preprocessing_share(cls, settings: DPGANSettings, rows: int) -> float:
        return settings.preprocessing_share_dpsgd if rows >= settings.dpsgd_from_rows else settings.preprocessing_share

    @classmethod
    def plan(cls, settings: DPGANSettings, rows: int, epochs: int, budget: Budget, columns: int) -> SynthesizerPlan:
        """Rounds of (private choice, pair measurement) from the zCDP budget left — all of it for
        small tables —, then for large ones DP-SGD: q = batch / rows, steps = epochs / q, and the
        smallest σ that fits what remains. The rounds are listed at their starting budget; they may
        spend the same ρ in fewer, larger rounds (see ``_measure_pairs``), which composes to the
        same RDP curve at every order (each release's curve is linear in the order)."""
        dpsgd = rows >= settings.dpsgd_from_rows
        rounds = min(int(round(settings.rounds_per_column * columns)), columns * (columns - 1) // 2)
        rho = budget.rho_left() * (settings.pair_share_dpsgd if dpsgd else 1.0)
        releases: list[Release] = []
        facts: dict[str, Any] = {"rounds": rounds, "generator_hidden": list(settings.widths(dpsgd)),
                                 "independence": settings.prior_at(budget.epsilon)}
        if rounds and rho > 0:
            per_round = rho / rounds
            facts["selection_epsilon"], facts["pair_sigma"] = round_noise(per_round, settings.selection_share)
            releases += [Release(exponential=facts["selection_epsilon"], count=rounds),
                         Release(facts["pair_sigma"], count=rounds)]
        else:
            facts["rounds"] = 0
        if dpsgd:
            q = min(1.0, (settings.batch_size or default_batch_size(rows)) / rows)
            steps = max(int(round(epochs / q)), 1)
            sigma = budget.smallest(lambda s: releases + [Release(s, q, steps)],
                                    key=("dpgan", q, steps, tuple(r.to_json()[0] for r in releases)))
            releases.append(Release(sigma, q, steps))
            facts.update(noise_multiplier=sigma, sample_rate=q, steps_planned=steps)
        return SynthesizerPlan(releases, facts)

    def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"pairs_measured": len(self.measured), "rounds": self.rounds_done,
                                 "rounds_planned": self.rounds}
        if self.rounds:
            facts.update(selection_epsilon=self.selection_epsilon, pair_sigma=self.pair_sigma)
        if self.steps:
            facts.update(noise_multiplier=self.sigma, sample_rate=self.q, batch=self.batch, steps=self.step,
                         steps_planned=self.steps, epochs=self.step * self.q)
        return facts

    def losses_description(self) -> str:
        return "the fit to the measured marginals, and (with a DP discriminator) its score of synthetic rows"

    # ------------------------------------------------------------------ learning

    def fit(self, data: torch.Tensor, context: FitContext) -> None:
        self.batch = max(int(round(self.q * context.rows)), 1) if self.steps else self.settings.fit_batch
        gan = GanSteps(self.encoder, data, self.settings, self.batch, self.sigma, context.noise, context.init,
                       rate=self.q or None)
        gan.fit = MarginalFit(self.encoder, pair_coding(self.encoder, self.settings.pair_groups), context.rows,
                              context.one_way_sigma, data.device,
                              independence=self.independence)
        for measured in self.measured:
            gan.fit.add(measured)
        if self._restored is not None:
            gan.restore(self._restored)
            self._restored = None
        self._gan = gan
        if not any(span.slots > 1 for span in self.encoder.spans):
            context.log("Nothing is left to learn: every learned column came out of its DP measurement with one "
                        "value or none, so no pair is measured and no step is taken (the ε of the measurements "
                        "is spent). Declare the columns' categories or bounds, or raise ε.")
            self.ensemble = gan.ensemble()
            return
        if data.device.type == "cpu":
            with gan.unchanged():
                choice = choose_threads(lambda: gan.marginal_step(self.settings.fit_batch), seeded=context.seeded)
            context.log(f"Training on {choice.describe()}.")
        if self._pair_rho_left() > 0:
            self._measure_pairs(gan, data, context)
        if self.steps:
            self._dpsgd(gan, data, context)
        else:
            self._fit_marginals(gan, context, self.settings.final_fit_steps)
        self.ensemble = gan.ensemble()

    def _progress(self, context: FitContext, stage: int, stages: int, losses: dict[str, float], rows: int,
                  started: float) -> None:
        now = time.perf_counter()
        elapsed = now - started
        context.progress(Progress(
            epoch=stage, epochs=stages, step=stage, steps=stages, losses=losses,
            epsilon_spent=context.accountant.spent(), epsilon_target=context.epsilon_target,
            rows_per_second=rows / max(elapsed, 1e-9), seconds=context.seconds_before + now - context.started,
            eta_seconds=(now - context.started) / stage * (stages - stage), unit="stage"))

    def _stages(self) -> int:
        return self.rounds + (0 if self.steps else min(FINAL_FIT_STAGES, self.settings.final_fit_steps))

    def _pair_rho_left(self) -> float:
        """The rounds' ρ not yet spent: the plan's less each round's (its choice's and its measurement's)."""
        if self.rounds_done and not self.measured:      # no pair to measure: the one round charged all of it
            return 0.0
        left = self.pair_rho - sum(rho_of_round(m.sigma, self.settings.selection_share) for m in self.measured)
        return left if left > 1e-9 * self.pair_rho else 0.0

    def _round_stage(self) -> int:
        """Progress through the rounds in stages of the starting round's budget (rounds may grow)."""
        if not self.pair_rho:
            return self.rounds
        return min(self.rounds, int(round(self.rounds * (1 - self._pair_rho_left() / self.pair_rho))))

    def _measure_pairs(self, gan: GanSteps, data: torch.Tensor, context: FitContext) -> None:
        """Rounds of a private choice and a measurement, the generator refitted after each, until the
        rounds' ρ is spent. As in AIM's annealing, a round whose measurement moved the generator's
        estimate of its pair by less than the measurement's expected noise makes the next round's
        budget ``anneal_growth`` times larger (σ and the choice sharper): later rounds then afford the
        large sparse pairs the first ones could not (on the demo, department × job_role). Means over
        four to six seeds: demo at ε = 1 0.921 / 0.841 / 0.997 → 0.927 / 0.855 / 0.998, hr500 at
        ε = 3 0.940 / 0.872 / 0.894 → 0.942 / 0.875 / 0.916; AIM's ×4 (σ halved) measured a third as
        many pairs and cost the demo at ε = 3 0.013 of pairwise fidelity, ×2 does not. The decision
        reads the generator alone, fitted to releases (post-processing), and the rounds stop at the
        plan's ρ — a zCDP filter, so the total is the plan's whatever the path (docs/privacy.md §7).
        The last round spends what is left once less than two rounds' worth remains."""
        assert gan.fit is not None
        coding = gan.fit.coding
        codes = real_codes(data, self.encoder, coding)
        spans = self.encoder.spans
        candidates = [(i, j) for i in range(len(spans)) for j in range(i + 1, len(spans))
                      if spans[i].slots > 1 and spans[j].slots > 1]
        for measured in self.measured:
            candidates.remove(measured.pair)
        self._set_lr(gan, self.settings.fit_lr)
        while (left := self._pair_rho_left()) > 0:
            context.stop_if_cancelled(0, stages=self._round_stage())
            started = time.perf_counter()
            rho = min(self.round_rho, left)
            last = left < 2 * rho or len(candidates) <= 1
            if last:
                rho = left
            selection_epsilon, sigma = round_noise(rho, self.settings.selection_share)
            context.accountant.record(Release(exponential=selection_epsilon))
            context.accountant.record(Release(sigma))
            before = None
            if candidates:          # the budget is charged even when no pair is left to measure
                probs = gan.fit.span_probabilities(gan.sample_raw(SCORING_ROWS))
                pair = choose_pair(candidates, codes, coding, gan.fit, probs, sigma, selection_epsilon,
                                   context.noise)
                before = gan.fit.estimate(gan.fit.code_probabilities(probs), pair)
                candidates.remove(pair)
                measured = measure_pair(codes, pair, coding, sigma, context.noise)
                gan.fit.add(measured)
                self.measured.append(measured)
            self.rounds_done += 1
            loss = self._fit_marginals(gan, context, self.settings.round_fit_steps, report=False)
            if before is not None and not last:
                probs = gan.fit.span_probabilities(gan.sample_raw(SCORING_ROWS))
                after = gan.fit.estimate(gan.fit.code_probabilities(probs), pair)
                if np.abs(after - before).sum() <= math.sqrt(2 / math.pi) * sigma * len(before):
                    self.round_rho = self.settings.anneal_growth * rho
            self._progress(context, self._round_stage(), self._stages(), {"marginal fit": loss},
                           self.settings.round_fit_steps * self.settings.fit_batch, started)
            if context.checkpoint is not None:
                context.checkpoint(self._round_stage(), context.accountant.spent())

    def _fit_marginals(self, gan: GanSteps, context: FitContext, steps: int, report: bool = True) -> float:
        """Fit the generator to the measured marginals (post-processing), keeping the epochs of the
        second half of the fit for the ensemble when this is the final fit."""
        self._set_lr(gan, self.settings.fit_lr)
        stages = min(FINAL_FIT_STAGES, steps)
        stage_of = lambda done: -(-done * stages // steps)  # noqa: E731  (stage k ends at step ⌈k·steps/stages⌉)
        total, in_stage = torch.zeros(()), 0
        started = time.perf_counter()
        for done in range(1, steps + 1):
            total = total + gan.marginal_step(self.settings.fit_batch)
            in_stage += 1
            if report and (done == steps or stage_of(done + 1) > stage_of(done)):
                stage = stage_of(done)
                context.stop_if_cancelled(0, stages=self.rounds + stage - 1)
                if stage > stages // 2:
                    gan.keep_snapshot()
                self._progress(context, self.rounds + stage, self._stages(), {"marginal fit": float(total) / in_stage},
                               in_stage * self.settings.fit_batch, started)
                total, in_stage, started = torch.zeros(()), 0, time.perf_counter()
        return float(total) / max(steps, 1)

    @staticmethod
    def _set_lr(gan: GanSteps, lr: float) -> None:
        for group in gan.g_optimizer.param_groups:
            group["lr"] = lr

    def _dpsgd(self, gan: GanSteps, data: torch.Tensor, context: FitContext) -> None:
        """DP-SGD on the discriminator; the generator learns from it and the measured marginals."""
        accountant = context.accountant
        self._set_lr(gan, self.settings.generator_lr)
        accountant.start_steps(Release(self.sigma, self.q))
        # the epochs asked for (steps = epochs / q, rounded), so the count shown is the one the user chose
        epochs_planned = max(int(round(self.steps * self.q)), 1)
        epoch_of = lambda step: int(np.ceil(step * epochs_planned / self.steps - 1e-9))  # noqa: E731
        first_step = self.step
        g_sum = torch.zeros((), device=data.device)
        score_sum = torch.zeros((), device=data.device)
        interval_steps, interval_start = 0, time.perf_counter()
        train_started = time.perf_counter()
        while self.step < self.steps and accountant.can_step(self.step):
            context.stop_if_cancelled(self.step)
            g_loss, score = gan.train_step()
            self.step += 1
            g_sum += g_loss
            score_sum += score
            interval_steps += 1
            if epoch_of(self.step + 1) > epoch_of(self.step) or self.step == self.steps:
                now = time.perf_counter()
                elapsed = now - train_started
                epoch = epoch_of(self.step)
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
                    context.checkpoint(self.rounds + self.step, accountant.epsilon_after(self.step))
                g_sum.zero_()
                score_sum.zero_()
                interval_steps, interval_start = 0, time.perf_counter()
        accountant.finish_steps(self.step)
        self.rows_per_second = (self.step - first_step) * self.batch / max(time.perf_counter() - train_started, 1e-9)
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
            rows = activate(self.ensemble(latent, cond), self.encoder, hard=True)
            if not self.learned_positions:      # the measurements say nothing inside a bin: follow its DP CDF
                for span in self.encoder.spans:
                    if span.scalar is not None:
                        rows[:, span.scalar] = torch.rand(count, generator=generator)
        return rows.numpy()

    # ------------------------------------------------------------------ storage

    def _architecture(self) -> dict[str, Any]:
        return {"noise_dim": self.settings.noise_dim, "generator_hidden": list(self.settings.generator_hidden),
                "condition_width": Conditions(self.encoder, torch.device("cpu")).width,
                "data_width": self.encoder.width}

    def model_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        assert self.ensemble is not None
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.ensemble.state_dict().items()}
        return tensors, {**self._architecture(), "members": len(self.ensemble.members),
                         "learned_positions": self.learned_positions}

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
        synthesizer.learned_positions = bool(meta.get("learned_positions", True))
        return synthesizer

    def training_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Networks, optimizers, snapshots, and the pairs measured so far (DP releases)."""
        assert self._gan is not None
        tensors = self._gan.capture()
        for k, measured in enumerate(self.measured):
            tensors[f"pair/{k}"] = torch.as_tensor(measured.counts, dtype=torch.float64)
        return tensors, {"steps": self.rounds + self.steps, "step": self.step, "rounds_done": self.rounds_done,
                         "round_rho": self.round_rho,
                         "pairs": [[m.pair[0], m.pair[1], m.sigma] for m in self.measured]}

    def restore_training_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                               accountant: PrivacyAccountant) -> None:
        if int(meta["steps"]) != self.rounds + self.steps or not 0 <= int(meta["step"]) <= self.steps \
                or not 0 <= int(meta["rounds_done"]) <= self.rounds:
            raise ValueError("step")
        self.step, self.rounds_done = int(meta["step"]), int(meta["rounds_done"])
        # the next round's budget: never below the plan's first (what is left is read from the pairs)
        self.round_rho = max(float(meta.get("round_rho", 0.0)), self.round_rho)
        self.measured = [Measured((int(i), int(j)), tensors[f"pair/{k}"].numpy(), float(sigma))
                         for k, (i, j, sigma) in enumerate(meta["pairs"])]
        self._restored = {k: v for k, v in tensors.items() if not k.startswith("pair/")}
