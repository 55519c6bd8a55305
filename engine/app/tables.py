"""Opening a table: reading it, the schema proposed for it, and what the ledger knows of its dataset
(its key, the ε spent, its ceiling, lookalikes, whether a model came from it).

Light to import (no torch): the window opens a table with these, so the table appears before the
training stack has loaded. :mod:`.operations` re-exports them beside the heavy operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.io import LoadedTable, read_table
from engine.io.fingerprint import row_digests
from engine.privacy.ledger import Ledger, LedgerEntry, Lookalike
from engine.schema import Schema, infer_schema


def load_table(path: str | Path, sheet: str | int | None = None) -> LoadedTable:
    return read_table(path, sheet)


def dataset_key(table: LoadedTable, name: str | None = None, ledger: Ledger | None = None) -> str:
    """The key under which the ledger and checkpoints know this dataset: a keyed hash of its name
    when the user gave one, else of the parsed table (local, meaningless elsewhere)."""
    return (ledger or Ledger()).key(table.fingerprint, name)


def lookalikes(table: LoadedTable, name: str | None = None, ledger: Ledger | None = None) -> list[Lookalike]:
    """Datasets already in the ledger that this table looks like (same columns, maybe same rows)."""
    ledger = ledger or Ledger()
    return ledger.lookalikes(dataset_key(table, name, ledger), list(map(str, table.frame.columns)),
                             ledger.sketch(row_digests(table.frame)))


def lookalike_warning(found: list[Lookalike]) -> str | None:
    """One line warning that the table may be a dataset already in the ledger, or None."""
    if not found:
        return None
    best = found[0]
    return (f"This table looks like '{best.label}' in the ledger ({best.columns:.0%} of its columns, about "
            f"{best.rows:.0%} of its rows; ε = {best.epsilon:.2f} spent there). If it describes the same "
            "employees, train it under the same dataset name (--dataset, or the Privacy page) so its ε adds up.")


def schema_for(table: LoadedTable, schema_path: str | Path | None = None) -> Schema:
    """The user's schema file when given, else the inferred one. (Training checks that the schema
    fits the table's cells before it spends anything.)"""
    return infer_schema(table.frame) if schema_path is None else Schema.load(schema_path)


@dataclass(frozen=True)
class LedgerStatus:
    """What the ledger says about one table: ε spent by every run, and the user's ceiling."""

    total: float
    ceiling: float
    entries: list[LedgerEntry]
    warning: str | None = None      # the table looks like another dataset already in the ledger


def ledger_status(table: LoadedTable, name: str | None = None, ledger: Ledger | None = None) -> LedgerStatus:
    ledger = ledger or Ledger()
    key = dataset_key(table, name, ledger)
    return LedgerStatus(ledger.total(key), ledger.ceiling(key), ledger.entries(key),
                        lookalike_warning(lookalikes(table, name, ledger)))


def set_ceiling(table: LoadedTable, ceiling: float, name: str | None = None, ledger: Ledger | None = None) -> LedgerStatus:
    ledger = ledger or Ledger()
    ledger.set_ceiling(dataset_key(table, name, ledger), ceiling)
    return ledger_status(table, name, ledger)


def model_matches(model: Any, table: LoadedTable, name: str | None = None,
                  ledger: Ledger | None = None) -> bool:
    """Whether ``model`` was trained on ``table`` on this machine (its run is in this dataset's ledger)."""
    ledger = ledger or Ledger()
    key = dataset_key(table, name, ledger)
    if model.dataset:
        return model.dataset == key
    return bool(model.run_id) and ledger.run_entry(key, model.run_id) is not None
