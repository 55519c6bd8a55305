"""Declaring whether a column may be empty (issue 15): a small share of empty cells is lost in the
noise when DP decides it, so an analyst who knows a column has gaps can say so (as the peers'
expert discretisation does with its nullable bins); one who knows it has none can say that too."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from engine.app import declaring
from engine.app.forecast import COARSE, forecast
from engine.errors import DoppelInputError
from engine.generation import sample
from engine.io import read_table
from engine.run import RunConfig
from engine.schema import Kind, Schema, infer_schema
from engine.training import train
from tests.conftest import DEMO, SMALL


def _demo(rows: int) -> tuple[pd.DataFrame, Schema]:
    frame = read_table(DEMO).frame.sample(rows, random_state=3).reset_index(drop=True)
    frame = frame[["department", "bonus_pct", "attrition"]]
    schema = infer_schema(frame)
    schema["bonus_pct"].public_min, schema["bonus_pct"].public_max = 0.0, 100.0
    schema["department"].public_categories = sorted(frame["department"].dropna().unique())
    schema["attrition"].kind = Kind.CATEGORICAL
    schema["attrition"].public_categories = ["No", "Yes"]
    return frame, schema.declare_all()


def _empty_slot(model) -> bool:  # noqa: ANN001
    return model.encoder.columns[model.encoder.index_of("bonus_pct")].has_missing


def test_a_column_declared_may_be_empty_keeps_the_gaps_the_noise_would_hide() -> None:
    """300 rows at ε = 1: bonus_pct's dozen empty cells are below 3σ of their noisy count, so left
    to DP the column comes out without gaps; declared "may be empty" it keeps about its share."""
    frame, schema = _demo(300)
    real_share = float(frame["bonus_pct"].isna().mean())
    assert 0.02 < real_share < 0.08
    decided = train(frame, schema, RunConfig(epsilon=1.0, seed=0, **SMALL))
    assert not _empty_slot(decided), "this setting must be one where the noise hides the gaps"

    declared = copy.deepcopy(schema)
    declared["bonus_pct"].public_missing = True
    model = train(frame, declared, RunConfig(epsilon=1.0, seed=0, **SMALL))
    assert _empty_slot(model) and model.schema["bonus_pct"].public_missing is True   # stored as declared
    share = float(sample(model, 3000, seed=0)["bonus_pct"].isna().mean())
    assert 0.005 < share < 0.15


def test_a_column_declared_never_empty_refuses_a_table_with_a_gap_naming_its_row() -> None:
    frame, schema = _demo(300)
    schema["bonus_pct"].public_missing = False
    first_empty = int(frame["bonus_pct"].isna().to_numpy().argmax()) + 1
    with pytest.raises(DoppelInputError, match=f"'bonus_pct' is declared never empty but row {first_empty} below"):
        train(frame, schema, RunConfig(epsilon=1.0, seed=0, **SMALL))

    schema["department"].public_missing = False        # a label column is held to it too
    with pytest.raises(DoppelInputError, match="staff.csv: column 'department' is declared never empty but row 2"):
        schema["department"].check_cells(pd.Series(["Sales", None, "HR"], dtype="string"), "staff.csv")
    schema["department"].public_missing = None

    filled = frame.assign(bonus_pct=frame["bonus_pct"].fillna("0"))
    model = train(filled, schema, RunConfig(epsilon=1.0, seed=0, **SMALL))
    assert not _empty_slot(model)
    assert not sample(model, 2000, seed=0)["bonus_pct"].isna().any()


def test_the_declaration_survives_the_schema_file() -> None:
    _, schema = _demo(300)
    schema["bonus_pct"].public_missing = True
    schema["department"].public_missing = False
    again = Schema.from_json(schema.to_json())
    assert (again["bonus_pct"].public_missing, again["department"].public_missing,
            again["attrition"].public_missing) == (True, False, None)
    assert {c["name"]: c.get("public_missing") for c in schema.declarations()["columns"]}["bonus_pct"] is True


def test_the_forecast_says_when_the_gaps_will_be_lost_and_what_to_declare() -> None:
    frame, schema = _demo(300)
    config = RunConfig(epsilon=1.0)
    before = forecast(frame, schema, config)["bonus_pct"]
    assert before.outcome == COARSE
    assert f"its empty cells ({frame['bonus_pct'].isna().mean():.1%}) are below the noise" in before.reason
    assert "declare that the column may be empty" in before.reason
    declaring.set_column_field(schema["bonus_pct"], "public_missing", "may be empty")
    after = forecast(frame, schema, config)["bonus_pct"]
    assert "empty cells" not in after.reason
    assert "empty cells" not in forecast(frame, schema, config)["attrition"].reason     # no gaps, nothing said
