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

from engine.app import declaring, holdout, presenters, tables
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
    ledger: tables.LedgerStatus
    default_delta: float        # δ a run on this table gets unless the user sets one
    split: holdout.ReportSplit  # the rows a run trains on, and those kept aside for the report
    model: Any = None           # the model the match below was checked for
    model_matches: bool = False


def open_table(path: str | Path, sheet: str | None = None, model: Any = None, dataset: str = "") -> OpenedTable:
    """Read a table, infer its schema, look up its ledger (under the dataset name, if one is given),
    draw the rows kept aside for the report, and check whether ``model`` (the window's current one)
    was trained on it (slow: call it in a worker). The training stack is not loaded for this: an
    interrupted run's checkpoint is looked up afterwards (:func:`read_ledger`)."""
    table = tables.load_table(path, sheet)
    name = dataset or None
    return OpenedTable(table, tables.schema_for(table), presenters.summarize(table), tables.ledger_status(table, name),
                       presenters.default_delta(len(table.frame)), holdout.keep_aside(table.frame), model,
                       model is not None and tables.model_matches(model, table, name))


@dataclass(frozen=True)
class LedgerView:
    """The ledger's answer for a table under a dataset name: its status and any interrupted run."""

    status: tables.LedgerStatus
    checkpoint: Path | None


def read_ledger(table: LoadedTable, dataset: str = "") -> LedgerView:
    """The table's ledger under ``dataset`` (its name in the ledger; empty: the table itself) and
    any interrupted run's checkpoint (loads the training stack: call it in a worker)."""
    from engine.app import operations

    name = dataset or None
    return LedgerView(tables.ledger_status(table, name), operations.find_checkpoint(table, name))


@dataclass(frozen=True)
class OpenedModel:
    """A model bundle read from disk, whether the loaded table is its source, and then a synthetic
    sample for the Report page (computed off the GUI thread by :func:`open_model`)."""

    model: Any                  # TrainedModel
    matches_table: bool
    report_frame: pd.DataFrame | None


def open_model(path: str | Path, table: LoadedTable | None, dataset: str = "") -> OpenedModel:
    from engine.app import operations

    model = operations.open_model(path)
    matches = table is not None and tables.model_matches(model, table, dataset or None)
    frame = presenters.report_sample(model, len(table.frame)) if matches else None
    return OpenedModel(model, matches, frame)


@dataclass(frozen=True)
class RunRequest:
    """What one run trains on, frozen when Start is pressed (later edits do not reach the run)."""

    table: LoadedTable
    schema: Schema
    config: RunConfig
    rows: pd.DataFrame          # the rows it trains on (the table without those kept aside)
    holdout: pd.DataFrame | None = None   # the rows kept aside for the report
    dataset: str = ""           # the dataset's name in the ledger (empty: the table itself)
    resume: Path | None = None  # an interrupted run's checkpoint to continue


@dataclass(frozen=True)
class ForecastRequest:
    """A forecast to compute: the training rows, a copy of the schema, the run's settings."""

    rows: pd.DataFrame
    schema: Schema
    config: RunConfig
    generation: int


def compute_forecast(request: ForecastRequest) -> Any:
    """The forecast (:class:`engine.app.forecast.Forecast`), or the one-line reason there is none
    (slow the first time: call it in a worker)."""
    from engine.app.forecast import forecast

    try:
        return forecast(request.rows, request.schema, request.config)
    except DoppelInputError as error:
        return str(error)


@dataclass(frozen=True)
class RunPlanned:
    """Sent first by :func:`run_training`: the run's settings (a resumed run's come from its
    checkpoint) and the ε its preprocessing spends, where its ε curve starts."""

    config: RunConfig
    preprocessing_epsilon: float


@dataclass(frozen=True)
class FinishedRun:
    """How a run ended. A cancelled run's ε is in the ledger too; ``ledger`` is read afterwards."""

    outcome: str                # "finished", "cancelled" or "failed"
    message: str
    ledger: tables.LedgerStatus   # after the run
    model: Any = None           # TrainedModel when finished
    report_frame: pd.DataFrame | None = None
    checkpoint: Path | None = None        # a checkpoint left to resume (a cancelled run leaves none)


def run_training(request: RunRequest, on_event: EventCallback | None = None,
                 cancel: CancelToken | None = None) -> FinishedRun:
    """Plan, train, record the ε spent, draw the Report page's sample, and read the ledger back
    (slow: call it in a worker; ``on_event`` is called in that thread, first with a :class:`RunPlanned`)."""
    from engine.app import operations
    from engine.app.forecast import preprocessing_epsilon
    from engine.training import plan_run

    table, name = request.table, request.dataset or None
    schema, config = request.schema, request.config

    def ended(outcome: str, message: str, model: Any = None) -> FinishedRun:
        frame = presenters.report_sample(model, len(request.rows)) if model is not None else None
        return FinishedRun(outcome, message, tables.ledger_status(table, name), model, frame,
                           operations.find_checkpoint(table, name))

    try:
        if request.resume is not None:
            schema, config = operations.resume_settings(request.resume, schema, config.device)
        if on_event is not None:
            on_event(RunPlanned(config, preprocessing_epsilon(plan_run(schema, config), len(request.rows))))  # type: ignore[arg-type]
        model = operations.train_model(table, schema, config, dataset=name, train_on=request.rows,
                                       resume=request.resume, on_event=on_event, cancel=cancel)
    except TrainingCancelled as stop:
        return ended("cancelled", str(stop))
    except DoppelInputError as error:
        return ended("failed", str(error))
    s = model.summary
    learned = [f"{s.facts['pairs_measured']} pairs measured"] if "pairs_measured" in s.facts else []
    learned += [f"{s.facts['steps']} DP-SGD steps"] if s.facts.get("steps") else []
    return ended("finished", f"Finished: ε = {s.epsilon_spent:.4f} (δ = {s.delta:.1e}, {s.accountant})"
                             + (f", {', '.join(learned)}." if learned else "."), model)


# ---------------------------------------------------------------------------------------- state

@dataclass
class RunChoices:
    """What the Privacy and Train pages let the user choose for the next run (RunConfig's defaults)."""

    epsilon: float = presenters.DEFAULT_EPSILON
    delta_text: str = ""                  # as typed; empty = the table's default δ
    preprocessing_fraction: float | None = RunConfig.preprocessing_fraction
    epochs: int = RunConfig.epochs
    device: str = RunConfig.device
    dataset: str = ""                     # the dataset's name in the ledger; empty = the table itself
    keep_aside: bool = True               # keep the report's holdout out of training

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
    split: holdout.ReportSplit | None = None   # the rows kept aside for the report (when chosen)
    inferred: dict | None = None          # the schema as inferred, for "reset"
    schema: Schema | None = None          # the schema being edited
    schema_error: str | None = None
    proposals: dict[str, declaring.Proposal] = field(default_factory=dict)   # name suggestions that fit
    forecast: Any = None                  # forecast.Forecast of the schema and choices, when computed
    forecast_error: str | None = None
    forecast_generation: int = 0          # bumped whenever the schema or a choice changes the forecast
    ledger: tables.LedgerStatus | None = None   # of the dataset (the table, or the name the user gave)
    checkpoint: Path | None = None        # an interrupted run's checkpoint (Resume)
    choices: RunChoices = field(default_factory=RunChoices)
    run: RunConfig | None = None          # the run in progress
    progress: list[Progress] = field(default_factory=list)    # the current (or last) run's Progress events
    live_epsilon: float | None = None
    preprocessing_epsilon: float | None = None   # where the current (or last) run's ε curve starts
    model: Any = None                     # the current TrainedModel
    model_matches_table: bool = False     # the model was trained on the loaded table
    report_real: pd.DataFrame | None = None      # the real rows the model trained on (the report's real side)
    report_holdout: pd.DataFrame | None = None   # rows kept out of its training, when there are
    report_frame: pd.DataFrame | None = None     # synthetic rows for the Report page
    report: presenters.QualityReport | None = None
    _request: RunRequest | None = None

    # ------------------------------------------------------------------ table and schema
    def set_table(self, opened: OpenedTable) -> None:
        """A table was opened; its interrupted run, if any, is found afterwards (:meth:`set_ledger`)."""
        self.table, self.summary, self.ledger, self.checkpoint = opened.table, opened.summary, opened.ledger, None
        self.default_delta, self.split = opened.default_delta, opened.split
        self.choices.keep_aside = holdout.keeps_aside_by_default(len(opened.table.frame))
        self.inferred = opened.schema.to_json()
        if self.model is not None:
            matches = opened.model is self.model and opened.model_matches
            if not matches:
                self.report_frame, self.report = None, None
            self.model_matches_table = matches
            self.report_real, self.report_holdout = (opened.table.frame, None) if matches else (None, None)
        self.set_schema(opened.schema)

    def set_schema(self, schema: Schema) -> None:
        """Take an edited (or loaded) schema and check it as the engine would read it back; the
        name suggestions that fit it are found again and its forecast is out of date."""
        self.schema = schema
        try:
            presenters.validate_schema(schema)
        except DoppelInputError as error:
            self.schema_error = str(error)
        else:
            self.schema_error = None
        self.proposals = declaring.proposals(schema, self.table.frame) if self.table is not None else {}
        self.invalidate_forecast()

    def load_schema(self, path: str | Path) -> None:
        """A schema file saved earlier, checked against the loaded table (raises DoppelInputError)."""
        assert self.table is not None
        schema = Schema.load(path)
        schema.check_matches(self.table.frame, self.table.path.name)
        self.set_schema(schema)

    def reset_schema(self) -> None:
        if self.inferred is not None:
            self.set_schema(Schema.from_json(self.inferred, "inferred schema"))

    def accept_suggestions(self, names: list[str] | None = None) -> list[str]:
        """Declare the name suggestions of ``names`` (all by default); returns the columns declared."""
        assert self.schema is not None
        accepted = declaring.accept(self.schema, self.proposals, names)
        self.set_schema(self.schema)
        return accepted

    def confirm_all(self) -> None:
        """Declare every column's facts as shown (nothing is then measured to decide them)."""
        assert self.schema is not None
        self.set_schema(self.schema.declare_all())

    def schema_status(self) -> tuple[str, bool]:
        """One line for the Columns page, and whether the schema can be trained."""
        if self.schema is None:
            return "", True
        if self.schema_error:
            return self.schema_error, False
        learned, out = len(self.schema.learned), len(self.schema.output)
        return (f"{learned} columns set to learn, {out} in the output, {len(self.schema.columns) - out} excluded.",
                True)

    def declaration_note(self) -> str:
        """What the Columns page says about declared and measured columns."""
        if self.schema is None:
            return ""
        measured = declaring.undeclared(self.schema)
        if not measured:
            return ("Every column is declared: its facts are public (stored with the model) and nothing is spent to "
                    "decide them. Declare only what you know without looking at the data.")
        return (f"{len(measured)} of {len(self.schema.columns)} columns will be measured under DP: a private survey "
                "decides their kind, format and range (what you see for them is a local guess, never stored). "
                "Declared facts are public and cost nothing: declare only what you know without looking at the data.")

    # ------------------------------------------------------------------ rows, forecast, ledger
    def training_rows(self) -> pd.DataFrame | None:
        """The rows a run trains on: the table without those kept aside, when the user keeps them."""
        if self.table is None:
            return None
        return self.split.train if self.choices.keep_aside and self.split is not None else self.table.frame

    def epochs_note(self) -> str | None:
        """Why the epochs do not apply to a run on the training rows (None when they do): with the
        default synthesizer's settings a smaller table is learned from measured pairs in stages."""
        from engine.synthesizers.dpgan.settings import DPGANSettings

        rows, start = self.training_rows(), DPGANSettings().dpsgd_from_rows
        if rows is None or len(rows) >= start:
            return None
        return (f"Not used for this table: under {start:,} rows Doppel learns from measured pairs of columns, in "
                "stages, and takes no passes over the rows.")

    def keep_aside_text(self) -> str:
        """The keep-aside option in words, with its row counts."""
        if self.split is None:
            return f"Keep {holdout.HOLDOUT_SHARE:.0%} of rows aside for the report"
        return (f"Keep {self.split.share:.0%} of rows aside for the report ({len(self.split.holdout):,} rows; "
                f"training uses {len(self.split.train):,})")

    def invalidate_forecast(self) -> None:
        """The schema or a choice changed: the forecast shown no longer holds."""
        self.forecast, self.forecast_error = None, None
        self.forecast_generation += 1

    def forecast_request(self) -> ForecastRequest | None:
        """What a forecast of the current schema and choices needs, or None when there is nothing to
        forecast or a choice is not valid (then :attr:`forecast_error` says why)."""
        rows = self.training_rows()
        if rows is None or self.schema is None or self.schema_error:
            return None
        try:
            config = self.choices.config()
        except DoppelInputError as error:
            self.forecast_error = str(error)
            return None
        return ForecastRequest(rows, copy.deepcopy(self.schema), config, self.forecast_generation)

    def set_forecast(self, request: ForecastRequest, found: Any) -> bool:
        """Take a forecast computed for ``request`` (a str: the reason there is none); False when the
        schema or choices changed meanwhile (it is dropped)."""
        if request.generation != self.forecast_generation:
            return False
        self.forecast, self.forecast_error = (None, found) if isinstance(found, str) else (found, None)
        return True

    def set_ledger(self, view: LedgerView) -> None:
        self.ledger, self.checkpoint = view.status, view.checkpoint

    # ------------------------------------------------------------------ steps and readout
    def can_train(self) -> bool:
        return self.table is not None and self.schema is not None and self.schema_error is None

    def can_resume(self) -> bool:
        return self.can_train() and self.checkpoint is not None and self.run is None

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
            what = f"dataset '{self.choices.dataset}'" if self.choices.dataset else "table"
            parts.append(f"{what} total {self.ledger.total:.2f} / ceiling {self.ledger.ceiling:g}")
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
    def start_run(self, resume: bool = False) -> RunRequest:
        """Freeze the next run: the table, the rows it trains on, a copy of the schema and the config
        from the choices (``resume``: continue the interrupted run, with the settings it started with).

        Raises DoppelInputError when there is nothing to train or a choice is not valid.
        """
        if self.table is None or self.schema is None:
            raise DoppelInputError("Open a table first.")
        if self.schema_error:
            raise DoppelInputError(self.schema_error)
        if resume and self.checkpoint is None:
            raise DoppelInputError("There is no interrupted run of this table to resume.")
        rows = self.training_rows()
        assert rows is not None
        kept = self.split.holdout if self.choices.keep_aside and self.split is not None else None
        request = RunRequest(self.table, copy.deepcopy(self.schema), self.choices.config(), rows, kept,
                             self.choices.dataset, self.checkpoint if resume else None)
        self.run, self.live_epsilon, self.progress, self.preprocessing_epsilon = request.config, 0.0, [], None
        self._request = request
        return request

    def planned(self, event: RunPlanned) -> None:
        """The run's settings as it trains them, and the ε its preprocessing spends."""
        self.run, self.live_epsilon, self.preprocessing_epsilon = event.config, event.preprocessing_epsilon, \
            event.preprocessing_epsilon

    def add_progress(self, event: Progress) -> None:
        self.live_epsilon = event.epsilon_spent
        self.progress.append(event)

    def finish_run(self, finished: FinishedRun | None) -> None:
        """The run ended (``None``: it failed without a result, e.g. a bug); its model becomes the
        window's model when it finished."""
        self.run, self.live_epsilon = None, None
        request, self._request = self._request, None
        if finished is None:
            return
        self.ledger, self.checkpoint = finished.ledger, finished.checkpoint
        if finished.model is not None and request is not None:
            self.model, self.report_frame, self.report = finished.model, finished.report_frame, None
            self.report_real, self.report_holdout = request.rows, request.holdout
            self.model_matches_table = True

    def set_opened_model(self, opened: OpenedModel) -> None:
        self.model, self.report_frame, self.report = opened.model, opened.report_frame, None
        self.model_matches_table = opened.matches_table
        self.report_real = self.table.frame if opened.matches_table and self.table is not None else None
        self.report_holdout = None
        self.progress = []

    def report_ready(self) -> bool:
        """A report needs the model, a synthetic sample and the very table the model was trained on."""
        return (self.model is not None and self.report_frame is not None and self.report_real is not None
                and self.model_matches_table)

    def report_basis(self) -> str:
        """What the Report page measures against, in words."""
        if self.report_holdout is not None and self.report_real is not None:
            return (f"Measured against the {len(self.report_holdout):,} rows kept aside before training (the model "
                    f"never saw them); the model trained on the other {len(self.report_real):,}.")
        return ("The model was trained on the whole table, so the report splits it 80/20 itself and its holdout was "
                "seen in training: utility may be overstated. Keep 20 % aside (Train page) for a sound report.")
