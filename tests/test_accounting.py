"""The accountant and the plan: the RDP curves match Opacus, σ meets the target, the step after the
plan is refused, the bound holds for every size class, and planning is quick."""

from __future__ import annotations


import numpy as np
import pytest
from opacus.accountants.analysis import rdp as opacus_rdp

from engine.privacy import rdp
from engine.privacy.accountant import PrivacyAccountant, Release, curve_of, default_delta
from engine.privacy.plan import COUNT_SHARE, SIZE_EDGES, ColumnPlan, make_plan, rho_of
from engine.synthesizers.dpgan.settings import DPGANSettings
from engine.synthesizers.dpgan.synthesizer import DPGAN


@pytest.mark.parametrize("rate, sigma, steps", [(0.02, 1.5, 2000), (0.3, 5.0, 200), (1.0, 3.0, 1), (0.001, 0.8, 10_000)])
def test_subsampled_gaussian_curve_matches_opacus(rate, sigma, steps) -> None:
    mine = steps * rdp.subsampled_gaussian(rate, sigma)
    theirs = np.asarray(opacus_rdp.compute_rdp(q=rate, noise_multiplier=sigma, steps=steps, orders=rdp.ORDERS))
    np.testing.assert_allclose(mine, theirs, rtol=1e-9)
    eps, _ = opacus_rdp.get_privacy_spent(orders=rdp.ORDERS, rdp=theirs, delta=1e-5)
    assert rdp.epsilon(mine, 1e-5) == pytest.approx(eps, rel=1e-9)


def test_exponential_mechanism_is_charged_as_bounded_range() -> None:
    release = Release(exponential=0.5, count=4)
    np.testing.assert_allclose(release.curve(), 4 * rdp.ORDERS * 0.25 / 8)


def _columns(count: int) -> list[ColumnPlan]:
    return [ColumnPlan(f"c{i}", survey=i % 2 == 0, measure=True) for i in range(count)]


def _gan(epochs: int, columns: int, **settings):
    return lambda rows, budget: DPGAN.plan(DPGANSettings(**settings), rows, epochs, budget, columns)


@pytest.mark.parametrize("epsilon, delta, epochs, columns", [(1.0, None, 40, 12), (3.0, 1e-6, 40, 30),
                                                              (8.0, None, 10, 5), (0.5, 1e-7, 4, 20)])
def test_plan_bound_holds_for_every_size_class_and_is_tight(epsilon, delta, epochs, columns) -> None:
    plan = make_plan(epsilon, delta, lambda rows: 0.2, _columns(columns), _gan(epochs, columns))
    assert set(plan.classes) == set(SIZE_EDGES)
    # the count takes its share of ρ off the top; surveys and measurements 0.2 of what the rest converts to
    rho = rho_of(epsilon, plan.rdp_delta)
    assert 1 / (2 * plan.count_sigma ** 2) == pytest.approx(COUNT_SHARE * rho, rel=1e-3)
    rest = rdp.epsilon(rdp.gaussian((2 * (1 - COUNT_SHARE) * rho) ** -0.5), plan.rdp_delta)
    paths = []
    for c in plan.classes.values():
        count, *surveys_and_measures = plan.preprocessing(c.sigma_pre)
        assert rdp.epsilon(curve_of(surveys_and_measures), plan.rdp_delta) == pytest.approx(0.2 * rest, rel=1e-3)
        fixed = curve_of([count, *surveys_and_measures])
        paths.append(fixed + curve_of(c.synthesizer.releases))
    assert max(rdp.epsilon(p, plan.rdp_delta) for p in paths) <= plan.bound <= epsilon
    assert plan.bound == pytest.approx(rdp.epsilon(np.max(paths, axis=0), plan.rdp_delta))
    assert plan.bound >= epsilon - 0.01, "the budget is used"


def test_accountant_refuses_the_step_after_the_plan() -> None:
    plan = make_plan(1.0, None, lambda rows: 0.2, _columns(6), _gan(20, 6, dpsgd_from_rows=50))
    accountant = PrivacyAccountant(1.0, plan.delta, plan.domain_delta)
    for release in plan.preprocessing(plan.classes[1600].sigma_pre):
        accountant.record(release)
    *pairs, step = plan.classes[1600].synthesizer.releases      # rounds of (choice, pair), then the DP-SGD steps
    assert step.rate < 1 and step.count > 1
    for release in pairs:
        accountant.record(release)
    accountant.start_steps(step)
    assert accountant.can_step(step.count - 1)
    assert not accountant.can_step(step.count + 10)
    assert accountant.epsilon_after(step.count) <= plan.bound
    accountant.finish_steps(step.count)
    assert accountant.spent() == pytest.approx(accountant.epsilon_after(step.count), rel=1e-9)


def test_state_dict_round_trip() -> None:
    accountant = PrivacyAccountant(2.0, 1e-5, 1e-6)
    accountant.record(Release(30.0))
    accountant.record(Release(30.0))
    accountant.record(Release(20.0, count=3))
    copy = PrivacyAccountant(9.0, 1e-3)
    copy.load_state_dict(accountant.state_dict())
    assert copy.history == accountant.history == [Release(30.0, count=2), Release(20.0, count=3)]
    assert copy.spent() == accountant.spent()


def test_default_delta() -> None:
    assert default_delta(2_000) == 1e-5
    assert default_delta(1_000_000) == pytest.approx(1_000_000 ** -1.1)
