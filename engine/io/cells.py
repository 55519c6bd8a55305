"""Turning raw cells into typed values, and typed values back into the source's text form.

CSV cells arrive as strings; Excel and Parquet cells arrive typed. Both inference (which kind
is this column?) and training (give me numbers) go through these helpers, so a column is
always read the same way. Numbers may carry what HR exports put around them (thousands
separators, currency symbols, a percent sign, decimal commas) and a date column may mix
formats: each column is read with the one reading that fits all its cells.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y%m%d",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d.%m.%y",
    "%d-%m-%y",
    "%m-%d-%y",
)
TRUE_TOKENS = frozenset({"true", "t"})
FALSE_TOKENS = frozenset({"false", "f"})
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?inf(inity)?$", re.IGNORECASE)
_CURRENCY = (r"[$€£¥₹₩₪₺₽]|USD|EUR|GBP|CHF|JPY|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|INR|CNY|ZAR|"
             r"BRL|MXN|SGD|HKD|Fr\.|kr")
_FORMATTED = re.compile(rf"^(?P<sign>[+\-−]?)\s*(?:{_CURRENCY})?\s*(?P<sign2>[+\-−]?)"
                        rf"(?P<body>[\d.,][\d.,'’ \u00a0\u202f]*\d|\d)\s*(?:{_CURRENCY}|%)?$")
_GROUPED = {False: re.compile(r"^(\d{1,3}([,'’ \u00a0\u202f]\d{3})+|\d+)?(\.\d*)?$"),
            True: re.compile(r"^(\d{1,3}([.'’ \u00a0\u202f]\d{3})+|\d+)?(,\d*)?$")}
_SEPARATORS = {False: str.maketrans("", "", ",'’ \u00a0\u202f"),
               True: str.maketrans(",", ".", ".'’ \u00a0\u202f")}
_EXPONENT = re.compile(r"\d[eE][+-]?\d")
DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?$|^\d{8}$"
                        r"|^\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2,4}$|^[A-Za-z]{3,9} \d{1,2}, \d{4}$")
_EPOCH = pd.Timestamp("1970-01-01")
_NUMBER_WORDS = {word: float(i) for i, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {"a": 1.0, "an": 1.0, "no": 0.0, "none": 0.0}
_UNIT = r"(years?|yrs?|y|months?|mos?|weeks?|wks?|days?|hours?|hrs?|h)"
_LESS_THAN_ONE = re.compile(rf"^(less than|under|below|<)\s*(a|an|one|1)\s*{_UNIT}?$")
_WORDED = re.compile(rf"^(more than|over|at least|>=?)?\s*(?P<n>[\d.,]+|[a-z]+)\s*(?P<plus>\+)?\s*{_UNIT}?$")


@dataclass(frozen=True)
class Cells:
    """A column's non-missing cells, read once: native values and their stripped text.

    Inference asks a dozen questions of every column; answering them from one list of strings
    rather than a pandas call each keeps ``doppel inspect`` fast on a 1,000-column table.
    """

    values: pd.Series
    text: list[str]

    @classmethod
    def of(cls, series: pd.Series) -> "Cells":
        values = series[series.notna()]
        return cls(values, [str(v).strip() for v in values.tolist()])

    def __len__(self) -> int:
        return len(self.text)


def _formatted_number(text: str, decimal_comma: bool) -> float:
    """``$1,234.50``, ``1.234,5 €``, ``12.5%``, ``-EUR 40 000`` → the number; NaN if not one."""
    found = _FORMATTED.match(text)
    if not found or (found["sign"] and found["sign2"]) or not _GROUPED[decimal_comma].match(found["body"]):
        return math.nan
    number = float(found["body"].translate(_SEPARATORS[decimal_comma]))
    return -number if (found["sign"] or found["sign2"]) in ("-", "−") else number


def parse_number(text: str, decimal_comma: bool = False) -> float:
    """One cell as a number, given the column's decimal mark; NaN when it is not a number.

    The result depends on this cell and the (public) schema only, never on other rows: under a
    decimal comma ``1.234`` is 1234, under a decimal point 1.234.
    """
    if (not decimal_comma or "." not in text) and _NUMBER.match(text):
        return float(text)
    number = _formatted_number(text, decimal_comma)
    return number if not math.isnan(number) else _worded_number(text, decimal_comma)


def _worded_number(text: str, decimal_comma: bool) -> float:
    """What HR exports write for a count: ``3 years``, ``10+``, ``more than 20 yrs``, ``two``,
    ``less than a year`` (0), ``no years`` (0). A bound is read as the bound: ``10+`` and ``more than 10``
    are 10. "a", "an", "no" and "none" count only with a unit: alone, "No" is a yes/no answer."""
    lowered = " ".join(text.lower().split())
    if _LESS_THAN_ONE.match(lowered):
        return 0.0
    found = _WORDED.match(lowered)
    if not found or (found["n"] in ("a", "an", "no", "none") and not found[4]):   # "No" alone is an answer
        return math.nan
    word = found["n"]
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    return _formatted_number(word, decimal_comma) if word[0].isdigit() else math.nan


def _all_numbers(text: list[str], decimal_comma: bool) -> bool:
    return all(not math.isnan(parse_number(s, decimal_comma)) for s in text)


def is_numeric_text(cells: Cells) -> bool:
    """True when every non-missing cell is a number, plain or formatted (separators, %, €)."""
    values, text = cells.values, cells.text
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return True
    return bool(text) and (_all_numbers(text, False) or _all_numbers(text, True))


def uses_decimal_comma(cells: Cells) -> bool:
    """True when the cells read as numbers only with a decimal comma (``3,5``, ``1.234,50 €``).

    A column readable both ways (``1,234``) takes the decimal point.
    """
    if pd.api.types.is_numeric_dtype(cells.values) or not cells.text:
        return False
    return not _all_numbers(cells.text, False) and _all_numbers(cells.text, True)


def cell_numbers(cells: Cells, decimal_comma: bool = False) -> np.ndarray:
    """The non-missing cells as floats (NaN where a cell is not a number)."""
    if pd.api.types.is_bool_dtype(cells.values):
        return cells.values.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(cells.values):
        return pd.to_numeric(cells.values).to_numpy(dtype=float, na_value=np.nan)
    return np.array([parse_number(s, decimal_comma) for s in cells.text], dtype=float)


def to_numbers(series: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Column as float64 with NaN for missing; cells that are not numbers become NaN."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    if decimal_comma:
        numbers = pd.Series(np.nan, index=series.index, dtype="float64")
    else:  # plain numbers in one vectorised pass; the rest cell by cell
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    unread = series.notna() & numbers.isna()
    if unread.any():
        numbers[unread] = cell_numbers(Cells.of(series[unread]), decimal_comma)
    return numbers


def decimals_of(cells: Cells, decimal_comma: bool = False) -> int:
    """Most decimal places seen in the text form (capped at 6), so outputs look like inputs."""
    if pd.api.types.is_float_dtype(cells.values):
        text = [repr(float(v)) for v in cells.values.tolist()]
    else:
        text = cells.text
    last = re.compile(r",(\d+)\D*$" if decimal_comma else r"\.(\d+)\D*$")
    places = [len(m.group(1)) if not _EXPONENT.search(s) and (m := last.search(s)) else 0 for s in text]
    return int(min(max(places), 6)) if places else 0


def _date_cover(text: list[str]) -> tuple[list[str], bool]:
    """Formats from DATE_FORMATS that together read the cells, chosen greedily (the first reads
    the most), and whether they read every cell."""
    chosen: list[str] = []
    remaining = pd.Series(text, dtype="object")
    while len(remaining):
        best, best_read = None, None
        for fmt in DATE_FORMATS:
            if fmt in chosen:
                continue
            read = pd.to_datetime(remaining, format=fmt, errors="coerce").notna()
            if read.all():
                return chosen + [fmt], True
            if read.any() and (best_read is None or read.sum() > best_read.sum()):
                best, best_read = fmt, read
        if best is None:
            return chosen, False
        chosen.append(best)
        remaining = remaining[~best_read]
    return chosen, True


def date_formats(cells: Cells) -> list[str]:
    """The date formats a column's cells are written in, most common first ([] if not dates).

    One format is the usual case; an export that mixes ``2021-03-05`` and ``05/03/2021`` gets
    both, and is written back in the first.
    """
    values = cells.values
    if pd.api.types.is_datetime64_any_dtype(values):
        has_time = bool(((values - values.dt.normalize()) != pd.Timedelta(0)).any())
        return ["%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"]
    if not cells.text or not all(DATE_LIKE.match(s) for s in cells.text):
        return []
    formats, complete = _date_cover(cells.text)
    return formats if complete else []


def to_days(series: pd.Series, formats: list[str]) -> pd.Series:
    """Dates as float days since 1970-01-01 (NaN for missing), the form the model learns.

    Each cell is read with the first of ``formats`` that fits it (a mixed export lists
    several), so a cell's reading depends on the cell and the schema only; cells no format reads
    become NaN.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series
    else:
        text = series.map(lambda v: v if pd.isna(v) else str(v).strip()).astype("object")
        stamps = pd.to_datetime(text, format=formats[0], errors="coerce")
        for fmt in formats[1:]:
            unread = text.notna() & stamps.isna()
            if not unread.any():
                break
            stamps = stamps.fillna(pd.to_datetime(text.where(unread), format=fmt, errors="coerce"))
    return ((stamps - _EPOCH) / pd.Timedelta(days=1)).astype("float64")


def days_to_text(days: np.ndarray, date_format: str) -> list[str | None]:
    """Float days back to strings in the source's format; NaN becomes None."""
    days = np.clip(np.asarray(days, dtype=float), -100_000, 100_000)   # years 1696–2243
    if "%H" not in date_format:
        days = np.floor(days)
    stamps = pd.Series(pd.to_datetime(days, unit="D", origin="unix"))
    text = stamps.dt.strftime(date_format)
    return [None if pd.isna(t) else t for t in text]


def is_boolean(cells: Cells) -> bool:
    """Native booleans, or text cells that are all true/false tokens."""
    if pd.api.types.is_bool_dtype(cells.values):
        return True
    if not cells.text:
        return False
    if all(isinstance(v, (bool, np.bool_)) for v in cells.values.tolist()):
        return True
    tokens = TRUE_TOKENS | FALSE_TOKENS
    return all(s.lower() in tokens for s in cells.text)


def boolean_tokens(cells: Cells) -> tuple[str, str]:
    """How the source spells true and false ("True"/"False", "true"/"false", …)."""
    true = next((s for s in cells.text if s.lower() in TRUE_TOKENS), "True")
    false = next((s for s in cells.text if s.lower() in FALSE_TOKENS), "False")
    return true, false


def to_booleans(series: pd.Series) -> pd.Series:
    """Column as float 1.0/0.0 with NaN for missing."""
    def convert(v: object) -> float:
        if pd.isna(v):
            return np.nan
        if isinstance(v, (bool, np.bool_)):
            return float(v)
        token = str(v).strip().lower()
        return 1.0 if token in TRUE_TOKENS else 0.0 if token in FALSE_TOKENS else np.nan
    return series.map(convert).astype("float64")


def to_categories(series: pd.Series) -> pd.Series:
    """Column as strings (the category labels) with None for missing."""
    def label(v: object) -> object:
        if pd.isna(v):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    return series.map(label).astype("object")
