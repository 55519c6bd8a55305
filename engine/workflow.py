"""The user's operations, one function each: what the CLI and the GUI both call.

Keeping the orchestration here (load, schema, ledger check, train, record, save, sample,
export) means the app and ``python -m engine`` cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from engine.bundle import TrainedModel, save_bundle
from engine.errors import DoppelInputError, TrainingCancelled
from engine.generation import Condition, sample
from engine.ledger import Ledger
from engine.schema import Schema, infer_schema
from engine.sources import LoadedTable, read_table, write_table
from engine.training import CancelToken, Event, TrainingConfig, train

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
    return path


def train_model(table: LoadedTable, schema: Schema, config: TrainingConfig, *, model_path: str | Path | None = None,
                ledger: Ledger | None = None, allow_over_ceiling: bool = False,
                on_event: Callable[[Event], None] | None = None, cancel: CancelToken | None = None) -> TrainedModel:
    """Train, record the ε spent in the table's ledger (also when cancelled), save if asked."""
    ledger = ledger or Ledger()
    if model_path is not None:
        check_output_path(model_path, (".doppel",))
    if not allow_over_ceiling and ledger.would_exceed(table.fingerprint, config.epsilon):
        raise DoppelInputError(
            f"{table.path.name} already has ε = {ledger.total(table.fingerprint):.2f} spent; another "
            f"ε = {config.epsilon:g} passes its ceiling of {ledger.ceiling(table.fingerprint):g}. "
            "Raise the ceiling deliberately or reuse an existing model.")
    try:
        model = train(table.frame, schema, config, source_name=table.path.name, fingerprint=table.fingerprint,
                      on_event=on_event, cancel=cancel)
    except TrainingCancelled as stop:
        ledger.record(table.fingerprint, stop.epsilon_spent, stop.delta, "cancelled run")
        raise
    label = Path(model_path).name if model_path is not None else "unsaved model"
    ledger.record(table.fingerprint, model.summary.epsilon_spent, model.summary.delta, label)
    if model_path is not None:
        save_bundle(model, model_path)
    return model


def export_sample(model: TrainedModel, rows: int, out: str | Path, where: list[str] | None = None,
                  seed: int | None = None) -> pd.DataFrame:
    """Sample rows and write them atomically; the file holds nothing but the synthetic rows."""
    out = check_output_path(out)
    frame = sample(model, rows, [Condition.parse(w) for w in where or []], seed=seed)
    write_table(frame, out)
    return frame
