"""``python -m desktop_app`` / ``doppel-gui``: open the app, on the demo table by default.

Usage: ``python -m desktop_app [--demo | TABLE] [--theme system|light|dark]``.
``--startup-probe`` prints the seconds until the window is first shown, then quits (used to
measure start-up).
"""

from __future__ import annotations

import argparse
import sys
import time

_STARTED = time.perf_counter()


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="doppel-gui", description="Doppel desktop app (offline).")
    parser.add_argument("table", nargs="?", help="table to open (CSV, Excel or Parquet)")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo table (the default)")
    parser.add_argument("--empty", action="store_true", help="open no table")
    parser.add_argument("--theme", choices=("system", "light", "dark"), help="override the remembered theme")
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--self-test", action="store_true",
                        help="train and export once on the demo table, offscreen; print one line, exit 0 or 1")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from desktop_app.self_test import run
        return run()
    from desktop_app.display_check import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from desktop_app.qt import QApplication, QCoreApplication, QSettings, QTimer

    QCoreApplication.setOrganizationName("Doppel")
    QCoreApplication.setApplicationName("Doppel")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from desktop_app.main_window import MainWindow
    from desktop_app.pages import DataPage, TrainPage
    from desktop_app.widgets import dialogs
    from engine.app.types import data_home

    # beside the ledger (DOPPEL_HOME or the platform's data folder), never next to the user's data
    window = MainWindow(QSettings(str(data_home() / "settings.ini"), QSettings.IniFormat))
    if args.theme:
        window.set_theme(args.theme)

    def excepthook(kind, error, tb) -> None:  # noqa: ANN001
        # a bug in a slot: a one-line dialog, the traceback on stderr only
        dialogs.show_error(window, dialogs.unexpected(error.with_traceback(tb)))

    sys.excepthook = excepthook
    window.show()
    data = window.page(DataPage)
    if args.startup_probe:
        # seconds since this module was imported (the interpreter's own start-up comes before)
        QTimer.singleShot(0, lambda: print(f"window shown after {time.perf_counter() - _STARTED:.2f} s",
                                           flush=True))
        data.table_loaded.connect(lambda: (print(f"demo table loaded after {time.perf_counter() - _STARTED:.2f} s",
                                                 flush=True), window.close()))
        window.busy_changed.connect(lambda busy: busy or window.session.table is not None or window.close())
    if args.table:
        data.open_table(args.table)
    elif not args.empty:
        data.open_demo()
    code = app.exec()
    window.page(TrainPage).cancel()   # never leave a worker thread behind at exit
    window.wait_for_workers()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
