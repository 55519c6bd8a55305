"""The DP training loop: preprocessing under DP, then DP-SGD on the discriminator.

One discriminator step = Poisson-sample real rows at rate q on the device tensor, draw as many
fake rows, one forward and one backward of ``[real; fake]`` through Opacus ghost clipping, one
noised step. The generator step follows with the discriminator's hooks off (post-processing).
Before every discriminator step the accountant is asked whether one more step still fits the
target ε; the plan is chosen so that it always does until the last planned step.

At the end of every epoch the run's state can be handed to the caller as a
:class:`~engine.checkpoint.Checkpoint`; a run resumed from one continues the same plan (same
DP encoder, σ, q and step count) with fresh randomness, so no release is made or paid twice.
"""

from __future__ import annotations

import secrets
import threading
import warnings
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import torch
from opacus.grad_sample import GradSampleModuleFastGradientClipping
from opacus.optimizers import DPOptimizerFastGradientClipping
from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping
from torch import nn
from torch.nn import functional as F

from engine import privacy
from engine.bundle import TrainedModel
from engine.checkpoint import Checkpoint, capture, config_settings, restore
from engine.encoding import CategoricalColumn, NumericColumn, TableEncoder, fit_encoder, release_weights, thresholded_columns
from engine.errors import DoppelInputError, TrainingCancelled
from engine.model import Discriminator, Generator, GeneratorEnsemble, activate
from engine.schema import Schema

MIN_ROWS = 50
ENSEMBLE_SIZE = 20         # most generator snapshots a model samples from
CHECKPOINT_SECONDS = 5.0   # after the first epoch, checkpoint at an epoch's end at most this often


@dataclass(frozen=True)
class TrainingConfig:
    """What the user chooses (ε, δ, epochs, device, seed) and the model's shape.

    ``seed`` makes a run reproducible; it is never stored with the model, because whoever
    knows it can recompute the noise. Leave it unset for real use.
    """

    epsilon: float
    delta: float | None = None
    epochs: int = 40
    batch_size: int | None = None            # expected real rows per step; None = from n
    preprocessing_fraction: float = 0.2      # share of ε for DP bounds, bins and domains
    max_grad_norm: float = 1.0
    generator_lr: float = 1e-3
    marginal_weight: float = 1.0             # pull the generator's marginals to the DP ones (free)
    discriminator_lr: float = 1e-3
    noise_dim: int = 64
    generator_hidden: tuple[int, ...] = (256, 256)
    discriminator_hidden: tuple[int, ...] = (256, 256)
    device: str = "auto"
    seed: int | None = None


@dataclass(frozen=True)
class EpochReport:
    """Sent once per epoch (and at the end) to the progress callback."""

    epoch: int
    epochs: int
    step: int
    steps: int
    d_loss: float
    g_loss: float
    epsilon_spent: float
    epsilon_target: float
    rows_per_second: float
    seconds: float
    eta_seconds: float


@dataclass(frozen=True)
class LogMessage:
    """A line for the user's log pane (what was decided, what was dropped and why)."""

    text: str


Event = EpochReport | LogMessage


class CancelToken:
    """Thread-safe flag the GUI sets; the loop checks it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class TrainingSummary:
    """The run's facts, printed as the CLI's one-line JSON and stored in the bundle."""

    epsilon_spent: float
    epsilon_target: float
    delta: float
    noise_multiplier: float
    sample_rate: float
    steps: int
    epochs: float
    seconds: float
    device: str
    rows_per_second: float
    preprocessing_epsilon: float
    preprocessing_sigma: float
    accountant: str
    rows: int
    history: list[tuple[float, float, int]] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def resolve_device(choice: str) -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is a clear error."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise DoppelInputError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto.")
    if choice not in ("cpu", "cuda"):
        raise DoppelInputError(f"Unknown device '{choice}'; use auto, cpu or cuda.")
    return torch.device(choice)


def kept_epoch(epoch: int, epochs: int) -> bool:
    """Whether the generator at the end of ``epoch`` joins the model's ensemble: epochs of the
    second half, evenly spaced so that at most ``ENSEMBLE_SIZE`` are kept, the last always."""
    half = epochs - epochs // 2
    stride = -(-half // ENSEMBLE_SIZE)
    return epoch > epochs // 2 and (epochs - epoch) % stride == 0


def default_batch_size(n_rows: int) -> int:
    """About 50 steps per epoch, at most 512 rows: on Adult at ε = 3, batches of 512 gave a TSTR
    AUC of 0.877 against 0.863 for 1,024 and 0.831 for 2,048 (benchmarks/results/tuning_adult.json):
    more, noisier steps beat fewer, cleaner ones here."""
    return int(np.clip(n_rows // 50, 64, 512))


class _Conditions:
    """Condition vectors: for real rows taken from the row itself, for fakes from DP shares."""

    def __init__(self, encoder: TableEncoder, device: torch.device) -> None:
        self.columns = encoder.condition_columns
        spans = [encoder.spans[i] for i in self.columns]
        self.dims = torch.tensor([d for s in spans for d in range(s.start, s.start + s.slots)],
                                 dtype=torch.long, device=device)
        self.width = len(self.dims)
        self.offsets = []
        self.slots = [s.slots for s in spans]
        self.data_starts = [s.start for s in spans]
        offset = 0
        mask = torch.zeros(len(spans), self.width, device=device)
        for k, s in enumerate(spans):
            self.offsets.append(offset)
            mask[k, offset:offset + s.slots] = 1.0
            offset += s.slots
        self.mask = mask
        widest = max(self.slots, default=1)
        probs = torch.zeros(len(spans), widest, device=device)
        for k, p in enumerate(encoder.condition_probabilities()):
            probs[k, :len(p)] = torch.as_tensor(p, dtype=torch.float32)
        self.probs = probs
        self.offset_tensor = torch.tensor(self.offsets, dtype=torch.long, device=device)
        self.device = device

    def for_real(self, rows: torch.Tensor) -> torch.Tensor:
        if not self.width:
            return rows.new_zeros(len(rows), 0)
        choice = torch.randint(len(self.columns), (len(rows),), device=self.device)
        return rows[:, self.dims] * self.mask[choice]

    def for_fake(self, count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Condition vectors plus the chosen column and slot of each (for the generator's loss)."""
        cond = torch.zeros(count, self.width, device=self.device)
        if not self.width:
            empty = torch.zeros(count, dtype=torch.long, device=self.device)
            return cond, empty, empty
        choice = torch.randint(len(self.columns), (count,), device=self.device)
        slot = torch.multinomial(self.probs[choice], 1).squeeze(1)
        cond[torch.arange(count, device=self.device), self.offset_tensor[choice] + slot] = 1.0
        return cond, choice, slot

    def loss(self, raw: torch.Tensor, choice: torch.Tensor, slot: torch.Tensor) -> torch.Tensor:
        """Cross-entropy that teaches the generator to honour its condition (CTGAN)."""
        total = raw.new_zeros(())
        for k in range(len(self.columns)):
            rows = choice == k
            logits = raw[rows, self.data_starts[k]:self.data_starts[k] + self.slots[k]]
            total = total + F.cross_entropy(logits, slot[rows], reduction="sum")
        return total / max(len(raw), 1)


class GanSteps:
    """The networks, optimizers and the two kinds of step, separate from the loop's bookkeeping.

    With ``private=True`` (always, in training) the discriminator is wrapped for Opacus ghost
    clipping and its optimizer adds noise σ·C; ``private=False`` exists so the speed benchmark
    can time the very same step without DP.
    """

    def __init__(self, encoder: TableEncoder, data: torch.Tensor, config: TrainingConfig, batch: int,
                 sigma: float, device_rng: torch.Generator, private: bool = True) -> None:
        self.encoder, self.data, self.config, self.batch = encoder, data, config, batch
        self.device, self.rng = data.device, device_rng
        self.q = batch / len(data)
        self.conditions = _Conditions(encoder, self.device)
        self.generator = Generator(config.noise_dim, self.conditions.width, encoder.width,
                                   config.generator_hidden).to(self.device)
        network = Discriminator(encoder.width + self.conditions.width, config.discriminator_hidden).to(self.device)
        adam = torch.optim.Adam(network.parameters(), lr=config.discriminator_lr, betas=(0.5, 0.9))
        self.criterion = nn.BCEWithLogitsLoss(reduction="mean")
        self.private = private
        if private:
            self.discriminator = GradSampleModuleFastGradientClipping(
                network, max_grad_norm=config.max_grad_norm, use_ghost_clipping=True, loss_reduction="mean")
            self.d_optimizer = DPOptimizerFastGradientClipping(
                adam, noise_multiplier=sigma, max_grad_norm=config.max_grad_norm,
                expected_batch_size=2 * batch, loss_reduction="mean", generator=device_rng)
            self.d_loss = DPLossFastGradientClipping(self.discriminator, self.d_optimizer, self.criterion, "mean")
        else:
            self.discriminator, self.d_optimizer, self.d_loss = network, adam, self.criterion
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=config.generator_lr, betas=(0.5, 0.9))
        self.ones = torch.ones(batch, device=self.device)
        self.snapshots: list[dict[str, torch.Tensor]] = []
        self.targets = [(span.start, span.slots, torch.as_tensor(t, dtype=torch.float32, device=self.device))
                        for span, t in zip(encoder.spans, encoder.marginal_targets()) if span.slots > 1]

    def keep_snapshot(self) -> None:
        """Add the generator's current weights to the ensemble the model will sample from."""
        self.snapshots.append({k: v.detach().clone() for k, v in self.generator.state_dict().items()})

    def ensemble(self) -> GeneratorEnsemble:
        """The kept snapshots as one model on the CPU (the live generator if none was kept)."""
        members = []
        for state in self.snapshots or [self.generator.state_dict()]:
            member = Generator(self.config.noise_dim, self.conditions.width, self.encoder.width,
                               self.config.generator_hidden)
            member.load_state_dict({k: v.cpu() for k, v in state.items()})
            members.append(member)
        return GeneratorEnsemble(members).eval()

    def _fake(self, count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        cond, choice, slot = self.conditions.for_fake(count)
        raw = self.generator(torch.randn(count, self.config.noise_dim, device=self.device), cond)
        return raw, cond, choice, slot

    def discriminator_step(self) -> torch.Tensor:
        """Poisson-sample real rows at rate q; one forward/backward over [real; fake]; one noised step."""
        real = self.data[torch.rand(len(self.data), generator=self.rng, device=self.device) < self.q]
        with torch.no_grad():
            raw, fake_cond, _, _ = self._fake(self.batch)
            fake = activate(raw, self.encoder)
        inputs = torch.cat([torch.cat([real, self.conditions.for_real(real)], dim=1),
                            torch.cat([fake, fake_cond], dim=1)])
        labels = torch.cat([torch.ones(len(real), device=self.device), torch.zeros(self.batch, device=self.device)])
        self.d_optimizer.zero_grad()
        loss = self.d_loss(self.discriminator(inputs), labels)
        loss.backward()
        self.d_optimizer.step()
        return loss.detach()

    def marginal_loss(self, raw: torch.Tensor) -> torch.Tensor:
        """KL(DP marginal ‖ batch-average softmax), summed over columns: post-processing only."""
        total = raw.new_zeros(())
        for start, slots, target in self.targets:
            average = F.softmax(raw[:, start:start + slots], dim=1).mean(dim=0)
            total = total + (target * (torch.log(target + 1e-8) - torch.log(average + 1e-8))).sum()
        return total

    def generator_step(self) -> torch.Tensor:
        """Post-processing of the private discriminator: its hooks are off and its weights frozen."""
        if self.private:
            self.discriminator.disable_hooks()
        for p in self.discriminator.parameters():
            p.requires_grad_(False)
        self.g_optimizer.zero_grad()
        raw, cond, choice, slot = self._fake(self.batch)
        fake = activate(raw, self.encoder)
        loss = self.criterion(self.discriminator(torch.cat([fake, cond], dim=1)), self.ones) \
            + self.conditions.loss(raw, choice, slot) + self.config.marginal_weight * self.marginal_loss(raw)
        loss.backward()
        self.g_optimizer.step()
        for p in self.discriminator.parameters():
            p.requires_grad_(True)
        if self.private:
            self.discriminator.enable_hooks()
        return loss.detach()


def _emit(callback: Callable[[Event], None] | None, event: Event) -> None:
    if callback is not None:
        callback(event)


def train(frame: pd.DataFrame, schema: Schema, config: TrainingConfig, *, source_name: str = "table",
          fingerprint: str = "", on_event: Callable[[Event], None] | None = None,
          cancel: CancelToken | None = None, run_id: str = "", resume: Checkpoint | None = None,
          on_checkpoint: Callable[[Checkpoint], None] | None = None) -> TrainedModel:
    """Train a DP conditional GAN on ``frame`` (raw cells) described by ``schema``.

    With ``on_checkpoint``, the run's state is handed over at the end of the first epoch, then
    at the end of an epoch every ``CHECKPOINT_SECONDS`` or more, never after the last step (the
    caller records the spend, then writes it; a kill loses at most that much work). With
    ``resume``, training continues that checkpoint's plan from its step — same DP encoder, σ, q
    and step count — so the final ε is the plan's ε, not the sum of two runs.

    Raises :class:`TrainingCancelled` (with the ε already spent) when ``cancel`` is set, and
    :class:`DoppelInputError` for tables or settings that cannot be trained.
    """
    with warnings.catch_warnings():
        # Opacus's ghost clipping fires a full backward hook on inputs that need no gradient
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        return _train(frame, schema, config, source_name, fingerprint, on_event, cancel, run_id, resume,
                      on_checkpoint)


@dataclass(frozen=True)
class _Plan:
    """What is fixed before the first DP-SGD step: the DP encoder, the accountant, σ, q, steps."""

    encoder: TableEncoder
    accountant: privacy.PrivacyAccountant
    sigma_pre: float
    preprocessing_epsilon: float
    batch: int
    steps: int
    sigma: float
    start_step: int = 0
    seconds_before: float = 0.0     # time spent by earlier attempts of a resumed run


def _run_seed(seed: int | None, step: int) -> int:
    """The run's seed; a seeded run resumed at ``step`` gets a stream derived from (seed, step).

    Nothing of the random state is ever read back from a checkpoint (see ``engine/checkpoint``).
    """
    if seed is None:
        return secrets.randbits(62)
    if step == 0:
        return seed
    return int(np.random.SeedSequence([seed & (2**64 - 1), step]).generate_state(1, np.uint64)[0] >> 2)


def _fresh_plan(schema: Schema, typed: dict[str, pd.Series], config: TrainingConfig, n: int,
                rng: np.random.Generator, on_event: Callable[[Event], None] | None) -> _Plan:
    """Spend the preprocessing share on the DP encoder, then choose σ for the remaining budget."""
    delta = config.delta if config.delta is not None else privacy.default_delta(n)
    domain_delta = privacy.DOMAIN_DELTA_SHARE * delta if thresholded_columns(schema) else 0.0
    accountant = privacy.PrivacyAccountant(config.epsilon, delta, domain_delta)
    sigma_pre = accountant.preprocessing_sigma(sum(w * w for w in release_weights(schema)),
                                                config.preprocessing_fraction)
    encoder = fit_encoder(schema, typed, accountant, sigma_pre, rng)
    _log_encoder(encoder, schema, on_event)
    batch = min(config.batch_size or default_batch_size(n), n)
    steps = max(int(round(config.epochs / (batch / n))), 1)
    if not any(span.slots > 1 for span in encoder.spans):
        # every learned column came out of DP preprocessing with a single possible value: the
        # output is already decided, so no training step is taken (and no more ε is spent)
        _emit(on_event, LogMessage("Nothing is left to learn at this ε: every learned column has a single "
                                   "released value. No training steps are taken; raise ε or declare public "
                                   "bounds and categories in the schema."))
        steps = 0
    return _Plan(encoder, accountant, sigma_pre, accountant.spent(), batch, steps,
                 accountant.plan_training(batch / n, steps))


def _resumed_plan(resume: Checkpoint, config: TrainingConfig, n: int) -> _Plan:
    """Rebuild the accountant from the checkpoint's releases: nothing is spent or planned again."""
    accountant = privacy.PrivacyAccountant(config.epsilon, resume.delta, resume.domain_delta)
    for sigma, _, count in resume.preprocessing:
        for _ in range(count):
            accountant.record_gaussian(sigma)
    if not (np.isclose(accountant.spent(), resume.preprocessing_epsilon, rtol=1e-9)
            and resume.batch / n == resume.sample_rate and 0 <= resume.step <= resume.steps):
        raise DoppelInputError(f"Checkpoint of run {resume.run} is inconsistent (its privacy facts do not add "
                               "up); train without --resume.")
    return _Plan(resume.encoder, accountant, resume.preprocessing_sigma, resume.preprocessing_epsilon,
                 resume.batch, resume.steps, resume.noise_multiplier, resume.step, resume.seconds)


def _train(frame: pd.DataFrame, schema: Schema, config: TrainingConfig, source_name: str, fingerprint: str,
           on_event: Callable[[Event], None] | None, cancel: CancelToken | None, run_id: str,
           resume: Checkpoint | None, on_checkpoint: Callable[[Checkpoint], None] | None) -> TrainedModel:
    started = time.perf_counter()
    schema.check_matches(frame, source_name)
    n = len(frame)
    if n < MIN_ROWS:
        raise DoppelInputError(f"{source_name} has {n} rows; DP training needs at least {MIN_ROWS} rows "
                               "(at any ε); add rows or train on a larger table.")
    if not schema.learned:
        raise DoppelInputError(f"{source_name}: no column has role 'learn'; set at least one column to learn.")
    if config.epochs < 1:
        raise DoppelInputError(f"--epochs must be at least 1, got {config.epochs}.")
    device = resolve_device(config.device)
    if resume is not None:
        resume.check_fits(fingerprint, schema, config, n)
    seed = _run_seed(config.seed, resume.step if resume is not None else 0)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device_rng = torch.Generator(device=device).manual_seed(seed + 1)

    typed = {c.name: c.values(frame[c.name]) for c in schema.learned}
    plan = _fresh_plan(schema, typed, config, n, rng, on_event) if resume is None else _resumed_plan(resume, config, n)
    accountant, batch, steps, sigma = plan.accountant, plan.batch, plan.steps, plan.sigma
    q = batch / n
    data = torch.as_tensor(plan.encoder.transform(typed, rng), device=device)
    accountant.start_training(sigma, q)
    gan = GanSteps(plan.encoder, data, config, batch, sigma, device_rng)
    if resume is None:
        _emit(on_event, LogMessage(
            f"Preprocessing spent ε = {plan.preprocessing_epsilon:.3f} (σ = {plan.sigma_pre:.1f}); training: "
            f"{steps} steps at q = {q:.4f}, σ = {sigma:.3f}, on {device.type}."))
    else:
        try:
            restore(gan, resume.tensors)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise DoppelInputError(f"Checkpoint of run {resume.run} does not fit this model "
                                   f"({exc.__class__.__name__}); train without --resume.") from None
        _emit(on_event, LogMessage(
            f"Resuming at step {plan.start_step} of {steps} (ε = {accountant.epsilon_after(plan.start_step):.3f} "
            f"already spent and recorded): same DP encoder, q = {q:.4f}, σ = {sigma:.3f}, on {device.type}."))

    steps_per_epoch = max(int(round(1 / q)), 1)
    epochs_planned = int(np.ceil(steps / steps_per_epoch))
    d_sum = torch.zeros((), device=device)
    g_sum = torch.zeros((), device=device)
    step = plan.start_step
    interval_steps, interval_start = 0, time.perf_counter()
    train_started = time.perf_counter()
    last_checkpoint = -np.inf
    while step < steps and accountant.can_step(step):
        if cancel is not None and cancel.cancelled:
            accountant.finish_training(step)
            spent = accountant.epsilon_after(step)
            raise TrainingCancelled(f"Training cancelled after {step} steps; ε = {spent:.3f} was spent.",
                                    spent, accountant.delta)
        d_sum += gan.discriminator_step()
        step += 1
        g_sum += gan.generator_step()
        interval_steps += 1
        if step % steps_per_epoch == 0 or step == steps:
            now = time.perf_counter()
            elapsed = now - train_started
            epoch = int(np.ceil(step / steps_per_epoch))
            _emit(on_event, EpochReport(
                epoch=epoch, epochs=epochs_planned, step=step, steps=steps,
                d_loss=float(d_sum) / interval_steps, g_loss=float(g_sum) / interval_steps,
                epsilon_spent=accountant.epsilon_after(step), epsilon_target=config.epsilon,
                rows_per_second=interval_steps * batch / max(now - interval_start, 1e-9),
                seconds=plan.seconds_before + elapsed,
                eta_seconds=elapsed / (step - plan.start_step) * (steps - step)))
            if kept_epoch(epoch, epochs_planned):
                gan.keep_snapshot()
            if on_checkpoint is not None and step < steps and now - last_checkpoint >= CHECKPOINT_SECONDS:
                on_checkpoint(_checkpoint(run_id, fingerprint, schema, config, n, plan, gan, step,
                                          plan.seconds_before + now - started))
                last_checkpoint = time.perf_counter()
            d_sum.zero_()
            g_sum.zero_()
            interval_steps, interval_start = 0, time.perf_counter()

    train_seconds = time.perf_counter() - train_started
    accountant.finish_training(step)
    epsilon, accountant_name = accountant.final_epsilon()
    seconds = plan.seconds_before + time.perf_counter() - started
    summary = TrainingSummary(
        epsilon_spent=epsilon, epsilon_target=config.epsilon, delta=accountant.delta, noise_multiplier=sigma,
        sample_rate=q, steps=step, epochs=step * q, seconds=seconds, device=device.type,
        rows_per_second=(step - plan.start_step) * batch / max(train_seconds, 1e-9),
        preprocessing_epsilon=plan.preprocessing_epsilon, preprocessing_sigma=plan.sigma_pre,
        accountant=accountant_name, rows=n, history=list(accountant.history))
    generator = gan.ensemble()
    if len(gan.snapshots) > 1:
        _emit(on_event, LogMessage(
            f"The model samples from the generators of {len(gan.snapshots)} epochs of the second half of training, "
            "in turn: this evens out the swings of a DP-trained GAN from epoch to epoch and reads no real row."))
    return TrainedModel(schema=schema.public(), encoder=plan.encoder, generator=generator,
                        noise_dim=config.noise_dim, generator_hidden=config.generator_hidden,
                        summary=summary, fingerprint=fingerprint)


def _checkpoint(run_id: str, fingerprint: str, schema: Schema, config: TrainingConfig, n: int, plan: _Plan,
                gan: GanSteps, step: int, seconds: float) -> Checkpoint:
    """The run's state after ``step`` steps, with the ε it has spent (preprocessing included)."""
    accountant = plan.accountant
    return Checkpoint(
        run=run_id, fingerprint=fingerprint, schema=schema.public().to_json(), settings=config_settings(config),
        encoder=plan.encoder, rows=n, delta=accountant.delta, domain_delta=accountant.domain_delta,
        preprocessing=list(accountant.history), preprocessing_epsilon=plan.preprocessing_epsilon,
        preprocessing_sigma=plan.sigma_pre, noise_multiplier=plan.sigma, sample_rate=plan.batch / n,
        batch=plan.batch, steps=plan.steps, step=step, epsilon_spent=accountant.epsilon_after(step),
        seconds=seconds, tensors=capture(gan))


def _log_encoder(encoder: TableEncoder, schema: Schema, on_event: Callable[[Event], None] | None) -> None:
    """Tell the user what the DP preprocessing kept, in plain words."""
    for column in encoder.columns:
        if isinstance(column, NumericColumn) and not column.usable:
            _emit(on_event, LogMessage(
                f"Column '{column.name}': too few rows to find its range privately at this ε; it will be "
                "empty. Declare public_min and public_max in the schema or raise ε."))
        if isinstance(column, CategoricalColumn) and schema[column.name].public_categories is None \
                and not column.categories:
            _emit(on_event, LogMessage(
                f"Column '{column.name}': no category is common enough to release at this ε; "
                "it will be empty. Declare its categories as public or raise ε."))
