"""The table encoder: every learned column's encoder side by side, as one reversible row transform.

Each column becomes a *span* of one-hot slots that a generator fills through a (Gumbel-)softmax,
followed by one scalar for numeric columns (see :mod:`.categorical`, :mod:`.numeric`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.encoding.base import ColumnEncoder, encoder_from_json
from engine.schema import Schema


@dataclass(frozen=True)
class Span:
    """Where a column lives in the encoded vector."""

    name: str
    start: int
    slots: int            # one-hot slots (softmax), missing slot included
    scalar: int | None    # index of the scalar ``u`` for numeric columns


class TableEncoder:
    """The fitted transform. Built by :func:`engine.encoding.fit.preprocess`; stored in bundles as JSON."""

    def __init__(self, columns: list[ColumnEncoder]) -> None:
        self.columns = columns
        self.spans: list[Span] = []
        offset = 0
        for column in columns:
            scalar = offset + column.slots if column.has_scalar else None
            self.spans.append(Span(column.name, offset, column.slots, scalar))
            offset += column.width
        self.width = offset

    @property
    def condition_columns(self) -> list[int]:
        """Indices of the columns a generator can be conditioned on (categorical, two slots or more)."""
        return [i for i, c in enumerate(self.columns) if c.conditionable and c.width > 1]

    def condition_probabilities(self) -> list[np.ndarray]:
        """For each condition column, the DP share of each slot (missing slot included)."""
        return [self.columns[i].slot_shares() for i in self.condition_columns]

    def marginal_targets(self) -> list[np.ndarray]:
        """For every span, the DP share of each slot: what a generator's batch average should be.

        Built only from the DP releases the encoder was fitted with, so using it as a training
        signal costs no budget.
        """
        return [column.slot_shares() for column in self.columns]

    def index_of(self, name: str) -> int:
        for i, column in enumerate(self.columns):
            if column.name == name:
                return i
        raise KeyError(name)

    def transform(self, typed: dict[str, pd.Series], rng: np.random.Generator) -> np.ndarray:
        """Encode real rows (typed by ``ColumnSchema.values``) into a float32 matrix."""
        n = len(next(iter(typed.values())))
        out = np.zeros((n, self.width), dtype=np.float32)
        for column, span in zip(self.columns, self.spans):
            slot, scalar = column.transform(typed[column.name], rng)
            out[np.arange(n), span.start + slot] = 1.0
            if scalar is not None:
                out[:, span.scalar] = scalar
        return out

    def inverse_transform(self, matrix: np.ndarray, schema: Schema) -> dict[str, np.ndarray]:
        """Decode encoded rows (one-hot slots already drawn) into typed arrays: labels (None for
        missing) for categorical columns, numbers in the column's unit (days for dates, NaN for
        missing) for numeric ones."""
        out: dict[str, np.ndarray] = {}
        for column, span in zip(self.columns, self.spans):
            slot = matrix[:, span.start:span.start + span.slots].argmax(axis=1)
            scalar = matrix[:, span.scalar] if span.scalar is not None else None
            out[column.name] = column.reverse_transform(slot, scalar, schema[column.name])
        return out

    def to_json(self) -> list[dict[str, Any]]:
        return [column.to_json() for column in self.columns]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> "TableEncoder":
        return cls([encoder_from_json(entry) for entry in data])
