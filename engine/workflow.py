"""The user's operations, one function each: what the CLI and the GUI both call.

Keeping the orchestration here (load, schema, ledger check, train, record, save, sample,
export) means the app and ``python -m engine`` cannot drift apart.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Callable

import pandas as pd

from engine.bundle import TrainedModel, save_bundle
from engine.checkpoint import SUFFIX as CHECKPOINT_SUFFIX
from engine.checkpoint import (Checkpoint, checkpoint_folder, claimed, latest_checkpoint, load_checkpoint,
                               remove_checkpoint, save_checkpoint)
from engine.errors import DoppelInputError, TrainingCancelled
from engine.generation import Condition, sample
from engine.ledger import Ledger
from engine.schema import Schema, infer_schema
from engine.sources import LoadedTable, check_writable, read_table, write_table
from engine.training import CancelToken, Event, LogMessage, TrainingConfig, train

OUTPUT_EXTENSIONS = (".csv", ".xlsx", ".parquet")


def load_table(path: str | Path, sheet: str | int | None = None) -> LoadedTable:
    return read_table(path, sheet)


def schema_for(table: LoadedTable, schema_path: str | Path | None = None) -> Schema:
    """The user's schema file when given (checked against the table), else the inferred one."""
    if schema_path is None:
        return infer_schema(table.frame)
    schema = Schema.load(schema_path)
    schema.check_matches(table.frame, table.path.name)
    return schema


def check_output_path(path: str | Path, allowed: tuple[str, ...] = OUTPUT_EXTENSIONS) -> Path:
    """Refuse a bad destination before spending any budget on training."""
    path = Path(path)
    if path.suffix.lower() not in allowed:
        raise DoppelInputError(f"Output {path.name} must end in {', '.join(allowed)}.")
    if not path.parent.exists():
        raise DoppelInputError(f"Folder {path.parent} for {path.name} does not exist; create it or choose another.")
    check_writable(path)
    return path


def find_checkpoint(table: LoadedTable, ledger: Ledger | None = None) -> Path | None:
    """The newest checkpoint of an interrupted run on this table (what ``--resume`` continues)."""
    return latest_checkpoint((ledger or Ledger()).path.parent, table.fingerprint)


def train_model(table: LoadedTable, schema: Schema, config: TrainingConfig, *, model_path: str | Path | None = None,
                ledger: Ledger | None = None, allow_over_ceiling: bool = False,
                on_event: Callable[[Event], None] | None = None, cancel: CancelToken | None = None,
                resume: str | Path | None = None) -> TrainedModel:
    """Train, record the ε spent in the table's ledger (also when cancelled or killed), save if asked.

    Every checkpoint first updates the run's ledger entry in place, then is written beside the
    ledger, so a killed run's spend stays counted and ``resume`` (a checkpoint path) continues
    it under the same entry: its ε is never added twice.
    """
    ledger = ledger or Ledger()
    fingerprint = table.fingerprint
    if model_path is not None:
        check_output_path(model_path, (".doppel",))
    resumed = load_checkpoint(resume) if resume is not None else None
    if resumed is not None:
        resumed.check_fits(fingerprint, schema, config, len(table.frame))
    elif find_checkpoint(table, ledger) is not None and on_event is not None:
        on_event(LogMessage(f"An interrupted run on {table.path.name} left a checkpoint; 'doppel train … --resume' "
                            "continues it without spending its ε again."))
    folder = checkpoint_folder(ledger.path.parent, fingerprint)
    run = resumed.run if resumed is not None else secrets.token_hex(8)
    with claimed(folder / f"{run}{CHECKPOINT_SUFFIX}"):
        if resumed is not None:
            run = _resumed_run(ledger, fingerprint, resumed, on_event)
        recorded = ledger.run_entry(fingerprint, run)    # a resumed run's spend so far is already counted
        more = config.epsilon - (recorded.epsilon if recorded is not None else 0.0)
        if not allow_over_ceiling and ledger.would_exceed(fingerprint, more):
            raise DoppelInputError(
                f"{table.path.name} already has ε = {ledger.total(fingerprint):.2f} spent; another "
                f"ε = {config.epsilon:g} passes its ceiling of {ledger.ceiling(fingerprint):g}. "
                "Raise the ceiling deliberately or reuse an existing model.")
        path = folder / f"{run}{CHECKPOINT_SUFFIX}"

        def keep(state: Checkpoint) -> None:
            # the ledger first: whatever a checkpoint on disk holds is already counted
            ledger.record(fingerprint, state.epsilon_spent, state.delta,
                          f"unfinished run (step {state.step} of {state.steps}; resumable)", run=run,
                          steps=state.step, resumable=True)
            try:
                save_checkpoint(state, path)
            except DoppelInputError as exc:
                if on_event is not None:
                    on_event(LogMessage(f"Checkpoint not saved ({exc}); training goes on, but a crash now could "
                                        "not be resumed."))

        def done() -> None:
            remove_checkpoint(path)
            if resume is not None and Path(resume).parent == folder:
                remove_checkpoint(Path(resume))

        try:
            model = train(table.frame, schema, config, source_name=table.path.name, fingerprint=fingerprint,
                          on_event=on_event, cancel=cancel, run_id=run, resume=resumed, on_checkpoint=keep)
        except TrainingCancelled as stop:
            ledger.record(fingerprint, stop.epsilon_spent, stop.delta, "cancelled run", run=run)
            done()
            raise
        label = Path(model_path).name if model_path is not None else "unsaved model"
        ledger.record(fingerprint, model.summary.epsilon_spent, model.summary.delta, label, run=run,
                      steps=model.summary.steps)
        if model_path is not None:
            save_bundle(model, model_path)
        done()
    return model


def _resumed_run(ledger: Ledger, fingerprint: str, resumed: Checkpoint,
                 on_event: Callable[[Event], None] | None) -> str:
    """The resumed run's own id when the checkpoint is its latest recorded state, else a new one.

    A checkpoint older than its run's ledger entry (the run went on or finished after it, e.g. a
    restored copy) would release a second continuation: that is charged as a new run.
    """
    entry = ledger.run_entry(fingerprint, resumed.run)
    if entry is None or (entry.resumable and entry.steps == resumed.step):
        return resumed.run
    if on_event is not None:
        on_event(LogMessage(f"This checkpoint (step {resumed.step}) is older than its run's last record; "
                            "continuing it is a second release, charged as a new run."))
    return secrets.token_hex(8)


def export_sample(model: TrainedModel, rows: int, out: str | Path, where: list[str] | None = None,
                  seed: int | None = None) -> pd.DataFrame:
    """Sample rows and write them atomically; the file holds nothing but the synthetic rows."""
    out = check_output_path(out)
    frame = sample(model, rows, [Condition.parse(w) for w in where or []], seed=seed)
    write_table(frame, out)
    return frame
