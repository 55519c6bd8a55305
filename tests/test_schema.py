"""Schema inference: kinds, formats, PII flags, default roles, JSON round trip."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from engine.errors import DoppelInputError
from engine.schema import Kind, Role, Schema, infer_schema
from engine.io import read_table
from tests.conftest import DEMO


def _frame(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame({
        "Employee Number": [f"{1000 + i}" for i in range(n)],
        "First Name": [["Anna", "Ben", "Chloé", "Dev"][i % 4] for i in range(n)],
        "work_email": [f"user{i}@corp.example" for i in range(n)],
        "Phone": [f"+44 20 7946 {i:04d}" for i in range(n)],
        "SSN": [f"{100 + i:03d}-45-{6789 + i:04d}" for i in range(n)],
        "date_of_birth": [f"19{60 + i % 30}-0{1 + i % 9}-1{i % 9}" for i in range(n)],
        "notes": [f"Met with manager on day {i} to discuss goals and training plans" for i in range(n)],
        "dept": [["Sales", "HR", None][i % 3] for i in range(n)],
        "salary": [f"{40000 + 137 * i}" for i in range(n)],
        "rating": [f"{3.5 + (i % 3) / 10:.1f}" for i in range(n)],
        "start": [f"{1 + i % 28:02d}/0{1 + i % 9}/2015" for i in range(n)],
        "remote": [["true", "false"][i % 2] for i in range(n)],
    })


def test_kinds_formats_and_pii() -> None:
    schema = infer_schema(_frame())
    expected_pii = {"Employee Number": "key", "First Name": "names", "work_email": "e-mail", "Phone": "phone",
                    "SSN": "national ID", "date_of_birth": "birth", "notes": "free text"}
    for name, word in expected_pii.items():
        column = schema[name]
        assert column.pii and word in column.pii, (name, column.pii)
        assert column.role is Role.IDENTIFIER, name
    assert schema["dept"].kind is Kind.CATEGORICAL and schema["dept"].role is Role.LEARN
    assert schema["dept"].missing_rate == pytest.approx(1 / 3, abs=0.02)
    assert schema["salary"].kind is Kind.INTEGER
    assert schema["rating"].kind is Kind.CONTINUOUS and schema["rating"].decimals == 1
    assert schema["start"].kind is Kind.DATE and schema["start"].date_format == "%d/%m/%Y"
    assert schema["remote"].kind is Kind.BOOLEAN and schema["remote"].true_token == "true"


def test_demo_schema_flags_pii_and_suggests_date_order() -> None:
    schema = infer_schema(read_table(DEMO).frame)
    assert [c.name for c in schema.columns if c.role is Role.IDENTIFIER] == ["employee_id", "full_name", "email"]
    assert [(c.left, c.right) for c in schema.constraints] == [("hire_date", "termination_date")]


def test_json_round_trip_and_edits(tmp_path) -> None:
    schema = infer_schema(read_table(DEMO).frame)
    path = schema.save(tmp_path / "schema.json")
    data = json.loads(path.read_text())
    for column in data["columns"]:
        if column["name"] == "gender":
            column["role"] = "drop"
    path.write_text(json.dumps(data))
    edited = Schema.load(path)
    assert edited["gender"].role is Role.DROP
    assert edited.names == schema.names and edited.constraints == schema.constraints


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["columns"][3].update(kind="colour"), "kind 'colour'"),
    (lambda d: d["columns"][3].update(role="keep"), "role 'keep'"),
    (lambda d: d["columns"][3].update(bogus=1), "unknown field"),
    (lambda d: d.update(doppel_schema=7), "not a Doppel schema"),
    (lambda d: d["constraints"].append({"type": "less_equal", "left": "department", "right": "age"}), "same"),
])
def test_bad_schema_files_get_clear_messages(tmp_path, edit, message) -> None:
    data = infer_schema(read_table(DEMO).frame).to_json()
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DoppelInputError, match=message):
        Schema.load(path)
