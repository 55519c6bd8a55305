"""The privacy plan: every release of a run, chosen before the first one is made.

From public facts alone (ε, δ, the schema's declarations, the number of columns, the chosen
synthesizer and its settings) the plan fixes:

1. n̂, a noisy row count (one Gaussian count), released first;
2. for every **size class** of n̂ (:data:`SIZE_EDGES`) — a small table and a large one are learned
   differently, and which class applies is read from n̂ —:

   a. a survey of every column whose facts or shape are not declared (one Gaussian histogram with
      thresholds: :mod:`engine.schema.survey`);
   b. a measurement of every column that may be learned (one Gaussian histogram: its 1-way
      marginal);
   c. the synthesizer's own releases (private choices and measurements of pairs of columns,
      DP-SGD steps).

Every planned release is charged whether or not it is made. Since step 2 depends on n̂, the
guarantee is the RDP bound of the row count plus the *largest* curve over all size classes at
each order (the chain rule of Rényi divergence over the adaptive choice); each class is planned
to the target and the envelope is checked, and tightened if needed, so the ε shown holds whatever
n̂ turned out to be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from engine.errors import DoppelInputError
from engine.privacy import rdp
from engine.privacy.accountant import DEFAULT_DELTA, DOMAIN_DELTA_SHARE, Release, curve_of

SIZE_EDGES = tuple(50 * 2 ** k for k in range(22))   # 50, 100, 200, … ≈ 105 million rows
COUNT_SHARE = 0.04     # share of the budget (in zCDP terms) for the noisy row count: about as precise as one
                       # bin of a measurement (at 1 % its σ was twice that, and n̂'s error became phantom tails
                       # where numeric columns spread the rows their strong bins leave out of n̂)
SURVEY_WEIGHT = 1.5    # a survey's noise is σ_pre / 1.5: its thresholds decide what is seen at all
MEASURE_WEIGHT = 1.0
PLAN_TOLERANCE = 0.002  # the run's bound ends within this of ε (below it, never above)


def _solve(fits: Callable[[float], bool], low: float, high: float, tolerance: float = 1e-4) -> float:
    """Smallest x in [low, high] with ``fits(x)`` (monotone, true at ``high``), to a relative tolerance."""
    if not fits(high):
        raise ValueError("no value fits")
    while high / low > 1.0 + tolerance:
        middle = math.sqrt(low * high)
        if fits(middle):
            high = middle
        else:
            low = middle
    return high


def rho_of(epsilon: float, delta: float) -> float:
    """The zCDP-like budget ρ (a Gaussian curve α·ρ) that converts to exactly ε at δ."""
    return 1.0 / (2.0 * _solve(lambda s: rdp.epsilon(rdp.gaussian(s), delta) <= epsilon, 1e-3, 1e6) ** 2)


@dataclass(frozen=True)
class ColumnPlan:
    name: str
    survey: bool          # its facts or shape are not declared: one thresholded histogram first
    measure: bool         # it may be learned: one histogram of its values


@dataclass
class Budget:
    """What one size class leaves for the synthesizer: its releases fit when, added to everything
    planned before them, they convert to at most the target ε."""

    fixed: np.ndarray
    epsilon: float
    delta: float
    _solved: dict[Any, float] = field(default_factory=dict)

    def fits(self, releases: list[Release]) -> bool:
        return rdp.epsilon(self.fixed + curve_of(releases), self.delta) <= self.epsilon

    def rho_left(self) -> float:
        """The zCDP-like budget ρ still free: α·ρ added to what is fixed converts to the target."""
        try:
            sigma = _solve(lambda s: self.fits([Release(s)]), 1e-3, 1e7)
        except ValueError:
            return 0.0
        return 1.0 / (2.0 * sigma ** 2)

    def smallest(self, releases: Callable[[float], list[Release]], key: Any, low: float = 0.3,
                 high: float = 1e4) -> float:
        """The smallest noise scale x for which ``releases(x)`` fits (remembered under ``key``: size
        classes with the same releases share one answer)."""
        if key not in self._solved:
            try:
                self._solved[key] = _solve(lambda x: self.fits(releases(x)), low, high)
            except ValueError:
                raise DoppelInputError("The preprocessing alone spends the whole budget; raise ε or declare "
                                       "public bounds and categories in the schema.") from None
        return self._solved[key]


@dataclass
class SynthesizerPlan:
    """A synthesizer's releases in one size class, and the facts it needs to make them."""

    releases: list[Release]
    facts: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"releases": [r.to_json() for r in self.releases], "facts": self.facts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SynthesizerPlan":
        return cls([Release.from_json(r) for r in data["releases"]], dict(data["facts"]))


@dataclass
class ClassPlan:
    """What a run whose n̂ falls in one size class releases after the count."""

    sigma_pre: float                # base noise of the surveys and measurements
    synthesizer: SynthesizerPlan

    def to_json(self) -> dict[str, Any]:
        return {"sigma_pre": self.sigma_pre, "synthesizer": self.synthesizer.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ClassPlan":
        return cls(float(data["sigma_pre"]), SynthesizerPlan.from_json(data["synthesizer"]))


@dataclass
class PrivacyPlan:
    epsilon: float
    delta: float
    domain_delta: float
    count_sigma: float
    columns: list[ColumnPlan]
    classes: dict[int, ClassPlan] = field(default_factory=dict)
    bound: float = 0.0          # ε of the envelope: what the run guarantees, whatever n̂ is

    @property
    def rdp_delta(self) -> float:
        return self.delta - self.domain_delta

    def column(self, name: str) -> ColumnPlan:
        return next(c for c in self.columns if c.name == name)

    def survey_delta(self) -> float:
        """δ share of each survey's thresholds."""
        surveys = sum(c.survey for c in self.columns)
        return self.domain_delta / surveys if surveys else 0.0

    def preprocessing(self, sigma_pre: float) -> list[Release]:
        """The row count, then every survey and measurement at this base noise."""
        surveys = sum(c.survey for c in self.columns)
        measures = sum(c.measure for c in self.columns)
        return [Release(self.count_sigma)] \
            + ([Release(sigma_pre / SURVEY_WEIGHT, count=surveys)] if surveys else []) \
            + ([Release(sigma_pre / MEASURE_WEIGHT, count=measures)] if measures else [])

    def size_class(self, rows: float) -> int:
        """The size class (its smallest row count) of a table of about ``rows`` rows."""
        if rows < SIZE_EDGES[0]:
            raise DoppelInputError(f"the table has too few rows for DP training (about {max(rows, 0):.0f}; at "
                                   f"least {SIZE_EDGES[0]} are needed at any ε); add rows or train on a larger table.")
        if rows >= 2 * SIZE_EDGES[-1]:
            raise DoppelInputError("the table has more rows than Doppel plans for (over 200 million).")
        return max(edge for edge in SIZE_EDGES if edge <= rows)

    def for_rows(self, rows: float) -> ClassPlan:
        return self.classes[self.size_class(rows)]

    def to_json(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "delta": self.delta, "domain_delta": self.domain_delta,
                "count_sigma": self.count_sigma, "columns": [[c.name, c.survey, c.measure] for c in self.columns],
                "classes": {str(k): v.to_json() for k, v in self.classes.items()}, "bound": self.bound}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PrivacyPlan":
        return cls(float(data["epsilon"]), float(data["delta"]), float(data["domain_delta"]),
                   float(data["count_sigma"]), [ColumnPlan(str(n), bool(s), bool(m)) for n, s, m in data["columns"]],
                   {int(k): ClassPlan.from_json(v) for k, v in data["classes"].items()}, float(data["bound"]))


PlanSynthesizer = Callable[[int, Budget], SynthesizerPlan]


def make_plan(epsilon: float, delta: float | None, preprocessing_share: Callable[[int], float],
              columns: list[ColumnPlan], plan_synthesizer: PlanSynthesizer) -> PrivacyPlan:
    """The whole run's plan before any row is read (see the module docstring).

    For a size class whose smallest table has ``rows`` rows, ``preprocessing_share(rows)`` is the
    share of what the row count leaves (in ε) that its surveys and measurements may spend, and
    ``plan_synthesizer(rows, budget)`` plans the synthesizer within what is left.
    """
    delta = DEFAULT_DELTA if delta is None else delta
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise DoppelInputError(f"ε must be a positive number, got {epsilon}; try 1 to 10.")
    if not 0 < delta < 1.0 / SIZE_EDGES[0]:
        raise DoppelInputError(f"δ = {delta:g} is too large: it must be well below 1/n (and below "
                               f"{1 / SIZE_EDGES[0]:g} for any table); leave it unset for the default.")
    domain_delta = DOMAIN_DELTA_SHARE * delta if any(c.survey for c in columns) else 0.0
    rdp_delta = delta - domain_delta
    rho = rho_of(epsilon, rdp_delta)
    count_sigma = math.sqrt(1.0 / (2.0 * COUNT_SHARE * rho))
    plan = PrivacyPlan(epsilon, delta, domain_delta, count_sigma, columns)
    # the count comes off the top: a class's preprocessing share is of what the count leaves (ε of
    # the remaining ρ alone), so a class with a small share is not starved by a count it shares
    rest_epsilon = rdp.epsilon(rdp.gaussian(math.sqrt(1.0 / (2.0 * (1.0 - COUNT_SHARE) * rho))), rdp_delta)
    weight = SURVEY_WEIGHT ** 2 * sum(c.survey for c in columns) + MEASURE_WEIGHT ** 2 * sum(c.measure for c in columns)
    sigma_pre: dict[int, float] = {}
    for edge in SIZE_EDGES:
        share = preprocessing_share(edge)
        if not 0 < share < 1:
            raise DoppelInputError(f"The preprocessing share must be above 0 and below 1, to leave room for the "
                                   f"model; got {share:g}.")
        target = share * rest_epsilon
        sigma_pre[edge] = _solve(lambda s: rdp.epsilon(weight * rdp.gaussian(s), rdp_delta) <= target,
                                 1e-2, 1e7) if weight else 1.0
    fixed = {edge: curve_of(plan.preprocessing(sigma)) for edge, sigma in sigma_pre.items()}

    def attempt(aim: float) -> tuple[float, dict[int, ClassPlan]]:
        """Every size class planned to ``aim``; the ε of their envelope."""
        budgets: dict[float, Budget] = {}
        classes = {}
        for edge in SIZE_EDGES:
            budget = budgets.setdefault(sigma_pre[edge], Budget(fixed[edge], aim, rdp_delta))
            classes[edge] = ClassPlan(sigma_pre[edge], plan_synthesizer(edge, budget))
        envelope = np.max([fixed[e] + curve_of(c.synthesizer.releases) for e, c in classes.items()], axis=0)
        return rdp.epsilon(envelope, rdp_delta), classes

    # each class alone spends ``aim``; their envelope a little more: find the aim whose envelope
    # spends ε (secant steps; the bound is nearly linear in the aim), never above ε
    tried: list[tuple[float, float, dict[int, ClassPlan]]] = []
    aim = epsilon
    for _ in range(8):
        bound, classes = attempt(aim)
        tried.append((aim, bound, classes))
        if epsilon - PLAN_TOLERANCE <= bound <= epsilon:
            break
        below = [t for t in tried if t[1] <= epsilon]
        if len(tried) == 1:
            aim = epsilon - (bound - epsilon) if bound > epsilon else epsilon
        else:
            (a0, b0, _), (a1, b1, _) = tried[-2], tried[-1]
            aim = a1 + (epsilon - PLAN_TOLERANCE / 2 - b1) * (a1 - a0) / (b1 - b0) if b1 != b0 else a1 * 0.99
        if below and aim <= max(t[0] for t in below):
            break
    below = [t for t in tried if t[1] <= epsilon]
    if not below:
        raise DoppelInputError("No plan fits this budget; raise ε.")
    _, plan.bound, plan.classes = max(below, key=lambda t: t[1])
    return plan
