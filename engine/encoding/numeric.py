"""Numeric columns (continuous, integer, date): DP quantile bins plus a position inside the bin.

The range comes from the declared bounds or from the column's survey (its data-free log grid and
one bin per small whole number); the bins from one more release, a fine histogram inside the
range (the column's measurement). The fine noisy histogram
also gives the within-bin CDF, so a generator that outputs the right bin and a uniform position
``u`` reproduces the DP marginal exactly, and integers, atoms such as "0 capital gain" and dates
come back on their own grid.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.encoding.base import ColumnEncoder, Releaser, combined, keeps_missing, register
from engine.schema import ColumnSchema, Kind
from engine.schema.survey import Survey

MAX_BINS = 24                 # quantile bins per numeric column
MAX_FINE_BINS = 200
PER_VALUE_MAX = 128           # a whole-number column with at most this many values in its range: one bin per value
MIN_FINE_BINS = 8             # at least this many bins over the range, weak ones filled by _spread_rest
FINE_SIGNAL_Z = 2.5           # inside the found range, fine bins below 2.5σ are taken as empty
ISOLATED_SIGNAL_Z = 4.0       # a bin with no strong neighbour needs 4σ (else, of 200 bins, one is noise)
BLOCK_SIGNAL_Z = 3.0          # weak bins are read in blocks of k whose sum clears 3σ·√k


@register(Kind.CONTINUOUS, Kind.INTEGER, Kind.DATE)
@dataclass
class NumericEncoder(ColumnEncoder):
    """DP quantile bins over a fine DP histogram; ``groups[k]`` = fine-bin range of bin k."""

    name: str
    kind: str
    fine_edges: list[float]
    fine_mass: list[float]
    groups: list[tuple[int, int]]
    has_missing: bool
    usable: bool = True           # False: no range could be found under DP; output stays empty
    missing_share: float = 0.0    # DP-noised share of missing cells

    type_name = "numeric"
    has_scalar = True

    @classmethod
    def fit(cls, spec: ColumnSchema, values: pd.Series, survey: Survey | None, releaser: Releaser,
            rows: float) -> "NumericEncoder":
        values = values.to_numpy(dtype=float)
        missing = np.isnan(values)
        present = values[~missing]
        bounds = _public_bounds(spec) or (survey.numeric_range() if survey is not None else None)
        if bounds is None:
            releaser.skip_measurement()
            return cls(spec.name, spec.kind.value, [0.0, 1.0], [1.0], [(0, 1)], True, usable=False)
        lo, hi = bounds
        if hi <= lo:
            hi = lo + 1.0
        edges = _fine_edges(spec.kind, lo, hi, rows, releaser.measure_sigma)
        clipped = np.clip(present, edges[0], np.nextafter(edges[-1], -np.inf))
        fine = np.histogram(clipped, bins=edges)[0]
        noisy_fine, sigma = releaser.histogram(np.append(fine, missing.sum()))
        mass, noisy_missing = noisy_fine[:-1].astype(float), float(noisy_fine[-1])
        missing_sigma = sigma
        if survey is not None:
            noisy_missing, missing_sigma = combined(noisy_missing, sigma, survey.missing, survey.sigma)
            mass, sigma = _with_survey(edges, mass, sigma, survey)
        mass = _spread_rest(mass, sigma, rows - max(noisy_missing, 0.0))
        if mass.sum() <= 0:
            mass = np.ones_like(mass)
        edges, mass = _trim_empty(edges, mass)
        groups = _quantile_groups(mass, MAX_BINS)
        noisy_missing = max(noisy_missing, 0.0)
        has_missing = keeps_missing(spec, noisy_missing, missing_sigma)
        missing_share = float(noisy_missing / (noisy_missing + mass.sum())) if has_missing else 0.0
        return cls(spec.name, spec.kind.value, edges.tolist(), (mass / mass.sum()).tolist(), groups,
                   has_missing, missing_share=missing_share)

    @property
    def bins(self) -> int:
        return len(self.groups)

    @property
    def slots(self) -> int:
        return self.bins + int(self.has_missing)

    def transform(self, values: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Bin slot and within-bin CDF position ``u`` of each value (missing → missing slot)."""
        values = values.to_numpy(dtype=float)
        edges, mass = np.asarray(self.fine_edges), np.asarray(self.fine_mass)
        n = len(values)
        missing = np.isnan(values)
        v = np.where(missing, edges[0], values)
        if Kind(self.kind).on_unit_grid:
            v = np.floor(v) + rng.random(n)          # dequantise: a day or a unit is an interval
        v = np.clip(v, edges[0], np.nextafter(edges[-1], -np.inf))
        fine = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(mass) - 1)
        group_of = np.empty(len(mass), dtype=np.int64)
        for k, (a, b) in enumerate(self.groups):
            group_of[a:b] = k
        slot = group_of[fine]
        start = np.array([a for a, _ in self.groups])[slot]
        cum = np.concatenate([[0.0], np.cumsum(mass)])
        width = edges[fine + 1] - edges[fine]
        inside = cum[fine] - cum[start] + mass[fine] * (v - edges[fine]) / width
        group_mass = np.array([cum[b] - cum[a] for a, b in self.groups])[slot]
        u = np.where(group_mass > 0, inside / np.where(group_mass > 0, group_mass, 1.0), rng.random(n))
        u = np.where(missing, rng.random(n), np.clip(u, 0.0, 1.0))
        slot = np.where(missing, self.bins if self.has_missing else slot, slot)
        if not self.usable:
            slot = np.full(n, self.bins)
        return slot, u.astype(np.float32)

    def reverse_transform(self, slot: np.ndarray, scalar: np.ndarray | None, spec: ColumnSchema) -> np.ndarray:
        """Bin plus ``u`` back to a number on the column's grid (days for dates), NaN for missing."""
        u = np.clip(scalar, 0.0, 1.0)
        edges, mass = np.asarray(self.fine_edges), np.asarray(self.fine_mass)
        cum = np.concatenate([[0.0], np.cumsum(mass)])
        out = np.full(len(slot), np.nan)
        for k, (a, b) in enumerate(self.groups):
            rows = slot == k
            if not rows.any():
                continue
            local = cum[a:b + 1] - cum[a]
            total = local[-1]
            if total <= 0:
                out[rows] = edges[a] + u[rows] * (edges[b] - edges[a])
            else:
                out[rows] = np.interp(u[rows] * total, local, edges[a:b + 1])
        if Kind(self.kind).on_unit_grid:
            out = np.floor(np.minimum(out, np.nextafter(edges[-1], -np.inf)))
        elif spec.decimals is not None:
            out = np.round(out, spec.decimals)
        lo = spec.public_min if isinstance(spec.public_min, (int, float)) else None
        hi = spec.public_max if isinstance(spec.public_max, (int, float)) else None
        if lo is not None or hi is not None:
            out = np.clip(out, lo, hi)
        return out

    def slot_shares(self) -> np.ndarray:
        if self.usable:
            mass = np.asarray(self.fine_mass, dtype=float)
            p = np.array([mass[a:b].sum() for a, b in self.groups]) * (1.0 - self.missing_share)
        else:
            p = np.zeros(self.bins)
        if self.has_missing:
            p = np.append(p, self.missing_share if p.sum() > 0 else 1.0)
        return p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / max(len(p), 1))

    def warning(self, spec: ColumnSchema) -> str | None:
        if self.usable:
            return None
        return "too few rows to find its range privately at this ε; it will be empty. Declare public_min and " \
               "public_max in the schema or raise ε."

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "NumericEncoder":
        return cls(**{**data, "groups": [tuple(g) for g in data["groups"]]})


def _public_bound(value: float | str | None, spec: ColumnSchema) -> float | None:
    if value is None:
        return None
    if spec.kind is Kind.DATE and isinstance(value, str):
        return float(spec.values(pd.Series([value])).iloc[0])
    return float(value)


def _public_bounds(spec: ColumnSchema) -> tuple[float, float] | None:
    """Both declared bounds in the column's unit (days for dates), or None when one is missing."""
    lo, hi = _public_bound(spec.public_min, spec), _public_bound(spec.public_max, spec)
    return None if lo is None or hi is None else (lo, hi)


def _with_survey(edges: np.ndarray, mass: np.ndarray, sigma: float, survey: Survey) -> tuple[np.ndarray, float]:
    """Where the fine grid is one bin per small whole number, the survey measured the same bins:
    average the two noisy counts by their precision (post-processing) and return the noise left."""
    unit = (np.diff(edges) == 1.0) & (edges[:-1] == np.round(edges[:-1]))
    keys = edges[:-1].astype(np.int64)
    inside = unit & np.isin(keys, list(survey.small_integers))
    if not inside.all():
        return mass, sigma
    surveyed = np.array([survey.small_integers[int(k)] for k in keys])
    merged, left = combined(mass, sigma, surveyed, survey.sigma)
    return np.clip(merged, 0.0, None), left


def _fine_edges(kind: Kind, lo: float, hi: float, n_rows: float, sigma: float) -> np.ndarray:
    """Stage-2 grid: fine enough to place quantiles, coarse enough that counts beat the noise.

    A whole-number column whose range has at most :data:`PER_VALUE_MAX` values gets one bin per
    value whatever the noise: the thresholds of ``_spread_rest`` keep the values that stand out,
    while merged bins are decoded uniformly (hr500's years of service, 0–50 in 8 bins, came out
    uniform over 0–5 where the rows sit on 2, 3 and 4)."""
    bins = int(np.clip(n_rows / (4 * sigma), MIN_FINE_BINS, MAX_FINE_BINS))
    edges = np.linspace(lo, hi, bins + 1)
    if lo >= 0 and hi > 100 * max(lo, 1.0):     # skewed positive range: add a log grid
        edges = np.union1d(edges, np.concatenate([[lo], np.geomspace(max(lo, 1.0), hi, bins)]))
    if kind.on_unit_grid:
        lo_i, hi_i = np.floor(lo), np.floor(hi)
        if hi_i - lo_i + 1 <= max(bins, PER_VALUE_MAX):
            return np.arange(lo_i, hi_i + 2, dtype=float)
        edges = np.unique(np.concatenate([np.floor(edges), [hi_i + 1]]))
    return edges


def _spread_rest(noisy: np.ndarray, sigma: float, total: float) -> np.ndarray:
    """Denoise a fine histogram (post-processing). Bins over the noise (with a strong neighbour, or
    alone over :data:`ISOLATED_SIGNAL_Z` σ) keep their counts. The weak ones are read in aligned
    blocks of 2, 4, 8, … bins: a block whose summed count clears the noise of a sum of k bins
    (σ·√k) sets the scale at which its weak bins are read: each gets the mean of the k weak bins
    around it, a moving average rather than the block's flat mean, so a column spread thin over
    many values keeps a smooth shape at the coarser scale where it stands out (ages over 65 values,
    about 25 rows each; against flat blocks, at ε = 1: demo 0.919 / 0.837 → 0.921 / 0.841, hr500
    0.896 / 0.812 → 0.897 / 0.815, adult1000 0.903 / 0.813 → 0.911 / 0.823, marginal / pairwise
    fidelity over 4–6 seeds). Rows that
    ``total`` (n̂ less the missing cells) still has over, when clearly more than the noise, are
    spread evenly over the bins left: a thin tail is kept rather than dropped."""
    strong = noisy >= FINE_SIGNAL_Z * sigma
    near = np.zeros_like(strong)                   # a strong neighbour on either side
    near[1:] |= strong[:-1]
    near[:-1] |= strong[1:]
    strong &= near | (noisy >= ISOLATED_SIGNAL_Z * sigma)
    mass = np.where(strong, noisy, 0.0).astype(float)
    free = ~strong
    weak_noisy = np.where(strong, np.nan, noisy)
    size = 2
    while size <= len(noisy) // 2 and free.any():
        for start in range(0, len(noisy), size):      # each weak bin: the smallest block that clears
            block = np.arange(start, min(start + size, len(noisy)))
            weak = block[~strong[block]]
            if len(weak) and noisy[weak].sum() >= BLOCK_SIGNAL_Z * sigma * np.sqrt(len(weak)):
                for b in weak[free[weak]]:        # the block decides the scale; a window centred on the bin reads it
                    low = max(0, b - size // 2)
                    mass[b] = max(float(np.nanmean(weak_noisy[low:low + size])), 0.0)
                free[weak] = False
        size *= 2
    rest = total - mass.sum()           # its noise: the kept bins' and n̂'s, about σ·√(kept + 1)
    if free.any() and rest > 2.0 * sigma * np.sqrt((~free).sum() + 1):
        mass[free] = rest / int(free.sum())
    return mass


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
