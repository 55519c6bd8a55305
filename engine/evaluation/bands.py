"""Plain-language bands of each measure (shared by the HTML report and the app): a label, its
threshold and what it means, written down so every reader sees the same scale."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    """One band of a measure: ``label`` applies when the value is at least ``threshold``
    (``higher_is_better``) or at most ``threshold`` (otherwise)."""

    label: str          # excellent / good / fair / poor
    threshold: float
    meaning: str


@dataclass(frozen=True)
class Scale:
    measure: str
    title: str
    higher_is_better: bool
    bands: tuple[Band, ...]   # best first; the last band catches everything else

    def band(self, value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return "n/a"
        for b in self.bands[:-1]:
            if (value >= b.threshold) if self.higher_is_better else (value <= b.threshold):
                return b.label
        return self.bands[-1].label

    def thresholds_text(self) -> str:
        """The thresholds written down, e.g. 'excellent ≥ 0.95 · good ≥ 0.90 · … · poor below'."""
        op = "≥" if self.higher_is_better else "≤"
        parts = [f"{b.label} {op} {b.threshold:g}" for b in self.bands[:-1]]
        return " · ".join(parts + [f"{self.bands[-1].label} otherwise"])


def _scale(measure: str, title: str, higher: bool, *rows: tuple[str, float, str]) -> Scale:
    return Scale(measure, title, higher, tuple(Band(*r) for r in rows))


BANDS: dict[str, Scale] = {s.measure: s for s in (
    _scale("marginal", "Column distributions (1 − TVD)", True,
           ("excellent", 0.95, "each column's distribution is almost indistinguishable from the real one"),
           ("good", 0.90, "columns follow the real distributions closely; small shifts"),
           ("fair", 0.80, "the broad shape is right but some values are over- or under-represented"),
           ("poor", -math.inf, "distributions differ clearly from the real table")),
    _scale("pairwise", "Pairs of columns (1 − TVD)", True,
           ("excellent", 0.90, "relationships between columns are kept"),
           ("good", 0.80, "most relationships are kept"),
           ("fair", 0.70, "some relationships are weakened or lost"),
           ("poor", -math.inf, "relationships between columns are largely lost")),
    _scale("association", "Correlation difference (mean |Δ|)", False,
           ("excellent", 0.05, "correlations match the real table"),
           ("good", 0.10, "correlations are close"),
           ("fair", 0.20, "some correlations differ noticeably"),
           ("poor", math.inf, "correlations differ strongly")),
    _scale("utility", "Usefulness for prediction (TSTR relative to TRTR)", True,
           ("excellent", 0.95, "a model trained on synthetic rows predicts real rows about as well as one trained on real rows"),
           ("good", 0.85, "small loss of predictive value"),
           ("fair", 0.70, "usable for exploration; noticeably weaker models"),
           ("poor", -math.inf, "models trained on it predict real rows poorly")),
    _scale("exact_copies", "Synthetic rows copying a training row (above the holdout's rate)", False,
           ("excellent", 0.0, "no more copies of real rows than new, unseen employees would produce"),
           ("good", 0.005, "a handful of coincidental matches"),
           ("fair", 0.02, "some rows match real employees exactly: review before sharing"),
           ("poor", math.inf, "many rows copy real employees: do not share")),
    _scale("dcr", "Distance to closest record (synthetic ÷ holdout, median)", True,
           ("excellent", 1.0, "synthetic rows are no closer to the training rows than unseen real rows are"),
           ("good", 0.9, "slightly closer than unseen rows"),
           ("fair", 0.7, "noticeably closer to training rows: review before sharing"),
           ("poor", -math.inf, "synthetic rows sit on top of training rows: do not share")),
    _scale("membership", "Membership-inference advantage (2·AUC − 1)", False,
           ("excellent", 0.05, "an attacker cannot tell who was in the training table"),
           ("good", 0.10, "a slight signal, within what DP allows"),
           ("fair", 0.20, "a noticeable signal: review ε before sharing"),
           ("poor", math.inf, "an attacker can often tell who was in the training table")),
)}


def band(measure: str, value: float | None) -> str:
    """The band label ('excellent', 'good', 'fair', 'poor' or 'n/a') of ``value`` for ``measure``."""
    return BANDS[measure].band(value)
