"""The forecast before any ε is spent (issue 14 item 2): from the run's plan and the table's local
counts, which columns a run learns well, coarsely or not at all — checked against real training."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.app import declaring, operations
from engine.app.forecast import COARSE, EXCLUDED, NOT_LEARNED, WELL, forecast, learned_columns, plan_noise
from engine.io import read_table
from engine.privacy.mechanisms import category_threshold
from engine.run import RunConfig
from engine.schema import infer_schema
from engine.training import plan_run
from tests.conftest import DEMO

SMALL = dict(device="cpu", settings=dict(generator_hidden=(32, 32), discriminator_hidden=(32, 32), noise_dim=16))


def _labels(counts: dict[str, int], rows: int) -> pd.DataFrame:
    """A table whose 'team' column has exactly these label counts, and a numeric column to learn."""
    team = [label for label, n in counts.items() for _ in range(n)]
    team += ["solo"] * (rows - len(team))
    return pd.DataFrame({"team": team, "score": np.arange(rows) % 5 + 1})


def test_a_label_is_forecast_released_exactly_from_the_surveys_threshold() -> None:
    rows = 600
    config = RunConfig(epsilon=3.0)
    schema = infer_schema(_labels({}, rows))
    plan = plan_run(schema, config)
    noise = plan_noise(plan, rows)
    threshold = category_threshold(noise.survey_sigma, noise.survey_delta)
    above, below = int(np.ceil(threshold)) + 1, int(np.floor(threshold)) - 1
    frame = _labels({"A": above, "B": below}, rows)
    found = forecast(frame, infer_schema(frame), config)
    assert found.label_threshold == pytest.approx(threshold)
    # A and the big 'solo' pass; B (just under the threshold) does not: its rows are redrawn among them,
    # and a label of more than 1 % of the rows that the output will never have makes the column coarse
    assert found["team"].outcome == COARSE and "2 categories holding" in found["team"].reason
    assert f"never have B ({below / rows:.1%})" in found["team"].reason and "A (" not in found["team"].reason
    # under 1 % of the rows (same size class, so the same threshold), a lost label leaves it well learned
    many = 6000
    assert below / many < 0.01 and plan_noise(plan, many).survey_sigma == noise.survey_sigma
    frame = _labels({"A": above, "B": below}, many)
    assert forecast(frame, infer_schema(frame), config)["team"].outcome == WELL
    # declaring the three labels skips the survey: all of them are then learned
    declared = infer_schema(frame)
    declaring.set_column_field(declared["team"], "public_categories", "A, B, solo")
    assert forecast(frame, declared, config)["team"].outcome == WELL


def test_a_column_of_rare_values_is_not_learned_undeclared_and_declaring_says_what_changes() -> None:
    frame = read_table(DEMO).frame.iloc[:300]
    found = forecast(frame, infer_schema(frame), RunConfig(epsilon=0.5))
    assert found["age"].outcome == NOT_LEARNED and found["age"].measured
    assert found["age"].if_declared.startswith(COARSE) and "accepting 16 – 80" in found["age"].if_declared
    assert found["email"].outcome == EXCLUDED and not found["email"].if_declared
    assert "Preprocessing spends ε = 0.31" in found.summary()     # the count, then 0.6 of what the rest converts to


def test_accepting_the_name_suggestions_changes_which_columns_the_engine_learns(tmp_path: Path) -> None:
    """Train for real on 300 rows at ε = 0.5, undeclared and with the suggestions accepted: columns whose values
    are too spread to be seen by a survey at this size are not learned, until their names' ranges
    are accepted; the forecast says so for both runs. (Columns near a survey's threshold may go
    either way in a run: the forecast is the median outcome.)"""
    path = tmp_path / "staff.csv"
    path.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:301]), encoding="utf-8")
    table = read_table(path)
    inferred = operations.schema_for(table)
    accepted = copy.deepcopy(inferred)
    suggested = set(declaring.accept(accepted, declaring.proposals(accepted, table.frame)))
    config = RunConfig(epsilon=0.5, epochs=1, seed=5, **SMALL)
    before, after = forecast(table.frame, inferred, config), forecast(table.frame, accepted, config)
    learned_before = set(learned_columns(operations.train_model(table, copy.deepcopy(inferred), config)))
    learned_after = set(learned_columns(operations.train_model(table, copy.deepcopy(accepted), config)))

    rescued = {"age", "tenure_years", "weekly_hours", "bonus_pct", "termination_date"}   # satisfaction (1–5) sits at the edge
    assert rescued <= suggested
    assert rescued.isdisjoint(before.learned) and rescued.isdisjoint(learned_before)
    assert rescued <= set(after.learned) and rescued <= learned_after
    # declared columns do not wait on a survey: there the forecast is exact
    assert set(after.learned) & suggested == learned_after & suggested
