"""Reversible table ⇄ tensor transform, fitted only from DP statistics or public declarations.

Every learned column becomes a *span* of one-hot slots that the generator fills through a
(Gumbel-)softmax:

* categorical / boolean: one slot per released category, plus a missing slot;
* numeric (continuous, integer, date): one slot per quantile bin, plus a missing slot, followed
  by one scalar ``u`` in (0, 1): the position inside the bin on the bin's own CDF.

Bins come from a two-stage DP histogram (a data-independent log grid to find the range, then a
fine grid inside it). The fine noisy histogram also gives the within-bin CDF, so a generator
that outputs the right bin and a uniform ``u`` reproduces the DP marginal exactly, and
integers, atoms such as "0 capital gain" and dates come back on their own grid.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine import privacy
from engine.schema import ColumnSchema, Kind, Schema

MAX_BINS = 24                 # quantile bins per numeric column
MAX_FINE_BINS = 200
COARSE_SIGNAL_Z = 4.5         # a stage-1 bin counts as data above 4.5σ: ~1 false bin in 2,000 columns
MISSING_SIGNAL_Z = 3.0        # a missing slot exists only if its noisy count clears 3σ
FINE_SIGNAL_Z = 2.5           # inside the found range, fine bins below 2.5σ are taken as empty
_POSITIVE = 10.0 ** np.arange(-4.0, 12.25, 0.25)
COARSE_EDGES = np.concatenate([-_POSITIVE[::-1], [0.0], _POSITIVE])  # stage-1 grid, data-free


@dataclass
class CategoricalColumn:
    """Released categories (DP domain or public list) and whether a missing slot exists."""

    name: str
    categories: list[str]
    frequencies: list[float]      # DP-noised shares of each category (missing excluded)
    has_missing: bool
    missing_share: float = 0.0    # DP-noised share of missing cells

    @property
    def width(self) -> int:
        return len(self.categories) + int(self.has_missing)


@dataclass
class NumericColumn:
    """DP quantile bins over a fine DP histogram; ``groups[k]`` = fine-bin range of bin k."""

    name: str
    kind: str
    fine_edges: list[float]
    fine_mass: list[float]
    groups: list[tuple[int, int]]
    has_missing: bool
    usable: bool = True           # False: no range could be found under DP; output stays empty
    missing_share: float = 0.0    # DP-noised share of missing cells

    @property
    def bins(self) -> int:
        return len(self.groups)

    @property
    def width(self) -> int:
        return self.bins + int(self.has_missing) + 1


Column = CategoricalColumn | NumericColumn


@dataclass
class Span:
    """Where a column lives in the encoded vector."""

    name: str
    start: int
    slots: int            # one-hot slots (softmax), missing slot included
    scalar: int | None    # index of the ``u`` scalar for numeric columns


class TableEncoder:
    """The fitted transform. Built by :func:`fit_encoder`; stored in a bundle as JSON."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.spans: list[Span] = []
        offset = 0
        for column in columns:
            slots = column.width - (1 if isinstance(column, NumericColumn) else 0)
            scalar = offset + slots if isinstance(column, NumericColumn) else None
            self.spans.append(Span(column.name, offset, slots, scalar))
            offset += column.width
        self.width = offset

    # ------------------------------------------------------------------ conditional vectors
    @property
    def condition_columns(self) -> list[int]:
        """Indices of the categorical columns the generator can be conditioned on."""
        return [i for i, c in enumerate(self.columns) if isinstance(c, CategoricalColumn) and c.width > 1]

    def condition_probabilities(self) -> list[np.ndarray]:
        """For each condition column, the DP share of each slot (missing slot included)."""
        out = []
        for i in self.condition_columns:
            column = self.columns[i]
            assert isinstance(column, CategoricalColumn)
            p = np.asarray(column.frequencies, dtype=float) * (1.0 - column.missing_share)
            if column.has_missing:
                p = np.append(p, column.missing_share)
            out.append(p / p.sum())
        return out

    def marginal_targets(self) -> list[np.ndarray]:
        """For every span, the DP share of each slot: what the generator's batch average should be.

        Built only from the DP releases the encoder was fitted with, so using it as a training
        signal for the generator costs no budget.
        """
        targets = []
        for column in self.columns:
            if isinstance(column, CategoricalColumn):
                p = np.asarray(column.frequencies, dtype=float) * (1.0 - column.missing_share)
            elif column.usable:
                mass = np.asarray(column.fine_mass, dtype=float)
                p = np.array([mass[a:b].sum() for a, b in column.groups]) * (1.0 - column.missing_share)
            else:
                p = np.zeros(column.bins)
            if column.has_missing:
                p = np.append(p, column.missing_share if p.sum() > 0 else 1.0)
            targets.append(p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / max(len(p), 1)))
        return targets

    def index_of(self, name: str) -> int:
        for i, column in enumerate(self.columns):
            if column.name == name:
                return i
        raise KeyError(name)

    # ------------------------------------------------------------------ transform
    def transform(self, typed: dict[str, pd.Series], rng: np.random.Generator) -> np.ndarray:
        """Encode real rows (typed by ``ColumnSchema.values``) into a float32 matrix."""
        n = len(next(iter(typed.values())))
        out = np.zeros((n, self.width), dtype=np.float32)
        for column, span in zip(self.columns, self.spans):
            values = typed[column.name]
            if isinstance(column, CategoricalColumn):
                out[np.arange(n), span.start + _category_slots(column, values, rng)] = 1.0
            else:
                slot, u = _numeric_position(column, values.to_numpy(dtype=float), rng)
                out[np.arange(n), span.start + slot] = 1.0
                out[:, span.scalar] = u
        return out

    def inverse_transform(self, matrix: np.ndarray, schema: Schema, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Decode generator output (one-hot slots already sampled) into typed arrays.

        Categorical columns give object arrays of labels (None for missing); numeric ones
        give floats in the column's unit (days for dates), NaN for missing.
        """
        out: dict[str, np.ndarray] = {}
        for column, span in zip(self.columns, self.spans):
            slot = matrix[:, span.start:span.start + span.slots].argmax(axis=1)
            if isinstance(column, CategoricalColumn):
                labels = np.array(column.categories + [None], dtype=object)
                slot = np.where(slot >= len(column.categories), len(column.categories), slot)
                out[column.name] = labels[slot]
            else:
                u = np.clip(matrix[:, span.scalar], 0.0, 1.0)
                out[column.name] = _numeric_value(column, slot, u, schema[column.name])
        return out

    # ------------------------------------------------------------------ serialisation
    def to_json(self) -> list[dict[str, Any]]:
        return [{"type": "categorical" if isinstance(c, CategoricalColumn) else "numeric", **asdict(c)}
                for c in self.columns]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> "TableEncoder":
        columns: list[Column] = []
        for entry in data:
            entry = dict(entry)
            kind = entry.pop("type")
            if kind == "categorical":
                columns.append(CategoricalColumn(**entry))
            else:
                entry["groups"] = [tuple(g) for g in entry["groups"]]
                columns.append(NumericColumn(**entry))
        return cls(columns)


# --- encoding helpers ------------------------------------------------------------------------

def _category_slots(column: CategoricalColumn, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Slot of each row; categories that were not released are redrawn from the DP shares."""
    lookup = {label: i for i, label in enumerate(column.categories)}
    slots = np.array([-2 if pd.isna(v) else lookup.get(v, -1) for v in values], dtype=np.int64)
    missing = slots == -2
    slots[missing] = len(column.categories) if column.has_missing else -1
    unknown = slots == -1
    if unknown.any():
        if column.categories:
            p = np.asarray(column.frequencies, dtype=float)
            slots[unknown] = rng.choice(len(column.categories), size=int(unknown.sum()), p=p / p.sum())
        else:
            slots[unknown] = len(column.categories)
    return slots


def _cdf_tables(column: NumericColumn) -> tuple[np.ndarray, np.ndarray]:
    edges = np.asarray(column.fine_edges, dtype=float)
    mass = np.asarray(column.fine_mass, dtype=float)
    return edges, mass


def _numeric_position(column: NumericColumn, values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bin slot and within-bin CDF position ``u`` of each value (missing → missing slot)."""
    edges, mass = _cdf_tables(column)
    n = len(values)
    missing = np.isnan(values)
    v = np.where(missing, edges[0], values)
    if column.kind in (Kind.INTEGER.value, Kind.DATE.value):
        v = np.floor(v) + rng.random(n)          # dequantise: a day or a unit is an interval
    v = np.clip(v, edges[0], np.nextafter(edges[-1], -np.inf))
    fine = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(mass) - 1)
    group_of = np.empty(len(mass), dtype=np.int64)
    for k, (a, b) in enumerate(column.groups):
        group_of[a:b] = k
    slot = group_of[fine]
    start = np.array([a for a, _ in column.groups])[slot]
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    width = edges[fine + 1] - edges[fine]
    inside = cum[fine] - cum[start] + mass[fine] * (v - edges[fine]) / width
    group_mass = np.array([cum[b] - cum[a] for a, b in column.groups])[slot]
    u = np.where(group_mass > 0, inside / np.where(group_mass > 0, group_mass, 1.0), rng.random(n))
    u = np.where(missing, rng.random(n), np.clip(u, 0.0, 1.0))
    slot = np.where(missing, column.bins if column.has_missing else slot, slot)
    if not column.usable:
        slot = np.full(n, column.bins)
    return slot, u.astype(np.float32)


def _numeric_value(column: NumericColumn, slot: np.ndarray, u: np.ndarray, spec: ColumnSchema) -> np.ndarray:
    """Inverse of :func:`_numeric_position`: bin plus ``u`` back to a number on the column's grid."""
    edges, mass = _cdf_tables(column)
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    out = np.full(len(slot), np.nan)
    for k, (a, b) in enumerate(column.groups):
        rows = slot == k
        if not rows.any():
            continue
        local = cum[a:b + 1] - cum[a]
        total = local[-1]
        if total <= 0:
            out[rows] = edges[a] + u[rows] * (edges[b] - edges[a])
        else:
            out[rows] = np.interp(u[rows] * total, local, edges[a:b + 1])
    if column.kind in (Kind.INTEGER.value, Kind.DATE.value):
        out = np.floor(np.minimum(out, np.nextafter(edges[-1], -np.inf)))
    elif spec.decimals is not None:
        out = np.round(out, spec.decimals)
    lo = spec.public_min if isinstance(spec.public_min, (int, float)) else None
    hi = spec.public_max if isinstance(spec.public_max, (int, float)) else None
    if lo is not None or hi is not None:
        out = np.clip(out, lo, hi)
    return out


# --- fitting under DP --------------------------------------------------------------------------

THRESHOLD_WEIGHT = 2.0     # category domains get σ/2: the threshold is several σ above zero
FREQUENCY_WEIGHT = 0.5     # boolean / public-category shares need little precision


def release_weights(schema: Schema) -> list[float]:
    """The precision weight of every Gaussian release preprocessing will make, in order.

    Release i uses noise σ / w_i and costs w_i² of a unit release; ``sum(w**2)`` chooses σ.
    """
    weights: list[float] = []
    for column in schema.learned:
        if column.kind.numeric:
            has_bounds = _public_bound(column.public_min, column) is not None \
                and _public_bound(column.public_max, column) is not None
            weights += [1.0] if has_bounds else [1.0, 1.0]
        elif column.kind is Kind.CATEGORICAL and column.public_categories is None:
            weights.append(THRESHOLD_WEIGHT)
        else:
            weights.append(FREQUENCY_WEIGHT)
    return weights


def thresholded_columns(schema: Schema) -> int:
    """Categorical columns whose domain comes from the data (they spend part of δ)."""
    return sum(1 for c in schema.learned if c.kind is Kind.CATEGORICAL and c.public_categories is None)


def _public_bound(value: float | str | None, column: ColumnSchema) -> float | None:
    if value is None:
        return None
    if column.kind is Kind.DATE and isinstance(value, str):
        return float(column.values(pd.Series([value])).iloc[0])
    return float(value)


def fit_encoder(schema: Schema, typed: dict[str, pd.Series], accountant: privacy.PrivacyAccountant,
                sigma: float, rng: np.random.Generator) -> TableEncoder:
    """Fit every learned column from DP releases, charging each to ``accountant``."""
    n_threshold = thresholded_columns(schema)
    column_delta = accountant.domain_delta / n_threshold if n_threshold else 0.0
    columns: list[Column] = []
    for spec in schema.learned:
        values = typed[spec.name]
        if spec.kind.numeric:
            columns.append(_fit_numeric(spec, values.to_numpy(dtype=float), accountant, sigma, rng))
        else:
            columns.append(_fit_categorical(spec, values, accountant, sigma, column_delta, rng))
    return TableEncoder(columns)


def _fit_categorical(spec: ColumnSchema, values: pd.Series, accountant: privacy.PrivacyAccountant,
                     sigma: float, column_delta: float, rng: np.random.Generator) -> CategoricalColumn:
    present = values[values.notna()]
    missing_count = float(len(values) - len(present))
    counts = present.value_counts()
    if spec.kind is Kind.BOOLEAN:
        domain = [spec.false_token, spec.true_token]
        observed = {label: int(counts.get(label, 0)) for label in domain}
    elif spec.public_categories is not None:
        observed = {label: int(counts.get(label, 0)) for label in spec.public_categories}
    else:
        sigma = sigma / THRESHOLD_WEIGHT
        noisy = privacy.dp_category_domain({str(k): int(v) for k, v in counts.items()}, sigma, column_delta, rng)
    if spec.kind is Kind.BOOLEAN or spec.public_categories is not None:
        sigma = sigma / FREQUENCY_WEIGHT
        noisy = dict(zip(observed, privacy.noisy_counts(np.array(list(observed.values())), sigma, rng)))
    accountant.record_gaussian(sigma)
    noisy_missing = float(privacy.noisy_counts(np.array([missing_count]), sigma, rng)[0])
    categories = list(noisy)
    weights = np.maximum(np.array([noisy[c] for c in categories], dtype=float), 1e-9)
    total = weights.sum() + noisy_missing
    has_missing = noisy_missing >= MISSING_SIGNAL_Z * sigma or not categories
    missing_share = noisy_missing / total if has_missing and total > 0 else 0.0
    return CategoricalColumn(spec.name, categories, (weights / weights.sum()).tolist() if categories else [],
                             has_missing, missing_share)


def _fit_numeric(spec: ColumnSchema, values: np.ndarray, accountant: privacy.PrivacyAccountant,
                 sigma: float, rng: np.random.Generator) -> NumericColumn:
    missing = np.isnan(values)
    present = values[~missing]
    lo = _public_bound(spec.public_min, spec)
    hi = _public_bound(spec.public_max, spec)
    noisy_missing = None
    if lo is None or hi is None:
        coarse = np.histogram(np.clip(present, COARSE_EDGES[0], COARSE_EDGES[-1]), bins=COARSE_EDGES)[0]
        noisy = privacy.noisy_counts(np.append(coarse, missing.sum()), sigma, rng)
        accountant.record_gaussian(sigma)
        noisy_missing = noisy[-1]
        found = _range_from_coarse(noisy[:-1], sigma)
        if found is None:
            return NumericColumn(spec.name, spec.kind.value, [0.0, 1.0], [1.0], [(0, 1)], True, usable=False)
        lo = found[0] if lo is None else lo
        hi = found[1] if hi is None else hi
    if hi <= lo:
        hi = lo + 1.0
    edges = _fine_edges(spec.kind, lo, hi, len(values), sigma)   # the row count is public
    clipped = np.clip(present, edges[0], np.nextafter(edges[-1], -np.inf))
    fine = np.histogram(clipped, bins=edges)[0]
    noisy_fine = privacy.noisy_counts(np.append(fine, missing.sum()), sigma, rng)
    accountant.record_gaussian(sigma)
    if noisy_missing is None:
        noisy_missing = noisy_fine[-1]
    mass = noisy_fine[:-1]
    mass = np.where(mass >= FINE_SIGNAL_Z * sigma, mass, 0.0)
    if mass.sum() <= 0:
        mass = np.ones_like(mass)
    edges, mass = _trim_empty(edges, mass)
    groups = _quantile_groups(mass, MAX_BINS)
    has_missing = bool(noisy_missing >= MISSING_SIGNAL_Z * sigma)
    missing_share = float(noisy_missing / (noisy_missing + mass.sum())) if has_missing else 0.0
    return NumericColumn(spec.name, spec.kind.value, edges.tolist(), (mass / mass.sum()).tolist(), groups,
                         has_missing, missing_share=missing_share)


def _range_from_coarse(noisy: np.ndarray, sigma: float) -> tuple[float, float] | None:
    """Bounds from the stage-1 histogram: the outermost bins whose noisy count stands above noise
    (None when no bin does: too few rows for this ε)."""
    signal = np.nonzero(noisy >= COARSE_SIGNAL_Z * sigma)[0]
    if len(signal) == 0:
        return None
    return float(COARSE_EDGES[signal[0]]), float(COARSE_EDGES[signal[-1] + 1])


def _fine_edges(kind: Kind, lo: float, hi: float, n_rows: int, sigma: float) -> np.ndarray:
    """Stage-2 grid: fine enough to place quantiles, coarse enough that counts beat the noise."""
    bins = int(np.clip(n_rows / (4 * sigma), 16, MAX_FINE_BINS))
    edges = np.linspace(lo, hi, bins + 1)
    if lo >= 0 and hi > 100 * max(lo, 1.0):     # skewed positive range: add a log grid
        edges = np.union1d(edges, np.concatenate([[lo], np.geomspace(max(lo, 1.0), hi, bins)]))
    if kind in (Kind.INTEGER, Kind.DATE):
        lo_i, hi_i = np.floor(lo), np.floor(hi)
        if hi_i - lo_i + 1 <= bins:
            return np.arange(lo_i, hi_i + 2, dtype=float)
        edges = np.unique(np.concatenate([np.floor(edges), [hi_i + 1]]))
    return edges


def _trim_empty(edges: np.ndarray, mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nonzero = np.nonzero(mass)[0]
    first, last = nonzero[0], nonzero[-1]
    return edges[first:last + 2], mass[first:last + 1]


def _quantile_groups(mass: np.ndarray, bins: int) -> list[tuple[int, int]]:
    """Merge fine bins into at most ``bins`` groups of about equal mass (atoms keep their own)."""
    cum = np.cumsum(mass) / mass.sum()
    groups: list[tuple[int, int]] = []
    start = 0
    for k in range(1, bins + 1):
        end = int(np.searchsorted(cum, k / bins - 1e-9, side="left")) + 1
        end = min(max(end, start + 1), len(mass))
        if end > start and (k == bins or end < len(mass)):
            groups.append((start, end))
            start = end
        if start >= len(mass):
            break
    if start < len(mass):
        groups.append((start, len(mass)))
    return groups
