"""The user's operations, one function each: what the CLI and the GUI both call.

Keeping the orchestration here (load, infer, plan, train, record, save, sample, export, report,
ledger) means the app and ``python -m engine`` cannot drift apart. Each check runs once, here.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from engine.app import holdout as kept_aside
from engine.app.tables import (LedgerStatus, dataset_key, ledger_status, load_table, lookalike_warning,  # noqa: F401
                               lookalikes, model_matches, schema_for, set_ceiling)
from engine.errors import BudgetSpent, DoppelInputError, TrainingCancelled
from engine.evaluation import EvaluationResult, evaluate
from engine.evaluation.html import write_html
from engine.generation import Condition, sample
from engine.io import WRITE_EXTENSIONS, LoadedTable, check_writable, write_table
from engine.io.fingerprint import row_digests
from engine.privacy.ledger import Ledger
from engine.run import CancelToken, EventCallback, LogMessage, RunConfig, emit
from engine.schema import ColumnSchema, Constraint, Schema
from engine.storage.bundle import load_bundle, save_bundle
from engine.storage.checkpoint import SUFFIX as CHECKPOINT_SUFFIX
from engine.storage.checkpoint import (Checkpoint, checkpoint_folder, claimed, latest_checkpoint, load_checkpoint,
                                       remove_checkpoint, save_checkpoint)
from engine.synthesizers.model import TrainedModel
from engine.training import train

MODEL_EXTENSIONS = (".doppel",)
REPORT_EXTENSIONS = (".html", ".htm")


def check_output_path(path: str | Path, allowed: tuple[str, ...] = WRITE_EXTENSIONS) -> Path:
    """Refuse a bad destination before spending any budget on what goes there."""
    path = Path(path)
    if path.suffix.lower() not in allowed:
        raise DoppelInputError(f"Output {path.name} must end in {', '.join(allowed)}.")
    if not path.parent.exists():
        raise DoppelInputError(f"Folder {path.parent} for {path.name} does not exist; create it or choose another.")
    check_writable(path)
    return path


# ---------------------------------------------------------------------------------------- training

def find_checkpoint(table: LoadedTable, name: str | None = None, ledger: Ledger | None = None) -> Path | None:
    """The newest checkpoint of an interrupted run on this dataset (what ``--resume`` continues)."""
    ledger = ledger or Ledger()
    return latest_checkpoint(ledger.path.parent, dataset_key(table, name, ledger))


def train_model(table: LoadedTable, schema: Schema, config: RunConfig, *, model_path: str | Path | None = None,
                dataset: str | None = None, ledger: Ledger | None = None, allow_over_ceiling: bool = False,
                on_event: EventCallback | None = None, cancel: CancelToken | None = None,
                resume: str | Path | None = None, train_on: pd.DataFrame | None = None) -> TrainedModel:
    """Train, record the ε spent in the table's ledger (also when cancelled or killed), save if asked.

    ``train_on`` trains on part of ``table`` (the rest kept aside for the report, see
    :mod:`engine.app.holdout`); the ledger counts ``table``, the whole dataset, all the same.

    Every checkpoint first updates the run's ledger entry in place, then is written beside the
    ledger, so a killed run's spend stays counted and ``resume`` (a checkpoint path) continues
    it under the same entry: its ε is never added twice.
    """
    ledger = ledger or Ledger()
    key = dataset_key(table, dataset, ledger)
    if model_path is not None:
        check_output_path(model_path, MODEL_EXTENSIONS)
    resumed = load_checkpoint(resume) if resume is not None else None   # training checks that it fits
    sketch = ledger.sketch(row_digests(table.frame))
    warning = lookalike_warning(ledger.lookalikes(key, list(map(str, table.frame.columns)), sketch))
    if warning:
        emit(on_event, LogMessage(warning))
    ledger.remember(key, table.path.name + (f" (dataset '{dataset}')" if dataset else ""),
                    list(map(str, table.frame.columns)), sketch)
    if resumed is None and find_checkpoint(table, dataset, ledger) is not None:
        emit(on_event, LogMessage(f"An interrupted run on {table.path.name} left a checkpoint; 'doppel train … "
                                  "--resume' (or Resume in the app) continues it without spending its ε again."))
    folder = checkpoint_folder(ledger.path.parent, key)
    run = resumed.run if resumed is not None else secrets.token_hex(8)
    with claimed(folder / f"{run}{CHECKPOINT_SUFFIX}"):
        if resumed is not None:
            run = _resumed_run(ledger, key, resumed, on_event)
        recorded = ledger.run_entry(key, run)    # a resumed run's spend so far is already counted
        more = config.epsilon - (recorded.epsilon if recorded is not None else 0.0)
        if not allow_over_ceiling and ledger.would_exceed(key, more):
            raise DoppelInputError(
                f"{table.path.name} already has ε = {ledger.total(key):.2f} spent; another "
                f"ε = {config.epsilon:g} passes its ceiling of {ledger.ceiling(key):g}. "
                "Raise the ceiling deliberately or reuse an existing model.")
        path = folder / f"{run}{CHECKPOINT_SUFFIX}"

        def keep(state: Checkpoint) -> None:
            # the ledger first: whatever a checkpoint on disk holds is already counted
            ledger.record(key, state.epsilon_spent, float(state.accountant["delta"]),
                          f"unfinished run (step {state.step} of {state.steps}; resumable)", run=run,
                          steps=state.step, resumable=True)
            try:
                save_checkpoint(state, path)
            except DoppelInputError as exc:
                emit(on_event, LogMessage(f"Checkpoint not saved ({exc}); training goes on, but a crash now could "
                                          "not be resumed."))

        def done() -> None:
            remove_checkpoint(path)
            if resume is not None and Path(resume).parent == folder:
                remove_checkpoint(Path(resume))

        try:
            model = train(table.frame if train_on is None else train_on, schema, config, source_name=table.path.name,
                          dataset=key, on_event=on_event, cancel=cancel, run_id=run, resume=resumed, on_checkpoint=keep)
        except TrainingCancelled as stop:
            ledger.record(key, stop.epsilon_spent, stop.delta, "cancelled run", run=run)
            done()
            raise
        except BudgetSpent as refusal:
            ledger.record(key, refusal.epsilon_spent, refusal.delta, "refused run (row count only)", run=run)
            done()
            raise
        label = Path(model_path).name if model_path is not None else "unsaved model"
        ledger.record(key, model.summary.epsilon_spent, model.summary.delta, label, run=run,
                      steps=int(model.summary.facts.get("steps", 0)))
        if model_path is not None:
            save_bundle(model, model_path)
        done()
    return model


def resume_settings(checkpoint: str | Path, schema: Schema, device: str = "auto") -> tuple[Schema, RunConfig]:
    """The schema and settings an interrupted run was started with, which resuming must repeat: its
    declared columns and plan choices from the checkpoint, its undeclared columns as ``schema`` has
    them (their local facts were never stored: the run decided them under DP)."""
    state = load_checkpoint(checkpoint)
    inferred = {c.name: c for c in schema.columns}
    columns = []
    for data in state.schema["columns"]:
        if data.get("declared", True):
            columns.append(ColumnSchema.from_json(data, "checkpoint"))
        elif data["name"] in inferred:
            columns.append(replace(inferred[data["name"]], declared=False))
        else:
            raise DoppelInputError(f"The checkpoint of run {state.run} has a column '{data['name']}' this table "
                                   "lacks; train without resuming.")
    constraints = [Constraint(c["left"], c["right"]) for c in state.schema.get("constraints", [])]
    return Schema(columns, constraints), RunConfig(**{**state.config, "device": device})


def _resumed_run(ledger: Ledger, key: str, resumed: Checkpoint, on_event: EventCallback | None) -> str:
    """The resumed run's own id when the checkpoint is its latest recorded state, else a new one.

    A checkpoint older than its run's ledger entry (the run went on or finished after it, e.g. a
    restored copy) would release a second continuation: that is charged as a new run.
    """
    entry = ledger.run_entry(key, resumed.run)
    if entry is None or (entry.resumable and entry.steps == resumed.step):
        return resumed.run
    emit(on_event, LogMessage(f"This checkpoint (step {resumed.step}) is older than its run's last record; "
                              "continuing it is a second release, charged as a new run."))
    return secrets.token_hex(8)


# ------------------------------------------------------------------------------- models and rows

def save_model(model: TrainedModel, path: str | Path) -> Path:
    """Write the model bundle atomically (refusing a bad destination first)."""
    return save_bundle(model, check_output_path(path, MODEL_EXTENSIONS))


def open_model(path: str | Path) -> TrainedModel:
    return load_bundle(path)


def sample_rows(model: TrainedModel, rows: int, where: Sequence[str] = (), seed: int | None = None,
                on_event: EventCallback | None = None) -> pd.DataFrame:
    """Synthetic rows in memory (post-processing: no ε)."""
    return sample(model, rows, [Condition.parse(w) for w in where], seed=seed, on_event=on_event)


def export_sample(model: TrainedModel, rows: int, out: str | Path, where: Sequence[str] = (),
                  seed: int | None = None, on_event: EventCallback | None = None) -> pd.DataFrame:
    """Sample rows and write them atomically; the file holds nothing but the synthetic rows."""
    out = check_output_path(out)
    return _write_sample(model, rows, out, where, seed, on_event)


def write_rows(frame: pd.DataFrame, out: str | Path) -> Path:
    """Write rows (e.g. the real rows kept aside for a report) atomically, the destination checked first."""
    out = check_output_path(out)
    write_table(frame, out)
    return out


def _write_sample(model: TrainedModel, rows: int, out: Path, where: Sequence[str], seed: int | None,
                  on_event: EventCallback | None = None) -> pd.DataFrame:
    frame = sample_rows(model, rows, where, seed, on_event)
    write_table(frame, out)
    return frame


def synthesize(table: LoadedTable, schema: Schema, config: RunConfig, rows: int, out: str | Path, *,
               where: Sequence[str] = (), sample_seed: int | None = None, **training: Any) -> tuple[TrainedModel,
                                                                                                    pd.DataFrame]:
    """Train and export in one go; the export path is checked before any ε is spent."""
    out = check_output_path(out)
    for condition in where:
        Condition.parse(condition)
    model = train_model(table, schema, config, **training)
    return model, _write_sample(model, rows, out, where, sample_seed, training.get("on_event"))


# ----------------------------------------------------------------------------------------- report

def report(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema, *, target: str | None = None,
           holdout: pd.DataFrame | None = None, model: TrainedModel | None = None, ledger_total: float | None = None,
           training_log: Sequence[Any] | None = None, seed: int = 0) -> EvaluationResult:
    """The quality and privacy measures (they read real rows: not private)."""
    return evaluate(real, synthetic, schema, target=target, holdout=holdout,
                    model_summary=model.summary if model is not None else None, ledger_total=ledger_total,
                    training_log=training_log, seed=seed)


def write_report(result: EvaluationResult, path: str | Path, sources: dict[str, str],
                 figs: dict[str, Any] | None = None) -> Path:
    """Write the report as one self-contained HTML file (atomically)."""
    return write_html(result, figs, check_output_path(path, REPORT_EXTENSIONS), sources=sources)


def report_files(real_path: str | Path, synthetic_path: str | Path, out: str | Path, *,
                 holdout_path: str | Path | None = None, model_path: str | Path | None = None,
                 schema_path: str | Path | None = None, target: str | None = None, seed: int = 0) -> EvaluationResult:
    """``doppel report``: measure a synthetic file against the real one and write the HTML report
    (the destination is checked before the tables are read).

    With a holdout, rows of it found in the real table are left out of the real side (``train
    --keep-aside`` writes the kept rows; the report then compares with the rows that trained)."""
    out = check_output_path(out, REPORT_EXTENSIONS)
    real = load_table(real_path)
    synthetic = load_table(synthetic_path)
    holdout = load_table(holdout_path).frame if holdout_path else None
    model = open_model(model_path) if model_path else None
    schema = schema_for(real, schema_path) if schema_path or model is None else model.schema
    rows, removed = (real.frame, 0) if holdout is None else kept_aside.without(real.frame, holdout)
    result = report(rows, synthetic.frame, schema, target=target, holdout=holdout, model=model,
                    ledger_total=ledger_status(real).total or None, seed=seed)
    if removed:
        result = replace(result, notes=result.notes + (f"The holdout's {removed:,} rows were found in "
                                                       f"{real.path.name} and left out of its real side.",))
    sources = {"real": real.path.name, "synthetic": synthetic.path.name}
    sources.update({"model": Path(model_path).name} if model_path else {})
    sources.update({"holdout": Path(holdout_path).name} if holdout_path else {})
    write_html(result, None, out, sources=sources)
    return result
