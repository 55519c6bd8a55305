"""Association matrices: Pearson r (number–number), Cramér's V (category–category), correlation
ratio η (number–category), real beside synthetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.evaluation.bands import band
from engine.evaluation.columns import MISSING, TypedColumn
from engine.evaluation.results import Associations


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(float)
    table = table[table.sum(1) > 0][:, table.sum(0) > 0]
    n = table.sum()
    if n == 0 or min(table.shape) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / n / (min(table.shape) - 1))


def _eta(x: np.ndarray, groups: np.ndarray) -> float:
    ok = np.isfinite(x)
    x, groups = x[ok], groups[ok]
    if x.size < 2 or np.var(x) == 0:
        return 0.0
    counts = np.bincount(groups)
    sums = np.bincount(groups, weights=x)
    nz = counts > 0
    means = sums[nz] / counts[nz]
    between = float((counts[nz] * (means - x.mean()) ** 2).sum())
    return math.sqrt(between / float(((x - x.mean()) ** 2).sum()))


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return 0.0
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _association_matrix(cols: list[TypedColumn], side: str) -> np.ndarray:
    n = len(cols)
    m = np.eye(n)
    data = []
    for col in cols:
        series = col.real if side == "real" else col.synth
        if col.numeric:
            data.append(series.to_numpy(float))
        else:  # categories (missing as its own category) coded on the union of both tables
            categories = pd.Index(pd.unique(pd.concat([col.real, col.synth]).fillna(MISSING)))
            data.append(categories.get_indexer(series.fillna(MISSING)))
    for i in range(n):
        for j in range(i + 1, n):
            a, b = cols[i].numeric, cols[j].numeric
            if a and b:
                v = _pearson(data[i], data[j])
            elif not a and not b:
                v = _cramers_v(data[i], data[j])
            else:
                x, g = (data[i], data[j]) if a else (data[j], data[i])
                v = _eta(x, g)
            m[i, j] = m[j, i] = v
    return m


def measure_associations(cols: list[TypedColumn]) -> Associations | None:
    if len(cols) < 2:
        return None
    real, synth = _association_matrix(cols, "real"), _association_matrix(cols, "synthetic")
    iu = np.triu_indices(len(cols), 1)
    mad = float(np.abs(synth - real)[iu].mean())
    return Associations(tuple(c.spec.name for c in cols), tuple(map(tuple, real)), tuple(map(tuple, synth)),
                        mad, band("association", mad))
