"""One learned column ⇄ a span of the encoded row, fitted only from DP releases or public declarations.

Each kind of column has one encoder class (RDT's ``fit`` / ``transform`` / ``reverse_transform``
shape). The class declares the releases its ``fit`` will make (:meth:`ColumnEncoder.release_weights`)
so σ can be planned before any row is read, and ``fit`` makes exactly those through a
:class:`Releaser`, which charges each one to the run's accountant and checks the declaration.
A new kind is one new module with a class registered for it here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, TypeVar

import numpy as np
import pandas as pd

from engine.privacy.accountant import PrivacyAccountant
from engine.privacy.mechanisms import dp_category_domain, noisy_counts
from engine.schema import ColumnSchema, Kind

_REGISTRY: dict[str, type["ColumnEncoder"]] = {}
_BY_KIND: dict[Kind, type["ColumnEncoder"]] = {}
E = TypeVar("E", bound=type["ColumnEncoder"])


def register(*kinds: Kind) -> Callable[[E], E]:
    """Class decorator: this encoder handles ``kinds`` and is stored under its ``type_name``."""
    def add(cls: E) -> E:
        _REGISTRY[cls.type_name] = cls
        for kind in kinds:
            _BY_KIND[kind] = cls
        return cls
    return add


def encoder_class(spec: ColumnSchema) -> type["ColumnEncoder"]:
    """The encoder class that learns a column of this kind."""
    return _BY_KIND[spec.kind]


def encoder_from_json(data: dict[str, Any]) -> "ColumnEncoder":
    """Rebuild a fitted encoder from its JSON form (as stored in bundles and checkpoints)."""
    entry = dict(data)
    return _REGISTRY[entry.pop("type")].from_json(entry)


class Releaser:
    """The only way an encoder's ``fit`` touches real counts: each call is one Gaussian release of
    sensitivity 1 with noise σ_pre / weight, charged to the accountant.

    ``expect`` is the column's declared weights; :meth:`done` checks that exactly those were used
    (a release may be skipped when an earlier one shows it is pointless, never added).
    """

    def __init__(self, accountant: PrivacyAccountant, sigma: float, rng: np.random.Generator,
                 domain_delta: float) -> None:
        self.accountant, self.sigma, self.rng, self.domain_delta = accountant, sigma, rng, domain_delta
        self._expected: list[float] = []

    def expect(self, weights: list[float]) -> None:
        self._expected = list(weights)

    def _take(self, weight: float) -> float:
        if not self._expected or self._expected[0] != weight:
            raise AssertionError(f"release of weight {weight} was not declared (declared: {self._expected})")
        self._expected.pop(0)
        sigma = self.sigma / weight
        self.accountant.record_gaussian(sigma)
        return sigma

    def skip(self) -> None:
        """The next declared release is not made (nothing is released, nothing charged)."""
        self._expected.pop(0)

    def histogram(self, counts: np.ndarray, weight: float = 1.0) -> tuple[np.ndarray, float]:
        """Noisy counts of a histogram (a row falls in exactly one bin), and the σ used."""
        sigma = self._take(weight)
        return noisy_counts(np.asarray(counts, dtype=float), sigma, self.rng), sigma

    def domain(self, counts: dict[str, int], missing: int, weight: float) -> tuple[dict[str, float], float, float]:
        """Thresholded category domain with the missing count in the same release: the released
        labels with their noisy counts, the noisy missing count, and the σ used."""
        sigma = self._take(weight)
        released = dp_category_domain(counts, sigma, self.domain_delta, self.rng)
        return released, float(noisy_counts(np.array([missing]), sigma, self.rng)[0]), sigma

    def done(self) -> None:
        if self._expected:
            raise AssertionError(f"declared releases not made: {self._expected}")


class ColumnEncoder(ABC):
    """A fitted column: its span is ``slots`` one-hot slots (missing included) and, when
    ``has_scalar``, one scalar in (0, 1) after them."""

    type_name: ClassVar[str]
    has_scalar: ClassVar[bool] = False
    conditionable: ClassVar[bool] = False     # may steer the generator through a condition vector
    name: str

    @classmethod
    @abstractmethod
    def release_weights(cls, spec: ColumnSchema) -> list[float]:
        """The precision weight of each release :meth:`fit` will make for this column, in order."""

    @classmethod
    @abstractmethod
    def fit(cls, spec: ColumnSchema, values: pd.Series, releaser: Releaser) -> "ColumnEncoder":
        """Fit from DP releases of ``values`` (typed by ``spec.values``) or the spec's public declarations."""

    @property
    @abstractmethod
    def slots(self) -> int:
        """One-hot slots of the span (the missing slot included)."""

    @property
    def width(self) -> int:
        return self.slots + int(self.has_scalar)

    @abstractmethod
    def transform(self, values: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """Each row's slot, and its scalar when the span has one."""

    @abstractmethod
    def reverse_transform(self, slot: np.ndarray, scalar: np.ndarray | None, spec: ColumnSchema) -> np.ndarray:
        """Slots (and scalars) back to typed values: labels (None for missing) or numbers (NaN)."""

    @abstractmethod
    def slot_shares(self) -> np.ndarray:
        """The DP share of each slot (sums to 1): the marginal the generator should reproduce."""

    @classmethod
    def uses_threshold(cls, spec: ColumnSchema) -> bool:
        """Whether fitting thresholds a data-derived domain (and so spends part of δ)."""
        return False

    def released_labels(self) -> list[str] | None:
        """The labels this column can take in the output (None for numbers)."""
        return None

    def warning(self, spec: ColumnSchema) -> str | None:
        """Why the DP releases left this column empty, and what the user can do (None when fine)."""
        return None

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The fitted state as JSON values, with ``type``: only DP releases and public facts."""

    @classmethod
    @abstractmethod
    def from_json(cls, data: dict[str, Any]) -> "ColumnEncoder":
        """Inverse of :meth:`to_json` (without ``type``)."""
