"""The accountant: σ planning meets the target, steps stop at the budget, preprocessing counts."""

from __future__ import annotations

import pytest
from opacus.accountants import RDPAccountant

from engine.privacy.accountant import PrivacyAccountant, default_delta
from engine.schema import infer_schema
from engine.io import read_table
from engine.run import RunConfig
from engine.training import train
from tests.conftest import DEMO


@pytest.mark.parametrize("epsilon, delta, n, steps", [
    (0.5, 1e-5, 2_000, 300), (1.0, 1e-6, 30_000, 2_000), (3.0, 1e-5, 500, 100), (10.0, 1e-7, 100_000, 5_000)])
def test_planned_sigma_meets_target_and_next_step_is_refused(epsilon, delta, n, steps) -> None:
    accountant = PrivacyAccountant(epsilon, delta)
    sigma_pre = accountant.preprocessing_sigma(weight=10.0, fraction=0.2)
    for _ in range(10):
        accountant.record_gaussian(sigma_pre)
    assert accountant.spent() == pytest.approx(0.2 * epsilon, rel=0.02)
    q = 256 / n
    sigma = accountant.plan_training(q, steps)
    accountant.start_training(sigma, q)
    assert accountant.epsilon_after(steps) <= epsilon
    assert accountant.epsilon_after(steps) > 0.97 * epsilon, "σ is not wastefully large"
    assert all(accountant.can_step(t) for t in range(0, steps, max(steps // 10, 1)))
    assert not accountant.can_step(steps + max(steps // 20, 5))
    accountant.finish_training(steps)
    final, _ = accountant.final_epsilon()
    assert final <= epsilon + 1e-9


def test_default_delta() -> None:
    assert default_delta(2_000) == 1e-5
    assert default_delta(1_000_000) == pytest.approx(1_000_000 ** -1.1)


@pytest.mark.parametrize("epsilon, delta", [(1.0, None), (4.0, 1e-6)])
def test_training_never_passes_target_and_counts_preprocessing(epsilon, delta) -> None:
    frame = read_table(DEMO).frame.head(800)
    model = train(frame, infer_schema(frame), RunConfig(epsilon=epsilon, delta=delta, epochs=2, seed=1))
    s = model.summary
    assert s.epsilon_spent <= epsilon
    assert s.preprocessing_epsilon > 0
    training_only, everything = RDPAccountant(), RDPAccountant()
    training_only.history = [(s.facts["noise_multiplier"], s.facts["sample_rate"], s.facts["steps"])]
    everything.history = list(s.releases)
    assert len(s.releases) > 1
    assert training_only.get_epsilon(s.delta) < everything.get_epsilon(s.delta), "preprocessing adds to ε"
    assert s.releases[-1] == (s.facts["noise_multiplier"], s.facts["sample_rate"], s.facts["steps"])
