"""Public facts made easy (issue 14 item 2, issue 12 item 3): suggestions from column names, every
schema fact editable (each edit declares its column), saved domain sets, and the CLI's inspect."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from engine import cli
from engine.app import declaring
from engine.app.domain_sets import DomainSets
from engine.errors import DoppelInputError
from engine.io import read_table
from engine.schema import Kind, Role, infer_schema
from engine.schema.suggestions import suggest, words
from tests.conftest import DEMO

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize("name, low, high", [
    ("age", 16, 80), ("Age", 16, 80), ("bonus_pct", 0, 100), ("Percent %", 0, 100), ("fte", 0, 1),
    ("YearsAtCompany", 0, 50), ("tenure_years", 0, 50), ("weekly_hours", 0, 80), ("hours-per-week", 0, 80),
    ("JobSatisfaction", 1, 5), ("performance_rating", 1, 5), ("hire_date", "1950-01-01", "2026-03-01"),
])
def test_names_suggest_public_ranges(name: str, low: object, high: object) -> None:
    [first, *_] = suggest(name, TODAY)
    assert (first.facts["public_min"], first.facts["public_max"]) == (low, high)


@pytest.mark.parametrize("name", ["salary", "department", "job_level", "email", "birth_date", "full_name",
                                  "contract_end_date", "sick_days", "wage"])
def test_names_that_say_nothing_or_mark_personal_data_suggest_nothing(name: str) -> None:
    assert suggest(name, TODAY) == ()


def test_words_of_a_name_whatever_its_style() -> None:
    assert words("YearsAtCompany") == words("years_at_company") == words("years at company") == ["years", "at",
                                                                                                 "company"]


def test_flags_get_the_spelling_their_cells_use(tmp_path: Path) -> None:
    frame = pd.DataFrame({"remote": ["True", "False"] * 10, "overtime": ["Yes", "No"] * 10,
                          "is_manager": ["Y", "N"] * 10, "attrition": ["0", "1"] * 10,
                          "promoted": ["yes", "maybe"] * 10})
    schema = infer_schema(frame)
    found = declaring.proposals(schema, frame, TODAY)
    assert found["remote"].declared.kind is Kind.BOOLEAN and found["remote"].declared.declared
    assert found["overtime"].declared.public_categories == ["No", "Yes"]
    assert found["is_manager"].declared.public_categories == ["N", "Y"]
    assert (found["attrition"].declared.public_min, found["attrition"].declared.public_max) == (0.0, 1.0)
    assert "promoted" not in found            # 'maybe' is no flag: nothing fits, nothing is offered


def test_a_suggestion_must_fit_the_kind_and_cells_and_dates_keep_their_format() -> None:
    frame = pd.DataFrame({"age": ["20-29", "30-39"] * 15, "hire_date": ["03/02/2010", "17/11/2015"] * 15})
    schema = infer_schema(frame)
    found = declaring.proposals(schema, frame, TODAY)
    assert "age" not in found                 # age bands are labels: no numeric range fits them
    hire = found["hire_date"].declared
    assert (hire.public_min, hire.public_max) == ("01/01/1950", "01/03/2026")
    assert hire.value_of(hire.public_max) is not None


def test_accepting_declares_exactly_the_suggested_columns() -> None:
    frame = read_table(DEMO).frame
    schema = infer_schema(frame)
    found = declaring.proposals(schema, frame, TODAY)
    assert {"age", "weekly_hours", "satisfaction", "overtime", "remote", "hire_date"} <= set(found)
    assert declaring.accept(schema, found, ["age"]) == ["age"]
    assert schema["age"].declared and (schema["age"].public_min, schema["age"].public_max) == (16.0, 80.0)
    assert not schema["weekly_hours"].declared and schema["weekly_hours"].public_max is None
    assert "age" not in declaring.proposals(schema, frame, TODAY)     # nothing left to accept there
    assert declaring.undeclared(schema) == [c.name for c in schema.columns if c.name != "age"]


@pytest.mark.parametrize("field, text, expected", [
    ("kind", "categorical", Kind.CATEGORICAL), ("role", "drop", Role.DROP), ("decimals", "2", 2),
    ("decimal_comma", "yes", True), ("true_token", "Y", "Y"), ("false_token", "N", "N"),
    ("public_min", "20000", 20000.0), ("public_categories", "Sales, HR", ["Sales", "HR"]),
    ("date_formats", "%d.%m.%Y; %Y-%m-%d", "%d.%m.%Y"), ("fake", "name", "name"),
    ("public_missing", "may be empty", True), ("public_missing", "never empty", False),
])
def test_every_fact_is_editable_and_an_edit_declares_the_column(field: str, text: str, expected: object) -> None:
    column = infer_schema(read_table(DEMO).frame)["salary"]
    assert not column.declared
    declaring.set_column_field(column, field, text)
    attribute = {"date_formats": "date_format"}.get(field, field)
    assert getattr(column, attribute) == expected and column.declared
    assert declaring.field_text(column, field) == text          # shown as typed: the app reads it back


@pytest.mark.parametrize("field, text, message", [
    ("kind", "money", "kind 'money' is not one of"), ("decimals", "two", "decimals must be a whole number"),
    ("decimal_comma", "maybe", "decimal comma is 'yes' or 'no'"), ("public_max", "lots", "is not a number"),
    ("date_formats", "dd.mm.yyyy", "has no % code"), ("true_token", " ", "cannot be empty"),
    ("fake", "pets", "fake values 'pets' are not known"), ("public_missing", "sometimes", "empty cells are"),
])
def test_edits_that_do_not_fit_are_refused_with_one_line(field: str, text: str, message: str) -> None:
    column = infer_schema(read_table(DEMO).frame)["salary"]
    with pytest.raises(DoppelInputError, match=message):
        declaring.set_column_field(column, field, text)
    assert not column.declared


def test_domain_sets_are_kept_in_the_data_home_and_reused(_isolated_home: Path) -> None:
    sets = DomainSets()
    assert sets.save(" Departments ", ["Sales", " HR", "Sales", ""]) == ["Sales", "HR"]
    assert json.loads((_isolated_home / "domain_sets.json").read_text(encoding="utf-8")) == {"Departments":
                                                                                             ["Sales", "HR"]}
    assert DomainSets().get("Departments") == ["Sales", "HR"]
    with pytest.raises(DoppelInputError, match="No saved domain set named 'Levels'"):
        sets.get("Levels")
    with pytest.raises(DoppelInputError, match="has no labels"):
        sets.save("Empty", [])


def _inspect(*args: str) -> str:
    out = io.StringIO()
    assert cli.main(["inspect", *args], out=out) == 0
    return out.getvalue()


def test_cli_inspect_shows_suggestions_and_writes_them_with_domain_sets(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = _inspect(str(DEMO))
    assert "suggested: 16 – 80 (ages of employees: 16 to 80)" in text
    assert "note: 19 columns are measured under DP" in capsys.readouterr().err
    # a reviewed schema saves its departments for the next table; --domain reuses them there
    schema = json.loads(_inspect(str(DEMO), "--json"))
    department = next(c for c in schema["columns"] if c["name"] == "department")
    department["public_categories"] = ["Sales", "Engineering", "Support", "Operations", "Marketing", "Finance", "HR"]
    reviewed = tmp_path / "reviewed.json"
    reviewed.write_text(json.dumps(schema), encoding="utf-8")
    _inspect(str(DEMO), "--schema", str(reviewed), "--save-domain", "department=Departments")
    written = json.loads(_inspect(str(DEMO), "--json", "--accept-suggestions", "--domain", "department=Departments"))
    by_name = {c["name"]: c for c in written["columns"]}
    assert by_name["department"]["public_categories"] == department["public_categories"]
    assert (by_name["age"]["public_min"], by_name["age"]["public_max"]) == (16.0, 80.0)
    assert by_name["overtime"]["public_categories"] == ["No", "Yes"]
    capsys.readouterr()
    _inspect(str(DEMO))
    assert "saved domain sets: Departments (7 labels)" in capsys.readouterr().err


def test_cli_inspect_refuses_a_domain_argument_it_cannot_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inspect", str(DEMO), "--domain", "department"], out=io.StringIO()) == 2
    assert "is not COLUMN=SET" in capsys.readouterr().err
