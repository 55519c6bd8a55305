"""What makes two files the same table: a fingerprint of the parsed cells.

The ledger must count ε per *dataset*, not per file: the same staff table saved with other line
endings, as Excel instead of CSV, or with its rows in another order is the same dataset. So the
fingerprint reads cells, not bytes: each cell in a canonical form (numbers as numbers, dates as
ISO dates, text stripped), each row hashed over its columns in name order, and the multiset of
row hashes hashed again. It is an exact function of the cells: it stays on this machine, and the
ledger keeps only a keyed hash of it (:mod:`engine.privacy.ledger`).
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime

import numpy as np
import pandas as pd

from engine.io import cells


def _canonical(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _number(float(value))
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower()
    number = cells.parse_number(text)
    return _number(number) if not math.isnan(number) else text


def _number(number: float) -> str:
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def row_digests(frame: pd.DataFrame) -> list[bytes]:
    """One 16-byte hash per row, over its canonical cells in column-name order."""
    names = sorted(map(str, frame.columns))
    columns = [frame[name].map(_canonical).tolist() for name in names]
    return [hashlib.blake2b("\x1f".join(row).encode("utf-8"), digest_size=16).digest() for row in zip(*columns)]


def table_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the sorted column names and the sorted row digests."""
    h = hashlib.sha256("\x1e".join(sorted(map(str, frame.columns))).encode("utf-8"))
    for digest in sorted(row_digests(frame)):
        h.update(digest)
    return h.hexdigest()
