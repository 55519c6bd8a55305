"""Public facts suggested by a column's *name* alone: ranges and category lists most HR tables share.

A column's name is public (it describes the form, not the people in it), so a rule that reads only
the name costs no ε and reveals nothing about any employee. What it suggests is an assumption
("ages of employees lie between 16 and 80") for the user to accept or not; accepting declares it
(:meth:`engine.schema.columns.ColumnSchema.declare`), and a declared range or category list
spares the column its DP survey — on a table of a few hundred rows the survey is often what
decides whether a column is learned at all.

Each rule gives alternatives in order, each for the kinds it fits: a "rating" read as text gets
no numeric bounds, and a flag is either a boolean or a two-label category in one of the usual
spellings. Which alternative fits a loaded table is decided by whoever holds the table
(``engine.app.declaring``), never here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.schema import pii
from engine.schema.kinds import Kind

NUMBERS = (Kind.INTEGER, Kind.CONTINUOUS)
EARLIEST_DATE = date(1950, 1, 1)      # HR dates (hire, exit, promotion) of people still on file
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_LATER = {"due", "expiry", "expires", "expiration", "next", "planned", "scheduled", "review", "end", "until",
          "deadline"}
_DATE_WORDS = {"date", "hire", "hired", "start", "started", "joined", "joining", "termination", "terminated",
               "exit", "separation", "leaving", "promotion", "promoted", "dt"}
_RATING_WORDS = {"rating", "ratings", "score", "satisfaction", "engagement", "involvement", "balance", "rated"}
_SHARE_WORDS = {"share", "ratio", "fraction", "proportion", "fte"}
_PERCENT_WORDS = {"pct", "percent", "percentage", "perc"}
_FLAG_WORDS = {"attrition", "overtime", "remote", "promoted", "terminated", "churn", "churned", "active",
               "retained", "exempt", "contractor", "flag", "left"}
_FLAG_PREFIXES = {"is", "has", "was", "can", "did", "on"}


@dataclass(frozen=True)
class Suggestion:
    """One assumption about a column, taken from its name.

    ``facts`` are :class:`~engine.schema.columns.ColumnSchema` fields (a date range in ISO form:
    whoever applies it writes it in the column's own date format); ``kinds`` are the kinds the
    facts fit; ``reason`` says the assumption in words.
    """

    column: str
    facts: dict[str, Any]
    kinds: tuple[Kind, ...]
    reason: str
    tags: tuple[str, ...] = field(default=(), compare=False)   # the rule's name, for tests and logs

    def text(self) -> str:
        """The facts in a few words ("16 – 80", "No, Yes", "a two-value flag")."""
        if "public_categories" in self.facts:
            return ", ".join(self.facts["public_categories"])
        if "public_min" in self.facts:
            return f"{self.facts['public_min']} – {self.facts['public_max']}"
        return "a two-value flag"


def words(name: str) -> list[str]:
    """A column name's words in lower case: ``YearsAtCompany``, ``years_at_company`` and
    ``years at company`` all give ``['years', 'at', 'company']``."""
    return [w.lower() for w in _WORDS.findall(name)]


def _bounds(name: str, low: float | str, high: float | str, kinds: tuple[Kind, ...], reason: str,
            rule: str) -> Suggestion:
    return Suggestion(name, {"public_min": low, "public_max": high}, kinds, reason, (rule,))


def _flag(name: str) -> tuple[Suggestion, ...]:
    reason = "a yes/no flag: two values"
    return (Suggestion(name, {}, (Kind.BOOLEAN,), reason + " (True/False)", ("flag",)),
            Suggestion(name, {"public_categories": ["No", "Yes"]}, (Kind.CATEGORICAL,), reason, ("flag",)),
            Suggestion(name, {"public_categories": ["N", "Y"]}, (Kind.CATEGORICAL,), reason, ("flag",)),
            _bounds(name, 0, 1, (Kind.INTEGER,), reason + " (0/1)", "flag"))


def suggest(name: str, today: date | None = None) -> tuple[Suggestion, ...]:
    """The assumptions the name ``name`` suggests, in order of preference (empty when none).

    Names that mark personal data (a birth date, a person's name) get none: such columns are
    excluded, not learned.
    """
    if pii.reason_from_name(name, None) or pii.reason_from_name(name, Kind.DATE):
        return ()
    found = words(name)
    w = set(found)
    today = today or date.today()
    if w & _DATE_WORDS and not w & _LATER:
        return (_bounds(name, EARLIEST_DATE.isoformat(), today.isoformat(), (Kind.DATE,),
                        f"dates of employment events: {EARLIEST_DATE.year} to today", "date"),)
    if "age" in w:
        return (_bounds(name, 16, 80, NUMBERS, "ages of employees: 16 to 80", "age"),)
    if w & {"tenure", "seniority"} or ("years" in w and len(w) > 1):
        return (_bounds(name, 0, 50, NUMBERS, "years of service or experience: 0 to 50", "years"),)
    if "hours" in w and w & {"week", "weekly", "wk"}:
        return (_bounds(name, 0, 80, NUMBERS, "hours per week: 0 to 80", "hours"),)
    if w & _PERCENT_WORDS or "%" in name:
        return (_bounds(name, 0, 100, NUMBERS, "a percentage: 0 to 100", "percent"),)
    if w & _SHARE_WORDS:
        return (_bounds(name, 0, 1, NUMBERS, "a share: 0 to 1", "share"),)
    if w & _RATING_WORDS:
        return (_bounds(name, 1, 5, NUMBERS, "a rating on a 1–5 scale", "rating"),)
    if (found and found[0] in _FLAG_PREFIXES and len(found) > 1) or w & _FLAG_WORDS:
        return _flag(name)
    return ()
