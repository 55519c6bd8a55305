"""One learned column ⇄ a span of the encoded row, fitted only from DP releases or public declarations.

Each kind of column has one encoder class (RDT's ``fit`` / ``transform`` / ``reverse_transform``
shape). ``fit`` receives the column's survey (when its shape was not declared) and makes exactly
one release, the column's measurement, through the :class:`Releaser`, which is the only way
preprocessing touches real counts: every call is one release of the run's plan, charged at its
planned noise. A new kind is one new module with a class registered for it here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, TypeVar

import numpy as np
import pandas as pd

from engine.privacy.accountant import PrivacyAccountant, Release
from engine.privacy.mechanisms import noisy_counts, thresholded_counts
from engine.privacy.plan import MEASURE_WEIGHT, SURVEY_WEIGHT, PrivacyPlan
from engine.privacy.randomness import NoiseSource
from engine.schema import ColumnSchema, Kind
from engine.schema.survey import Survey, public_classes

MISSING_SIGNAL_Z = 3.0  # an undeclared column has an empty slot only if its noisy count of empty cells clears 3σ
PUBLIC_CLASS_Z = 4.5    # a data-free survey class counts as seen above 4.5σ (~1 false class in 300,000)

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
    """Makes the plan's preprocessing releases, each charged at its planned noise when it is made
    or skipped; :meth:`done` checks that every planned release was charged exactly once."""

    def __init__(self, plan: PrivacyPlan, accountant: PrivacyAccountant, noise: NoiseSource) -> None:
        self.plan, self.accountant, self.noise = plan, accountant, noise
        self._left = {"count": 1, "survey": sum(c.survey for c in plan.columns),
                      "measure": sum(c.measure for c in plan.columns)}
        self.survey_sigma = self.measure_sigma = 0.0

    def use_class(self, sigma_pre: float) -> None:
        """The noise of the surveys and measurements, chosen by the size class n̂ falls in."""
        self.survey_sigma, self.measure_sigma = sigma_pre / SURVEY_WEIGHT, sigma_pre / MEASURE_WEIGHT

    def _charge(self, what: str, sigma: float) -> None:
        if self._left[what] <= 0 or sigma <= 0:
            raise AssertionError(f"a {what} release that was not planned")
        self._left[what] -= 1
        self.accountant.record(Release(sigma))

    def count(self, rows: int) -> float:
        """n̂: the number of rows plus Gaussian noise (rounded)."""
        self._charge("count", self.plan.count_sigma)
        return float(np.round(rows + self.noise.normal((), self.plan.count_sigma)))

    def survey(self, counts: dict[str, int], missing: int, kind: Kind | None) -> Survey:
        """The column's survey: every data-free class of ``kind`` noised (seen above a few σ), the
        data's labels through a threshold (a label held by one row never appears), the missing
        cells counted; one release of sensitivity 1 (each row is in one class)."""
        sigma = self.survey_sigma
        self._charge("survey", sigma)
        public = public_classes(kind)
        noisy = np.round(np.array([counts.get(k, 0) for k in public], dtype=float)
                         + self.noise.normal(len(public), sigma))
        seen = {k: float(v) for k, v in zip(public, noisy) if v >= PUBLIC_CLASS_Z * sigma}
        labels = {k: v for k, v in counts.items() if k.startswith("l|")}
        seen.update(thresholded_counts(labels, sigma, self.plan.survey_delta(), self.noise.numpy))
        small = {int(k[2:]): float(v) for k, v in zip(public, noisy) if k.startswith("i|")}
        missing_noisy = float(np.round(missing + self.noise.normal((), sigma)))
        return Survey(seen, max(missing_noisy, 0.0), sigma, small)

    def histogram(self, counts: np.ndarray) -> tuple[np.ndarray, float]:
        """The column's measurement: noisy counts of a histogram (a row falls in exactly one bin)."""
        sigma = self.measure_sigma
        self._charge("measure", sigma)
        return noisy_counts(np.asarray(counts, dtype=float), sigma, self.noise.numpy), sigma

    def skip_measurement(self) -> None:
        """A planned measurement not made (the column turned out not to be learned): charged all the same."""
        self._charge("measure", self.measure_sigma)

    def done(self) -> None:
        left = {k: v for k, v in self._left.items() if v}
        if left:
            raise AssertionError(f"planned releases not charged: {left}")


def combined(first: float, first_sigma: float, second: float, second_sigma: float) -> tuple[float, float]:
    """Two independent noisy counts of the same thing averaged by their precision, and the noise left
    (post-processing: a column's survey and its measurement both count its missing cells)."""
    w1, w2 = first_sigma ** -2, second_sigma ** -2
    return (w1 * first + w2 * second) / (w1 + w2), float((w1 + w2) ** -0.5)


def keeps_missing(spec: ColumnSchema, noisy_missing: float, sigma: float) -> bool:
    """Whether a column gets an empty slot: as declared, else when the noisy count of its empty
    cells clears ``MISSING_SIGNAL_Z``·σ (below it a slot would mostly hold noise)."""
    if spec.public_missing is not None:
        return spec.public_missing
    return noisy_missing >= MISSING_SIGNAL_Z * sigma


class ColumnEncoder(ABC):
    """A fitted column: its span is ``slots`` one-hot slots (missing included) and, when
    ``has_scalar``, one scalar in (0, 1) after them."""

    type_name: ClassVar[str]
    has_scalar: ClassVar[bool] = False
    conditionable: ClassVar[bool] = False     # may steer the generator through a condition vector
    name: str

    @classmethod
    @abstractmethod
    def fit(cls, spec: ColumnSchema, values: pd.Series, survey: Survey | None, releaser: Releaser,
            rows: float) -> "ColumnEncoder":
        """Fit from the column's survey (None: its shape is declared) and one measurement of
        ``values`` (typed by ``spec.values``); ``rows`` is n̂."""

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
