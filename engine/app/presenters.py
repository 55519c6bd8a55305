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
    from engine.run import RunSummary
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


def set_column_field(column: ColumnSchema, field: str, text: str) -> None:
    """Apply one edit from the Columns table, parsing the text the user typed.

    Raises :class:`DoppelInputError` (one line) for text that does not fit the field.
    """
    text = text.strip()
    if field == "kind":
        column.kind = Kind(text)
    elif field == "role":
        column.role = Role(text)
        if column.role is Role.FAKE and column.fake is None:
            column.fake = "text"
    elif field in ("public_min", "public_max"):
        if not text:
            setattr(column, field, None)
        elif column.kind is Kind.DATE:
            setattr(column, field, text)
        else:
            try:
                setattr(column, field, float(text))
            except ValueError:
                raise DoppelInputError(f"Column '{column.name}': public bound {text!r} is not a number.") from None
    elif field == "public_categories":
        values = [v.strip() for v in text.split(",") if v.strip()]
        column.public_categories = values or None
    else:
        raise DoppelInputError(f"Column field {field!r} cannot be edited.")


def public_categories_text(column: ColumnSchema) -> str:
    return ", ".join(column.public_categories or [])


def validate_schema(schema: Schema, source: str = "Columns") -> Schema:
    """The schema as the engine would read it back from JSON: the same checks, the same messages."""
    return Schema.from_json(schema.to_json(), source)


# ------------------------------------------------------------------------------------- histograms


@dataclass(frozen=True)
class Histogram:
    """Row counts of one column of the loaded table on readable bins (Columns page)."""

    column: str
    labels: list[str]
    counts: list[float]
    numeric: bool
    missing: int


def _day_label(days: float) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(round(days)))).isoformat()


def _numeric_bins(values: np.ndarray, bins: int) -> np.ndarray:
    low, high = float(np.min(values)), float(np.max(values))
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def _bin_label(edges: np.ndarray, i: int, kind: Kind) -> str:
    if kind is Kind.DATE:
        return _day_label(edges[i])
    value = edges[i]
    return f"{value:,.0f}" if abs(value) >= 100 or kind is Kind.INTEGER else f"{value:.3g}"


def _histogram(column: ColumnSchema, frame: pd.DataFrame, bins: int) -> Histogram:
    typed = column.values(frame[column.name])
    present = typed.dropna()
    if column.kind.numeric:
        values = np.asarray(present, dtype=float)
        if values.size == 0:
            return Histogram(column.name, [], [0.0], True, len(typed))
        edges = _numeric_bins(values, bins)
        counts = np.histogram(values, bins=edges)[0].astype(float).tolist()
        labels = [_bin_label(edges, i, column.kind) for i in range(len(edges) - 1)]
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


def run_facts(summary: "RunSummary") -> list[tuple[str, str]]:
    """The synthesizer's own facts (σ, q, steps for DP-SGD; whatever another synthesizer reports) as
    (label, value) pairs, labelled as in the HTML report."""
    from engine.evaluation.html import FACT_LABELS

    return [(FACT_LABELS.get(key, key.replace("_", " ")), f"{value:.4g}" if isinstance(value, float) else f"{value:,}")
            for key, value in summary.facts.items() if isinstance(value, (int, float)) and not isinstance(value, bool)]


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
                   ledger_total: float | None = None, training_log: list | None = None) -> QualityReport:
    """The quality and privacy report of ``model`` for the Report page (reads real rows: not DP)."""
    from engine.app.operations import report
    from engine.evaluation.figures import figures, png_bytes
    from engine.evaluation.html import summary_rows

    result = report(real, synthetic, model.schema, target=target, model=model, ledger_total=ledger_total,
                    training_log=training_log)
    figs = figures(result)
    return QualityReport(result, figs, {key: png_bytes(fig, dpi=90) for key, fig in figs.items()},
                         summary_rows(result))


def save_report(report: QualityReport, path: str, sources: dict[str, str]) -> str:
    """Write the report as one self-contained HTML file (atomically)."""
    from engine.app.operations import write_report

    return str(write_report(report.result, path, sources, report.figures))
