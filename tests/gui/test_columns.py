"""The Columns page (issue 12 item 3, issue 14 item 2): every fact shown and edited, suggestions from
the column names accepted with one click, saved domain sets, the forecast, and a histogram that
does not show the column's exact minimum and maximum."""

from __future__ import annotations

from pathlib import Path

from desktop_app.pages import ColumnsPage, DataPage, PrivacyPage
from desktop_app.widgets.table_models import SchemaModel
from engine.app.domain_sets import DomainSets
from engine.app.forecast import NOT_LEARNED
from tests.conftest import DEMO


def _select(page: ColumnsPage, name: str) -> None:
    page.view.selectRow(page.session.schema.names.index(name))


def _cell(page: ColumnsPage, name: str, column: int) -> str:
    return page.model.data(page.model.index(page.session.schema.names.index(name), column))


def test_every_fact_of_a_column_is_shown_and_each_edit_declares_it(demo_window, messages):  # noqa: ANN001
    win, schema = demo_window, demo_window.session.schema
    win.go("columns")
    page = win.page(ColumnsPage)
    details = page.details
    _select(page, "bonus_pct")
    assert (details.kind.currentText(), details.decimals.value(), details.decimal_comma.isChecked()) == \
        ("continuous", 1, False)
    assert not details.declared.isChecked() and "measured under DP" in details.title.text()
    details.decimals.setValue(2)
    assert win.session.schema["bonus_pct"].decimals == 2 and win.session.schema["bonus_pct"].declared
    assert details.declared.isChecked() and _cell(page, "bonus_pct", 4) == "2 decimals"
    assert _cell(page, "bonus_pct", 1) == SchemaModel.DECLARED
    assert details.public_missing.currentText() == "decided under DP" and details.public_missing.isEnabled()
    details.public_missing.setCurrentText("may be empty")
    details.public_missing.activated.emit(details.public_missing.currentIndex())
    assert win.session.schema["bonus_pct"].public_missing is True
    details.public_max.setText("lots")
    details.public_max.editingFinished.emit()
    assert "is not a number" in messages[-1][2] and win.session.schema["bonus_pct"].public_max is None

    _select(page, "hire_date")
    assert details.date_formats.text() == "%Y-%m-%d" and details.date_formats.isEnabled()
    details.date_formats.setText("%d.%m.%Y; %Y-%m-%d")
    details.date_formats.editingFinished.emit()
    column = win.session.schema["hire_date"]
    assert (column.date_format, column.more_date_formats, column.declared) == ("%d.%m.%Y", ["%Y-%m-%d"], True)

    _select(page, "remote")
    assert (details.true_token.text(), details.false_token.text()) == ("True", "False")
    details.true_token.setText("Yes")
    details.true_token.editingFinished.emit()
    assert win.session.schema["remote"].true_token == "Yes" and _cell(page, "remote", 4) == "Yes / False"
    details.declared.setChecked(False)
    assert not win.session.schema["remote"].declared and _cell(page, "remote", 1) == SchemaModel.MEASURED

    _select(page, "email")
    assert details.pii.text() == "e-mail addresses" and details.role.currentText() == "identifier"
    assert schema is win.session.schema and len(messages) == 1


def test_name_suggestions_are_accepted_with_one_click(demo_window):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    win.go("columns")
    page = win.page(ColumnsPage)
    offered = len(session.proposals)
    assert page.accept_button.text() == f"Accept all suggestions ({offered})" and offered >= 10
    _select(page, "age")
    assert "16 – 80 — ages of employees" in page.details.suggestion.text()
    assert _cell(page, "age", SchemaModel.SUGGESTION) == "16 – 80"
    page.details.accept.click()
    age = session.schema["age"]
    assert (age.public_min, age.public_max, age.declared) == (16.0, 80.0, True)
    assert "age" not in session.proposals and _cell(page, "age", 5) == "16"
    # a double click on a suggestion cell accepts it too
    row = session.schema.names.index("weekly_hours")
    page.view.doubleClicked.emit(page.model.index(row, SchemaModel.SUGGESTION))
    assert session.schema["weekly_hours"].public_max == 80.0
    page.accept_button.click()
    assert session.proposals == {} and not page.accept_button.isEnabled()
    assert session.schema["overtime"].public_categories == ["No", "Yes"]
    assert not session.schema["salary"].declared         # nothing in its name: left to be measured


def test_confirm_all_declares_every_column_and_the_page_says_which_are_measured(demo_window):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    win.go("columns")
    page = win.page(ColumnsPage)
    assert page.note.text().startswith("19 of 19 columns will be measured under DP")
    assert "Declared facts are public" in page.note.text()
    page.confirm_button.click()
    assert all(c.declared for c in session.schema.columns) and not page.confirm_button.isEnabled()
    assert page.note.text().startswith("Every column is declared")


def test_a_saved_domain_set_is_reused_on_another_table(demo_window, qtbot, tmp_path: Path):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    win.go("columns")
    page = win.page(ColumnsPage)
    _select(page, "department")
    page.details.public_categories.setText("Sales, Engineering, Support, HR")
    page.details.public_categories.editingFinished.emit()
    assert page.details.save_set.isEnabled()
    page.save_domain_set_as("Departments", session.schema["department"].public_categories)
    assert DomainSets().get("Departments") == ["Sales", "Engineering", "Support", "HR"]

    other = tmp_path / "april.csv"
    other.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:501]), encoding="utf-8")
    with qtbot.waitSignal(win.page(DataPage).table_loaded, timeout=60_000):
        win.page(DataPage).open_table(other)
    win.go("columns")
    _select(page, "department")
    assert session.schema["department"].public_categories is None
    assert page.details.sets.currentText() == "Departments (4)" and page.details.use_set.isEnabled()
    page.details.use_set.click()
    assert session.schema["department"].public_categories == ["Sales", "Engineering", "Support", "HR"]
    assert session.schema["department"].declared


def test_the_forecast_follows_the_schema_and_the_chosen_epsilon(demo_window, qtbot, shots):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    win.go("columns")
    page = win.page(ColumnsPage)
    qtbot.waitUntil(lambda: session.forecast is not None, timeout=180_000)
    assert "At ε = 3 on 1,600 rows" in page.forecast_line.text()
    for column in session.forecast.columns:
        assert _cell(page, column.name, SchemaModel.FORECAST) == column.outcome
    _select(page, "job_role")
    assert page.details.outcome.text().startswith(f"<b>{session.forecast['job_role'].outcome}</b>")
    _select(page, "age")
    shots(win, "2-columns")

    win.go("privacy")
    win.page(PrivacyPage).epsilon.setValue(0.3)
    assert session.forecast is None
    win.go("columns")
    qtbot.waitUntil(lambda: session.forecast is not None, timeout=120_000)
    assert session.forecast.epsilon == 0.3 and session.forecast["age"].outcome == NOT_LEARNED
    page.details.accept.click()                       # age 16–80: no survey needed any more
    qtbot.waitUntil(lambda: session.forecast is not None, timeout=120_000)
    assert not session.forecast["age"].measured and session.forecast["age"].outcome != NOT_LEARNED


def test_the_histogram_shows_round_bins_not_the_exact_minimum_and_maximum(demo_window):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    win.go("columns")
    page = win.page(ColumnsPage)
    _select(page, "salary")
    values = session.schema["salary"].values(session.table.frame["salary"]).dropna()
    shown = [label.get_text() for label in page.histogram.ax.get_xticklabels()]
    assert shown and f"{values.min():,.0f}" not in shown and f"{values.max():,.0f}" not in shown
    assert all(int(label.replace(",", "")) % 10_000 == 0 for label in shown)
    assert "Declare bounds you know without looking at the data" in page.histogram.ax.get_xlabel()
