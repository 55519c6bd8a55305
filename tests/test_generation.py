"""Sampling: conditions, constraints, public category lists, withheld rare categories."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.errors import DoppelInputError
from engine.generation import Condition, sample
from engine.schema import infer_schema
from engine.io import read_table
from engine.run import RunConfig
from engine.training import train
from tests.conftest import DEMO, SMALL


def test_categorical_condition_returns_only_matching_rows(demo_model) -> None:
    rows = sample(demo_model, 400, [Condition.parse("department=Engineering")], seed=1)
    assert len(rows) == 400 and set(rows["department"]) == {"Engineering"}


def test_several_conditions_including_numeric(demo_model) -> None:
    rows = sample(demo_model, 100, [Condition.parse("overtime = Yes"), Condition.parse("age>=40")], seed=2)
    assert set(rows["overtime"]) == {"Yes"} and rows["age"].min() >= 40


def test_condition_on_unknown_value_or_column_is_a_clear_error(demo_model) -> None:
    with pytest.raises(DoppelInputError, match="Atlantis"):
        sample(demo_model, 10, [Condition.parse("department=Atlantis")])
    with pytest.raises(DoppelInputError, match="'nope'"):
        sample(demo_model, 10, [Condition.parse("nope=1")])
    with pytest.raises(DoppelInputError, match="COLUMN=VALUE"):
        Condition.parse("department")


def test_unique_category_never_appears(demo_model) -> None:
    source = read_table(DEMO).frame
    assert (source["job_role"] == "Chief Data Officer").sum() == 1
    rows = sample(demo_model, 5000, seed=3)
    assert "Chief Data Officer" not in set(rows["job_role"])


def test_unique_category_withheld_even_at_huge_epsilon() -> None:
    table = read_table(DEMO)
    model = train(table.frame, infer_schema(table.frame).declare_all(), RunConfig(epsilon=1000.0, epochs=1, seed=5, **SMALL))
    encoder_roles = model.encoder.columns[model.encoder.index_of("job_role")].categories
    assert "Chief Data Officer" not in encoder_roles and "Software Engineer" in encoder_roles


def test_public_category_list_is_honoured() -> None:
    table = read_table(DEMO)
    schema = infer_schema(table.frame).declare_all()
    schema["department"].declare(public_categories=["Sales", "Engineering", "Legal"])
    model = train(table.frame, schema, RunConfig(epsilon=3.0, epochs=1, seed=6, **SMALL))
    column = model.encoder.columns[model.encoder.index_of("department")]
    assert column.categories == ["Sales", "Engineering", "Legal"]
    rows = sample(model, 2000, seed=7)
    assert set(rows["department"].dropna()) <= {"Sales", "Engineering", "Legal"}


def test_constraints_hold_and_public_bounds_clip() -> None:
    table = read_table(DEMO)
    schema = infer_schema(table.frame).declare_all()
    schema["salary"].declare(public_min=40_000, public_max=150_000)
    model = train(table.frame, schema, RunConfig(epsilon=5.0, epochs=2, seed=8, **SMALL))
    rows = sample(model, 2000, seed=9)
    assert rows["salary"].min() >= 40_000 and rows["salary"].max() <= 150_000
    ended = pd.to_datetime(rows["termination_date"])
    assert not (ended < pd.to_datetime(rows["hire_date"])).any()


def test_fake_role_fills_values_that_are_not_from_the_data() -> None:
    table = read_table(DEMO)
    schema = infer_schema(table.frame).declare_all()
    schema["full_name"].declare(role=schema["full_name"].role.FAKE)
    model = train(table.frame, schema, RunConfig(epsilon=3.0, epochs=1, seed=10, **SMALL))
    rows = sample(model, 300, seed=11)
    assert "full_name" in rows.columns and rows["full_name"].notna().all()
    assert list(rows.columns).index("full_name") == 0, "source column order is kept"
