"""A sound report by default (issue 14 item 3): rows kept aside before training, the ledger still
counting the whole table, and the report measuring against the kept rows (app and CLI)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from engine import cli
from engine.app import holdout, operations
from engine.io import read_table
from engine.run import RunConfig
from tests.conftest import DEMO

SMALL = dict(device="cpu", settings=dict(generator_hidden=(32, 32), discriminator_hidden=(32, 32), noise_dim=16))


@pytest.fixture
def staff(tmp_path: Path) -> Path:
    path = tmp_path / "staff.csv"
    path.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:301]), encoding="utf-8")
    return path


def test_the_split_is_random_disjoint_and_complete() -> None:
    frame = read_table(DEMO).frame
    first, second = holdout.keep_aside(frame), holdout.keep_aside(frame)
    assert (len(first.train), len(first.holdout)) == (1600, 400) and first.share == pytest.approx(0.2)
    assert not first.holdout["employee_id"].equals(second.holdout["employee_id"])     # fresh entropy each time
    assert not set(first.train["employee_id"]) & set(first.holdout["employee_id"])
    rest, removed = holdout.without(frame, first.holdout)
    assert removed == 400 and sorted(rest["employee_id"]) == sorted(first.train["employee_id"])
    assert holdout.keeps_aside_by_default(200) and not holdout.keeps_aside_by_default(199)


def test_training_on_the_kept_rows_charges_the_whole_tables_ledger(staff: Path) -> None:
    table = read_table(staff)
    split = holdout.keep_aside(table.frame, seed=3)
    schema = operations.schema_for(table).declare_all()
    model = operations.train_model(table, schema, RunConfig(epsilon=2.0, epochs=1, seed=1, **SMALL),
                                   train_on=split.train)
    status = operations.ledger_status(table)
    assert [e.epsilon for e in status.entries] == [pytest.approx(model.summary.epsilon_spent)]
    assert status.warning is None                    # the part is not taken for another dataset
    assert abs(model.summary.rows_estimate - len(split.train)) < abs(model.summary.rows_estimate - len(table.frame))


def test_cli_keeps_rows_aside_and_the_report_measures_against_them(staff: Path, tmp_path: Path) -> None:
    kept, synthetic, report = tmp_path / "kept.csv", tmp_path / "synthetic.csv", tmp_path / "report.html"
    out = io.StringIO()
    assert cli.main(["synthesize", str(staff), "--epsilon", "3", "--epochs", "1", "--rows", "200", "--out",
                     str(synthetic), "--keep-aside", "0.2", "--holdout-out", str(kept), "--json"], out=out) == 0
    kept_rows = pd.read_csv(kept)
    assert len(kept_rows) == 60 and list(kept_rows.columns) == list(pd.read_csv(staff).columns)
    assert operations.ledger_status(read_table(staff)).total == pytest.approx(json.loads(out.getvalue())
                                                                              ["epsilon_spent"])
    out = io.StringIO()
    assert cli.main(["report", str(staff), str(synthetic), "--holdout", str(kept), "--out", str(report), "--json"],
                    out=out) == 0
    result = json.loads(out.getvalue())
    assert (result["rows_real"], result["rows_holdout"]) == (240, 60)
    assert any("60 rows were found in staff.csv and left out" in note for note in result["notes"])
    assert not any("No separate holdout" in warning for warning in result["warnings"])


@pytest.mark.parametrize("options, message", [(["--keep-aside", "0.2"], "--keep-aside needs --holdout-out"),
                                              (["--holdout-out", "x.csv"], "--holdout-out needs --keep-aside")])
def test_cli_keep_aside_needs_both_options_before_anything_is_spent(staff: Path, options: list[str], message: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["train", str(staff), "--epsilon", "3", "--model", "m.doppel", *options], out=io.StringIO()) == 2
    assert message in capsys.readouterr().err
    assert operations.ledger_status(read_table(staff)).total == 0
