"""Rows kept aside for the report: a sound utility and privacy test needs real rows the model never saw.

The split is random (fresh entropy unless a test seeds it) and local: training uses the rest, the
ledger still counts the whole table (the dataset), and the kept rows are read only by the report,
which is not private anyway (it compares with real rows). A model trained on a random part of
the table is as private for every employee as one trained on all of it.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from engine.evaluation import HOLDOUT_SHARE, split_holdout
from engine.io.fingerprint import row_digests

KEEP_ASIDE_MIN_ROWS = 200     # from this many rows up, a report's holdout is kept aside by default


@dataclass(frozen=True)
class ReportSplit:
    """The rows training uses and the rows kept aside for the report."""

    train: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def share(self) -> float:
        return len(self.holdout) / max(len(self.train) + len(self.holdout), 1)


def keeps_aside_by_default(rows: int) -> bool:
    """Tables of :data:`KEEP_ASIDE_MIN_ROWS` rows or more keep a holdout unless the user says not to."""
    return rows >= KEEP_ASIDE_MIN_ROWS


def keep_aside(frame: pd.DataFrame, share: float = HOLDOUT_SHARE, seed: int | None = None) -> ReportSplit:
    """Split ``frame`` at random into training rows and ``share`` of them kept aside."""
    train, holdout = split_holdout(len(frame), secrets.randbits(64) if seed is None else seed, share)
    return ReportSplit(frame.iloc[train].reset_index(drop=True), frame.iloc[holdout].reset_index(drop=True))


def without(real: pd.DataFrame, holdout: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``real`` without the rows of ``holdout`` (as a multiset of whole rows), and how many were
    taken out: ``doppel report TABLE … --holdout KEPT`` then compares against the rows that trained."""
    kept = Counter(row_digests(holdout[real.columns.intersection(holdout.columns)]))
    drop = []
    for digest in row_digests(real[real.columns.intersection(holdout.columns)]):
        drop.append(kept[digest] > 0)
        if drop[-1]:
            kept[digest] -= 1
    mask = pd.Series(drop, index=real.index)
    return real[~mask].reset_index(drop=True), int(mask.sum())
