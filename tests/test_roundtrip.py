"""Import → schema → DP training → generation on real tables: shapes, kinds and domains."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from engine.generation import sample
from engine.schema import Kind, Role, infer_schema
from engine.io import read_table
from engine.run import RunConfig
from engine.training import train
from tests.conftest import ADULT, DEMO, SMALL


def _check_against_source(synthetic: pd.DataFrame, source: pd.DataFrame, schema) -> None:
    assert list(synthetic.columns) == [c.name for c in schema.output]
    for spec in schema.output:
        fake = synthetic[spec.name]
        real = spec.values(source[spec.name])
        present = fake.dropna()
        if spec.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            assert set(present) <= set(real.dropna()), spec.name
        elif spec.kind is Kind.INTEGER:
            assert str(fake.dtype) == "Int64", spec.name
        elif spec.kind is Kind.DATE:
            parsed = [datetime.strptime(v, spec.date_format) for v in present]
            assert len(parsed) == len(present)
        if spec.kind.numeric and len(present):
            numbers = spec.values(present.astype(str) if spec.kind is Kind.DATE else present)
            low, high = real.min(), real.max()
            margin = max(abs(low), abs(high), 1.0)
            # the released range is public and may be wider than the data (a survey's decade bin):
            # a few rows spread there by the measurement's rest, never a real share of them
            outside = float(((numbers < low - margin) | (numbers > high + margin)).mean())
            assert outside <= 0.05, f"{spec.name}: {outside:.1%} of values far outside the real range"


def test_demo_table_round_trip(demo_model) -> None:
    source = read_table(DEMO).frame
    synthetic = sample(demo_model, 3000, seed=5)
    schema = demo_model.schema
    assert len(synthetic) == 3000
    _check_against_source(synthetic, source, schema)
    for pii in ("employee_id", "full_name", "email"):
        assert schema[pii].role is Role.IDENTIFIER and pii not in synthetic.columns
    assert synthetic["bonus_pct"].isna().any(), "missing values are reproduced"
    assert synthetic["termination_date"].isna().mean() > 0.3
    learned_numeric = [c.name for c in schema.learned if c.kind.numeric]
    assert sum(synthetic[name].notna().any() for name in learned_numeric) >= len(learned_numeric) - 1
    hire = pd.to_datetime(synthetic["hire_date"])
    ended = pd.to_datetime(synthetic["termination_date"])
    assert not (ended < hire).any(), "the hire <= termination constraint holds"
    assert synthetic["tenure_years"].map(lambda v: pd.isna(v) or round(v, 1) == v).all()


@pytest.mark.skipif(not ADULT.exists(), reason="shared datasets not present")
def test_adult_sample_round_trip(tmp_path) -> None:
    full = pd.read_csv(ADULT, dtype=str, keep_default_na=False)
    path = tmp_path / "adult_3000.csv"
    full.sample(3000, random_state=0).to_csv(path, index=False)
    table = read_table(path)
    schema = infer_schema(table.frame).declare_all()
    assert schema["age"].kind is Kind.INTEGER and schema["workclass"].kind is Kind.CATEGORICAL
    assert schema["workclass"].missing_rate > 0, "'?' reads as missing"
    model = train(table.frame, schema, RunConfig(epsilon=3.0, epochs=3, seed=3))
    synthetic = sample(model, 2000, seed=1)
    _check_against_source(synthetic, table.frame, schema)
    assert synthetic["workclass"].isna().any() or synthetic["occupation"].isna().any()


def test_seeded_runs_are_reproducible() -> None:
    table = read_table(DEMO)
    frame = table.frame.head(600)
    schema = infer_schema(frame).declare_all()
    config = RunConfig(epsilon=2.0, epochs=2, seed=42, **SMALL)
    first, second = train(frame, schema, config), train(frame, schema, config)
    assert first.summary.facts == second.summary.facts
    pd.testing.assert_frame_equal(sample(first, 200, seed=9), sample(second, 200, seed=9))
    other = train(frame, schema, RunConfig(epsilon=2.0, epochs=2, seed=43, **SMALL))
    assert not sample(other, 200, seed=9).equals(sample(first, 200, seed=9))
