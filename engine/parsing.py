"""Turning raw cells into typed values, and typed values back into the source's text form.

CSV cells arrive as strings; Excel and Parquet cells arrive typed. Both inference (which kind
is this column?) and training (give me numbers) go through these helpers, so a column is
always read the same way.
"""

from __future__ import annotations

import re
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
)
TRUE_TOKENS = frozenset({"true", "t"})
FALSE_TOKENS = frozenset({"false", "f"})
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?$|^\d{8}$")
_EPOCH = pd.Timestamp("1970-01-01")


def present(series: pd.Series) -> pd.Series:
    """The non-missing cells of a column."""
    return series[series.notna()]


def as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped strings (missing stays missing), for pattern checks."""
    values = present(series)
    return values.map(lambda v: str(v).strip())


def is_numeric_text(values: pd.Series) -> bool:
    """True when every non-missing cell is a plain number (no thousands separators yet)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return True
    text = as_text(values)
    return len(text) > 0 and bool(text.map(lambda s: bool(_NUMBER.match(s))).all())


def to_numbers(series: pd.Series) -> pd.Series:
    """Column as float64 with NaN for missing; unparseable cells become NaN."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    return pd.to_numeric(series, errors="coerce").astype("float64")


def decimals_of(values: pd.Series) -> int:
    """Most decimal places seen in the text form (capped at 6), so outputs look like inputs."""
    text = as_text(values)
    if pd.api.types.is_float_dtype(values):
        text = values.dropna().map(lambda v: repr(float(v)))
    places = text.map(lambda s: len(s.split(".", 1)[1]) if "." in s and "e" not in s.lower() else 0)
    return int(min(places.max(), 6)) if len(places) else 0


def detect_date_format(values: pd.Series) -> str | None:
    """The first format in DATE_FORMATS that parses every non-missing cell, else None."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dropna()
        has_time = bool(((stamps - stamps.dt.normalize()) != pd.Timedelta(0)).any())
        return "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"
    text = as_text(values)
    if len(text) == 0 or not text.map(lambda s: bool(_DATE_LIKE.match(s))).all():
        return None
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed.notna().all():
            return fmt
    return None


def to_days(series: pd.Series, date_format: str) -> pd.Series:
    """Dates as float days since 1970-01-01 (NaN for missing), the form the model learns."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series
    else:
        stamps = pd.to_datetime(series.map(lambda v: v if pd.isna(v) else str(v).strip()),
                                format=date_format, errors="coerce")
    return ((stamps - _EPOCH) / pd.Timedelta(days=1)).astype("float64")


def days_to_text(days: np.ndarray, date_format: str) -> list[str | None]:
    """Float days back to strings in the source's format; NaN becomes None."""
    days = np.clip(np.asarray(days, dtype=float), -100_000, 100_000)   # years 1696–2243
    if "%H" not in date_format:
        days = np.floor(days)
    stamps = pd.Series(pd.to_datetime(days, unit="D", origin="unix"))
    text = stamps.dt.strftime(date_format)
    return [None if pd.isna(t) else t for t in text]


def is_boolean(values: pd.Series) -> bool:
    """Native booleans, or text cells that are all true/false tokens."""
    if pd.api.types.is_bool_dtype(values):
        return True
    cells = present(values)
    if len(cells) == 0:
        return False
    if all(isinstance(v, (bool, np.bool_)) for v in cells):
        return True
    return bool(as_text(cells).str.lower().isin(TRUE_TOKENS | FALSE_TOKENS).all())


def boolean_tokens(values: pd.Series) -> tuple[str, str]:
    """How the source spells true and false ("True"/"False", "true"/"false", …)."""
    text = as_text(values)
    true = next((s for s in text if s.lower() in TRUE_TOKENS), "True")
    false = next((s for s in text if s.lower() in FALSE_TOKENS), "False")
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
