"""Inferring a schema from a freshly loaded table: kinds, formats, PII flags, default roles.

What is inferred here is a proposal shown to the user; see ``docs/privacy.md`` for which facts
are public by the user's declaration and which are measured under DP.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.io import cells as parsing
from engine.schema import pii
from engine.schema.columns import ColumnSchema, Constraint, Schema
from engine.schema.kinds import Kind, Role

_DATE_PAIRS = (("start", "end"), ("hire", "termination"), ("hire", "exit"), ("hire", "leave"),
               ("begin", "end"), ("from", "to"), ("joined", "left"), ("hire", "separation"))


def _share(cells: parsing.Cells, pattern: re.Pattern[str]) -> float:
    return sum(1 for s in cells.text if pattern.match(s)) / len(cells) if len(cells) else 0.0


def _pii_reason(name: str, cells: parsing.Cells, kind: Kind) -> str | None:
    """Why a column looks like personal data, in words for the user; None when it does not."""
    n = len(cells)
    unique_share = len(set(cells.text)) / n if n else 0.0
    found = pii.reason_from_name(name, kind)
    if found:
        return found
    if kind in (Kind.TEXT, Kind.CATEGORICAL):
        found = pii.reason_from_values((text, 1.0) for text in cells.text)
        if found:
            return found
    if kind is Kind.TEXT and _share(cells, pii.PHONE_VALUE) > 0.8 and _phone_digits(cells):
        return "phone numbers"
    if kind is Kind.TEXT and _is_prose(cells):
        return "free text"
    if n >= 20 and unique_share >= 0.95 and kind in (Kind.TEXT, Kind.CATEGORICAL):
        return "a unique key (every value differs)"
    if n >= 20 and unique_share >= 0.95 and kind is Kind.INTEGER and _dense_sequence(cells):
        return "a unique key (consecutive numbers)"
    if pii.KEY_COLUMN.search(name.strip().lower()) and n >= 20 and unique_share >= 0.9:
        return "an employee number or key"
    if kind is Kind.TEXT:
        return "free text"
    return None


def _phone_digits(cells: parsing.Cells) -> bool:
    """Most cells carry at least 7 digits, as phone numbers do (a ``15.03.79`` date has 6)."""
    return sum(sum(ch.isdigit() for ch in s) >= 7 for s in cells.text) > 0.8 * len(cells)


def _dense_sequence(cells: parsing.Cells) -> bool:
    """Distinct whole numbers packed in a range not much wider than their count (1001…1250): how
    employee numbers look. Amounts (salaries) with every value different are spread far wider
    and are learned, not replaced."""
    numbers = parsing.cell_numbers(cells, parsing.uses_decimal_comma(cells))
    numbers = numbers[np.isfinite(numbers)]
    return len(numbers) > 0 and float(numbers.max() - numbers.min()) <= 3 * len(numbers)


def _is_prose(cells: parsing.Cells) -> bool:
    n = len(cells)
    return n > 0 and sum(map(len, cells.text)) / n > 40 and sum(" " in s for s in cells.text) / n > 0.5


def _infer_kind(cells: parsing.Cells) -> Kind:
    if len(cells) == 0:
        return Kind.CATEGORICAL
    if parsing.is_boolean(cells):
        return Kind.BOOLEAN
    if parsing.is_numeric_text(cells):
        numbers = parsing.cell_numbers(cells, parsing.uses_decimal_comma(cells))
        return Kind.INTEGER if bool((numbers == np.round(numbers)).all()) else Kind.CONTINUOUS
    if parsing.date_formats(cells):
        return Kind.DATE
    distinct = len(set(cells.text))
    if _is_prose(cells) or (len(cells) >= 20 and distinct / len(cells) > 0.5 and distinct > 50):
        return Kind.TEXT
    return Kind.CATEGORICAL


def infer_column(name: str, series: pd.Series) -> ColumnSchema:
    """Kind, format, PII flag and default role of one column, read from its cells."""
    cells = parsing.Cells.of(series)
    kind = _infer_kind(cells)
    column = ColumnSchema(name=name, kind=kind, missing_rate=1 - len(cells) / len(series) if len(series) else 0.0)
    if kind is Kind.DATE:
        column.date_format, *column.more_date_formats = parsing.date_formats(cells)
    elif kind.numeric:
        column.decimal_comma = parsing.uses_decimal_comma(cells)
        if kind is Kind.CONTINUOUS:
            column.decimals = max(parsing.decimals_of(cells, column.decimal_comma), 1)
    elif kind is Kind.BOOLEAN and not pd.api.types.is_bool_dtype(cells.values):
        column.true_token, column.false_token = parsing.boolean_tokens(cells)
    column.pii = _pii_reason(name, cells, kind)
    if column.pii:
        column.role = Role.IDENTIFIER
        column.fake = pii.fake_provider(column.pii)
    elif len(cells) == 0:
        column.role = Role.DROP
    return column


def pair_constraints(columns: list[ColumnSchema]) -> list[Constraint]:
    """``start <= end`` suggestions from column names alone (no data is read, so no budget)."""
    found: list[Constraint] = []
    dates = [c for c in columns if c.kind is Kind.DATE and c.role is Role.LEARN]
    for first in dates:
        for second in dates:
            a, b = first.name.lower(), second.name.lower()
            for left, right in _DATE_PAIRS:
                if left in a and right in b and a.replace(left, "") == b.replace(right, ""):
                    found.append(Constraint(first.name, second.name))
    return found


def infer_schema(frame: pd.DataFrame) -> Schema:
    """The schema Doppel proposes for a freshly loaded table."""
    columns = [infer_column(str(name), frame[name]) for name in frame.columns]
    schema = Schema(columns)
    schema.constraints = pair_constraints(columns)
    return schema
