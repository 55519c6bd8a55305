"""Declaring a column's facts: the user's edits, the name suggestions they accept, "confirm all".

A declared fact is public by the user's declaration: nothing is spent to decide it, and it is
stored with the model. An undeclared column's facts are decided under DP by its survey (the
local inference shown beside it is a guess that is never stored). So every edit here declares
the column it touches (:meth:`~engine.schema.ColumnSchema.declare`), and the app says so.

Light to import (no torch): the Columns page calls it on the GUI thread.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

import pandas as pd

from engine.errors import DoppelInputError
from engine.io import cells as parsing
from engine.schema import FAKE_PROVIDERS, ColumnSchema, Kind, Role, Schema
from engine.schema.suggestions import Suggestion, suggest

FORMAT_SEPARATOR = "; "       # between a mixed date column's formats ("%b %d, %Y" holds a comma)
MAX_DECIMALS = 9
YES, NO = "yes", "no"
#: How the app names each ``public_missing`` declaration (None: left to the noisy count of empty cells).
EMPTY_CELLS: dict[bool | None, str] = {None: "decided under DP", True: "may be empty", False: "never empty"}


# ----------------------------------------------------------------------------------- one fact

def field_text(column: ColumnSchema, field: str) -> str:
    """One fact of ``column`` as the app shows it (and as :func:`set_column_field` reads it back)."""
    if field == "kind":
        return column.kind.value
    if field == "role":
        return column.role.value
    if field == "fake":
        return column.fake or ""
    if field == "date_formats":
        return FORMAT_SEPARATOR.join(f for f in [column.date_format, *column.more_date_formats] if f)
    if field == "decimals":
        return str(column.decimals)
    if field == "decimal_comma":
        return YES if column.decimal_comma else NO
    if field in ("public_min", "public_max"):
        value = getattr(column, field)
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    if field == "public_categories":
        return ", ".join(column.public_categories or [])
    if field == "public_missing":
        return EMPTY_CELLS[column.public_missing]
    return str(getattr(column, field))


def set_column_field(column: ColumnSchema, field: str, text: str) -> None:
    """Apply one edit typed by the user, which declares the column (its facts become public).

    Raises :class:`DoppelInputError` (one line) for text that does not fit the field.
    """
    text = text.strip()
    where = f"Column '{column.name}'"
    if field == "kind":
        column.declare(kind=_choice(Kind, text, where, "kind"))
    elif field == "role":
        column.declare(role=_choice(Role, text, where, "role"))
        if column.role is Role.FAKE and column.fake is None:
            column.fake = "text"
    elif field == "fake":
        if text not in FAKE_PROVIDERS:
            raise DoppelInputError(f"{where}: fake values {text!r} are not known; use one of {', '.join(FAKE_PROVIDERS)}.")
        column.declare(fake=text)
    elif field == "date_formats":
        formats = [f.strip() for f in text.split(FORMAT_SEPARATOR.strip()) if f.strip()]
        for fmt in formats:
            if "%" not in fmt:
                raise DoppelInputError(f"{where}: date format {fmt!r} has no % code; write it like %Y-%m-%d.")
        column.declare(date_format=formats[0] if formats else None, more_date_formats=formats[1:])
    elif field == "decimals":
        if not text.isdigit() or int(text) > MAX_DECIMALS:
            raise DoppelInputError(f"{where}: decimals must be a whole number from 0 to {MAX_DECIMALS}, got {text!r}.")
        column.declare(decimals=int(text))
    elif field == "decimal_comma":
        if text.lower() not in (YES, NO):
            raise DoppelInputError(f"{where}: decimal comma is '{YES}' or '{NO}', got {text!r}.")
        column.declare(decimal_comma=text.lower() == YES)
    elif field in ("true_token", "false_token"):
        if not text:
            raise DoppelInputError(f"{where}: how {field.split('_')[0]} is written cannot be empty.")
        column.declare(**{field: text})
    elif field in ("public_min", "public_max"):
        column.declare(**{field: _bound(column, text)})
    elif field == "public_categories":
        column.declare(public_categories=[v.strip() for v in text.split(",") if v.strip()] or None)
    elif field == "public_missing":
        declared = {label: value for value, label in EMPTY_CELLS.items()}
        if text.lower() not in declared:
            raise DoppelInputError(f"{where}: empty cells are {', '.join(repr(t) for t in declared)}, got {text!r}.")
        column.declare(public_missing=declared[text.lower()])
    else:
        raise DoppelInputError(f"Column field {field!r} cannot be edited.")


def _choice(enum: type[Kind] | type[Role], text: str, where: str, what: str) -> Kind | Role:
    try:
        return enum(text)
    except ValueError:
        raise DoppelInputError(f"{where}: {what} {text!r} is not one of "
                               f"{', '.join(e.value for e in enum)}.") from None


def _bound(column: ColumnSchema, text: str) -> float | str | None:
    """A public bound as typed: a number, or for a date column a date in the column's format."""
    if not text:
        return None
    if column.kind is Kind.DATE:
        if column.value_of(text) is None:
            raise DoppelInputError(f"Column '{column.name}': public bound {text!r} is not {column.expected()}.")
        return text
    try:
        return float(text)
    except ValueError:
        raise DoppelInputError(f"Column '{column.name}': public bound {text!r} is not a number.") from None


def use_domain_set(column: ColumnSchema, labels: list[str]) -> None:
    """Declare a saved domain set (see :mod:`engine.app.domain_sets`) as the column's public categories."""
    column.declare(public_categories=list(labels))


def set_declared(column: ColumnSchema, declared: bool) -> None:
    """Declare the column's facts as shown, or leave them to be measured under DP again."""
    column.declared = declared


def format_text(column: ColumnSchema) -> str:
    """How the column's cells are written, in a few words (the Columns table's "Format")."""
    if column.kind is Kind.DATE:
        return field_text(column, "date_formats")
    if column.kind is Kind.BOOLEAN:
        return f"{column.true_token} / {column.false_token}"
    if column.kind is Kind.CONTINUOUS:
        return f"{column.decimals} decimals" + (", comma" if column.decimal_comma else "")
    if column.kind is Kind.INTEGER and column.decimal_comma:
        return "decimal comma"
    return ""


def undeclared(schema: Schema) -> list[str]:
    """Columns whose facts will be measured under DP (and a guess shown meanwhile)."""
    return [c.name for c in schema.columns if not c.declared]


# ------------------------------------------------------------------------------ suggestions

@dataclass(frozen=True)
class Proposal:
    """A name suggestion that fits a loaded column: ``declared`` is the column as it would be
    once accepted."""

    suggestion: Suggestion
    declared: ColumnSchema

    @property
    def text(self) -> str:
        return self.suggestion.text()


def proposals(schema: Schema, frame: pd.DataFrame, today: date | None = None) -> dict[str, Proposal]:
    """For each learned column, the first suggestion of its name that fits it (its kind, and the
    engine reads every cell with it) and would change something; columns without one are left out.

    The suggestions come from names alone; checking that one fits reads the cells, locally (what
    training would refuse anyway), so a flag is offered in the spelling the table uses.
    """
    found: dict[str, Proposal] = {}
    for column in schema.columns:
        if column.role is not Role.LEARN:
            continue
        for suggestion in suggest(column.name, today):
            if column.kind not in suggestion.kinds:
                continue
            declared = _applied(column, suggestion)
            if _reads(declared, frame[column.name]):
                if not column.declared or declared != column:
                    found[column.name] = Proposal(suggestion, declared)
                break
    return found


def _applied(column: ColumnSchema, suggestion: Suggestion) -> ColumnSchema:
    facts = dict(suggestion.facts)
    if column.kind is Kind.DATE:   # ISO dates written in the column's own format
        fmt = column.date_format or "%Y-%m-%d"
        facts.update({k: pd.Timestamp(v).strftime(fmt) for k, v in facts.items() if k in ("public_min", "public_max")})
    elif "public_min" in facts:
        facts.update({k: float(v) for k, v in facts.items() if k in ("public_min", "public_max")})
    return copy.deepcopy(column).declare(**facts)


def _reads(column: ColumnSchema, series: pd.Series) -> bool:
    """Whether every non-missing cell reads as ``column`` declares it (kind, tokens, categories)."""
    try:
        column.check_cells(series, "")
    except DoppelInputError:
        return False
    if column.public_categories is not None:
        labels = set(parsing.to_categories(series).dropna())
        return labels <= set(column.public_categories)
    return True


def accept(schema: Schema, found: dict[str, Proposal], names: list[str] | None = None) -> list[str]:
    """Declare the proposals for ``names`` (all of them by default); returns the columns declared."""
    accepted = []
    for index, column in enumerate(schema.columns):
        if column.name in found and (names is None or column.name in names):
            schema.columns[index] = copy.deepcopy(found[column.name].declared)
            accepted.append(column.name)
    return accepted


def declared_as_suggested(schema: Schema, frame: pd.DataFrame, today: date | None = None) -> Schema:
    """A copy of ``schema`` with every fitting suggestion accepted and every column confirmed:
    what declaring would change (the forecast's "if declared")."""
    alternative = copy.deepcopy(schema)
    accept(alternative, proposals(alternative, frame, today))
    return alternative.declare_all()
