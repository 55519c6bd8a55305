"""The compared columns, typed the same way for the real and the synthetic table, and binned."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import DoppelInputError
from engine.schema import ColumnSchema, Role, Schema


MISSING = "(missing)"


@dataclass
class TypedColumn:
    spec: ColumnSchema
    numeric: bool
    real: pd.Series
    synth: pd.Series


def _typed(spec: ColumnSchema, series: pd.Series) -> pd.Series:
    values = spec.values(series)
    if spec.kind.numeric:
        return pd.to_numeric(values, errors="coerce").astype(float).reset_index(drop=True)
    # pd.isna: a table read from a file holds pd.NA, one made in memory None or NaN; all are "missing"
    return values.map(lambda v: None if pd.isna(v) else str(v)).astype(object).reset_index(drop=True)


def typed_columns(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> tuple[list[TypedColumn], list[str]]:
    notes: list[str] = []
    chosen = [c for c in schema.output if c.role is Role.LEARN]
    fake = [c.name for c in schema.output if c.role is Role.FAKE]
    if fake:
        notes.append(f"Columns filled with fake values are not compared: {', '.join(fake)}.")
    missing_real = [c.name for c in chosen if c.name not in real.columns]
    if missing_real:
        raise DoppelInputError(f"The real table lacks column(s) {', '.join(missing_real)} of the schema; "
                               "give the table the model was trained on.")
    absent = [c.name for c in chosen if c.name not in synthetic.columns]
    if len(absent) == len(chosen):
        raise DoppelInputError("The synthetic table has none of the real table's learned columns; "
                               "check that the two files belong together.")
    if absent:
        notes.append(f"Missing from the synthetic table and left out: {', '.join(absent)}.")
    return [TypedColumn(c, c.kind.numeric, _typed(c, real[c.name]), _typed(c, synthetic[c.name]))
            for c in chosen if c.name in synthetic.columns], notes


def _quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([])
    return np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_codes(col: TypedColumn, bins: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer bin codes of the real and synthetic cells; the last code is 'missing'."""
    if col.numeric:
        r, s = col.real.to_numpy(float), col.synth.to_numpy(float)
        edges = _quantile_edges(r, bins)
        k = len(edges) + 1
        codes = [np.where(np.isfinite(v), np.searchsorted(edges, v, side="right"), k) for v in (r, s)]
        return codes[0], codes[1], k + 1
    categories = pd.Index(pd.unique(pd.concat([col.real, col.synth]).dropna()))
    k = len(categories)
    out = []
    for v in (col.real, col.synth):
        c = categories.get_indexer(v.where(v.notna(), None))
        out.append(np.where(c < 0, k, c))
    return out[0], out[1], k + 1


def tvd(a: np.ndarray, b: np.ndarray, size: int) -> float:
    p = np.bincount(a, minlength=size) / max(len(a), 1)
    q = np.bincount(b, minlength=size) / max(len(b), 1)
    return 0.5 * float(np.abs(p - q).sum())
