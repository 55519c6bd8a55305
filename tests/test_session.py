"""The window's state without Qt (engine.app.session): what each step may do is decided here."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.app.presenters import nice_edges
from engine.app.session import STEPS, RunChoices, Session, open_table
from engine.errors import DoppelInputError
from engine.schema import Role
from tests.conftest import DEMO


def test_delta_is_parsed_once_with_the_engines_message() -> None:
    assert RunChoices(delta_text=" 1e-6 ").config().delta == 1e-6
    assert RunChoices().config().delta is None
    with pytest.raises(DoppelInputError, match="δ 'tiny' is not a number"):
        RunChoices(delta_text="tiny").config()


def test_steps_open_as_the_table_and_model_arrive() -> None:
    session = Session()
    assert [session.available(step.name) for step in STEPS] == [True, False, False, False, False, False]
    assert session.readout() == "ε planned: 3"
    session.set_table(open_table(DEMO))
    assert [session.available(step.name) for step in STEPS] == [True, True, True, True, False, False]
    assert session.default_delta == pytest.approx(1e-5) and "table total 0.00 / ceiling 10" in session.readout()
    session.choices.epsilon = 11
    assert "past its ceiling of 10" in session.ceiling_warning()


def test_a_run_trains_on_the_schema_as_it_was_when_started() -> None:
    session = Session()
    session.set_table(open_table(DEMO))
    request = session.start_run()
    session.schema["department"].role = Role.DROP
    assert request.schema["department"].role.value == "learn"
    assert session.run == request.config and session.live_epsilon == 0.0
    session.finish_run(None)
    assert session.run is None and session.model is None


def test_a_fifth_of_the_rows_is_kept_aside_by_default_and_the_run_trains_on_the_rest() -> None:
    session = Session()
    session.set_table(open_table(DEMO))
    assert session.choices.keep_aside and len(session.training_rows()) == 1600
    request = session.start_run()
    assert (len(request.rows), len(request.holdout)) == (1600, 400)
    session.finish_run(None)
    session.choices.keep_aside = False
    request = session.start_run()
    assert request.holdout is None and len(request.rows) == 2000


def test_small_tables_train_on_every_row_by_default(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:151]), encoding="utf-8")
    session = Session()
    session.set_table(open_table(path))
    assert not session.choices.keep_aside and len(session.training_rows()) == 150


def test_a_forecast_computed_for_an_older_schema_is_dropped() -> None:
    session = Session()
    session.set_table(open_table(DEMO))
    request = session.forecast_request()
    session.accept_suggestions(["age"])
    assert not session.set_forecast(request, "stale") and session.forecast_error is None
    assert session.set_forecast(session.forecast_request(), "no plan fits") and session.forecast_error == "no plan fits"


@pytest.mark.parametrize("low, high, whole, expected", [
    (32_600, 352_700, True, (20_000, 360_000, 20_000)), (21, 65, True, (20, 70, 5)), (1, 5, True, (1, 6, 1)),
    (0.31, 0.97, False, (0.3, 1.0, 0.05)), (7, 7, True, (7, 8, 1)),
])
def test_histogram_bins_are_round_and_hold_every_value(low: float, high: float, whole: bool,
                                                       expected: tuple[float, float, float]) -> None:
    edges = nice_edges(low, high, 20, whole)
    assert (edges[0], edges[-1], edges[1] - edges[0]) == pytest.approx(expected)
    assert edges[0] <= low and edges[-1] > high
