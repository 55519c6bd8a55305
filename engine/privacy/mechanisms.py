"""The DP mechanisms preprocessing uses on real rows: Gaussian histograms and thresholded domains.

Each takes true counts and a noise scale and returns what may be released; the caller charges
the release to the run's :class:`~engine.privacy.accountant.PrivacyAccountant`.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

MIN_CATEGORY_ROWS = 2      # a category must be held by at least this many rows to be considered

def noisy_counts(counts: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian mechanism on a histogram (sensitivity 1), clipped at zero."""
    noisy = counts.astype(float) + rng.normal(0.0, sigma, size=counts.shape)
    return np.clip(noisy, 0.0, None)


def category_threshold(sigma: float, column_delta: float) -> float:
    """Noisy-count threshold so that a category held by one extra row appears w.p. ≤ column_delta.

    Categories need ``MIN_CATEGORY_ROWS`` real rows to be considered; between neighbouring
    tables the count of some category moves from ``MIN_CATEGORY_ROWS - 1`` (never shown) to
    ``MIN_CATEGORY_ROWS``, and then must still beat this threshold.
    """
    return MIN_CATEGORY_ROWS + sigma * float(norm.isf(column_delta))


def dp_category_domain(values: dict[str, int], sigma: float, column_delta: float,
                       rng: np.random.Generator) -> dict[str, float]:
    """Categories whose noisy count passes the threshold, with their noisy counts.

    ``values`` maps each observed category to its true count; labels that fail are never seen
    by anything downstream, so a category held by a single row cannot reach any output.
    """
    threshold = category_threshold(sigma, column_delta)
    released: dict[str, float] = {}
    for label in sorted(values):
        count = values[label]
        if count < MIN_CATEGORY_ROWS:
            continue
        noisy = count + rng.normal(0.0, sigma)
        if noisy >= threshold:
            released[label] = float(noisy)
    return released
