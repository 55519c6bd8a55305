"""A second synthesizer is one module plus a registration: the test-only independent-marginals
model trains, samples, saves and loads through the same CLI and app paths as the DP-GAN."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from engine import cli
from engine.app import operations
from engine.errors import DoppelInputError
from engine.run import RunConfig
from engine.storage.bundle import read_metadata
from engine.synthesizers.registry import registered
from tests.conftest import DEMO
from tests.plugins import independent  # noqa: F401  (registers "independent")


def test_it_is_registered_beside_the_gan() -> None:
    assert {"dpgan", "independent"} <= set(registered())


def test_cli_trains_saves_loads_and_samples_it(tmp_path) -> None:
    model, out = tmp_path / "m.doppel", tmp_path / "s.csv"
    summary = io.StringIO()
    assert cli.main(["train", str(DEMO), "--epsilon", "4", "--synthesizer", "independent", "--seed", "1",
                     "--model", str(model), "--json"], out=summary) == 0
    facts = json.loads(summary.getvalue().strip().splitlines()[-1])
    assert facts["synthesizer"] == "independent" and 0 < facts["epsilon_spent"] <= 4
    assert read_metadata(model)["synthesizer"]["name"] == "independent"
    assert cli.main(["sample", str(model), "--rows", "300", "--out", str(out), "--where", "department=Sales"]) == 0
    frame = pd.read_csv(out)
    assert len(frame) == 300 and set(frame["department"]) == {"Sales"}
    assert frame["salary"].nunique() > 20, "numbers are drawn inside their DP bins"


def test_app_operations_train_it_and_the_ledger_counts_it(tmp_path) -> None:
    table = operations.load_table(DEMO)
    schema = operations.schema_for(table)
    model = operations.train_model(table, schema, RunConfig(epsilon=1.0, synthesizer="independent", seed=2),
                                   model_path=tmp_path / "m.doppel")
    assert operations.model_matches(model, table)
    reopened = operations.open_model(tmp_path / "m.doppel")
    assert reopened.summary.synthesizer == "independent"
    rows = operations.sample_rows(reopened, 100, seed=3)
    assert list(rows.columns) == [c.name for c in reopened.schema.output]
    assert operations.ledger_status(table).total == pytest.approx(model.summary.epsilon_spent)


def test_unknown_synthesizer_is_a_clear_error() -> None:
    table = operations.load_table(DEMO)
    with pytest.raises(DoppelInputError, match="Unknown synthesizer 'nope'"):
        operations.train_model(table, operations.schema_for(table), RunConfig(epsilon=1.0, synthesizer="nope"))
