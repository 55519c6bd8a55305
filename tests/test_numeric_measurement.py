"""How a numeric column's DP measurement becomes its shape (issue 15 item 2): whole numbers of a
short declared range are measured one bin per value, and the noisy fine histogram is denoised at
the scale where the column stands out of the noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.encoding.numeric import PER_VALUE_MAX, _fine_edges, _spread_rest
from engine.generation import sample
from engine.io import read_table
from engine.run import RunConfig
from engine.schema import Kind, infer_schema
from engine.training import train
from tests.conftest import ROOT, SMALL

HR = ROOT.parent / "shared" / "datasets" / "hr_turnover.csv"


def _shares(counts: np.ndarray) -> np.ndarray:
    return counts / counts.sum()


def _tvd(a: np.ndarray, b: np.ndarray) -> float:
    return 0.5 * float(np.abs(_shares(a) - _shares(b)).sum())


def test_a_short_whole_number_range_gets_one_bin_per_value_whatever_the_noise() -> None:
    edges = _fine_edges(Kind.INTEGER, 0, 50, n_rows=500, sigma=21.0)      # 500 / (4 σ): 6 bins by noise alone
    assert np.array_equal(edges, np.arange(0, 52))
    wide = _fine_edges(Kind.INTEGER, 0, PER_VALUE_MAX, n_rows=500, sigma=21.0)
    assert len(wide) - 1 < PER_VALUE_MAX, "a range longer than PER_VALUE_MAX values is binned"


def test_a_column_spread_thin_over_many_values_keeps_its_shape() -> None:
    """Ages over 65 values, about 25 rows each, σ = 30: no single value clears the noise, but
    blocks of a few values do; the fine histogram's error is far below the old reading (strong bins
    kept, the rest spread evenly), which was 0.43 on this setting."""
    values = np.arange(65)
    weights = np.exp(-0.5 * ((values - 23) / 8) ** 2)
    errors = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        true = rng.multinomial(1600, weights / weights.sum()).astype(float)
        noisy = np.round(true + rng.normal(0, 30.0, len(true)))
        errors.append(_tvd(_spread_rest(noisy, 30.0, 1600.0), true))
    assert np.mean(errors) < 0.3


def test_weak_bins_read_in_blocks_keep_a_slope_rather_than_steps() -> None:
    """A thin ramp (every value below the noise) is read at a coarser scale; each bin gets the mean
    of the weak bins around it, so the reading still falls along the ramp instead of being flat
    over each block (which put steps at block edges that the 20-bin marginal measure sees)."""
    ramp = np.linspace(70.0, 30.0, 64)            # every bin under 2.5 σ at σ = 30
    mass = _spread_rest(ramp, 30.0, float(ramp.sum()))
    inner = mass[8:56]                            # away from the ends, where windows are cut short
    assert np.all(np.diff(inner) < 0), "the reading is flat over a block, or rises on a falling ramp"
    assert abs(mass.sum() - ramp.sum()) < 0.05 * ramp.sum()


def test_values_that_stand_out_keep_their_counts_and_empty_tails_stay_nearly_empty() -> None:
    true = np.zeros(51)
    true[[2, 3, 4, 5, 6]] = [117, 212, 88, 50, 22]
    tail_shares = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        noisy = np.round(true + rng.normal(0, 21.0, len(true)))
        mass = _spread_rest(noisy, 21.0, float(true.sum()))
        assert all(mass[k] == noisy[k] for k in (2, 3) if noisy[k] >= 2.5 * 21)
        tail_shares.append(_shares(mass)[12:].sum())
    assert np.mean(tail_shares) < 0.1, "noise in 39 empty values must not become a tail of years of service"


@pytest.mark.parametrize("epsilon", [1.0])
def test_years_of_service_come_back_on_their_values_from_a_500_row_table(epsilon: float) -> None:
    """hr_turnover's years of service (2–10 in the data) declared 0–50: merged into 8 bins they came
    out uniform over 0–5; one bin per value keeps 2, 3 and 4 as the common values."""
    frame = read_table(HR).frame.sample(500, random_state=11).reset_index(drop=True)
    frame = frame[["time_spend_company", "number_project", "left"]]
    schema = infer_schema(frame)
    for name, high in (("time_spend_company", 50), ("number_project", 10)):
        schema[name].kind = Kind.INTEGER
        schema[name].public_min, schema[name].public_max = 0, high
    schema["left"].kind = Kind.CATEGORICAL
    schema["left"].public_categories = ["0", "1"]
    schema.declare_all()
    model = train(frame, schema, RunConfig(epsilon=epsilon, seed=0, **SMALL))
    synthetic = sample(model, 2000, seed=0)
    years = pd.to_numeric(synthetic["time_spend_company"]).value_counts(normalize=True)
    real = pd.to_numeric(frame["time_spend_company"]).value_counts(normalize=True)
    assert years.reindex([0, 1], fill_value=0.0).sum() < 0.05, "no one has under 2 years in the data"
    assert years.reindex([2, 3, 4], fill_value=0.0).sum() > 0.7
    assert _tvd(years.reindex(range(51), fill_value=0.0).to_numpy(),
                real.reindex(range(51), fill_value=0.0).to_numpy()) < 0.2
