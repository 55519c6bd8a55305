"""The accountant: every release of a run, composed in Rényi DP and converted to the ε the user sees.

A release is ``count`` uses of one mechanism (:class:`Release`): a Gaussian of sensitivity 1
with noise σ on the whole table (histograms, counts) or on a Poisson sample at ``rate`` (a
DP-SGD step), or an ε₀-DP exponential mechanism (a private choice). The run's plan
(:mod:`.plan`) lists every release before the first one is made; this accountant records those
made, answers the check before every step, and restores itself from a checkpoint.

Category domains and the survey of a column use a threshold on noisy counts, which costs a
small part of δ (``domain_delta``): the chance that a class held by a single extra row crosses
the threshold. See ``docs/privacy.md`` for the analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.errors import DoppelInputError
from engine.privacy import rdp

DOMAIN_DELTA_SHARE = 0.1   # part of δ reserved for thresholded domains
DEFAULT_DELTA = 1e-5
MAX_DEFAULT_DELTA_ROWS = 35_000   # above this, n^-1.1 < 1e-5: the user must choose δ


def default_delta(rows: int) -> float:
    """δ = min(1e-5, n^-1.1): well below 1/n, so no single row can be released outright."""
    return float(min(DEFAULT_DELTA, rows ** -1.1))


@dataclass(frozen=True)
class Release:
    """``count`` uses of one mechanism; see the module docstring."""

    sigma: float = 0.0          # Gaussian noise (sensitivity 1); 0 for an exponential mechanism
    rate: float = 1.0           # Poisson sampling rate (1: every row)
    count: int = 1
    exponential: float = 0.0    # ε₀ of an exponential mechanism

    def curve(self) -> np.ndarray:
        """The RDP curve of all ``count`` uses."""
        if self.exponential:
            return self.count * rdp.exponential(self.exponential)
        return self.count * rdp.subsampled_gaussian(self.rate, self.sigma)

    def to_json(self) -> list[float]:
        return [self.sigma, self.rate, self.count, self.exponential]

    @classmethod
    def from_json(cls, data: list[float]) -> "Release":
        sigma, rate, count, *rest = data
        return cls(float(sigma), float(rate), int(count), float(rest[0]) if rest else 0.0)


def curve_of(releases: list[Release]) -> np.ndarray:
    return sum((r.curve() for r in releases), np.zeros_like(rdp.ORDERS))


@dataclass
class PrivacyAccountant:
    """The releases one run has made, against its target ε.

    ``delta`` is the user's δ; ``domain_delta`` of it pays for thresholds and the rest
    (``rdp_delta``) converts the composed curve into ε.
    """

    epsilon: float
    delta: float
    domain_delta: float = 0.0
    history: list[Release] = field(default_factory=list)
    _fixed: np.ndarray = field(default_factory=lambda: np.zeros_like(rdp.ORDERS))
    _step: Release | None = None
    _steps_done: int = 0

    def __post_init__(self) -> None:
        if not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise DoppelInputError(f"ε must be a positive number, got {self.epsilon}; try 1 to 10.")
        if not 0 < self.delta < 1:
            raise DoppelInputError(f"δ must be between 0 and 1, got {self.delta}; leave it unset for the default.")

    @property
    def rdp_delta(self) -> float:
        return self.delta - self.domain_delta

    def record(self, release: Release) -> None:
        """Charge a release that was made (consecutive equal mechanisms are merged)."""
        self._fixed = self._fixed + release.curve()
        last = self.history[-1] if self.history else None
        if last is not None and (last.sigma, last.rate, last.exponential) == (release.sigma, release.rate,
                                                                               release.exponential):
            self.history[-1] = Release(last.sigma, last.rate, last.count + release.count, last.exponential)
        else:
            self.history.append(release)

    def spent(self) -> float:
        """ε of what has been recorded (steps still running are counted by :meth:`epsilon_after`)."""
        return rdp.epsilon(self._fixed, self.rdp_delta) if self.history else 0.0

    # ------------------------------------------------------------------ a stepped mechanism
    def start_steps(self, step: Release) -> None:
        """A mechanism used once per step (DP-SGD): ``epsilon_after(t)`` then answers in microseconds."""
        self._step = Release(step.sigma, step.rate, 1, step.exponential)
        self._step_curve = self._step.curve()

    def epsilon_after(self, steps: int) -> float:
        """ε once ``steps`` steps have been taken (everything recorded before included)."""
        extra = steps * self._step_curve if self._step is not None else 0.0
        return rdp.epsilon(self._fixed + extra, self.rdp_delta)

    def can_step(self, steps_taken: int) -> bool:
        """The check before every step: would one more step pass the target ε?"""
        return self.epsilon_after(steps_taken + 1) <= self.epsilon

    def finish_steps(self, steps: int) -> None:
        """Record the steps taken as one release."""
        self._steps_done = int(steps)
        if steps and self._step is not None:
            self.record(Release(self._step.sigma, self._step.rate, int(steps), self._step.exponential))
            self._step = None

    def epsilon_curve(self, before: float, points: int = 40) -> list[tuple[int, float]]:
        """ε after evenly spaced steps of the finished stepped mechanism (or, without one, after each
        release), starting from ``before`` (what was spent when the steps or rounds began)."""
        done = self._steps_done
        if not self.history:
            return [(0, self.spent())]
        if not done:        # no stepped mechanism (pairs measured in rounds): ε after each release past ``before``
            total, curve = np.zeros_like(rdp.ORDERS), []
            for release in self.history:
                total = total + release.curve()
                spent = rdp.epsilon(total, self.rdp_delta)
                if spent > before + 1e-9:
                    curve.append(spent)
            return [(0, before)] + [(i + 1, e) for i, e in enumerate(curve)]
        last = self.history[-1]
        base = self._fixed - last.curve()
        one = Release(last.sigma, last.rate, 1, last.exponential).curve()
        steps = sorted({int(round(t)) for t in np.linspace(0, done, points)})
        return [(t, rdp.epsilon(base + t * one, self.rdp_delta) if t else before) for t in steps]

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint stores to rebuild this accountant (as Opacus's accountants do)."""
        return {"epsilon": self.epsilon, "delta": self.delta, "domain_delta": self.domain_delta,
                "history": [r.to_json() for r in self.history]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the releases recorded so far; the RDP curve is recomputed from them."""
        self.epsilon, self.delta = float(state["epsilon"]), float(state["delta"])
        self.domain_delta = float(state["domain_delta"])
        self.history, self._fixed, self._step = [], np.zeros_like(rdp.ORDERS), None
        for entry in state["history"]:
            self.record(Release.from_json(entry))
