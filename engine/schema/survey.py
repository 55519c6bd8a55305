"""A column's survey: every cell sorted into one class, so that one DP histogram tells both what
the column is (kind, formats, decimals, tokens, whether it is a key) and its shape (range,
categories).

Classes (one per non-missing cell; a row falls in exactly one, so the histogram has sensitivity 1):

* ``i|v`` — a whole number 0 … 100 (ratings, levels, years): one class per value;
* ``n|mark|d|bin`` — any other number: its decimal mark, its decimals (0 … 3+) and its bin on a
  data-free log grid (:data:`COARSE_EDGES`);
* ``d|f|bin`` — a date readable by format number ``f`` of ``engine.io.cells.DATE_FORMATS``, by bin
  of its day number;
* ``b|token`` — a boolean token as spelled (``True``, ``f``, …);
* ``l|label`` — anything else, as a category label.

The ``i``, ``n``, ``d`` and ``b`` classes form a public, data-free space (:func:`public_classes`);
``l`` classes come from the data and must pass a threshold before they can be seen. This module
counts exactly and decides from (noisy) counts; the noise is added in ``engine.encoding``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from engine.io import cells as parsing
from engine.schema import pii
from engine.schema.columns import ColumnSchema
from engine.schema.kinds import Kind, Role

SMALL_INTEGERS = range(0, 101)
MAX_DECIMALS = 3
_POSITIVE = 10.0 ** np.arange(-4.0, 12.25, 0.25)
COARSE_EDGES = np.concatenate([-_POSITIVE[::-1], [0.0], _POSITIVE])   # data-free, 130 bins
_DATE_DAYS = (-40_000.0, 60_000.0)   # 1860 … 2134: the bins dates can fall in
BOOLEAN_SPELLINGS = ("True", "true", "TRUE", "T", "t", "False", "false", "FALSE", "F", "f")
_DECIMALS = {False: re.compile(r"\.(\d+)\D*$"), True: re.compile(r",(\d+)\D*$")}
_EXPONENT = re.compile(r"\d[eE][+-]?\d")

# shares of the counted cells that decide the kind of an undeclared column
KIND_SHARE = 0.95         # a kind's classes hold at least this share of what was released (else: labels)
EXPLAINED_SHARE = 0.5     # below this share released, the values are too rare: free text or keys
DECIMAL_SHARE = 0.02      # numbers with decimals above this share make a column continuous
DECIMALS_COVERED = 0.95   # decimals shown: the fewest that cover this share of the numbers


def coarse_bin(values: np.ndarray) -> np.ndarray:
    clipped = np.clip(values, COARSE_EDGES[0], np.nextafter(COARSE_EDGES[-1], -np.inf))
    return np.clip(np.searchsorted(COARSE_EDGES, clipped, side="right") - 1, 0, len(COARSE_EDGES) - 2)


@lru_cache(maxsize=8)
def public_classes(kind: Kind | None) -> tuple[str, ...]:
    """The data-free classes a column of ``kind`` (None: not declared) can have; all of them get
    noise, so which one is empty reveals nothing."""
    out: list[str] = []
    if kind is None or kind in (Kind.INTEGER, Kind.CONTINUOUS):
        out += [f"i|{v}" for v in SMALL_INTEGERS]
        marks, decimals = ((".", ","), range(MAX_DECIMALS + 1)) if kind is None else ((".",), (0,))
        out += [f"n|{m}|{d}|{b}" for m in marks for d in decimals for b in range(len(COARSE_EDGES) - 1)]
    if kind is None or kind is Kind.DATE:
        lo, hi = coarse_bin(np.array(_DATE_DAYS))
        formats = range(len(parsing.DATE_FORMATS)) if kind is None else (0,)
        out += [f"d|{f}|{b}" for f in formats for b in range(lo, hi + 1)]
    if kind is None:
        out += [f"b|{s}" for s in BOOLEAN_SPELLINGS]
    return tuple(out)


def _number_keys(numbers: np.ndarray, decimals: np.ndarray, mark: str) -> np.ndarray:
    small = (mark == ".") & (decimals == 0) & (numbers >= 0) & (numbers <= SMALL_INTEGERS[-1]) \
        & (numbers == np.round(numbers))
    bins = coarse_bin(numbers)
    return np.where(small, np.char.add("i|", np.round(numbers).astype(np.int64).astype(str)),
                    np.char.add(f"n|{mark}|", np.char.add(decimals.astype(str), np.char.add("|", bins.astype(str)))))


def _decimals(text: list[str], comma: bool) -> np.ndarray:
    pattern = _DECIMALS[comma]
    return np.array([0 if _EXPONENT.search(s) else min(len(m.group(1)), MAX_DECIMALS)
                     if (m := pattern.search(s)) else 0 for s in text], dtype=np.int64)


def cell_classes(series: pd.Series, spec: ColumnSchema | None = None) -> tuple[dict[str, int], int]:
    """Exact count of each class among a column's cells, and the number of missing cells.

    ``spec`` is the user's declaration when the column's kind is declared: its cells are then read
    as that kind only (a cell the kind cannot read is counted as missing; training refuses such
    cells in declared columns before anything is released)."""
    present = series[series.notna()]
    missing = len(series) - len(present)
    if spec is not None:
        return _declared_classes(present, spec), missing
    cells = parsing.Cells.of(present)
    keys = np.empty(len(cells), dtype=object)
    values = cells.values
    if pd.api.types.is_bool_dtype(values):
        keys[:] = ["b|True" if v else "b|False" for v in values.tolist()]
    elif pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values).to_numpy(dtype=float)
        keys[:] = _number_keys(numbers, _decimals([repr(float(v)) for v in numbers], False), ".")
    elif pd.api.types.is_datetime64_any_dtype(values):
        keys[:] = _date_keys(parsing.to_days(values, ["%Y-%m-%d"]).to_numpy(), 0)
    else:
        keys[:] = _text_classes(cells.text)
    counted = pd.Series(keys).value_counts()
    return {str(k): int(v) for k, v in counted.items()}, missing


def _text_classes(text: list[str]) -> np.ndarray:
    series = pd.Series(text, dtype="object")
    keys = np.array(["l|" + s for s in text], dtype=object)
    lower = series.str.lower()
    is_bool = lower.isin(parsing.TRUE_TOKENS | parsing.FALSE_TOKENS).to_numpy()
    keys[is_bool] = ["b|" + s for s in series[is_bool]]
    todo = ~is_bool
    for comma in (False, True):
        numbers = series.where(todo).map(lambda s: parsing.parse_number(s, comma) if isinstance(s, str) else np.nan)
        read = todo & numbers.notna().to_numpy() & np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
        if read.any():
            chosen = [t for t, r in zip(text, read) if r]
            keys[read] = _number_keys(numbers[read].to_numpy(dtype=float), _decimals(chosen, comma), "," if comma else ".")
        todo &= ~read
    date_like = todo & series.map(lambda s: bool(parsing.DATE_LIKE.match(s))).to_numpy()
    for index, fmt in enumerate(parsing.DATE_FORMATS):
        if not date_like.any():
            break
        days = parsing.to_days(series.where(date_like), [fmt]).to_numpy()
        read = date_like & ~np.isnan(days)
        if read.any():
            keys[read] = _date_keys(days[read], index)
            date_like &= ~read
    return keys


def _date_keys(days: np.ndarray, index: int) -> np.ndarray:
    return np.char.add(f"d|{index}|", coarse_bin(days).astype(str)).astype(object)


def _declared_classes(present: pd.Series, spec: ColumnSchema) -> dict[str, int]:
    values = spec.values(present)
    if spec.kind is Kind.DATE:
        days = values.to_numpy(dtype=float)
        keys = _date_keys(days[~np.isnan(days)], 0)
    elif spec.kind.numeric:
        numbers = values.to_numpy(dtype=float)
        numbers = numbers[np.isfinite(numbers)]
        keys = _number_keys(numbers, np.zeros(len(numbers), dtype=np.int64), ".")
    else:
        keys = np.array(["l|" + str(v) for v in values if v is not None], dtype=object)
    counted = pd.Series(keys, dtype="object").value_counts()
    return {str(k): int(v) for k, v in counted.items()}


def small_integer_groups() -> list[range]:
    """The small whole numbers grouped as the log grid groups larger numbers (1, 2–3, 4–5, 6–9, …):
    a group's summed count can be seen where each of its values alone is too rare."""
    bins = coarse_bin(np.array(SMALL_INTEGERS, dtype=float))
    return [range(int(v[0]), int(v[-1]) + 1) for v in np.split(np.array(SMALL_INTEGERS), np.flatnonzero(np.diff(bins)) + 1)]


def small_integer_windows() -> list[range]:
    """Aligned power-of-two windows of the small whole numbers (0–1, 0–3, 4–7, …, 64–100) and all
    of them: where a column's values are too spread for any one to be seen, a window's sum may."""
    top = SMALL_INTEGERS[-1]
    windows = [range(0, top + 1)]
    size = 2
    while size <= top:
        windows += [range(start, min(start + size, top + 1)) for start in range(0, top + 1, size)]
        size *= 2
    return windows


@dataclass
class Survey:
    """What a survey released for one column: noisy counts of the classes that passed their
    threshold, the noisy count of missing cells, and the raw noisy counts of the small-integer
    classes (public, unthresholded: their sums tell a small-integer column's mass and range, and
    the fine histogram of a rating reuses them)."""

    counts: dict[str, float]
    missing: float
    sigma: float
    small_integers: dict[int, float] = field(default_factory=dict)

    SMALL_Z = 3.0   # a small-integer value or group is seen above 3σ of its sum (a false one only widens
                    # the range inside 0–100, and the fine measurement trims empty ends)

    def mass(self, prefix: str) -> float:
        """Noisy cells in the classes starting with ``prefix`` that were seen; for small integers the
        sum of all their raw counts when that sum stands out of its noise."""
        if prefix == "i|" and self.small_integers:
            best = self._clearest_window()
            return sum(self.small_integers.get(v, 0.0) for v in best) if best is not None else 0.0
        return sum(v for k, v in self.counts.items() if k.startswith(prefix))

    def _clearest_window(self) -> range | None:
        """The data-free window of small integers whose summed count stands out of its noise the
        most: 0–29 spread over 240 rows is seen as a whole where each value alone is noise."""
        best, margin = None, 0.0
        for window in small_integer_windows():
            total = sum(self.small_integers.get(v, 0.0) for v in window)
            excess = total - self.SMALL_Z * self.sigma * np.sqrt(len(window))
            if excess > margin:
                best, margin = window, excess
        return best

    def _small_integer_range(self) -> tuple[float, float] | None:
        seen = [v for v, c in self.small_integers.items() if c >= self.SMALL_Z * self.sigma]
        window = self._clearest_window()
        if window is not None:
            seen += [window[0], window[-1]]
        for group in small_integer_groups():
            total = sum(self.small_integers.get(v, 0.0) for v in group)
            if total >= self.SMALL_Z * self.sigma * np.sqrt(len(group)):
                seen += [group[0], group[-1]]
        return (float(min(seen)), float(max(seen)) + 1.0) if seen else None

    def numeric_range(self) -> tuple[float, float] | None:
        """The outermost released number or date bins (in the column's unit: days for dates)."""
        lows, highs = [], []
        small = self._small_integer_range()
        if small is not None:
            lows.append(small[0])
            highs.append(small[1])
        for key in self.counts:
            kind, *rest = key.split("|")
            if kind in ("n", "d"):
                b = int(rest[-1])
                lows.append(float(COARSE_EDGES[b]))
                highs.append(float(COARSE_EDGES[b + 1]))
        return (min(lows), max(highs)) if lows else None

    def labels(self) -> dict[str, float]:
        """Released category labels with their noisy counts (small integers and tokens as labels)."""
        out: dict[str, float] = {}
        for key, value in self.counts.items():
            kind, _, rest = key.partition("|")
            if kind in ("l", "i", "b"):
                out[rest] = out.get(rest, 0.0) + value
        return out


def decide(name: str, survey: Survey, rows: float) -> ColumnSchema:
    """The facts of an undeclared column, decided from its survey alone (post-processing of DP
    releases): kind, formats, decimals, tokens, and whether it is learned or excluded."""
    counted = max(rows - max(survey.missing, 0.0), 1.0)
    families = {"number": survey.mass("i|") + survey.mass("n|"), "date": survey.mass("d|"),
                "boolean": survey.mass("b|"), "label": survey.mass("l|")}
    released = sum(families.values())
    top = max(families, key=families.get)
    column = ColumnSchema(name=name, kind=Kind.CATEGORICAL, declared=False)
    if released < EXPLAINED_SHARE * counted:
        return _excluded(column, Kind.TEXT, "free text or keys (values too rare to release at this ε)")
    if top == "number" and families[top] >= KIND_SHARE * released:
        return _numeric(column, survey)
    if top == "date" and families[top] >= KIND_SHARE * released:
        formats = {}
        for key, value in survey.counts.items():
            if key.startswith("d|"):
                fmt = parsing.DATE_FORMATS[int(key.split("|")[1])]
                formats[fmt] = formats.get(fmt, 0.0) + value
        ordered = sorted(formats, key=formats.get, reverse=True)
        column.kind, column.date_format, column.more_date_formats = Kind.DATE, ordered[0], ordered[1:]
        found = pii.reason_from_name(name, Kind.DATE)
        return _excluded(column, Kind.DATE, found) if found else column
    if top == "boolean" and families[top] >= KIND_SHARE * released:
        spellings = {k[2:]: v for k, v in survey.counts.items() if k.startswith("b|")}
        column.kind = Kind.BOOLEAN
        column.true_token = max((s for s in spellings if s.lower() in parsing.TRUE_TOKENS), key=spellings.get,
                                default="True")
        column.false_token = max((s for s in spellings if s.lower() in parsing.FALSE_TOKENS), key=spellings.get,
                                 default="False")
        return column
    found = pii.reason_from_values(survey.labels().items())
    return _excluded(column, Kind.CATEGORICAL, found) if found else column


def _numeric(column: ColumnSchema, survey: Survey) -> ColumnSchema:
    by_decimals = np.zeros(MAX_DECIMALS + 1)
    by_decimals[0] = survey.mass("i|")
    marks = {".": by_decimals[0], ",": 0.0}
    for key, value in survey.counts.items():
        parts = key.split("|")
        if parts[0] == "n":
            by_decimals[int(parts[2])] += value
            marks[parts[1]] += value
    total = max(by_decimals.sum(), 1e-9)
    column.decimal_comma = bool(marks[","] > marks["."])
    if by_decimals[1:].sum() <= DECIMAL_SHARE * total:
        column.kind, column.decimals = Kind.INTEGER, 0
    else:
        covered = np.cumsum(by_decimals) / total
        column.kind = Kind.CONTINUOUS
        column.decimals = max(int(np.searchsorted(covered, DECIMALS_COVERED)), 1)
    return column


def _excluded(column: ColumnSchema, kind: Kind, reason: str) -> ColumnSchema:
    column.kind, column.role, column.pii = kind, Role.IDENTIFIER, reason
    column.fake = pii.fake_provider(reason)
    return column


def undeclared_role(name: str) -> Role | None:
    """The role of an undeclared column decided by its name alone (personal data), else None."""
    return Role.IDENTIFIER if pii.reason_from_name(name, None) or pii.KEY_COLUMN.search(name.strip().lower()) \
        else None

