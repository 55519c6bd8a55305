"""The accountant: every release of a run composed in Rényi DP, converted to the one ε the user sees.

Every data-dependent release is one of two mechanisms, and both go into the same Rényi-DP
accountant (Opacus's RDP analysis) so the user sees one ε:

* a Gaussian histogram (L2 sensitivity 1: a row falls in exactly one bin) with noise σ_pre,
  recorded as ``(σ_pre, q=1, 1 step)``;
* each discriminator step of DP-SGD, recorded as ``(σ, q, 1 step)``.

Category domains additionally use a threshold on the noisy count (with a hard floor of two
rows), which costs a small part of δ: the chance that a category held by a single extra row
crosses the threshold. See ``docs/privacy.md`` for the full analysis.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from opacus.accountants import PRVAccountant, RDPAccountant
from opacus.accountants.analysis import rdp as rdp_analysis

from engine.errors import DoppelInputError

ORDERS = np.array(RDPAccountant.DEFAULT_ALPHAS + [80, 96, 128, 192, 256, 384, 512, 1024], dtype=float)
DOMAIN_DELTA_SHARE = 0.1   # part of δ reserved for thresholded category domains


def default_delta(n_rows: int) -> float:
    """δ = min(1e-5, n^-1.1): well below 1/n, so no single row can be released outright."""
    return float(min(1e-5, n_rows ** -1.1))


def _gaussian_rdp(sigma: float, weight: float = 1.0) -> np.ndarray:
    """RDP of Gaussian releases with noise σ; ``weight`` = Σ (sensitivity_i)² over the releases."""
    return ORDERS * weight / (2.0 * sigma ** 2)


def _epsilon_from_rdp(rdp: np.ndarray, delta: float) -> float:
    with warnings.catch_warnings():   # "optimal order is the largest alpha" while bisecting σ
        warnings.simplefilter("ignore")
        eps, _ = rdp_analysis.get_privacy_spent(orders=ORDERS, rdp=rdp, delta=delta)
    return float(eps)


def _bisect(predicate, low: float, high: float, iterations: int = 60) -> float:
    """Smallest x in [low, high] with predicate(x) true (predicate monotone, true at high)."""
    for _ in range(iterations):
        mid = math.sqrt(low * high)
        if predicate(mid):
            high = mid
        else:
            low = mid
    return high


@dataclass
class PrivacyAccountant:
    """One run's budget: the preprocessing releases and the DP-SGD steps, composed in RDP.

    ``delta`` is the user's δ; ``domain_delta`` of it pays for category thresholds and the
    rest (``rdp_delta``) converts the composed RDP curve into ε.
    """

    epsilon: float
    delta: float
    domain_delta: float = 0.0
    history: list[tuple[float, float, int]] = field(default_factory=list)
    _rdp_fixed: np.ndarray = field(default_factory=lambda: np.zeros_like(ORDERS))
    _rdp_step: np.ndarray = field(default_factory=lambda: np.zeros_like(ORDERS))

    def __post_init__(self) -> None:
        if not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise DoppelInputError(f"ε must be a positive number, got {self.epsilon}; try 1 to 10.")
        if not 0 < self.delta < 1:
            raise DoppelInputError(f"δ must be between 0 and 1, got {self.delta}; leave it unset for the default.")

    @property
    def rdp_delta(self) -> float:
        return self.delta - self.domain_delta

    def preprocessing_sigma(self, weight: float, fraction: float) -> float:
        """Base σ for the preprocessing releases so that together they cost ``fraction`` of ε.

        ``weight`` is Σ w_i² over the releases, where release i uses noise σ / w_i: a release
        that needs more precision (a category threshold) gets w > 1 and pays w² for it.
        """
        target = self.epsilon * fraction
        return _bisect(lambda s: _epsilon_from_rdp(_gaussian_rdp(s, weight), self.rdp_delta) <= target,
                       1e-2, 1e6)

    def record_gaussian(self, sigma: float) -> None:
        """Charge one Gaussian release of sensitivity 1 with noise σ."""
        self._rdp_fixed = self._rdp_fixed + _gaussian_rdp(sigma)
        if self.history and self.history[-1][0] == sigma and self.history[-1][1] == 1.0:
            self.history[-1] = (sigma, 1.0, self.history[-1][2] + 1)
        else:
            self.history.append((float(sigma), 1.0, 1))

    def spent(self) -> float:
        """ε spent so far by what has been recorded (preprocessing plus steps taken)."""
        return _epsilon_from_rdp(self._rdp_fixed, self.rdp_delta) if self.history else 0.0

    def plan_training(self, sample_rate: float, steps: int) -> float:
        """The smallest noise multiplier σ for which ``steps`` more DP-SGD steps fit the budget."""
        if self.spent() >= self.epsilon:
            raise DoppelInputError(
                f"Preprocessing alone spends ε = {self.spent():.2f} of {self.epsilon}; "
                "raise ε or declare public bounds and categories in the schema.")

        def fits(sigma: float) -> bool:
            rdp = np.asarray(rdp_analysis.compute_rdp(q=sample_rate, noise_multiplier=sigma,
                                                      steps=steps, orders=ORDERS))
            return _epsilon_from_rdp(self._rdp_fixed + rdp, self.rdp_delta) <= self.epsilon
        return _bisect(fits, 0.3, 1e4)

    def start_training(self, noise_multiplier: float, sample_rate: float) -> None:
        """Fix σ and q; ``epsilon_after(t)`` then answers in microseconds (RDP is linear in t)."""
        self._rdp_step = np.asarray(rdp_analysis.compute_rdp(
            q=sample_rate, noise_multiplier=noise_multiplier, steps=1, orders=ORDERS))
        self._training = (float(noise_multiplier), float(sample_rate))

    def epsilon_after(self, steps: int) -> float:
        """ε once ``steps`` training steps have been taken (preprocessing included)."""
        return _epsilon_from_rdp(self._rdp_fixed + steps * self._rdp_step, self.rdp_delta)

    def can_step(self, steps_taken: int) -> bool:
        """The check before every step: would one more step pass the target ε?"""
        return self.epsilon_after(steps_taken + 1) <= self.epsilon

    def finish_training(self, steps: int) -> None:
        self._steps_done = int(steps)
        if steps:
            sigma, q = self._training
            self.history.append((sigma, q, int(steps)))

    def epsilon_curve(self, points: int = 40) -> list[tuple[int, float]]:
        """ε after each of up to ``points`` evenly spaced steps of the finished training (RDP, as
        the live figure; the final ε may be lower when PRV is tighter)."""
        done = getattr(self, "_steps_done", 0)
        if not done:
            return [(0, self.spent())]
        steps = sorted({int(round(t)) for t in np.linspace(0, done, points)})
        return [(t, self.epsilon_after(t)) for t in steps]

    def state_dict(self) -> dict:
        """What a checkpoint stores to rebuild this accountant (as Opacus's accountants do)."""
        return {"epsilon": self.epsilon, "delta": self.delta, "domain_delta": self.domain_delta,
                "history": [list(h) for h in self.history]}

    def load_state_dict(self, state: dict) -> None:
        """Restore the releases recorded so far; the RDP curve is recomputed from them."""
        self.epsilon, self.delta = float(state["epsilon"]), float(state["delta"])
        self.domain_delta = float(state["domain_delta"])
        self.history = []
        self._rdp_fixed = np.zeros_like(ORDERS)
        for sigma, q, steps in state["history"]:
            if float(q) != 1.0:
                raise ValueError("only preprocessing releases (q = 1) are restored; training resumes its own plan")
            for _ in range(int(steps)):
                self.record_gaussian(float(sigma))

    def final_epsilon(self) -> tuple[float, str]:
        """ε of everything recorded, from Opacus's RDP accountant, or its PRV one when tighter."""
        rdp = RDPAccountant()
        rdp.history = list(self.history)
        with warnings.catch_warnings():   # PRV logs log(0) warnings for q = 1 releases
            warnings.simplefilter("ignore")
            best, name = rdp.get_epsilon(self.rdp_delta, alphas=list(ORDERS)), "rdp"
        try:
            prv = PRVAccountant()
            prv.history = list(self.history)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prv_eps = prv.get_epsilon(self.rdp_delta)
            if math.isfinite(prv_eps) and prv_eps < best:
                best, name = prv_eps, "prv"
        except (ValueError, RuntimeError, OverflowError):
            pass  # PRV's domain can fail for extreme σ; RDP's figure stands
        return float(best), name
