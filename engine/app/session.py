"""The state the desktop window shows, without Qt: the table, the schema being edited, the run
choices, the model, its report. The window holds one :class:`Session`, runs the slow calls of this
module (:func:`open_table`, :func:`open_model`, :func:`run_training`) and of
:mod:`engine.app.operations` in worker threads, and hands their results to the session on the GUI
thread; what each step may show or do is decided here, not in the widgets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from engine.app import presenters
from engine.errors import DoppelInputError, TrainingCancelled
from engine.io import LoadedTable
from engine.run import CancelToken, EventCallback, Progress, RunConfig
from engine.schema import Schema


@dataclass(frozen=True)
class Step:
    """One step of the window: ``name`` keys its page, icon and :meth:`Session.available`."""

    name: str
    label: str


#: The window's steps, in order: the one list the step bar, the pages and their titles follow.
STEPS: tuple[Step, ...] = (Step("data", "Data"), Step("columns", "Columns"), Step("privacy", "Privacy"),
                           Step("train", "Train"), Step("report", "Report"), Step("export", "Export"))


# ------------------------------------------------------------------------- work done in a worker

@dataclass(frozen=True)
class OpenedTable:
    """Everything loading a table produces (computed off the GUI thread by :func:`open_table`)."""

    table: LoadedTable
    schema: Schema
    summary: presenters.TableSummary
    ledger: Any                 # operations.LedgerStatus
    checkpoint: Path | None     # an interrupted run's checkpoint on this table
    default_delta: float        # δ a run on this table gets unless the user sets one
    model: Any = None           # the model the match below was checked for
    model_matches: bool = False


def open_table(path: str | Path, sheet: str | None = None, model: Any = None) -> OpenedTable:
    """Read a table, infer its schema, look up its ledger and any interrupted run, and whether
    ``model`` (the window's current one) was trained on it (slow: call it in a worker)."""
    from engine.app import operations

    table = operations.load_table(path, sheet)
    return OpenedTable(table, operations.schema_for(table), presenters.summarize(table),
                       operations.ledger_status(table), operations.find_checkpoint(table),
                       presenters.default_delta(len(table.frame)), model,
                       model is not None and operations.model_matches(model, table))


@dataclass(frozen=True)
class OpenedModel:
    """A model bundle read from disk, whether the loaded table is its source, and then a synthetic
    sample for the Report page (computed off the GUI thread by :func:`open_model`)."""

    model: Any                  # TrainedModel
    matches_table: bool
    report_frame: pd.DataFrame | None


def open_model(path: str | Path, table: LoadedTable | None) -> OpenedModel:
    from engine.app import operations

    model = operations.open_model(path)
    matches = table is not None and operations.model_matches(model, table)
    frame = presenters.report_sample(model, len(table.frame)) if matches else None
    return OpenedModel(model, matches, frame)


@dataclass(frozen=True)
class RunRequest:
    """What one run trains on, frozen when Start is pressed (later edits do not reach the run)."""

    table: LoadedTable
    schema: Schema
    config: RunConfig


@dataclass(frozen=True)
class FinishedRun:
    """How a run ended. A cancelled run's ε is in the ledger too; ``ledger`` is read afterwards."""

    outcome: str                # "finished", "cancelled" or "failed"
    message: str
    ledger: Any                 # operations.LedgerStatus after the run
    model: Any = None           # TrainedModel when finished
    report_frame: pd.DataFrame | None = None


def run_training(request: RunRequest, on_event: EventCallback | None = None,
                 cancel: CancelToken | None = None) -> FinishedRun:
    """Train, record the ε spent, draw the Report page's sample, and read the ledger back (slow:
    call it in a worker; ``on_event`` is called in that thread)."""
    from engine.app import operations

    table = request.table
    try:
        model = operations.train_model(table, request.schema, request.config, on_event=on_event, cancel=cancel)
    except TrainingCancelled as stop:
        return FinishedRun("cancelled", str(stop), operations.ledger_status(table))
    except DoppelInputError as error:
        return FinishedRun("failed", str(error), operations.ledger_status(table))
    s = model.summary
    return FinishedRun("finished", f"Finished: ε = {s.epsilon_spent:.4f} (δ = {s.delta:.1e}, {s.accountant}), "
                                   f"{s.facts.get('steps', 0)} steps.",
                       operations.ledger_status(table), model, presenters.report_sample(model, len(table.frame)))


# ---------------------------------------------------------------------------------------- state

@dataclass
class RunChoices:
    """What the Privacy and Train pages let the user choose for the next run (RunConfig's defaults)."""

    epsilon: float = presenters.DEFAULT_EPSILON
    delta_text: str = ""                  # as typed; empty = the table's default δ
    preprocessing_fraction: float = RunConfig.preprocessing_fraction
    epochs: int = RunConfig.epochs
    device: str = RunConfig.device

    def config(self) -> RunConfig:
        """The run's config (raises DoppelInputError for a δ that is not a number)."""
        text = self.delta_text.strip()
        try:
            delta = float(text) if text else None
        except ValueError:
            raise DoppelInputError(f"δ {text!r} is not a number; leave it empty for the default.") from None
        return RunConfig(epsilon=self.epsilon, delta=delta, epochs=self.epochs,
                         preprocessing_fraction=self.preprocessing_fraction, device=self.device)


@dataclass
class Session:
    """What the window shows. The GUI thread alone changes it, with results computed in workers."""

    table: LoadedTable | None = None
    summary: presenters.TableSummary | None = None
    default_delta: float | None = None
    inferred: dict | None = None          # the schema as inferred, for "reset"
    schema: Schema | None = None          # the schema being edited
    schema_error: str | None = None
    ledger: Any = None                    # operations.LedgerStatus of the table
    checkpoint: Path | None = None
    choices: RunChoices = field(default_factory=RunChoices)
    run: RunConfig | None = None          # the run in progress
    progress: list[Progress] = field(default_factory=list)    # the current (or last) run's Progress events
    live_epsilon: float | None = None
    model: Any = None                     # the current TrainedModel
    model_matches_table: bool = False     # the model was trained on the loaded table
    report_frame: pd.DataFrame | None = None   # synthetic rows for the Report page
    report: presenters.QualityReport | None = None

    # ------------------------------------------------------------------ table and schema
    def set_table(self, opened: OpenedTable) -> None:
        self.table, self.summary, self.ledger, self.checkpoint = (opened.table, opened.summary, opened.ledger,
                                                                  opened.checkpoint)
        self.default_delta = opened.default_delta
        self.inferred = opened.schema.to_json()
        if self.model is not None:
            matches = opened.model is self.model and opened.model_matches
            if not matches:
                self.report_frame, self.report = None, None
            self.model_matches_table = matches
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

    # ------------------------------------------------------------------ steps and readout
    def can_train(self) -> bool:
        return self.table is not None and self.schema is not None and self.schema_error is None

    def available(self, step: str) -> bool:
        """Whether the window's ``step`` (a name in :data:`STEPS`) can be opened now."""
        needs = {"data": True, "columns": self.table is not None, "privacy": self.table is not None,
                 "train": self.table is not None, "report": self.model is not None,
                 "export": self.model is not None}
        return needs[step]

    def readout(self) -> str:
        """The persistent ε line at the top of the window."""
        parts = []
        if self.run is not None and self.live_epsilon is not None:
            parts.append(f"ε spent: {self.live_epsilon:.2f} of {self.run.epsilon:g} (training)")
        elif self.model is not None:
            parts.append(f"ε spent: {self.model.summary.epsilon_spent:.2f} (this model)")
        else:
            parts.append(f"ε planned: {self.choices.epsilon:g}")
        if self.ledger is not None:
            parts.append(f"table total {self.ledger.total:.2f} / ceiling {self.ledger.ceiling:g}")
        return "   ·   ".join(parts)

    def ceiling_warning(self) -> str:
        """What the Privacy page warns about: the chosen ε would take the table past its ceiling."""
        if self.ledger is None:
            return ""
        after = self.ledger.total + self.choices.epsilon
        if after > self.ledger.ceiling + 1e-12:
            return (f"A run at ε = {self.choices.epsilon:g} would take this table to ε = {after:.2f}, past its "
                    f"ceiling of {self.ledger.ceiling:g}.")
        return ""

    def ledger_total(self) -> float | None:
        return self.ledger.total if self.ledger is not None else None

    # ------------------------------------------------------------------ training and model
    def start_run(self) -> RunRequest:
        """Freeze the next run: the table, a copy of the schema and the config from the choices.

        Raises DoppelInputError when there is nothing to train or a choice is not valid.
        """
        if self.table is None or self.schema is None:
            raise DoppelInputError("Open a table first.")
        if self.schema_error:
            raise DoppelInputError(self.schema_error)
        request = RunRequest(self.table, copy.deepcopy(self.schema), self.choices.config())
        self.run, self.live_epsilon, self.progress = request.config, 0.0, []
        return request

    def add_progress(self, event: Progress) -> None:
        self.live_epsilon = event.epsilon_spent
        self.progress.append(event)

    def finish_run(self, finished: FinishedRun | None) -> None:
        """The run ended (``None``: it failed without a result, e.g. a bug); its model becomes the
        window's model when it finished."""
        self.run, self.live_epsilon = None, None
        if finished is None:
            return
        self.ledger = finished.ledger
        if finished.model is not None:
            self.model, self.report_frame, self.report = finished.model, finished.report_frame, None
            self.model_matches_table = True

    def set_opened_model(self, opened: OpenedModel) -> None:
        self.model, self.report_frame, self.report = opened.model, opened.report_frame, None
        self.model_matches_table = opened.matches_table
        self.progress = []

    def report_ready(self) -> bool:
        """A report needs the model, a synthetic sample and the very table the model was trained on."""
        return self.model is not None and self.report_frame is not None and self.model_matches_table
