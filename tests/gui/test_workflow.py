"""The whole workflow in a real window over the real engine (offscreen)."""

from __future__ import annotations

import os
import re
import socket
import time

import pandas as pd
import pytest

from desktop_app.pages import DataPage, ExportPage, PrivacyPage, ReportPage, TrainPage
from desktop_app.qt import Qt, QTimer
from engine.app import operations
from engine.errors import DoppelInputError
from engine.run import Progress, RunConfig
from tests.conftest import DEMO

SMALL = dict(device="cpu", settings=dict(generator_hidden=(32, 32), discriminator_hidden=(32, 32), noise_dim=16))


@pytest.fixture
def no_network(monkeypatch):  # noqa: ANN001
    def refuse(*_args, **_kwargs):
        raise AssertionError("the app tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def ledger_entries(window):  # noqa: ANN001, ANN201
    return operations.ledger_status(window.session.table).entries


def wait_for_training_loop(qtbot, window) -> None:  # noqa: ANN001
    """The engine logs the plan just before its step loop (where cancel is checked)."""
    log = window.page(TrainPage).log
    qtbot.waitUntil(lambda: "Preprocessing spent" in log.toPlainText().split("—")[-1], timeout=60_000)


def wait_for_first_epoch(qtbot, window) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: len(window.session.progress) >= 1, timeout=120_000)


def test_end_to_end(demo_window, qtbot, messages, tmp_path, shots, no_network):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    data = win.page(DataPage)
    assert session.summary.rows == 2000 and data.model.rowCount() == 2000
    assert data.model.columnCount() == 19
    shots(win, "1-data")

    win.go("columns")  # keep the inferred schema: every column measured under DP
    assert session.schema_error is None
    assert session.schema["email"].role.value == "identifier"

    win.go("privacy")
    win.page(PrivacyPage).preset_buttons["Balanced"].click()
    assert session.choices.epsilon == 3.0

    win.go("train")
    train = win.page(TrainPage)
    # before the first run: the rows kept aside, and plots that say what they will show
    assert train.keep_aside.isChecked() and "400 rows; training uses 1,600" in train.keep_aside.text()
    assert train.plot.placeholders[train.plot.loss_ax].get_visible()
    assert train.plot.placeholders[train.plot.eps_ax].get_visible()
    assert not train.plot.loss_ax.get_xticks().size and not train.resume_button.isVisible()
    shots(win, "4-train-empty")
    train.epochs.setValue(2)
    with qtbot.waitSignal(train.stopped, timeout=240_000) as stopped:
        qtbot.mouseClick(train.start_button, Qt.LeftButton)
    assert stopped.args == ["finished"], messages
    model = session.model
    # one line per loss series the engine named, one point per epoch reported
    series, epochs = set(session.progress[-1].losses), len(session.progress)
    assert series and set(train.plot.loss_lines) == series
    assert all(len(line.get_xdata()) == epochs for line in train.plot.loss_lines.values())
    assert not train.plot.placeholders[train.plot.loss_ax].get_visible()
    # the ε curve starts at step 0 with what the preprocessing spent, then one point per stage; the
    # live points are this run's releases, and the curve ends at what the run is charged: the
    # plan's bound (≥ them, within 3), so the plot agrees with the ε shown everywhere else
    live = session.progress[-1].epsilon_spent
    charged = model.summary.epsilon_spent
    assert live <= charged <= 3.0 and charged > 2.9
    assert len(train.plot.eps_line.get_xdata()) == epochs + 1 + (charged > live + 5e-4)
    assert train.plot.steps[0] == 0 and train.plot.steps[-1] == session.progress[-1].step
    assert train.plot.eps[0] == pytest.approx(model.summary.preprocessing_epsilon) and train.plot.eps[0] > 0.5
    assert train.plot.eps[-1] == pytest.approx(charged)
    # it trained on the 1,600 rows not kept aside (n̂ is noisy), and the ledger counts the table
    assert abs(model.summary.rows_estimate - 1600) < 200
    assert f"ε spent: {model.summary.epsilon_spent:.2f}" in win.readout.text()
    assert operations.ledger_status(session.table).total == pytest.approx(model.summary.epsilon_spent)
    assert f"table total {model.summary.epsilon_spent:.2f}" in win.readout.text()
    shots(win, "4-train")

    # the first visit to Report computes the engine's report in the background, against the kept rows
    page = win.page(ReportPage)
    with qtbot.waitSignal(page.computed, timeout=120_000) as computed:
        win.go("report")
    report = computed.args[0]
    assert (report.result.rows_real, report.result.rows_holdout) == (1600, 400)
    assert not any("No separate holdout" in w for w in report.result.warnings)
    assert page.basis.text().startswith("Measured against the 400 rows kept aside before training")
    assert page.target.currentData() == "attrition"       # the binary column guessed as the target
    assert report.result.utility is not None and report.result.utility.target == "attrition"
    assert {name for name, _ in report.result.run.losses} == series   # the training figure names each series
    qtbot.waitUntil(lambda: not page.computing)
    shown_rows = [[page.measures.item(i, j).text() for j in range(3)] for i in range(page.measures.rowCount())]
    assert shown_rows == [[r.title, r.value, r.band] for r in report.rows] and len(shown_rows) >= 6
    assert any(r.title.startswith("Column distributions") and r.band in ("excellent", "good", "fair", "poor")
               for r in report.rows)
    assert "Bands:" in page.measures.item(0, 0).toolTip()
    assert "pairs measured" in page.facts.text() and "pair σ, first round" in page.facts.text()
    assert page.picture.count() == len(report.pngs) and not page.image.pixmap().isNull()
    assert any("not covered by differential privacy" in label.text() for label in page.findChildren(type(page.status)))
    shots(win, "5-report")
    page.picture.setCurrentIndex(page.picture.findData("training"))
    shots(win, "5-report-training")
    saved = tmp_path / "report.html"
    page.save_report_to(saved)
    qtbot.waitUntil(lambda: saved.exists() and not win.tasks, timeout=60_000)
    assert "Not covered by differential privacy" in saved.read_text(encoding="utf-8")

    # Export: a preview of 20 rows that follows the conditions built in the editor
    export = win.page(ExportPage)
    with qtbot.waitSignal(export.previewed, timeout=60_000):
        win.go("export")
    assert export.preview_model.rowCount() == 20
    assert [export.condition_column.itemText(i) for i in range(export.condition_column.count())] == \
        [c.name for c in model.encoder.columns]
    # (which columns a run learns, and which labels it releases, depends on its DP surveys)
    number = next(c.name for c in model.encoder.columns if model.schema[c.name].kind.numeric)
    export.condition_column.setCurrentText(number)
    assert [export.condition_operator.itemText(i) for i in range(export.condition_operator.count())] == \
        ["=", "!=", "<", "<=", ">", ">="]
    assert export.condition_value.count() == 0 and export.condition_hint.text().startswith(
        model.schema[number].expected())
    labelled = next(c for c in model.encoder.columns if len(c.released_labels() or ()) > 1)
    released = labelled.released_labels()
    export.condition_column.setCurrentText(labelled.name)
    assert [export.condition_operator.itemText(i) for i in range(export.condition_operator.count())] == ["=", "!="]
    assert [export.condition_value.itemText(i) for i in range(export.condition_value.count())] == released
    export.condition_value.setCurrentText(released[0])
    with qtbot.waitSignal(export.previewed, timeout=60_000):
        export.add_condition.click()
    assert export.conditions.text() == f"{labelled.name}={released[0]}"
    column = [export.preview_model.headerData(i, Qt.Horizontal) for i in range(export.preview_model.columnCount())
              ].index(labelled.name)
    assert {export.preview_model.index(r, column).data() for r in range(20)} == {released[0]}
    export.conditions.setText(f"{labelled.name}=Nowhere")
    qtbot.waitUntil(lambda: export.preview_status.text().startswith("No preview:"), timeout=60_000)
    assert "not a value this model can produce" in export.preview_status.text()
    export.conditions.setText(f"{labelled.name}={released[0]}")
    qtbot.waitUntil(lambda: export.preview_status.text().startswith("20 fresh synthetic rows"), timeout=60_000)
    shots(win, "6-export")

    out = tmp_path / "synthetic.csv"
    export.conditions.clear()
    export.rows.setValue(500)
    export.path.setText(str(out))
    with qtbot.waitSignal(export.exported, timeout=60_000):
        qtbot.mouseClick(export.export_button, Qt.LeftButton)
    frame = pd.read_csv(out)
    assert list(frame.columns) == [c.name for c in model.schema.output]
    assert len(frame) == 500
    assert not {"employee_id", "full_name", "email"} & set(frame.columns)

    # conditional export, then the model bundle round trip
    conditioned = tmp_path / "sales.csv"
    export.conditions.setText("department=Sales")
    export.path.setText(str(conditioned))
    with qtbot.waitSignal(export.exported, timeout=60_000):
        export.export()
    assert set(pd.read_csv(conditioned)["department"]) == {"Sales"}
    bundle = tmp_path / "model.doppel"
    export.save_model_to(bundle)
    qtbot.waitUntil(lambda: bundle.exists() and not win.tasks, timeout=30_000)
    export.open_model_from(bundle)
    qtbot.waitUntil(lambda: session.model is not model and not win.tasks, timeout=30_000)
    assert session.model.summary.epsilon_spent == pytest.approx(model.summary.epsilon_spent)
    assert session.model_matches_table and session.report_ready()   # its run is in this table's ledger
    assert session.report_holdout is None and "splits it 80/20 itself" in session.report_basis()
    assert messages == []


def test_progress_counts_stages_for_a_small_table(window, qtbot, tmp_path):  # noqa: ANN001
    """A small table is learned from measured pairs in stages, not epochs: the line under the bar says so."""
    path = tmp_path / "staff.csv"
    path.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:301]), encoding="utf-8")
    with qtbot.waitSignal(window.page(DataPage).table_loaded, timeout=60_000):
        window.page(DataPage).open_table(path)
    train = window.page(TrainPage)
    window.go("train")
    shown: list[str] = []
    train.run_started.connect(lambda run: run.event.connect(lambda _e: shown.append(train.eta.text())))
    with qtbot.waitSignal(train.stopped, timeout=240_000) as stopped:
        train.start_button.click()
    assert stopped.args == ["finished"]
    progress = window.session.progress
    assert progress and all(e.unit == "stage" for e in progress)
    last = progress[-1]
    assert last.epoch == last.epochs and any(t.startswith(f"Stage {last.epochs}/{last.epochs} ") for t in shown)
    assert not any(t.startswith("Epoch") for t in shown)


def test_resume_continues_an_interrupted_run_without_spending_twice(window, qtbot, tmp_path, messages):  # noqa: ANN001
    """A run that died after its first checkpoint (here: an error raised at its second epoch)
    leaves a checkpoint; the Train page offers Resume, which continues it under the same ledger entry."""
    path = tmp_path / "staff.csv"
    path.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:301]), encoding="utf-8")
    table = operations.load_table(path)
    epochs: list[int] = []

    class Died(Exception):
        pass

    totals: set[int] = set()

    def die_at_second_epoch(event: object) -> None:
        if isinstance(event, Progress):
            epochs.append(event.epoch)
            totals.add(event.epochs)
            if len(epochs) == 2:
                raise Died

    with pytest.raises(Died):
        operations.train_model(table, operations.schema_for(table), RunConfig(epsilon=2.0, epochs=4, **SMALL),
                               on_event=die_at_second_epoch)
    [interrupted] = operations.ledger_status(table).entries
    assert interrupted.resumable and operations.find_checkpoint(table) is not None

    with qtbot.waitSignal(window.page(DataPage).ledger_read, timeout=120_000):
        window.page(DataPage).open_table(path)
    window.go("train")
    train = window.page(TrainPage)
    assert train.resume_button.isVisible() and train.resume_button.isEnabled()
    train.epochs.setValue(1)              # the resumed run keeps the settings it started with
    with qtbot.waitSignal(train.stopped, timeout=240_000) as stopped:
        train.resume_button.click()
    assert stopped.args == ["finished"], messages
    assert "Resuming at step" in train.log.toPlainText()
    # its stages (the rounds planned for its ε, and the final fit) are the interrupted run's
    assert window.session.model.summary.epsilon_target == 2.0 and {e.epochs for e in window.session.progress} == totals
    [entry] = operations.ledger_status(table).entries           # the same entry, updated in place
    assert entry.run == interrupted.run and not entry.resumable
    assert entry.epsilon == pytest.approx(window.session.model.summary.epsilon_spent)
    assert window.session.checkpoint is None and not train.resume_button.isVisible()


def test_cancel_stops_before_the_next_step_records_its_epsilon_and_start_works_again(demo_window, qtbot,
                                                                                      messages):  # noqa: ANN001
    win, session = demo_window, demo_window.session
    train = win.page(TrainPage)
    win.go("train")
    train.epochs.setValue(500)

    # 1. Cancel is set in the worker thread, between two steps, the moment the engine reports its
    #    first epoch: the run must stop right there and record exactly the ε of the steps taken.
    seen: list[Progress] = []

    def watch(run) -> None:  # noqa: ANN001 - the TrainingRun, before its thread starts
        def cancel_at_first_epoch(event: object) -> None:
            if isinstance(event, Progress) and not seen:
                seen.append(event)
                run.cancel()                       # what the Cancel button calls

        run.worker.event.connect(cancel_at_first_epoch, Qt.DirectConnection)

    train.run_started.connect(watch)
    with qtbot.waitSignal(train.stopped, timeout=120_000) as stopped:
        assert train.start_button.isEnabled()
        qtbot.mouseClick(train.start_button, Qt.LeftButton)
        assert train.running and train.cancel_button.isEnabled()
    train.run_started.disconnect(watch)
    assert stopped.args == ["cancelled"]
    [first] = seen
    counted = f"{first.step} stages" if first.unit == "stage" else f"{first.step} steps"
    assert f"Training cancelled after {counted}" in train.log.toPlainText()
    assert [event.step for event in session.progress] == [first.step]      # no step was reported after it
    [entry] = ledger_entries(win)
    assert entry.label == "cancelled run" and entry.epsilon == pytest.approx(first.epsilon_spent, rel=1e-9)
    assert f"table total {entry.epsilon:.2f}" in win.readout.text()
    assert not train.run.is_thread_running() and session.run is None

    # 2. The user's path: Start works again, Cancel from the button after an epoch has been shown
    assert train.start_button.isEnabled() and not train.cancel_button.isEnabled()
    with qtbot.waitSignal(train.stopped, timeout=120_000) as stopped:
        qtbot.mouseClick(train.start_button, Qt.LeftButton)
        wait_for_first_epoch(qtbot, win)
        qtbot.mouseClick(train.cancel_button, Qt.LeftButton)
        assert not train.cancel_button.isEnabled() and train.eta.text() == "Cancelling…"
    assert stopped.args == ["cancelled"]
    steps = int(re.search(r"Training cancelled after (\d+) (?:step|stage)s", train.log.toPlainText().split("—")[-1]).group(1))
    assert all(event.step <= steps for event in session.progress)
    entries = ledger_entries(win)
    assert [e.label for e in entries] == ["cancelled run", "cancelled run"]
    assert session.progress[-1].epsilon_spent <= entries[1].epsilon < 3.0
    assert f"table total {entries[0].epsilon + entries[1].epsilon:.2f}" in win.readout.text()
    assert not train.run.is_thread_running()
    assert train.start_button.isEnabled() and not train.cancel_button.isEnabled()
    assert messages == []


def test_event_loop_keeps_answering_during_training(demo_window, qtbot):  # noqa: ANN001
    win = demo_window
    train = win.page(TrainPage)
    win.go("train")
    train.epochs.setValue(500)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(train.stopped, timeout=120_000):
        train.start()
        wait_for_training_loop(qtbot, win)   # covers the import of torch and the DP preprocessing
        qtbot.wait(3000)                     # and a few seconds of steps
        train.cancel()
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 40
    print(f"\n{len(ticks)} ticks, max gap {max(gaps) * 1000:.0f} ms")
    # blocked, the loop would stall for the whole run (tens of seconds); 2 s leaves room for a busy CI
    assert max(gaps) < 2.0


def test_empty_csv_shows_the_engine_message(window, qtbot, messages, tmp_path):  # noqa: ANN001
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DoppelInputError) as engine_error:
        operations.load_table(empty)
    data = window.page(DataPage)
    data.open_table(empty)
    qtbot.waitUntil(lambda: bool(messages), timeout=30_000)
    assert messages == [("error", "Doppel", str(engine_error.value))]
    assert "Traceback" not in messages[0][2] and "\n" not in messages[0][2]
    assert window.session.table is None
    # the app stays usable
    with qtbot.waitSignal(data.table_loaded, timeout=60_000):
        data.open_demo()
    assert window.session.summary.rows == 2000


def test_closing_during_training_cancels_cleanly(demo_window, qtbot):  # noqa: ANN001
    win = demo_window
    train = win.page(TrainPage)
    train.epochs.setValue(500)
    win.go("train")
    train.start()
    wait_for_training_loop(qtbot, win)
    with qtbot.waitSignal(train.stopped, timeout=120_000) as stopped:
        win.close()
        # the window goes at once: hidden while the run is still stopping (no event has run since)
        assert not win.isVisible() and train.running
    assert stopped.args == ["cancelled"]
    qtbot.waitUntil(lambda: not train.run.is_thread_running(), timeout=30_000)
    assert [e.label for e in ledger_entries(win)] == ["cancelled run"]


def test_main_command_opens_the_demo(tmp_path):  # noqa: ANN001
    """``python -m desktop_app`` shows the window and opens the demo table by default."""
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DOPPEL_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--startup-probe"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "window shown after" in done.stdout and "demo table loaded after" in done.stdout
    assert "Traceback" not in done.stderr
