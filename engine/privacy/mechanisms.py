"""The DP mechanisms preprocessing uses on real rows: Gaussian histograms and thresholded counts.

Each takes true counts and a noise scale and returns what may be released (noisy counts are
rounded to whole numbers first: nothing downstream reads the noise's low-order bits); the
caller charges the release to the run's accountant.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

MIN_CATEGORY_ROWS = 2      # a class must be held by at least this many rows to be considered


def noisy_counts(counts: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian mechanism on a histogram (sensitivity 1), rounded and clipped at zero."""
    noisy = np.round(counts.astype(float) + rng.normal(0.0, sigma, size=counts.shape))
    return np.clip(noisy, 0.0, None)


def category_threshold(sigma: float, class_delta: float) -> float:
    """Noisy-count threshold so that a class held by one extra row appears w.p. ≤ ``class_delta``.

    Classes need ``MIN_CATEGORY_ROWS`` real rows to be considered; between neighbouring
    tables the count of some class moves from ``MIN_CATEGORY_ROWS - 1`` (never shown) to
    ``MIN_CATEGORY_ROWS``, and then must still beat this threshold.
    """
    return MIN_CATEGORY_ROWS + sigma * float(norm.isf(class_delta))


def thresholded_counts(counts: dict[str, int], sigma: float, class_delta: float,
                       rng: np.random.Generator) -> dict[str, float]:
    """Classes whose noisy count passes the threshold, with their noisy counts.

    ``counts`` maps each observed class to its true count; classes that fail are never seen by
    anything downstream, so a class held by a single row cannot reach any output.
    """
    threshold = category_threshold(sigma, class_delta)
    released: dict[str, float] = {}
    for label in sorted(counts):
        count = counts[label]
        if count < MIN_CATEGORY_ROWS:
            continue
        noisy = float(np.round(count + rng.normal(0.0, sigma)))
        if noisy >= threshold:
            released[label] = noisy
    return released
