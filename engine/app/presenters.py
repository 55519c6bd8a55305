"""What the desktop app shows but must not compute itself: summaries, histograms, presets.

Qt-free and light to import (torch, scikit-learn and matplotlib are imported only inside the
functions that train, sample or report), so the window can appear before the training stack is loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.errors import DoppelInputError
from engine.evaluation import EvaluationResult
from engine.io import LoadedTable, list_sheets
from engine.schema import ColumnSchema, Kind, Role, Schema

if TYPE_CHECKING:  # pragma: no cover  (matplotlib and torch load only when a figure or model is used)
    from matplotlib.figure import Figure

    from engine.evaluation.html import SummaryRow
    from engine.run import Progress, RunSummary
    from engine.synthesizers.model import TrainedModel

#: ε presets offered on the Privacy page: (label, ε, one-line description).
PRESETS: tuple[tuple[str, float, str], ...] = (
    ("Strong", 1.0, "strongest protection; coarser synthetic data"),
    ("Balanced", 3.0, "good protection with useful fidelity (recommended)"),
    ("High fidelity", 8.0, "closer to the real table; weaker protection"),
)

DEFAULT_EPSILON = 3.0
HISTOGRAM_BINS = 20
MAX_CATEGORIES = 12
REPORT_ROWS = 10_000   # synthetic rows drawn for the Report page: enough for TSTR, seconds to score


def epsilon_meaning(epsilon: float) -> str:
    """A plain-language reading of ε for HR analysts (order of magnitude, not a guarantee table)."""
    if not epsilon > 0:
        return "ε must be positive."
    factor = math.exp(epsilon)
    odds = f"{factor:,.1f}" if factor < 100 else f"{factor:,.0f}"
    if epsilon <= 1:
        band = "Strong privacy"
    elif epsilon <= 4:
        band = "Balanced privacy"
    elif epsilon <= 10:
        band = "Weak privacy"
    else:
        band = "Very weak privacy"
    return (f"{band}: whatever anyone learns about one employee from the output is at most "
            f"{odds}× more likely than if that employee had not been in the table.")


# ------------------------------------------------------------------------------------------ table


@dataclass(frozen=True)
class TableSummary:
    rows: int
    columns: int
    missing_cells: int
    format: str
    detail: str          # encoding / delimiter / sheet in words

    @property
    def missing_share(self) -> float:
        cells = self.rows * self.columns
        return self.missing_cells / cells if cells else 0.0


def summarize(table: LoadedTable) -> TableSummary:
    frame = table.frame
    parts = []
    if table.encoding:
        parts.append(f"encoding {table.encoding}")
    if table.delimiter:
        parts.append("delimiter " + {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(
            table.delimiter, repr(table.delimiter)))
    if table.sheet:
        parts.append(f"sheet {table.sheet}")
    return TableSummary(rows=len(frame), columns=frame.shape[1], missing_cells=int(frame.isna().sum().sum()),
                        format=table.format.upper(), detail=", ".join(parts))


def sheet_names(path: str) -> list[str]:
    """The sheets of an Excel workbook, to ask which one to open when there are several."""
    return list_sheets(path)


def cell_text(value: object) -> str:
    """How one raw cell is shown in the preview (missing cells are blank)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def default_delta(rows: int) -> float:
    from engine.privacy.accountant import default_delta as _default_delta
    return _default_delta(rows)


# ----------------------------------------------------------------------------------------- schema


def validate_schema(schema: Schema, source: str = "Columns") -> Schema:
    """The schema as the engine would read it back from JSON: the same checks, the same messages."""
    return Schema.from_json(schema.to_json(), source)


# ------------------------------------------------------------------------------------- histograms


@dataclass(frozen=True)
class Histogram:
    """Row counts of one column of the loaded table on round bins (Columns page); a number's bins
    are labelled by their lower edge."""

    column: str
    labels: list[str]
    counts: list[float]
    numeric: bool
    missing: int


def _day_label(days: float) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(round(days)))).isoformat()


NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
NICE_YEARS = (1, 2, 5, 10, 20, 25, 50)
NICE_MONTHS = (1, 2, 3, 6)


def nice_edges(low: float, high: float, bins: int, whole: bool = False) -> np.ndarray:
    """About ``bins`` bins of a round width (1, 2, 2.5 or 5 times a power of ten) from a round number
    below ``low`` to one above ``high``: the edges never show the column's exact minimum or maximum
    (which the user might copy into its public bounds). ``whole``: widths of at least 1."""
    raw = max(high - low, 1e-9) / bins
    raw = max(raw, 1.0) if whole else raw
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in NICE_STEPS if m * magnitude >= raw * (1 - 1e-9)
                and (not whole or (m * magnitude).is_integer()))
    step = max(step, 1.0) if whole else step
    start = math.floor(low / step) * step
    stop = max(math.ceil(high / step) * step, start + step)
    if stop <= high:
        stop += step
    return np.arange(start, stop + step / 2, step)


def nice_date_edges(low: float, high: float, bins: int) -> tuple[np.ndarray, str]:
    """Round date bins (whole years, or months for short spans) as day numbers, and the label format."""
    first, last = pd.Timestamp(_day_label(low)), pd.Timestamp(_day_label(high))
    years = last.year - first.year + 1
    if years > 3:
        step = next((y for y in NICE_YEARS if years / y <= bins), NICE_YEARS[-1])
        start = first.year // step * step
        stamps = pd.to_datetime([f"{y}-01-01" for y in range(start, last.year + step + 1, step)])
        label = "%Y"
    else:
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = next((m for m in NICE_MONTHS if months / m <= bins), NICE_MONTHS[-1])
        stamps = pd.date_range(first.to_period("M").to_timestamp(), periods=months // step + 2, freq=f"{step}MS")
        label = "%Y-%m"
    days = ((stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return days, label


def _bin_label(value: float, step: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(step).is_integer() else f"{value:g}"


def _histogram(column: ColumnSchema, frame: pd.DataFrame, bins: int) -> Histogram:
    typed = column.values(frame[column.name])
    present = typed.dropna()
    if column.kind.numeric:
        values = np.asarray(present, dtype=float)
        if values.size == 0:
            return Histogram(column.name, [], [0.0], True, len(typed))
        low, high = float(values.min()), float(values.max())
        if column.kind is Kind.DATE:
            edges, fmt = nice_date_edges(low, high, bins)
            labels = [(date(1970, 1, 1) + timedelta(days=int(d))).strftime(fmt) for d in edges[:-1]]
        else:
            edges = nice_edges(low, high, bins, whole=column.kind is Kind.INTEGER)
            labels = [_bin_label(v, edges[1] - edges[0]) for v in edges[:-1]]
        counts = np.histogram(values, bins=edges)[0].astype(float).tolist()
    else:
        vc = present.astype(str).value_counts()
        labels = list(vc.index[:MAX_CATEGORIES])
        counts = [float(vc[n]) for n in labels]
        if len(vc) > len(labels):
            labels.append("(other)")
            counts.append(float(vc.sum()) - sum(counts))
    return Histogram(column.name, labels, counts, column.kind.numeric, len(typed) - len(present))


def column_histogram(frame: pd.DataFrame, column: ColumnSchema, bins: int = HISTOGRAM_BINS) -> Histogram:
    """Counts of one column of the loaded table (Columns page), read with the column's kind."""
    try:
        return _histogram(column, frame, bins)
    except (ValueError, TypeError, DoppelInputError):
        # the user picked a kind the cells do not fit: show them as categories instead
        return _histogram(ColumnSchema(column.name, Kind.CATEGORICAL), frame, bins)


# ------------------------------------------------------------------------------------ train/report


def devices() -> list[tuple[str, str]]:
    """(choice for RunConfig.device, label) for the device picker; CUDA only when present."""
    import torch

    found = [("auto", "Automatic"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        found[0] = ("auto", f"Automatic (CUDA: {torch.cuda.get_device_name(0)})")
        found.append(("cuda", f"CUDA: {torch.cuda.get_device_name(0)}"))
    else:
        found[0] = ("auto", "Automatic (CPU; no CUDA GPU found)")
    return found


def progress_line(event: "Progress") -> str:
    """The Train page's one line under the progress bar: stage or epoch (as the run counts), speed, time left."""
    count = f"{event.unit.capitalize()} {event.epoch}/{event.epochs}"
    speed = f" · {event.rows_per_second:,.0f} rows/s" if event.unit == "epoch" else ""
    step = f" · step {event.step}/{event.steps}" if event.unit == "epoch" else ""
    return f"{count}{step}{speed} · about {event.eta_seconds:,.0f} s left"


def run_facts(summary: "RunSummary") -> list[tuple[str, str]]:
    """The synthesizer's own facts (σ, q, steps for DP-SGD; whatever another synthesizer reports) as
    (label, value) pairs, labelled as in the HTML report."""
    from engine.evaluation.html import FACT_LABELS

    return [(FACT_LABELS.get(key, key.replace("_", " ")), f"{value:.4g}" if isinstance(value, float) else f"{value:,}")
            for key, value in summary.facts.items() if isinstance(value, (int, float)) and not isinstance(value, bool)]


@dataclass(frozen=True)
class ConditionColumn:
    """A column the Export page's condition editor offers: the operators that fit its kind, and for
    labels the values the model can produce (the released ones)."""

    name: str
    operators: tuple[str, ...]
    values: tuple[str, ...]     # released labels; empty for numbers and dates (typed by the user)
    hint: str                   # what to type, e.g. "a number, about 20 – 64 in this model"


LABEL_OPERATORS = ("=", "!=")
NUMBER_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
PREVIEW_ROWS = 20


def condition_columns(model: "TrainedModel") -> list[ConditionColumn]:
    """Every learned column of ``model`` a condition may name (post-processing: the labels and ranges
    shown are the model's own DP releases)."""
    found = []
    for column in model.encoder.columns:
        spec = model.schema[column.name]
        if spec.kind.labelled:
            found.append(ConditionColumn(spec.name, LABEL_OPERATORS, tuple(column.released_labels() or ()),
                                         "one of the values this model produces"))
            continue
        edges = getattr(column, "fine_edges", None)
        span = ""
        if edges:
            low, high = spec.to_output(np.array([edges[0], edges[-1]], dtype=float))
            span = f", about {low} – {high} in this model"
        found.append(ConditionColumn(spec.name, NUMBER_OPERATORS, (), f"{spec.expected()}{span}"))
    return found


def condition_text(column: str, operator: str, value: str) -> str:
    """One condition in the text form the engine reads (``department=Sales``)."""
    return f"{column}{operator}{value.strip()}"


def join_conditions(text: str, condition: str) -> str:
    """The conditions field with one more condition."""
    return "; ".join([*split_conditions(text), condition])


def preview_rows(model: "TrainedModel", where: list[str], rows: int = PREVIEW_ROWS) -> pd.DataFrame:
    """A few synthetic rows meeting ``where``, to look at before exporting (post-processing: no ε)."""
    from engine.app.operations import sample_rows

    return sample_rows(model, rows, where)


def split_conditions(text: str) -> list[str]:
    """The Export page's conditions field (``department=Sales; remote=True``) as the engine's
    ``where`` list; commas separate conditions too."""
    return [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]


def report_sample(model: "TrainedModel", rows: int, seed: int | None = None) -> pd.DataFrame:
    """Synthetic rows for the Report page's comparisons (never written anywhere); ``rows`` is
    capped at :data:`REPORT_ROWS`."""
    from engine.app.operations import sample_rows

    return sample_rows(model, min(rows, REPORT_ROWS), seed=seed)


def report_columns(model: "TrainedModel") -> list[ColumnSchema]:
    """Columns worth comparing real against synthetic: the learned ones."""
    return [c for c in model.schema.columns if c.role is Role.LEARN]



def default_target(model: "TrainedModel", real: pd.DataFrame) -> str | None:
    """The column the utility test predicts unless the user picks another: the last learned
    column with exactly two values (attrition, income class), the usual question on HR tables."""
    for column in reversed(report_columns(model)):
        if column.kind.labelled and real[column.name].nunique(dropna=True) == 2:
            return column.name
    return None


@dataclass(frozen=True)
class QualityReport:
    """An evaluation with its pictures: figures for the HTML file, PNGs for the app to show."""

    result: EvaluationResult
    figures: dict[str, "Figure"]
    pngs: dict[str, bytes]
    rows: list["SummaryRow"]


def figure_title(key: str) -> str:
    """How the Report page names a picture of :func:`engine.evaluation.figures.figures`."""
    titles = {"fidelity": "Fidelity of each column", "associations": "Correlations: real, synthetic, difference",
              "privacy": "Distance to closest record", "training": "Losses and ε over training"}
    return titles.get(key, key.replace("column:", "Column: "))


def quality_report(model: "TrainedModel", real: pd.DataFrame, synthetic: pd.DataFrame, *, target: str | None,
                   holdout: pd.DataFrame | None = None, ledger_total: float | None = None,
                   training_log: list | None = None) -> QualityReport:
    """The quality and privacy report of ``model`` for the Report page (reads real rows: not DP):
    ``real`` the rows it trained on, ``holdout`` rows kept out of its training (else ``real`` is split)."""
    from engine.app.operations import report
    from engine.evaluation.figures import figures, png_bytes
    from engine.evaluation.html import summary_rows

    result = report(real, synthetic, model.schema, target=target, holdout=holdout, model=model,
                    ledger_total=ledger_total, training_log=training_log)
    figs = figures(result)
    return QualityReport(result, figs, {key: png_bytes(fig, dpi=90) for key, fig in figs.items()},
                         summary_rows(result))


def save_report(report: QualityReport, path: str, sources: dict[str, str]) -> str:
    """Write the report as one self-contained HTML file (atomically)."""
    from engine.app.operations import write_report

    return str(write_report(report.result, path, sources, report.figures))
