"""The generic DP run: plan → measure (DP preprocessing) → fit (the synthesizer), with checkpoints,
progress and the budget checked throughout.

The steps, whatever the synthesizer:

1. the accountant for the user's (ε, δ), and σ_pre for the encoder's declared releases, chosen
   from the schema alone before any row is read;
2. the encoder fitted from those DP releases (:mod:`engine.encoding`);
3. the synthesizer plans its own releases for the budget left, then fits, checking the budget
   before every release;
4. the final ε of everything recorded, the run summary and the trained model.

A run resumed from a :class:`~engine.storage.checkpoint.Checkpoint` continues the same plan (same
DP encoder, accountant and synthesizer plan) with fresh randomness, so no release is made or paid
twice.
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
from engine.encoding import TableEncoder, fit_encoder, release_weights, thresholded_columns
from engine.errors import DoppelInputError
from engine.privacy.accountant import DOMAIN_DELTA_SHARE, PrivacyAccountant, default_delta
from engine.run import CancelToken, EventCallback, LogMessage, RunConfig, RunSummary, emit
from engine.schema import Schema
from engine.storage.checkpoint import Checkpoint
from engine.synthesizers.base import FitContext, Synthesizer, settings_from
from engine.synthesizers.model import TrainedModel
from engine.synthesizers.registry import synthesizer_class

MIN_ROWS = 50
CHECKPOINT_SECONDS = 5.0   # after the first epoch, checkpoint at an epoch's end at most this often


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
    is set, and :class:`DoppelInputError` for tables or settings that cannot be trained.
    """
    with warnings.catch_warnings():
        # Opacus's ghost clipping fires a full backward hook on inputs that need no gradient
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        return _train(frame, schema, config, source_name, dataset, on_event, cancel, run_id, resume, on_checkpoint)


def _run_seed(seed: int | None, step: int) -> int:
    """The run's seed; a seeded run resumed at ``step`` gets a stream derived from (seed, step).

    Nothing of the random state is ever read back from a checkpoint (see ``engine/storage/checkpoint``).
    """
    if seed is None:
        return secrets.randbits(62)
    if step == 0:
        return seed
    return int(np.random.SeedSequence([seed & (2**64 - 1), step]).generate_state(1, np.uint64)[0] >> 2)


def _check(frame: pd.DataFrame, schema: Schema, config: RunConfig, source_name: str) -> None:
    schema.check_matches(frame, source_name)
    if len(frame) < MIN_ROWS:
        raise DoppelInputError(f"{source_name} has {len(frame)} rows; DP training needs at least {MIN_ROWS} rows "
                               "(at any ε); add rows or train on a larger table.")
    if not schema.learned:
        raise DoppelInputError(f"{source_name}: no column has role 'learn'; set at least one column to learn.")
    if config.epochs < 1:
        raise DoppelInputError(f"--epochs must be at least 1, got {config.epochs}.")


def _train(frame: pd.DataFrame, schema: Schema, config: RunConfig, source_name: str, dataset: str,
           on_event: EventCallback | None, cancel: CancelToken | None, run_id: str, resume: Checkpoint | None,
           on_checkpoint: Callable[[Checkpoint], None] | None) -> TrainedModel:
    started = time.perf_counter()
    _check(frame, schema, config, source_name)
    n = len(frame)
    device = resolve_device(config.device)
    cls = synthesizer_class(config.synthesizer)
    settings = settings_from(cls.settings_class, config.settings)
    if resume is not None:
        resume.check_fits(dataset, schema, config, n)
    seed = _run_seed(config.seed, resume.step if resume is not None else 0)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    noise = torch.Generator(device=device).manual_seed(seed + 1)
    init = torch.Generator(device=device).manual_seed(seed + 2)
    typed = {c.name: c.values(frame[c.name]) for c in schema.learned}

    if resume is None:
        delta = config.delta if config.delta is not None else default_delta(n)
        accountant = PrivacyAccountant(config.epsilon, delta,
                                       DOMAIN_DELTA_SHARE * delta if thresholded_columns(schema) else 0.0)
        sigma_pre = accountant.preprocessing_sigma(sum(w * w for w in release_weights(schema)),
                                                   config.preprocessing_fraction)
        encoder = fit_encoder(schema, typed, accountant, sigma_pre, rng)
        preprocessing_epsilon = accountant.spent()
        _log_encoder(encoder, schema, on_event)
        synthesizer = cls(encoder, settings)
        synthesizer.plan(n, config.epochs, accountant)
        seconds_before = 0.0
        emit(on_event, LogMessage(f"Preprocessing spent ε = {preprocessing_epsilon:.3f} (σ = {sigma_pre:.1f}); "
                                  f"{_plan_text(synthesizer)}, on {device.type}."))
    else:
        encoder, sigma_pre, preprocessing_epsilon = resume.encoder, resume.preprocessing_sigma, resume.preprocessing_epsilon
        accountant = PrivacyAccountant(config.epsilon, float(resume.accountant["delta"]))
        accountant.load_state_dict(resume.accountant)
        if not np.isclose(accountant.spent(), preprocessing_epsilon, rtol=1e-9):
            raise DoppelInputError(f"Checkpoint of run {resume.run} is inconsistent (its privacy facts do not add "
                                   "up); train without --resume.")
        synthesizer = cls(encoder, settings)
        try:
            synthesizer.restore_training_state(resume.tensors, resume.synthesizer, accountant)
        except (KeyError, TypeError, ValueError) as exc:
            raise DoppelInputError(f"Checkpoint of run {resume.run} does not fit this model "
                                   f"({exc.__class__.__name__}); train without --resume.") from None
        seconds_before = resume.seconds
        emit(on_event, LogMessage(
            f"Resuming at step {resume.step} of {resume.steps} (ε = {resume.epsilon_spent:.3f} already spent and "
            f"recorded): the same DP encoder and plan ({_plan_text(synthesizer)}), on {device.type}."))

    data = torch.as_tensor(encoder.transform(typed, rng), device=device)
    last_checkpoint = [-np.inf]

    def checkpoint(step: int) -> None:
        now = time.perf_counter()
        if on_checkpoint is None or now - last_checkpoint[0] < CHECKPOINT_SECONDS:
            return
        tensors, state = synthesizer.training_state()
        on_checkpoint(Checkpoint(
            run=run_id, dataset=dataset, schema=schema.public().to_json(), config=config.plan_json(), encoder=encoder,
            rows=n, accountant=accountant.state_dict(), preprocessing_epsilon=preprocessing_epsilon,
            preprocessing_sigma=sigma_pre, synthesizer=state, step=step, steps=int(state["steps"]),
            epsilon_spent=accountant.epsilon_after(step), seconds=seconds_before + now - started, tensors=tensors))
        last_checkpoint[0] = time.perf_counter()

    context = FitContext(accountant=accountant, epsilon_target=config.epsilon, device=device, noise=noise, init=init,
                         on_event=on_event, cancel=cancel, checkpoint=checkpoint, seconds_before=seconds_before,
                         started=started)
    try:
        synthesizer.fit(data, context)
    except (RuntimeError, ValueError, KeyError) as exc:
        if resume is None:
            raise
        raise DoppelInputError(f"Checkpoint of run {resume.run} does not fit this model "
                               f"({exc.__class__.__name__}); train without --resume.") from None
    epsilon, accountant_name = accountant.final_epsilon()
    summary = RunSummary(
        synthesizer=cls.name, epsilon_spent=epsilon, epsilon_target=config.epsilon, delta=accountant.delta,
        accountant=accountant_name, preprocessing_epsilon=preprocessing_epsilon, preprocessing_sigma=sigma_pre,
        releases=list(accountant.history), epsilon_curve=accountant.epsilon_curve(), facts=synthesizer.facts(),
        device=device.type, seconds=seconds_before + time.perf_counter() - started,
        rows_per_second=float(getattr(synthesizer, "rows_per_second", 0.0)))
    return TrainedModel(schema=schema.public(), encoder=encoder, synthesizer=synthesizer, summary=summary,
                        run_id=run_id, dataset=dataset)


def _plan_text(synthesizer: Synthesizer) -> str:
    facts = synthesizer.facts()
    if "noise_multiplier" in facts:
        return (f"training: {facts['steps_planned']} steps at q = {facts['sample_rate']:.4f}, "
                f"σ = {facts['noise_multiplier']:.3f}")
    return f"training: {synthesizer.name}"


def _log_encoder(encoder: TableEncoder, schema: Schema, on_event: EventCallback | None) -> None:
    """Tell the user which columns the DP preprocessing left empty, and what to do about it."""
    for column in encoder.columns:
        warning = column.warning(schema[column.name])
        if warning:
            emit(on_event, LogMessage(f"Column '{column.name}': {warning}"))
