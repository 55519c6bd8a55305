"""The main window: a step list (Data → Export), the pages, the persistent ε readout.

It owns the session state (table, schema, model) and runs every engine call that touches data
in a worker thread (:mod:`desktop_app.worker`); results come back as Qt signals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app import dialogs
from desktop_app.pages import ColumnsPage, DataPage, ExportPage, PrivacyPage, ReportPage, TrainPage
from desktop_app.qt import (QAction, QActionGroup, QApplication, QByteArray, QCloseEvent, QDragEnterEvent,
                            QDropEvent, QFileDialog, QHBoxLayout, QInputDialog, QKeySequence, QLabel,
                            QListWidget, QListWidgetItem, QMainWindow, QSettings, QSize, QStackedWidget, Qt,
                            QVBoxLayout, QWidget, Signal, Slot)
from desktop_app.theme import RESOURCES, THEMES, apply_theme, icon
from desktop_app.worker import Task, TrainingRun
from engine import preview
from engine.errors import DoppelInputError

DEMO_TABLE = RESOURCES / "demo" / "employees.csv"
TABLE_FILTER = "Tables (*.csv *.tsv *.txt *.xlsx *.xlsm *.parquet);;All files (*)"
STEPS = (("Data", "data"), ("Columns", "columns"), ("Privacy", "privacy"), ("Train", "train"),
         ("Report", "report"), ("Export", "export"))


class MainWindow(QMainWindow):
    table_loaded = Signal()
    training_finished = Signal(object)      # TrainedModel
    training_stopped = Signal(str)          # "finished", "cancelled" or "failed"
    exported = Signal(str)                  # path written
    report_computed = Signal(object)        # engine.preview.QualityReport
    busy_changed = Signal(bool)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.table: Any = None              # engine.sources.LoadedTable
        self.summary: preview.TableSummary | None = None
        self.inferred: Any = None           # the schema as inferred (for "reset")
        self.schema: Any = None             # engine.schema.Schema being edited
        self.schema_error: str | None = None
        self.ledger_info: tuple[float, float, list] | None = None
        self.model: Any = None              # engine.bundle.TrainedModel
        self.report_frame: Any = None       # synthetic sample for the Report page
        self.report: Any = None             # engine.preview.QualityReport of the current model
        self.report_running = False
        self.epoch_reports: list = []       # the current run's EpochReports (loss curves in the report)
        self.run: TrainingRun | None = None
        self.tasks: list[Task] = []
        self.live_epsilon: float | None = None
        self.theme = str(self.settings.value("theme", "system"))
        self.dark = False

        self.setWindowTitle("Doppel — private synthetic employee tables")
        self.setWindowIcon(icon("doppel"))
        self.setAcceptDrops(True)
        self._build()
        self._build_menus()
        self._restore()
        self.update_steps()

    # ------------------------------------------------------------------------------------ layout

    def _build(self) -> None:
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.steps = QListWidget()
        self.steps.setObjectName("steps")
        self.steps.setIconSize(QSize(20, 20))
        self.steps.setFixedWidth(160)
        for name, icon_name in STEPS:
            QListWidgetItem(icon(icon_name), name, self.steps)
        outer.addWidget(self.steps)

        right = QVBoxLayout()
        right.setContentsMargins(0, 8, 8, 0)
        header = QHBoxLayout()
        header.addStretch(1)
        self.readout = QLabel()
        self.readout.setObjectName("readout")
        self.readout.setToolTip("Privacy budget: ε of the current model or run, and the total spent on this table.")
        header.addWidget(self.readout)
        right.addLayout(header)
        self.stack = QStackedWidget()
        self.data_page = DataPage(self)
        self.columns_page = ColumnsPage(self)
        self.privacy_page = PrivacyPage(self)
        self.train_page = TrainPage(self)
        self.report_page = ReportPage(self)
        self.export_page = ExportPage(self)
        self.pages = [self.data_page, self.columns_page, self.privacy_page, self.train_page, self.report_page,
                      self.export_page]
        for page in self.pages:
            self.stack.addWidget(page)
        right.addWidget(self.stack, 1)
        outer.addLayout(right, 1)
        self.setCentralWidget(central)
        self.steps.currentRowChanged.connect(self._step_changed)
        self.steps.setCurrentRow(0)
        self.statusBar().showMessage("Open a table to begin. Everything stays on this computer.")

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(file_menu, "&Open table…", self.choose_table, QKeySequence.Open)
        self._action(file_menu, "Open &demo table", self.open_demo)
        file_menu.addSeparator()
        self._action(file_menu, "Open &model…", self.open_model)
        self._action(file_menu, "&Save model…", self.save_model, QKeySequence.Save)
        self.export_action = self._action(file_menu, "&Export synthetic table…", self.export_shortcut, "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        train_menu = self.menuBar().addMenu("&Train")
        self.train_action = self._action(train_menu, "&Start training", self.train_shortcut, "Ctrl+T")
        self._action(train_menu, "&Cancel training", self.cancel_training, "Ctrl+.")
        view_menu = self.menuBar().addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode in THEMES:
            action = QAction(mode.capitalize() if mode != "system" else "Follow system", self, checkable=True)
            action.setChecked(mode == self.theme)
            action.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _restore(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, (QByteArray, bytes)) and not self.restoreGeometry(geometry):
            self.resize(1180, 780)
        elif not isinstance(geometry, (QByteArray, bytes)):
            self.resize(1180, 780)
        app = QApplication.instance()
        if app is not None:
            self.dark = apply_theme(app, self.theme)
            app.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)
        self._apply_plot_theme()

    @Slot(object)
    def _system_scheme_changed(self, _scheme: object) -> None:
        if self.theme == "system":
            self.set_theme("system")

    def set_theme(self, mode: str) -> None:
        self.theme = mode
        self.settings.setValue("theme", mode)
        self.dark = apply_theme(QApplication.instance(), mode)
        self.theme_actions[mode].setChecked(True)
        self._apply_plot_theme()

    def _apply_plot_theme(self) -> None:
        for canvas in (self.columns_page.histogram, self.train_page.plot):
            canvas.set_dark(self.dark)

    # ------------------------------------------------------------------------------------- steps

    def can_train(self) -> bool:
        return self.table is not None and self.schema is not None and self.schema_error is None

    def update_steps(self) -> None:
        valid = [True, self.table is not None, self.table is not None, self.table is not None,
                 self.model is not None, self.model is not None]
        for row, ok in enumerate(valid):
            item = self.steps.item(row)
            flags = item.flags()
            item.setFlags(flags | Qt.ItemIsEnabled if ok else flags & ~Qt.ItemIsEnabled)
        self.train_page.set_running(self.training)
        self.export_page.export_button.setEnabled(self.model is not None)
        self.update_readout()

    def go(self, name: str) -> None:
        self.steps.setCurrentRow([s for s, _ in STEPS].index(name))

    @Slot(int)
    def _step_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.pages[row].refresh()
        if self.pages[row] is self.report_page and self.report is None and self.report_ready():
            self.compute_report()   # the first visit measures the model; later visits show the result
        if self.pages[row] is self.train_page and self.train_page.device.count() <= 1:
            self._load_devices()

    def update_readout(self) -> None:
        parts = []
        if self.training and self.live_epsilon is not None:
            parts.append(f"ε spent: {self.live_epsilon:.2f} of {self.privacy_page.epsilon.value():g} (training)")
        elif self.model is not None:
            parts.append(f"ε spent: {self.model.summary.epsilon_spent:.2f} (this model)")
        else:
            parts.append(f"ε planned: {self.privacy_page.epsilon.value():g}")
        if self.ledger_info is not None:
            total, ceiling, _ = self.ledger_info
            parts.append(f"table total {total:.2f} / ceiling {ceiling:g}")
        self.readout.setText("   ·   ".join(parts))

    # ------------------------------------------------------------------------------ background

    def _background(self, call, on_success, busy: str) -> Task:  # noqa: ANN001
        """Run ``call`` off the GUI thread; its result goes to ``on_success``, errors to a dialog."""
        task = Task(call, parent=self)
        self.tasks.append(task)
        task.succeeded.connect(on_success)
        task.failed.connect(self.error)
        task.finished.connect(lambda t=task: self._task_done(t))
        self.statusBar().showMessage(busy)
        QApplication.setOverrideCursor(Qt.BusyCursor)
        self.busy_changed.emit(True)
        return task.start()

    def _task_done(self, task: Task) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
        QApplication.restoreOverrideCursor()
        self.busy_changed.emit(bool(self.tasks))

    @Slot(str)
    def error(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)
        dialogs.show_error(self, message)

    # -------------------------------------------------------------------------------------- data

    def _last_folder(self) -> str:
        return str(self.settings.value("last_folder", str(Path.home())))

    def _remember_folder(self, path: str | Path) -> None:
        self.settings.setValue("last_folder", str(Path(path).parent))

    @Slot()
    def choose_table(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open table", self._last_folder(), TABLE_FILTER)
        if path:
            self.open_table(path)

    @Slot()
    def open_demo(self) -> None:
        self.open_table(DEMO_TABLE)

    def open_table(self, path: str | Path, sheet: str | None = None) -> None:
        path = Path(path)
        if sheet is None and path.suffix.lower() in (".xlsx", ".xlsm"):
            try:
                from engine.sources import list_sheets
                sheets = list_sheets(path)
            except DoppelInputError as error:
                self.error(str(error))
                return
            if len(sheets) > 1:
                sheet, ok = QInputDialog.getItem(self, "Choose a sheet", f"{path.name} has several sheets:",
                                                 sheets, 0, False)
                if not ok:
                    return

        def load() -> tuple:
            from engine import workflow
            from engine.ledger import Ledger

            table = workflow.load_table(path, sheet)
            schema = workflow.schema_for(table)
            ledger = Ledger()
            fp = table.fingerprint
            return table, schema, preview.summarize(table), (ledger.total(fp), ledger.ceiling(fp), ledger.entries(fp))

        self._background(load, self._table_ready, f"Reading {path.name}…")

    @Slot(object)
    def _table_ready(self, result: tuple) -> None:
        table, schema, summary, ledger_info = result
        self.table, self.summary, self.ledger_info = table, summary, ledger_info
        self.inferred = schema.to_json()
        self.schema = schema
        if self.model is not None and self.model.fingerprint != table.fingerprint:
            self.report_frame = None
            self.report = None
        self._remember_folder(table.path)
        self.setWindowTitle(f"{table.path.name} — Doppel")
        self.statusBar().showMessage(f"Loaded {table.path.name}: {summary.rows:,} rows, {summary.columns} columns.")
        self.schema_edited()
        for page in self.pages:
            page.refresh()
        self.table_loaded.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_table(urls[0].toLocalFile())
            self.go("Data")

    # ----------------------------------------------------------------------------------- columns

    def schema_edited(self) -> None:
        if self.schema is None:
            return
        try:
            preview.validate_schema(self.schema)
        except DoppelInputError as error:
            self.schema_error = str(error)
            self.columns_page.set_status(self.schema_error, ok=False)
        else:
            self.schema_error = None
            learned = len(self.schema.learned)
            out = len(self.schema.output)
            self.columns_page.set_status(f"{learned} columns learned, {out} in the output, "
                                         f"{len(self.schema.columns) - out} excluded.", ok=True)
        self.update_steps()

    @Slot()
    def load_schema(self) -> None:
        if self.table is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Load schema", self._last_folder(), "Schema (*.json)")
        if not path:
            return
        try:
            from engine.schema import Schema
            schema = Schema.load(path)
            schema.check_matches(self.table.frame, self.table.path.name)
        except DoppelInputError as error:
            self.error(str(error))
            return
        self.schema = schema
        self.columns_page.refresh()
        self.schema_edited()

    @Slot()
    def save_schema(self) -> None:
        if self.schema is None:
            return
        default = str(Path(self._last_folder()) / f"{self.table.path.stem}.schema.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save schema", default, "Schema (*.json)")
        if path:
            try:
                self.schema.save(path)
            except DoppelInputError as error:
                self.error(str(error))

    @Slot()
    def reset_schema(self) -> None:
        if self.inferred is not None:
            from engine.schema import Schema
            self.schema = Schema.from_json(self.inferred, "inferred schema")
            self.columns_page.refresh()
            self.schema_edited()

    # ----------------------------------------------------------------------------------- privacy

    def privacy_changed(self) -> None:
        if hasattr(self, "export_page"):
            self.update_readout()
            if self.stack.currentWidget() is self.privacy_page:
                self.privacy_page.refresh()

    def _refresh_ledger(self) -> None:
        if self.table is None:
            return
        from engine.ledger import Ledger
        ledger, fp = Ledger(), self.table.fingerprint
        self.ledger_info = (ledger.total(fp), ledger.ceiling(fp), ledger.entries(fp))
        self.privacy_page.refresh()
        self.update_readout()

    def set_ceiling(self, value: float) -> None:
        if self.table is None:
            return
        from engine.ledger import Ledger
        try:
            Ledger().set_ceiling(self.table.fingerprint, value)
        except DoppelInputError as error:
            self.error(str(error))
        self._refresh_ledger()

    # ------------------------------------------------------------------------------------- train

    @property
    def training(self) -> bool:
        return self.run is not None and self.run.running

    def _load_devices(self) -> None:
        self._background(preview.devices, self.train_page.set_devices, "Looking for a GPU…")

    @Slot()
    def train_shortcut(self) -> None:
        if self.table is None:
            return
        self.go("Train")
        self.start_training()

    @Slot()
    def start_training(self) -> None:
        if self.training or self.table is None:
            return
        if self.schema_error:
            self.go("Columns")
            self.error(self.schema_error)
            return
        try:
            from engine.training import TrainingConfig
            config = TrainingConfig(epsilon=self.privacy_page.epsilon.value(),
                                    delta=self.privacy_page.delta_value(),
                                    epochs=self.train_page.epochs.value(),
                                    preprocessing_fraction=self.privacy_page.fraction.value(),
                                    device=self.train_page.device.currentData() or "auto")
        except ValueError:
            self.error(f"δ {self.privacy_page.delta.text()!r} is not a number; leave it empty for the default.")
            return
        self.live_epsilon = 0.0
        self.epoch_reports = []
        self.train_page.plot.clear(config.epsilon)
        self.train_page.progress.setValue(0)
        self.train_page.eta.setText("Preparing (DP preprocessing)…")
        self.train_page.log.appendPlainText(f"— Training at ε = {config.epsilon:g}, {config.epochs} epochs —")
        run = TrainingRun(self.table, self.schema, config, parent=self)
        run.event.connect(self._training_event)
        run.succeeded.connect(self._training_done)
        run.failed.connect(self._training_failed)
        run.cancelled.connect(self._training_cancelled)
        run.finished.connect(self._training_thread_finished)
        self.run = run
        run.start()
        self.train_page.set_running(True)
        self.statusBar().showMessage("Training… the window stays usable; Cancel stops within a second.")
        self.update_readout()

    @Slot()
    def cancel_training(self) -> None:
        if self.training:
            self.run.cancel()
            self.train_page.cancel_button.setEnabled(False)
            self.train_page.eta.setText("Cancelling…")

    @Slot(object)
    def _training_event(self, event: object) -> None:
        from engine.training import EpochReport, LogMessage
        if isinstance(event, EpochReport):
            self.live_epsilon = event.epsilon_spent
            self.epoch_reports.append(event)
            self.train_page.show_report(event)
            self.update_readout()
        elif isinstance(event, LogMessage):
            self.train_page.log.appendPlainText(event.text)

    @Slot(object)
    def _training_done(self, result: tuple) -> None:
        model, frame = result
        self.model, self.report_frame, self.report = model, frame, None
        s = model.summary
        self.train_page.progress.setValue(100)
        self.train_page.eta.setText(f"Done in {s.seconds:.1f} s · ε = {s.epsilon_spent:.3f}")
        self.train_page.log.appendPlainText(f"Finished: ε = {s.epsilon_spent:.4f} (δ = {s.delta:.1e}, "
                                            f"{s.accountant}), {s.steps} steps.")
        self.statusBar().showMessage("Model trained. See the Report, then Export.")
        self.training_finished.emit(model)
        self._last_outcome = "finished"

    @Slot(str)
    def _training_failed(self, message: str) -> None:
        self.train_page.eta.setText("Failed.")
        self.train_page.log.appendPlainText(message)
        self._last_outcome = "failed"
        self.error(message)

    @Slot(str, float)
    def _training_cancelled(self, message: str, _spent: float) -> None:
        self.train_page.eta.setText("Cancelled.")
        self.train_page.log.appendPlainText(message)
        self.statusBar().showMessage(message)
        self._last_outcome = "cancelled"

    @Slot()
    def _training_thread_finished(self) -> None:
        self.live_epsilon = None
        self._refresh_ledger()
        self.update_steps()
        self.training_stopped.emit(getattr(self, "_last_outcome", "failed"))

    # ------------------------------------------------------------------------------------ export

    @Slot()
    def export_shortcut(self) -> None:
        if self.model is None:
            return
        self.go("Export")
        if not self.export_page.path.text().strip():
            self.choose_export_path()
        if self.export_page.path.text().strip():
            self.export()

    @Slot()
    def choose_export_path(self) -> None:
        suffix = self.export_page.format.currentData()
        stem = self.table.path.stem if self.table is not None else "synthetic"
        default = str(Path(self._last_folder()) / f"{stem}-synthetic{suffix}")
        path, _ = QFileDialog.getSaveFileName(self, "Save synthetic table", default,
                                              f"{self.export_page.format.currentText()};;All files (*)")
        if path:
            if not Path(path).suffix:
                path += suffix
            self.export_page.path.setText(path)

    @Slot()
    def export(self) -> None:
        if self.model is None:
            return
        text = self.export_page.path.text().strip()
        if not text:
            self.choose_export_path()
            text = self.export_page.path.text().strip()
            if not text:
                return
        model, rows, where, out = self.model, self.export_page.rows.value(), self.export_page.where(), Path(text)

        def call() -> str:
            from engine import workflow
            workflow.export_sample(model, rows, out, where=where)
            return str(out)

        self.export_page.export_button.setEnabled(False)
        self._background(call, self._exported, f"Generating {rows:,} synthetic rows…").finished.connect(
            lambda: self.export_page.export_button.setEnabled(self.model is not None))

    @Slot(object)
    def _exported(self, path: str) -> None:
        self._remember_folder(path)
        self.export_page.status.setText(f"Saved {self.export_page.rows.value():,} synthetic rows to {path}.")
        self.statusBar().showMessage(f"Exported {path}")
        self.exported.emit(path)

    @Slot()
    def save_model(self) -> None:
        if self.model is None:
            return
        default = str(Path(self._last_folder()) / "model.doppel")
        path, _ = QFileDialog.getSaveFileName(self, "Save model", default, "Doppel model (*.doppel)")
        if path:
            self.save_model_to(path)

    def save_model_to(self, path: str | Path) -> None:
        model = self.model

        def call() -> str:
            from engine.bundle import save_bundle
            from engine.workflow import check_output_path
            return str(save_bundle(model, check_output_path(path, (".doppel",))))

        self._background(call, lambda p: self.statusBar().showMessage(f"Model saved to {p}"), "Saving model…")

    @Slot()
    def open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", self._last_folder(), "Doppel model (*.doppel)")
        if path:
            self.open_model_from(path)

    def open_model_from(self, path: str | Path) -> None:
        def call() -> Any:
            from engine.bundle import load_bundle
            return load_bundle(path)

        self._background(call, self._model_opened, "Opening model…")

    @Slot(object)
    def _model_opened(self, model: Any) -> None:
        self.model = model
        self.report_frame, self.report, self.epoch_reports = None, None, []
        if self.table is not None and self.table.fingerprint == model.fingerprint:
            rows = len(self.table.frame)
            self._background(lambda: preview.report_sample(model, rows),
                             self._report_sample_ready, "Sampling for the report…")
        self.update_steps()
        self.export_page.refresh()
        self.go("Export")

    @Slot(object)
    def _report_sample_ready(self, frame: Any) -> None:
        self.report_frame = frame
        self.report_page.refresh()

    # ------------------------------------------------------------------------------------ report

    def report_ready(self) -> bool:
        """A report needs the model, a synthetic sample and the very table the model was trained on."""
        return (self.model is not None and self.report_frame is not None and self.table is not None
                and self.table.fingerprint == self.model.fingerprint)

    @Slot()
    def compute_report(self) -> None:
        if not self.report_ready() or self.report_running:
            return
        model, real, synthetic = self.model, self.table.frame, self.report_frame
        target, log = self.report_page.target.currentData(), list(self.epoch_reports)
        ledger_total = self.ledger_info[0] if self.ledger_info is not None else None

        def call() -> Any:
            return preview.quality_report(model, real, synthetic, target=target, ledger_total=ledger_total,
                                          training_log=log)

        self.report_running = True
        self.report_page.refresh()
        task = self._background(call, self._report_done, "Computing the quality and privacy report…")
        task.finished.connect(self._report_task_finished)

    @Slot(object)
    def _report_done(self, report: Any) -> None:
        self.report = report
        self.statusBar().showMessage("Report computed. It reads real rows: keep it inside the team.")
        self.report_computed.emit(report)

    @Slot()
    def _report_task_finished(self) -> None:
        self.report_running = False
        self.report_page.refresh()

    @Slot()
    def save_report(self) -> None:
        if self.report is None:
            return
        default = str(Path(self._last_folder()) / f"{self.table.path.stem}-report.html")
        path, _ = QFileDialog.getSaveFileName(self, "Save report", default, "HTML report (*.html)")
        if path:
            self.save_report_to(path)

    def save_report_to(self, path: str | Path) -> None:
        report, sources = self.report, {"real": self.table.path.name, "model": "trained in this window"}

        def call() -> str:
            return preview.save_report(report, str(path), sources)

        self._background(call, self._report_saved, "Saving the report…")

    @Slot(object)
    def _report_saved(self, path: str) -> None:
        self._remember_folder(path)
        self.statusBar().showMessage(f"Report saved to {path}. It reads real rows: keep it inside the team.")
        self.report_page.status.setText(f"Saved to {path}. The report is not private: do not share it outside "
                                        "the team.")

    # ------------------------------------------------------------------------------------- close

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Closing during training cancels it: the window hides at once and really closes when
        the worker has stopped (the ε it spent is recorded in the ledger first)."""
        if self.run is not None and self.run.is_thread_running():
            self.run.cancel()
            if not getattr(self, "_closing", False):
                self._closing = True
                self.run.finished.connect(self.close)
            self._save_settings()
            self.hide()
            event.ignore()
            return
        for task in list(self.tasks):
            task.wait(30_000)
        self._save_settings()
        super().closeEvent(event)

    def _save_settings(self) -> None:
        if self.isVisible():
            self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()

    def wait_for_workers(self, ms: int = 60_000) -> None:
        """Block until every worker thread has ended (used at interpreter exit and by tests)."""
        if self.run is not None:
            self.run.wait(ms)
        for task in list(self.tasks):
            task.wait(ms)
