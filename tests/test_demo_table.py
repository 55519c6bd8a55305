"""The shipped demo table is reproducible from its simulator and keeps its causal story."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pandas as pd
import pytest

DEMO_DIR = Path(__file__).resolve().parents[1] / "resources" / "demo"
CSV_PATH = DEMO_DIR / "employees.csv"

EXPECTED_COLUMNS = [
    "employee_id", "full_name", "email", "department", "job_role", "job_level",
    "gender", "age", "hire_date", "termination_date", "tenure_years", "salary",
    "bonus_pct", "overtime", "weekly_hours", "satisfaction",
    "performance_rating", "remote", "attrition",
]


def _load_simulator():
    # resources/demo is data, not a package, so load the script by path.
    spec = importlib.util.spec_from_file_location("simulate_employees", DEMO_DIR / "simulate_employees.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return pd.read_csv(CSV_PATH)


def test_shipped_csv_matches_simulator(shipped: pd.DataFrame) -> None:
    sim = _load_simulator()
    buf = io.StringIO()
    sim.write_csv(sim.simulate(), buf)
    buf.seek(0)
    pd.testing.assert_frame_equal(shipped, pd.read_csv(buf))


def test_shape_and_columns(shipped: pd.DataFrame) -> None:
    assert 1900 <= len(shipped) <= 2100
    assert list(shipped.columns) == EXPECTED_COLUMNS
    assert shipped["employee_id"].is_unique
    assert shipped["email"].is_unique


def test_termination_after_hire(shipped: pd.DataFrame) -> None:
    hire = pd.to_datetime(shipped["hire_date"], format="%Y-%m-%d")
    term = pd.to_datetime(shipped["termination_date"], format="%Y-%m-%d")
    left = term.notna()
    assert (term[left] > hire[left]).all()
    assert (term[left] <= pd.Timestamp("2025-06-30")).all()
    assert hire.between(pd.Timestamp("2005-01-01"), pd.Timestamp("2024-12-31")).all()


def test_attrition_matches_termination(shipped: pd.DataFrame) -> None:
    assert ((shipped["attrition"] == "Yes") == shipped["termination_date"].notna()).all()
    assert 0.12 <= (shipped["attrition"] == "Yes").mean() <= 0.22


def test_missing_values_present(shipped: pd.DataFrame) -> None:
    for col in ("bonus_pct", "performance_rating", "satisfaction"):
        assert 0 < shipped[col].isna().mean() < 0.10, col


def test_single_row_role(shipped: pd.DataFrame) -> None:
    cdo = shipped[shipped["job_role"] == "Chief Data Officer"]
    assert len(cdo) == 1
    assert cdo["department"].item() == "Engineering"


def test_overtime_raises_attrition(shipped: pd.DataFrame) -> None:
    rate = shipped.groupby("overtime")["attrition"].apply(lambda s: (s == "Yes").mean())
    assert rate["Yes"] > rate["No"]
