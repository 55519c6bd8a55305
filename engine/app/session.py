"""The state the desktop window shows, without Qt: the table, the schema being edited, the model,
its report. The window holds one :class:`Session`, runs the slow calls of this module and of
:mod:`engine.app.operations` in worker threads, and hands their results to the session on the
GUI thread; what each step may show or do is decided here, not in the widgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from engine.app import presenters
from engine.errors import DoppelInputError
from engine.io import LoadedTable
from engine.schema import Schema

#: The window's steps, in order; the GUI gives each a page, a label and an icon.
STEPS = ("data", "columns", "privacy", "train", "report", "export")


@dataclass(frozen=True)
class OpenedTable:
    """Everything loading a table produces (computed off the GUI thread by :func:`open_table`)."""

    table: LoadedTable
    schema: Schema
    summary: presenters.TableSummary
    ledger: Any                 # operations.LedgerStatus
    checkpoint: Path | None     # an interrupted run's checkpoint on this table


def open_table(path: str | Path, sheet: str | None = None) -> OpenedTable:
    """Read a table, infer its schema, look up its ledger and any interrupted run (slow: call it
    in a worker)."""
    from engine.app import operations

    table = operations.load_table(path, sheet)
    return OpenedTable(table, operations.schema_for(table), presenters.summarize(table),
                       operations.ledger_status(table), operations.find_checkpoint(table))


@dataclass
class Session:
    table: LoadedTable | None = None
    summary: presenters.TableSummary | None = None
    inferred: dict | None = None          # the schema as inferred, for "reset"
    schema: Schema | None = None          # the schema being edited
    schema_error: str | None = None
    ledger: Any = None                    # operations.LedgerStatus of the table
    checkpoint: Path | None = None
    model: Any = None                     # the current TrainedModel
    model_matches_table: bool = False     # the model was trained on the loaded table
    report_frame: pd.DataFrame | None = None   # synthetic rows for the Report page
    report: presenters.QualityReport | None = None
    progress: list = field(default_factory=list)    # the current run's Progress events
    live_epsilon: float | None = None

    # ------------------------------------------------------------------ table and schema
    def set_table(self, opened: OpenedTable) -> None:
        self.table, self.summary, self.ledger, self.checkpoint = (opened.table, opened.summary, opened.ledger,
                                                                  opened.checkpoint)
        self.inferred = opened.schema.to_json()
        if self.model is not None and not self._matches(self.model):
            self.model_matches_table, self.report_frame, self.report = False, None, None
        self.set_schema(opened.schema)

    def set_schema(self, schema: Schema) -> None:
        """Take an edited (or loaded) schema and check it as the engine would read it back."""
        self.schema = schema
        try:
            presenters.validate_schema(schema)
        except DoppelInputError as error:
            self.schema_error = str(error)
        else:
            self.schema_error = None

    def load_schema(self, path: str | Path) -> None:
        """A schema file saved earlier, checked against the loaded table (raises DoppelInputError)."""
        assert self.table is not None
        schema = Schema.load(path)
        schema.check_matches(self.table.frame, self.table.path.name)
        self.set_schema(schema)

    def reset_schema(self) -> None:
        if self.inferred is not None:
            self.set_schema(Schema.from_json(self.inferred, "inferred schema"))

    def schema_status(self) -> tuple[str, bool]:
        """One line for the Columns page, and whether the schema can be trained."""
        if self.schema is None:
            return "", True
        if self.schema_error:
            return self.schema_error, False
        learned, out = len(self.schema.learned), len(self.schema.output)
        return (f"{learned} columns learned, {out} in the output, {len(self.schema.columns) - out} excluded.", True)

    # ------------------------------------------------------------------ steps
    def can_train(self) -> bool:
        return self.table is not None and self.schema is not None and self.schema_error is None

    def available(self, step: str) -> bool:
        """Whether the window's ``step`` (one of :data:`STEPS`) can be opened now."""
        needs = {"data": True, "columns": self.table is not None, "privacy": self.table is not None,
                 "train": self.table is not None, "report": self.model is not None,
                 "export": self.model is not None}
        return needs[step]

    def readout(self, epsilon_planned: float, training: bool) -> str:
        """The persistent ε line at the top of the window."""
        parts = []
        if training and self.live_epsilon is not None:
            parts.append(f"ε spent: {self.live_epsilon:.2f} of {epsilon_planned:g} (training)")
        elif self.model is not None:
            parts.append(f"ε spent: {self.model.summary.epsilon_spent:.2f} (this model)")
        else:
            parts.append(f"ε planned: {epsilon_planned:g}")
        if self.ledger is not None:
            parts.append(f"table total {self.ledger.total:.2f} / ceiling {self.ledger.ceiling:g}")
        return "   ·   ".join(parts)

    # ------------------------------------------------------------------ training and model
    def start_run(self) -> None:
        self.live_epsilon, self.progress = 0.0, []

    def add_progress(self, event: Any) -> None:
        self.live_epsilon = event.epsilon_spent
        self.progress.append(event)

    def set_model(self, model: Any, report_frame: pd.DataFrame | None = None, trained_here: bool = False) -> None:
        self.model, self.report_frame, self.report = model, report_frame, None
        self.model_matches_table = trained_here or (self.table is not None and self._matches(model))
        if not trained_here:
            self.progress = []

    def _matches(self, model: Any) -> bool:
        from engine.app import operations

        return self.table is not None and operations.model_matches(model, self.table)

    def report_ready(self) -> bool:
        """A report needs the model, a synthetic sample and the very table the model was trained on."""
        return self.model is not None and self.report_frame is not None and self.model_matches_table

    def ledger_total(self) -> float | None:
        return self.ledger.total if self.ledger is not None else None
