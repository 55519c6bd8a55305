"""``doppel-gui --self-test``: the whole workflow once, offscreen, to prove an installed copy works.

An installer can miss a module, a Qt plugin or a bundled file in ways that only show when that
code path runs; this walks the real window through its normal path (demo table → ε = 3 → a
short training → export as CSV, then Parquet and Excel, whose libraries a build can drop) and
reads each file back, so a broken build fails on the release owner's machine instead of on an
analyst's first run. It works in a temporary ``DOPPEL_HOME``: the user's ledger and settings
are never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

EPSILON = 3.0
EPOCHS = 1          # about 16 DP steps on the 2,000-row demo table
ROWS = 200
FORMATS = (".csv", ".parquet", ".xlsx")   # each written by the Export page and read back by the engine
TIMEOUT_S = 600     # generous: a first start from a cold disk on a slow workstation


def run() -> int:
    """Run the self-test; print one line; return 0 when it passed, 1 otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # must precede the QApplication
    with tempfile.TemporaryDirectory(prefix="doppel-self-test-") as home:
        os.environ["DOPPEL_HOME"] = home
        ok, line = _drive(Path(home))
    print(line, file=sys.stdout if ok else sys.stderr, flush=True)
    return 0 if ok else 1


def _drive(home: Path) -> tuple[bool, str]:
    """Drive a real MainWindow with its own signals; the first failure (or the success) wins."""
    from desktop_app.main_window import MainWindow
    from desktop_app.pages import DataPage, ExportPage, PrivacyPage, TrainPage
    from desktop_app.qt import QApplication, QSettings, QTimer
    from desktop_app.widgets import dialogs

    app = QApplication.instance() or QApplication(sys.argv[:1])
    started = time.perf_counter()
    outcome: list[tuple[bool, str]] = []

    def finish(ok: bool, text: str) -> None:
        if not outcome:
            outcome.append((ok, text))
            app.exit(0 if ok else 1)

    def fail(reason: str) -> None:
        finish(False, f"Doppel self-test FAILED: {reason}")

    def step(body: Callable[..., None]) -> Callable[..., None]:
        """A bug in a step fails the test with its one-line message (never a hung event loop)."""
        def guarded(*args: object) -> None:
            if outcome:
                return
            try:
                body(*args)
            except Exception as error:  # noqa: BLE001 - reported as the test's reason
                fail(dialogs.unexpected(error))
        return guarded

    # any error dialog the window raises is the reason
    dialogs.set_message_hook(lambda level, _title, text: fail(text) if level == "error" else None)
    window = MainWindow(QSettings(str(home / "settings.ini"), QSettings.IniFormat))
    session = window.session
    train, export = window.page(TrainPage), window.page(ExportPage)
    pending = list(FORMATS)

    def export_next() -> None:
        # the Export button's own slot
        export.path.setText(str(home / f"synthetic{pending[0]}"))
        export.export()

    @step
    def loaded() -> None:
        if session.schema_error:
            raise AssertionError(f"the demo table's inferred schema is invalid: {session.schema_error}")
        window.go("privacy")
        window.page(PrivacyPage).epsilon.setValue(EPSILON)
        window.go("train")
        train.epochs.setValue(EPOCHS)
        if not train.start_button.isEnabled():
            raise AssertionError("the Start training button is disabled with the demo table loaded")
        train.start_button.click()

    @step
    def stopped(result: str) -> None:
        if result != "finished":
            raise AssertionError(f"training ended as {result!r}: {train.log.toPlainText()[-300:]}")
        spent = session.model.summary.epsilon_spent
        if not 0 < spent <= EPSILON + 1e-9:
            raise AssertionError(f"training spent ε = {spent}, expected a value in (0, {EPSILON}]")
        window.go("export")
        export.rows.setValue(ROWS)
        export_next()

    @step
    def exported(path: str) -> None:
        from engine.app import operations

        frame = operations.load_table(path).frame
        expected = [c.name for c in session.model.schema.output]
        if list(frame.columns) != expected:
            raise AssertionError(f"{path} has columns {list(frame.columns)}, expected {expected}")
        if len(frame) != ROWS:
            raise AssertionError(f"{path} has {len(frame)} rows, expected {ROWS}")
        pending.pop(0)
        if pending:
            export_next()
            return
        s = session.model.summary
        finish(True, f"Doppel self-test passed: trained on the demo table at ε = {s.epsilon_spent:.2f} "
                     f"({s.facts.get('steps', 0)} DP steps on {s.device}), exported {len(frame)} rows × "
                     f"{len(frame.columns)} columns as {', '.join(f[1:] for f in FORMATS)}, "
                     f"{time.perf_counter() - started:.0f} s in all.")

    window.page(DataPage).table_loaded.connect(loaded)
    train.stopped.connect(stopped)
    export.exported.connect(exported)
    QTimer.singleShot(TIMEOUT_S * 1000, lambda: fail(f"no result after {TIMEOUT_S} s"))
    window.show()
    window.page(DataPage).open_demo()
    app.exec()
    train.cancel()   # a timeout can leave training running
    window.wait_for_workers()
    window.close()
    dialogs.set_message_hook(None)
    return outcome[0] if outcome else (False, "Doppel self-test FAILED: the window closed before the end")
