"""Categorical and boolean columns: one slot per released category, plus a missing slot.

The categories come from a public list (the user's declaration, or a boolean's two tokens) or,
without one, from the labels the column's survey released through a threshold: a category held
by a single row never appears. The shares come from one more release, the column's measurement.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.encoding.base import ColumnEncoder, Releaser, combined, keeps_missing, register
from engine.schema import ColumnSchema, Kind
from engine.schema.survey import Survey

EMPTY_WEIGHT = 0.5         # a released category measured at zero keeps half a row: it stays possible


@register(Kind.CATEGORICAL, Kind.BOOLEAN)
@dataclass
class CategoricalEncoder(ColumnEncoder):
    """Released categories and their DP shares; whether a missing slot exists."""

    name: str
    categories: list[str]
    frequencies: list[float]      # DP-noised shares of each category (missing excluded)
    has_missing: bool
    missing_share: float = 0.0    # DP-noised share of missing cells

    type_name = "categorical"
    conditionable = True

    @classmethod
    def fit(cls, spec: ColumnSchema, values: pd.Series, survey: Survey | None, releaser: Releaser,
            rows: float) -> "CategoricalEncoder":
        domain = _public_domain(spec)
        if domain is None:
            domain = sorted(survey.labels()) if survey is not None else []
        present = values[values.notna()]
        counts = present.value_counts()
        observed = [int(counts.get(label, 0)) for label in domain] + [len(values) - len(present)]
        noisy, sigma = releaser.histogram(np.array(observed))
        weights, noisy_missing = np.maximum(noisy[:-1], EMPTY_WEIGHT), float(noisy[-1])
        if survey is not None:
            noisy_missing, sigma = combined(noisy_missing, sigma, survey.missing, survey.sigma)
        noisy_missing = max(noisy_missing, 0.0)
        has_missing = keeps_missing(spec, noisy_missing, sigma) or not domain
        total = weights.sum() + noisy_missing
        missing_share = noisy_missing / total if has_missing and total > 0 else 0.0
        return cls(spec.name, list(domain), (weights / weights.sum()).tolist() if domain else [],
                   bool(has_missing), float(missing_share))

    @property
    def slots(self) -> int:
        return len(self.categories) + int(self.has_missing)

    def released_labels(self) -> list[str]:
        return list(self.categories)

    def transform(self, values: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, None]:
        """Slot of each row; categories that were not released are redrawn from the DP shares."""
        lookup = {label: i for i, label in enumerate(self.categories)}
        slots = np.array([-2 if pd.isna(v) else lookup.get(v, -1) for v in values], dtype=np.int64)
        missing = slots == -2
        slots[missing] = len(self.categories) if self.has_missing else -1
        unknown = slots == -1
        if unknown.any():
            if self.categories:
                p = np.asarray(self.frequencies, dtype=float)
                slots[unknown] = rng.choice(len(self.categories), size=int(unknown.sum()), p=p / p.sum())
            else:
                slots[unknown] = len(self.categories)
        return slots, None

    def reverse_transform(self, slot: np.ndarray, scalar: np.ndarray | None, spec: ColumnSchema) -> np.ndarray:
        labels = np.array(self.categories + [None], dtype=object)
        return labels[np.minimum(slot, len(self.categories))]

    def slot_shares(self) -> np.ndarray:
        p = np.asarray(self.frequencies, dtype=float) * (1.0 - self.missing_share)
        if self.has_missing:
            p = np.append(p, self.missing_share if p.sum() > 0 else 1.0)
        return p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / max(len(p), 1))

    def warning(self, spec: ColumnSchema) -> str | None:
        if self.categories or _public_domain(spec) is not None:
            return None
        return "no category is common enough to release at this ε; it will be empty. Declare its categories as " \
               "public or raise ε."

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CategoricalEncoder":
        return cls(**data)


def _public_domain(spec: ColumnSchema) -> list[str] | None:
    """The labels known without reading the data: a boolean's tokens or a declared list."""
    if spec.kind is Kind.BOOLEAN:
        return [spec.false_token, spec.true_token]
    return spec.public_categories
