"""What an evaluation returns: aggregates only (shares, medians, histograms, category names).

No individual real row is ever part of a result, but the figures describe the real table: they
are not covered by the DP guarantee (:data:`NOT_PRIVATE_NOTICE`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


NOT_PRIVATE_NOTICE = (
    "This report compares the synthetic table with the real one. That comparison reads real rows and is "
    "NOT covered by the differential-privacy guarantee of the synthetic table: its numbers, histograms and "
    "category lists describe the real employees. Keep the report inside the HR team; do not share it "
    "outside the team together with (or instead of) the synthetic table.")


@dataclass(frozen=True)
class ColumnFidelity:
    column: str
    kind: str
    fidelity: float             # 1 − TVD, numbers in 20 quantile bins of the real column
    band: str
    real_missing: float
    synthetic_missing: float


@dataclass(frozen=True)
class PairFidelity:
    left: str
    right: str
    fidelity: float


@dataclass(frozen=True)
class Histogram:
    """Real and synthetic shares over display bins (aggregates only)."""

    column: str
    kind: str
    labels: tuple[str, ...]
    real: tuple[float, ...]
    synthetic: tuple[float, ...]
    numeric: bool


@dataclass(frozen=True)
class Associations:
    """Mixed association matrix: Pearson r (number–number), Cramér's V (category–category),
    correlation ratio η (number–category)."""

    columns: tuple[str, ...]
    real: tuple[tuple[float, ...], ...]
    synthetic: tuple[tuple[float, ...], ...]
    mean_abs_difference: float
    band: str

    @property
    def difference(self) -> np.ndarray:
        return np.asarray(self.synthetic, dtype=float) - np.asarray(self.real, dtype=float)


@dataclass(frozen=True)
class Utility:
    target: str
    task: str                  # binary / multiclass / regression
    metric: str                # roc_auc / accuracy / r2
    tstr: float                # trained on synthetic, tested on the real holdout
    trtr: float                # trained on real training rows, tested on the real holdout
    chance: float              # the metric of a constant guess (0.5 AUC, majority share, R² 0)
    relative: float            # (tstr − chance) / (trtr − chance)
    band: str
    train_rows_real: int
    train_rows_synthetic: int
    test_rows: int


@dataclass(frozen=True)
class PrivacyRisk:
    dcr_synthetic_median: float     # synthetic → closest training row
    dcr_holdout_median: float       # holdout → closest training row (the baseline)
    dcr_synthetic_p5: float
    dcr_holdout_p5: float
    dcr_ratio: float                # synthetic median ÷ holdout median
    dcr_band: str
    exact_copy_share: float         # synthetic rows identical to a training row
    holdout_copy_share: float       # holdout rows identical to a training row (baseline)
    exact_copy_band: str
    mia_auc: float                  # distance attack: closer to a synthetic row ⇒ "member"
    mia_advantage: float            # max(0, 2·AUC − 1)
    mia_band: str
    dcr_edges: tuple[float, ...]    # shared histogram of the two distance distributions
    dcr_synthetic_hist: tuple[float, ...]
    dcr_holdout_hist: tuple[float, ...]
    rows_used: int


@dataclass(frozen=True)
class Coverage:
    column: str
    real_categories: int
    synthetic_categories: int
    missing: tuple[str, ...]        # real categories never generated (mode collapse)
    missing_share: float            # share of real rows whose category is missing from synthetic
    synthetic_only: tuple[str, ...]
    synthetic_only_share: float     # share of synthetic rows with a category absent from the real table


@dataclass(frozen=True)
class RunFacts:
    """The run's privacy facts as the report shows them; ``facts`` are the synthesizer's own
    (σ, q, steps for DP-SGD), ``losses`` its named loss series as (step, value) points."""

    epsilon: float | None
    epsilon_target: float | None
    delta: float | None
    preprocessing_epsilon: float | None
    accountant: str | None
    ledger_total: float | None
    synthesizer: str | None = None
    facts: tuple[tuple[str, float], ...] = ()
    epsilon_curve: tuple[tuple[int, float], ...] = ()          # (step, ε spent)
    losses: tuple[tuple[str, tuple[tuple[int, float], ...]], ...] = ()   # (series, points)


@dataclass(frozen=True)
class EvaluationResult:
    rows_real: int
    rows_synthetic: int
    rows_train: int
    rows_holdout: int
    holdout: str                                  # how the holdout was obtained, in words
    seed: int
    marginal: float
    marginal_band: str
    columns: tuple[ColumnFidelity, ...]
    pairwise: float
    pairwise_band: str
    worst_pairs: tuple[PairFidelity, ...]
    associations: Associations | None
    utility: Utility | None
    privacy: PrivacyRisk | None
    coverage: tuple[Coverage, ...]
    histograms: tuple[Histogram, ...]
    run: RunFacts | None
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    seconds: float
    notice: str = NOT_PRIVATE_NOTICE

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and ∞ become null)."""
        return _clean(asdict(self))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
