"""Columns, privacy, settings and shortcuts without training."""

from __future__ import annotations

from desktop_app.main_window import MainWindow
from desktop_app.qt import QKeySequence, QSettings, Qt


def test_schema_edits_go_through_the_engine(demo_window, messages):  # noqa: ANN001
    win = demo_window
    model = win.columns_page.model
    row = win.schema.names.index("department")
    assert model.setData(model.index(row, 2), "drop")
    assert win.schema["department"].role.value == "drop"
    # a public bound that is not a number: the engine's message in a dialog
    salary = win.schema.names.index("salary")
    assert not model.setData(model.index(salary, 5), "lots")
    assert messages and "not a number" in messages[-1][2]
    assert model.setData(model.index(salary, 5), "20000")
    assert win.schema["salary"].public_min == 20000.0
    # free text cannot be learned: the step is refused with the engine's message
    email = win.schema.names.index("email")
    assert model.setData(model.index(email, 2), "learn")
    assert win.schema_error and "cannot be learned" in win.schema_error
    assert not win.train_page.start_button.isEnabled()
    win.reset_schema()
    assert win.schema_error is None and win.schema["email"].role.value == "identifier"


def test_steps_enable_in_order(window, qtbot):  # noqa: ANN001
    def enabled() -> list[bool]:
        return [bool(window.steps.item(i).flags() & Qt.ItemIsEnabled) for i in range(6)]

    assert enabled() == [True, False, False, False, False, False]
    with qtbot.waitSignal(window.table_loaded, timeout=60_000):
        window.open_demo()
    assert enabled() == [True, True, True, True, False, False]


def test_privacy_page_shows_meaning_delta_and_ledger(demo_window):  # noqa: ANN001
    win = demo_window
    win.go("Privacy")
    page = win.privacy_page
    page.preset_buttons["Strong"].click()
    assert page.epsilon.value() == 1.0 and "Strong privacy" in page.meaning.text()
    assert "2,000 rows" in page.delta_hint.text()
    page.epsilon.setValue(8)
    win.set_ceiling(5)
    assert "past its ceiling of 5" in page.warning.text()
    assert "ceiling 5" in win.readout.text()


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
    import subprocess
    import sys

    code = ("import sys, engine.workflow, engine.preview; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'desktop_app'))]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
