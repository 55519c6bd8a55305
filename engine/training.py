"""The generic DP run: plan → measure (DP preprocessing) → fit (the synthesizer), with checkpoints,
progress and the budget checked throughout.

1. The plan (:func:`engine.privacy.plan.make_plan`) fixes every release from public facts
   alone, for every size class of the table, before any row is read.
2. n̂, the noisy row count, is released first; it chooses the size class.
3. The surveys and measurements of the columns (:mod:`engine.encoding.fit`) decide what the
   undeclared columns are and fit the encoder.
4. The synthesizer learns with its plan for that size class, checking the budget before every
   release.
5. The ε shown is the plan's bound, which holds whatever n̂ turned out to be.

A run resumed from a :class:`~engine.storage.checkpoint.Checkpoint` continues the same plan (same
n̂, schema, DP encoder, accountant and synthesizer plan) with fresh randomness, so no release is
made or paid twice.
"""

from __future__ import annotations

import secrets
import time
import warnings
from typing import Callable

import numpy as np
import pandas as pd
import torch

from engine.compute import resolve_device
from engine.encoding.base import Releaser
from engine.encoding.fit import Preprocessed, column_plans, count_rows, preprocess
from engine.errors import BudgetSpent, DoppelInputError
from engine.privacy.accountant import MAX_DEFAULT_DELTA_ROWS, PrivacyAccountant
from engine.privacy.plan import MEASURE_WEIGHT, PrivacyPlan, make_plan
from engine.privacy.randomness import NoiseSource
from engine.run import CancelToken, EventCallback, LogMessage, RunConfig, RunSummary, emit
from engine.schema import Role, Schema
from engine.storage.checkpoint import Checkpoint
from engine.synthesizers.base import FitContext, Synthesizer, settings_from
from engine.synthesizers.model import TrainedModel
from engine.synthesizers.registry import synthesizer_class

CHECKPOINT_SECONDS = 5.0   # after the first epoch, checkpoint at an epoch's end at most this often
MIN_ROWS = 50              # smaller tables are refused before anything is read (see docs/privacy.md §1)


def train(frame: pd.DataFrame, schema: Schema, config: RunConfig, *, source_name: str = "table",
          dataset: str = "", on_event: EventCallback | None = None, cancel: CancelToken | None = None,
          run_id: str = "", resume: Checkpoint | None = None,
          on_checkpoint: Callable[[Checkpoint], None] | None = None) -> TrainedModel:
    """Train ``config.synthesizer`` on ``frame`` (raw cells) described by ``schema``.

    With ``on_checkpoint``, the run's state is handed over at the end of the first epoch, then
    at the end of an epoch every ``CHECKPOINT_SECONDS`` or more, never after the last step (the
    caller records the spend, then writes it; a kill loses at most that much work). With
    ``resume``, training continues that checkpoint's plan from its step.

    Raises :class:`~engine.errors.TrainingCancelled` (with the ε already spent) when ``cancel``
    is set, :class:`~engine.errors.BudgetSpent` when the table is refused after its row count was
    released, and :class:`DoppelInputError` for tables or settings refused before anything is spent.
    """
    with warnings.catch_warnings():
        # Opacus's ghost clipping fires a full backward hook on inputs that need no gradient
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        return _train(frame, schema, config, source_name, dataset, on_event, cancel, run_id, resume, on_checkpoint)


def plan_run(schema: Schema, config: RunConfig) -> PrivacyPlan:
    """The run's privacy plan from public facts alone (no row is read)."""
    cls = synthesizer_class(config.synthesizer)
    settings = settings_from(cls.settings_class, config.settings)
    columns = column_plans(schema)
    measured = sum(c.measure for c in columns)

    def share(rows: int) -> float:
        fraction = config.preprocessing_fraction
        return fraction if fraction is not None else cls.preprocessing_share(settings, rows)

    return make_plan(config.epsilon, config.delta, share, columns,
                     lambda rows, budget: cls.plan(settings, rows, config.epochs, budget, measured))


def _init_seed(seed: int | None, step: int) -> int:
    """Seed of everything random that no privacy argument relies on (initial weights, latent noise).

    A seeded run resumed at ``step`` gets a stream derived from (seed, step); nothing of the random
    state is ever read back from a checkpoint (see ``engine/storage/checkpoint``)."""
    if seed is None:
        return secrets.randbits(62)
    if step == 0:
        return seed
    return int(np.random.SeedSequence([seed & (2**64 - 1), step]).generate_state(1, np.uint64)[0] >> 2)


def _noise(seed: int | None, step: int) -> NoiseSource:
    """DP noise and sampling: 128 bits of fresh entropy (a test seed makes the run non-private)."""
    return NoiseSource(None if seed is None else _init_seed(seed, step) + 1)


def _check(frame: pd.DataFrame, schema: Schema, config: RunConfig, source_name: str) -> None:
    schema.check_matches(frame, source_name)
    if len(frame) < MIN_ROWS:
        raise DoppelInputError(f"{source_name} has {len(frame)} rows; DP training needs at least {MIN_ROWS} rows "
                               "(at any ε); add rows or train on a larger table.")
    if not any(c.role is Role.LEARN for c in schema.columns):
        raise DoppelInputError(f"{source_name}: no column has role 'learn'; set at least one column to learn.")
    if config.epochs < 1:
        raise DoppelInputError(f"--epochs must be at least 1, got {config.epochs}.")


def _check_rows(plan: PrivacyPlan, config: RunConfig, rows: float, accountant: PrivacyAccountant,
                source_name: str) -> None:
    """Refusals that depend on n̂ (which has been released and is charged)."""
    spent = accountant.spent()
    try:
        plan.size_class(rows)
    except DoppelInputError as refusal:
        raise BudgetSpent(f"{source_name}: {refusal}", spent, plan.delta) from None
    if config.delta is None and rows > MAX_DEFAULT_DELTA_ROWS:
        raise BudgetSpent(f"{source_name} has about {rows:,.0f} rows: for more than {MAX_DEFAULT_DELTA_ROWS:,} the "
                          "default δ = 1e-5 is too large (δ must be at most n^-1.1); pass --delta, e.g. "
                          f"{rows ** -1.1:.0e}.", spent, plan.delta)
    if plan.delta >= 1.0 / rows:
        raise BudgetSpent(f"{source_name}: δ = {plan.delta:g} is not below 1/n for about {rows:,.0f} rows; choose a smaller δ "
                          "(the default is 1e-5).", spent, plan.delta)


def _train(frame: pd.DataFrame, schema: Schema, config: RunConfig, source_name: str, dataset: str,
           on_event: EventCallback | None, cancel: CancelToken | None, run_id: str, resume: Checkpoint | None,
           on_checkpoint: Callable[[Checkpoint], None] | None) -> TrainedModel:
    started = time.perf_counter()
    _check(frame, schema, config, source_name)
    device = resolve_device(config.device)
    cls = synthesizer_class(config.synthesizer)
    settings = settings_from(cls.settings_class, config.settings)
    if resume is not None:
        resume.check_fits(dataset, schema, config)
    step = resume.step if resume is not None else 0
    torch.manual_seed(_init_seed(config.seed, step))
    rng = np.random.default_rng(_init_seed(config.seed, step))
    init = torch.Generator(device=device).manual_seed(_init_seed(config.seed, step))
    noise = _noise(config.seed, step)

    if resume is None:
        plan = plan_run(schema, config)
        accountant = PrivacyAccountant(config.epsilon, plan.delta, plan.domain_delta)
        releaser = Releaser(plan, accountant, noise)
        rows = count_rows(frame, releaser)
        _check_rows(plan, config, rows, accountant, source_name)
        pre = preprocess(frame, schema, plan, releaser, rows)
        for note in pre.notes:
            emit(on_event, LogMessage(note))
        if not pre.schema.learned:
            raise BudgetSpent(f"{source_name}: at this ε no column could be measured well enough to learn (see the "
                              "log); declare the columns' kinds with public bounds and categories, or raise ε.",
                              accountant.spent(), plan.delta)
        _log_encoder(pre, on_event)
        preprocessing_epsilon = accountant.spent()
        synthesizer = cls(pre.encoder, settings, plan.for_rows(rows).synthesizer)
        seconds_before = 0.0
        emit(on_event, LogMessage(
            f"About {rows:,.0f} rows (a noisy count). Preprocessing spent ε = {preprocessing_epsilon:.3f}; "
            f"{_plan_text(synthesizer)}, on {device.type}."))
    else:
        plan, rows = resume.plan, resume.rows
        pre = Preprocessed(rows, Schema.from_json(resume.run_schema, "checkpoint"), resume.encoder, [])
        accountant = PrivacyAccountant(config.epsilon, plan.delta, plan.domain_delta)
        accountant.load_state_dict(resume.accountant)
        preprocessing_epsilon = resume.preprocessing_epsilon
        recorded = accountant.spent()
        if not preprocessing_epsilon - 1e-9 <= recorded <= resume.epsilon_spent + 1e-9:
            raise DoppelInputError(f"Checkpoint of run {resume.run} is inconsistent (its privacy facts do not add "
                                   "up); train without --resume.")
        synthesizer = cls(pre.encoder, settings, plan.for_rows(rows).synthesizer)
        try:
            synthesizer.restore_training_state(resume.tensors, resume.synthesizer, accountant)
        except (KeyError, TypeError, ValueError) as exc:
            raise DoppelInputError(f"Checkpoint of run {resume.run} does not fit this model "
                                   f"({exc.__class__.__name__}); train without --resume.") from None
        seconds_before = resume.seconds
        emit(on_event, LogMessage(
            f"Resuming at step {resume.step} of {resume.steps} (ε = {resume.epsilon_spent:.3f} already spent and "
            f"recorded): the same DP encoder and plan ({_plan_text(synthesizer)}), on {device.type}."))

    typed = {c.name: c.values(frame[c.name]) for c in pre.schema.learned}
    data = torch.as_tensor(pre.encoder.transform(typed, rng), device=device)
    last_checkpoint = [-np.inf]

    def checkpoint(step: int, spent: float) -> None:
        """``step``: the synthesizer's progress (releases made of its plan); ``spent``: ε so far."""
        now = time.perf_counter()
        if on_checkpoint is None or now - last_checkpoint[0] < CHECKPOINT_SECONDS:
            return
        tensors, state = synthesizer.training_state()
        on_checkpoint(Checkpoint(
            run=run_id, dataset=dataset, schema=schema.declarations(), config=config.plan_json(),
            plan=plan, rows=rows, run_schema=pre.schema.public().to_json(), encoder=pre.encoder,
            accountant=accountant.state_dict(), preprocessing_epsilon=preprocessing_epsilon,
            synthesizer=state, step=step, steps=int(state["steps"]), epsilon_spent=spent,
            seconds=seconds_before + now - started, tensors=tensors))
        last_checkpoint[0] = time.perf_counter()

    context = FitContext(accountant=accountant, epsilon_target=config.epsilon, device=device, noise=noise, init=init,
                         rows=rows, one_way_sigma=plan.for_rows(rows).sigma_pre / MEASURE_WEIGHT, on_event=on_event, cancel=cancel, checkpoint=checkpoint,
                         seconds_before=seconds_before, started=started, seeded=config.seed is not None)
    try:
        synthesizer.fit(data, context)
    except (RuntimeError, ValueError, KeyError) as exc:
        if resume is None:
            raise
        raise DoppelInputError(f"Checkpoint of run {resume.run} does not fit this model "
                               f"({exc.__class__.__name__}); train without --resume.") from None
    assert accountant.spent() <= plan.bound + 1e-9, "the run made more than its plan"
    if not noise.private:
        emit(on_event, LogMessage("This run used a fixed --seed: anyone who knows it can recompute the noise, so "
                                  "it is NOT private. Leave --seed out for a real release."))
    curve = accountant.epsilon_curve(preprocessing_epsilon)
    if plan.bound > accountant.spent() + 5e-4:
        # the curve ends where the charge is, so the plot and the figure agree with the ε shown
        curve.append((curve[-1][0], plan.bound))
        emit(on_event, LogMessage(
            f"The releases this run made compose to ε = {accountant.spent():.3f}; it is charged ε = "
            f"{plan.bound:.3f}, its plan's bound over every table size (which size this table is stays private)."))
    summary = RunSummary(
        synthesizer=cls.name, epsilon_spent=plan.bound, epsilon_target=config.epsilon, delta=plan.delta,
        accountant="rdp", preprocessing_epsilon=preprocessing_epsilon, preprocessing_sigma=plan.for_rows(rows).sigma_pre,
        releases=[tuple(r.to_json()) for r in accountant.history],
        epsilon_curve=curve, rows_estimate=rows,
        facts=synthesizer.facts(), device=device.type, seconds=seconds_before + time.perf_counter() - started,
        rows_per_second=float(getattr(synthesizer, "rows_per_second", 0.0)))
    return TrainedModel(schema=pre.schema.public(), encoder=pre.encoder, synthesizer=synthesizer, summary=summary,
                        run_id=run_id, dataset=dataset)


def _plan_text(synthesizer: Synthesizer) -> str:
    facts = synthesizer.facts()
    if "noise_multiplier" in facts:
        return (f"training: {facts['steps_planned']} steps at q = {facts['sample_rate']:.4f}, "
                f"σ = {facts['noise_multiplier']:.3f}")
    return f"training: {synthesizer.name}"


def _log_encoder(pre: Preprocessed, on_event: EventCallback | None) -> None:
    """Tell the user which columns the DP preprocessing left empty, and what to do about it."""
    for column in pre.encoder.columns:
        warning = column.warning(pre.schema[column.name])
        if warning:
            emit(on_event, LogMessage(f"Column '{column.name}': {warning}"))
