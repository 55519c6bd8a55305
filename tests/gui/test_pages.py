"""Columns, privacy, settings, shortcuts and the shape of the window, without training."""

from __future__ import annotations

import subprocess
import sys

from desktop_app.main_window import MainWindow
from desktop_app.pages import PAGES, ColumnsPage, DataPage, PrivacyPage, TrainPage
from desktop_app.qt import QKeySequence, QSettings, Qt
from desktop_app.widgets.table_models import SchemaModel
from engine.app.session import STEPS
from engine.io.fingerprint import row_digests
from engine.privacy.ledger import Ledger


def test_schema_edits_go_through_the_engine_and_declare_their_column(demo_window, messages):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    model = win.page(ColumnsPage).model
    row = session.schema.names.index("department")
    assert model.data(model.index(row, 1)) == SchemaModel.MEASURED
    assert model.setData(model.index(row, 3), "drop")
    assert session.schema["department"].role.value == "drop" and session.schema["department"].declared
    assert model.data(model.index(row, 1)) == SchemaModel.DECLARED
    assert model.setData(model.index(row, 1), SchemaModel.MEASURED) and not session.schema["department"].declared
    # a public bound that is not a number: the engine's message in a dialog
    salary = session.schema.names.index("salary")
    assert not model.setData(model.index(salary, 5), "lots")
    assert messages and "not a number" in messages[-1][2]
    assert model.setData(model.index(salary, 5), "20000")
    assert session.schema["salary"].public_min == 20000.0
    # free text cannot be learned: the step is refused with the engine's message
    email = session.schema.names.index("email")
    assert model.setData(model.index(email, 3), "learn")
    assert session.schema_error and "cannot be learned" in session.schema_error
    assert win.page(ColumnsPage).status.text() == session.schema_error
    assert not win.page(TrainPage).start_button.isEnabled()
    win.page(ColumnsPage).reset_button.click()
    assert session.schema_error is None and session.schema["email"].role.value == "identifier"
    assert not any(c.declared for c in session.schema.columns)
    assert win.page(TrainPage).start_button.isEnabled()


def test_steps_enable_in_order(window, qtbot):  # noqa: ANN001
    def enabled() -> list[bool]:
        return [bool(window.steps.item(i).flags() & Qt.ItemIsEnabled) for i in range(len(STEPS))]

    assert enabled() == [True, False, False, False, False, False]
    with qtbot.waitSignal(window.page(DataPage).table_loaded, timeout=60_000):
        window.page(DataPage).open_demo()
    assert enabled() == [True, True, True, True, False, False]


def test_steps_pages_and_labels_follow_the_one_list(window):  # noqa: ANN001
    assert set(PAGES) == {step.name for step in STEPS}
    assert [window.steps.item(i).text() for i in range(window.steps.count())] == [s.label for s in STEPS]
    assert [window.stack.widget(i) for i in range(window.stack.count())] == [window.pages[s.name] for s in STEPS]
    for step in STEPS:
        window.go(step.name)
        assert window.stack.currentWidget().step == step.name


def test_the_dataset_name_keys_the_ledger_and_a_lookalike_is_warned(demo_window, qtbot, shots):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    # last month's export of the same staff, trained under the name 'March'
    ledger, table = Ledger(), session.table
    march = ledger.key(table.fingerprint, "March")
    ledger.remember(march, "employees.csv (dataset 'March')", list(table.frame.columns),
                    ledger.sketch(row_digests(table.frame)))
    ledger.record(march, 1.5, 1e-5, "march.doppel")
    win.go("privacy")
    page = win.page(PrivacyPage)
    page.dataset.setText("April")
    page.dataset.editingFinished.emit()
    qtbot.waitUntil(lambda: session.ledger.warning is not None and page.lookalike.isVisible(), timeout=30_000)
    assert "looks like 'employees.csv (dataset 'March')'" in page.lookalike.text()
    assert "ε = 1.50 spent there" in page.lookalike.text()
    assert session.choices.dataset == "April" and "dataset 'April' total 0.00" in win.readout.text()
    shots(win, "3-privacy")
    page.dataset.setText("March")
    page.dataset.editingFinished.emit()
    qtbot.waitUntil(lambda: "dataset 'March' total 1.50" in win.readout.text(), timeout=30_000)
    assert "ε already spent on dataset 'March': <b>1.50</b> in 1 run(s)" == page.spent.text()


def test_privacy_page_shows_meaning_delta_and_ledger(demo_window, qtbot):  # noqa: ANN001
    win = demo_window
    win.go("privacy")
    page = win.page(PrivacyPage)
    page.preset_buttons["Strong"].click()
    assert page.epsilon.value() == 1.0 and "Strong privacy" in page.meaning.text()
    assert win.session.choices.epsilon == 1.0 and "ε planned: 1" in win.readout.text()
    assert "2,000 rows" in page.delta_hint.text()
    # the share box shows its whole "automatic (by table size)" beside the wrapped hint
    box = page.fraction
    assert box.width() >= box.fontMetrics().horizontalAdvance(box.specialValueText())
    page.epsilon.setValue(8)
    page.set_ceiling(5)
    qtbot.waitUntil(lambda: "past its ceiling of 5" in page.warning.text(), timeout=30_000)
    assert "ceiling 5" in win.readout.text()


def test_a_bad_delta_is_refused_before_training(demo_window, messages):  # noqa: ANN001
    win = demo_window
    win.page(PrivacyPage).delta.setText("tiny")
    win.go("train")
    win.page(TrainPage).start_button.click()
    assert messages == [("error", "Doppel", "δ 'tiny' is not a number; leave it empty for the default.")]
    assert not win.page(TrainPage).running and win.session.run is None


def test_settings_and_theme_are_remembered(window, settings_path, qtbot):  # noqa: ANN001
    window.set_theme("dark")
    window.resize(900, 640)
    window.close()
    again = MainWindow(QSettings(str(settings_path), QSettings.IniFormat))
    qtbot.addWidget(again)
    assert again.theme == "dark" and again.dark
    assert again.size().height() == 640  # (the offscreen screen clamps the width)
    again.set_theme("light")
    again.close()


def test_shortcuts(window):  # noqa: ANN001
    assert window.open_action.shortcut() == QKeySequence(QKeySequence.Open)
    assert window.train_action.shortcut().toString() == "Ctrl+T"
    assert window.export_action.shortcut().toString() == "Ctrl+E"


def test_engine_stays_free_of_qt():
    code = ("import sys, engine.app.session, engine.app.presenters, engine.app.operations, engine.app.types; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'desktop_app'))]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_window_appears_before_the_training_stack_is_loaded(settings_path):  # noqa: ANN001
    code = ("import sys; from desktop_app.qt import QApplication, QSettings; app = QApplication([]); "
            "from desktop_app.main_window import MainWindow; "
            "MainWindow(QSettings(sys.argv[1], QSettings.IniFormat)).show(); "
            "heavy = [m for m in ('torch', 'opacus', 'sklearn', 'engine.app.operations') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code, str(settings_path)], check=True)
