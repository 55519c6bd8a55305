"""The window's state without Qt (engine.app.session): what each step may do is decided here."""

from __future__ import annotations

import pytest

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
