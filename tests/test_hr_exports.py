"""Schema inference on what real HR exports look like (issue 15 item 5): each table here is small
and has one of the habits that once made a column come out wrong, read from a real file on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.generation import sample
from engine.io import read_table, write_table
from engine.run import RunConfig
from engine.schema import Kind, Role, infer_schema
from engine.training import train
from tests.conftest import FIT

ROWS = 240


def _loaded(tmp_path: Path, columns: dict[str, list]) -> pd.DataFrame:
    path = tmp_path / "export.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    return read_table(path).frame


def _rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_a_managers_name_repeated_down_the_column_is_personal_data(tmp_path: Path) -> None:
    managers = ["Maria Gonzalez", "John Smith", "Wei Zhang", "Aisha Khan", "Peter Müller", "Sofia Rossi"]
    frame = _loaded(tmp_path, {"Reports to": _rng().choice(managers, ROWS), "grade": _rng().choice(list("ABC"), ROWS)})
    spec = infer_schema(frame)["Reports to"]
    assert spec.pii == "person names" and spec.role is Role.IDENTIFIER
    assert infer_schema(frame)["grade"].role is Role.LEARN


def test_money_with_every_value_different_is_learned_but_employee_numbers_are_keys(tmp_path: Path) -> None:
    rng = _rng()
    salaries = rng.choice(np.arange(30_000, 150_000), ROWS, replace=False)
    frame = _loaded(tmp_path, {"Annual Salary": salaries, "Badge": 1000 + rng.permutation(ROWS),
                               "Bonus": [f"${x:,.0f}" for x in rng.choice(np.arange(1_000, 90_000), ROWS, replace=False)]})
    schema = infer_schema(frame)
    for money in ("Annual Salary", "Bonus"):
        assert schema[money].kind is Kind.INTEGER and schema[money].role is Role.LEARN and schema[money].pii is None
    assert schema["Badge"].role is Role.IDENTIFIER and "key" in (schema["Badge"].pii or "")


@pytest.mark.parametrize("fmt", ["%m/%d/%y", "%d.%m.%y", "%d-%m-%y"])
def test_dates_with_two_digit_years_are_dates_not_phone_numbers(tmp_path: Path, fmt: str) -> None:
    days = pd.Timestamp("2004-01-01") + pd.to_timedelta(_rng().integers(0, 6000, ROWS), "D")
    frame = _loaded(tmp_path, {"Hire date": [d.strftime(fmt) for d in days]})
    spec = infer_schema(frame)["Hire date"]
    assert spec.kind is Kind.DATE and spec.pii is None and spec.role is Role.LEARN
    read = spec.values(frame["Hire date"])
    assert read.notna().all()


def test_counts_written_in_words_are_read_as_numbers(tmp_path: Path) -> None:
    words = ["less than a year", "1 year", "2 years", "3 years", "five", "10+ years", "more than 20 yrs"]
    frame = _loaded(tmp_path, {"Years at company": _rng().choice(words + [str(i) for i in range(4, 15)], ROWS)})
    spec = infer_schema(frame)["Years at company"]
    assert spec.kind is Kind.INTEGER and spec.role is Role.LEARN
    read = dict(zip(frame["Years at company"], spec.values(frame["Years at company"])))
    assert read["less than a year"] == 0 and read["2 years"] == 2 and read["five"] == 5
    assert read["10+ years"] == 10 and read["more than 20 yrs"] == 20
    buckets = _loaded(tmp_path, {"Tenure band": _rng().choice(["0-1 years", "2-5 years", "6-10 years"], ROWS)})
    assert infer_schema(buckets)["Tenure band"].kind is Kind.CATEGORICAL, "ranges are bands, not numbers"


def test_long_padded_and_non_latin_column_names_survive_training_and_export(tmp_path: Path) -> None:
    """Spaces around a header are dropped on reading (so "grade " and "grade" name one column),
    everything else of a name is kept through training, sampling and the written export."""
    rng = _rng()
    names = ["How satisfied are you with your workload and the support you receive from your team?   ",
             "部署", "Ancienneté ", " grade"]
    frame = _loaded(tmp_path, {names[0]: rng.choice(["Very satisfied", "Satisfied", "Neutral"], ROWS),
                               names[1]: rng.choice(["営業", "開発", "人事"], ROWS),
                               names[2]: rng.integers(0, 30, ROWS), names[3]: rng.choice(list("ABC"), ROWS)})
    names = [n.strip() for n in names]
    assert list(frame.columns) == names, "header cells are read without the spaces around them"
    schema = infer_schema(frame)
    assert [c.name for c in schema.learned] == names
    model = train(frame, schema, RunConfig(epsilon=3.0, seed=1, device="cpu", settings=FIT))
    out = write_table(sample(model, 50, seed=2), tmp_path / "synthetic.csv")
    exported = read_table(out).frame
    assert list(exported.columns) == names
    assert set(exported[names[1]].dropna()) <= {"営業", "開発", "人事"}


def test_yes_no_answers_stay_answers_through_the_survey(tmp_path: Path) -> None:
    """"No" is not the number 0: an undeclared Yes/No column keeps both answers through its DP
    survey and measurement (once, "No" read as 0 left a model that only ever wrote "Yes")."""
    frame = _loaded(tmp_path, {"Overtime": _rng().choice(["No", "Yes"], 600, p=[0.7, 0.3]),
                               "Level": _rng().integers(1, 6, 600)})
    model = train(frame, infer_schema(frame), RunConfig(epsilon=3.0, seed=1, device="cpu", settings=FIT))
    written = sample(model, 600, seed=2)["Overtime"].value_counts(normalize=True)
    assert set(written.index) == {"No", "Yes"} and written["No"] > 0.5
