"""The window shell: the step bar (from :data:`engine.app.session.STEPS`), the pages, the menus,
the persistent ε readout, the theme, background tasks and closing.

It holds the one :class:`~engine.app.session.Session` and implements
:class:`~desktop_app.context.Context` for the pages; what each step does lives in its page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar, cast

from desktop_app.pages import PAGES, DataPage, ExportPage, Page, TrainPage
from desktop_app.qt import (QAction, QActionGroup, QApplication, QByteArray, QCloseEvent, QDragEnterEvent, QDropEvent,
                            QHBoxLayout, QKeySequence, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMenu,
                            QSettings, QSize, QStackedWidget, Qt, QVBoxLayout, QWidget, Signal, Slot)
from desktop_app.theme import THEMES, apply_theme, icon
from desktop_app.widgets import dialogs
from desktop_app.worker import Task
from engine.app.session import STEPS, Session

P = TypeVar("P", bound=Page)
T = TypeVar("T")
TITLE = "Doppel — private synthetic employee tables"
DEFAULT_SIZE = (1180, 780)


class MainWindow(QMainWindow):
    busy_changed = Signal(bool)     # background tasks started or all ended

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.session = Session()
        self.settings = settings or QSettings()
        self.tasks: list[Task] = []
        self.theme = str(self.settings.value("theme", "system"))
        self.dark = False
        self._closing = False

        self.setWindowTitle(TITLE)
        self.setWindowIcon(icon("doppel"))
        self.setAcceptDrops(True)
        self._build()
        self._build_menus()
        self._restore()
        self.refresh()

    def page(self, cls: type[P]) -> P:
        """The page of class ``cls`` (typed access for the menus and for tests)."""
        return cast(P, self.pages[cls.step])

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
        self.pages: dict[str, Page] = {}
        for step in STEPS:
            QListWidgetItem(icon(step.name), step.label, self.steps)
            self.pages[step.name] = PAGES[step.name](self)
            self.stack.addWidget(self.pages[step.name])
        right.addWidget(self.stack, 1)
        outer.addLayout(right, 1)
        self.setCentralWidget(central)
        self.steps.currentRowChanged.connect(self._step_changed)
        self.steps.setCurrentRow(0)
        self.statusBar().showMessage("Open a table to begin. Everything stays on this computer.")

    def _build_menus(self) -> None:
        data, train, export = self.page(DataPage), self.page(TrainPage), self.page(ExportPage)
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(file_menu, "&Open table…", data.choose_table, QKeySequence.Open)
        self._action(file_menu, "Open &demo table", data.open_demo)
        file_menu.addSeparator()
        self._action(file_menu, "Open &model…", export.open_model)
        self._action(file_menu, "&Save model…", export.save_model, QKeySequence.Save)
        self.export_action = self._action(file_menu, "&Export synthetic table…", export.export_shortcut, "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        train_menu = self.menuBar().addMenu("&Train")
        self.train_action = self._action(train_menu, "&Start training", self.train_shortcut, "Ctrl+T")
        self._action(train_menu, "&Cancel training", train.cancel, "Ctrl+.")
        theme_menu = self.menuBar().addMenu("&View").addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode in THEMES:
            action = QAction(mode.capitalize() if mode != "system" else "Follow system", self, checkable=True)
            action.setChecked(mode == self.theme)
            action.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action

    def _action(self, menu: QMenu, text: str, slot: Callable[[], Any],
                shortcut: QKeySequence.StandardKey | str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _restore(self) -> None:
        geometry = self.settings.value("geometry")
        if not isinstance(geometry, (QByteArray, bytes)) or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        app = QApplication.instance()
        if app is not None:
            self.dark = apply_theme(app, self.theme)
            app.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)
        self._apply_plot_theme()

    # ------------------------------------------------------------------------------------- theme

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
        for page in self.pages.values():
            page.set_dark(self.dark)

    # ---------------------------------------------------------------------- Context, for the pages

    def run_in_background(self, call: Callable[[], T], on_success: Callable[[T], Any], busy_text: str) -> Task:
        task = Task(call, parent=self)
        self.tasks.append(task)
        task.succeeded.connect(on_success)
        task.failed.connect(self.show_error)
        task.finished.connect(lambda: self._task_done(task, busy_text))
        self.statusBar().showMessage(busy_text)
        QApplication.setOverrideCursor(Qt.BusyCursor)
        self.busy_changed.emit(True)
        return task.start()

    def _task_done(self, task: Task, busy_text: str) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
        if self.statusBar().currentMessage() == busy_text:
            self.statusBar().clearMessage()
        QApplication.restoreOverrideCursor()
        self.busy_changed.emit(bool(self.tasks))

    @Slot(str)
    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)
        dialogs.show_error(self, message)

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    def go(self, step: str) -> None:
        self.steps.setCurrentRow([s.name for s in STEPS].index(step))

    def refresh(self) -> None:
        for row, step in enumerate(STEPS):
            item = self.steps.item(row)
            flags = item.flags()
            item.setFlags(flags | Qt.ItemIsEnabled if self.session.available(step.name) else flags & ~Qt.ItemIsEnabled)
        table = self.session.table
        self.setWindowTitle(f"{table.path.name} — Doppel" if table is not None else TITLE)
        self.refresh_readout()
        for page in self.pages.values():
            page.refresh()

    def refresh_readout(self) -> None:
        self.readout.setText(self.session.readout())

    @Slot(int)
    def _step_changed(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)
            self.pages[STEPS[row].name].entered()

    # ---------------------------------------------------------------------------- menu shortcuts

    @Slot()
    def train_shortcut(self) -> None:
        if self.session.table is not None:
            self.go("train")
            self.page(TrainPage).start()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.page(DataPage).open_table(Path(urls[0].toLocalFile()))
            self.go("data")

    # ------------------------------------------------------------------------------------- close

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Closing during training cancels it: the window hides at once and really closes when
        the run has stopped (the ε it spent is recorded in the ledger first)."""
        train = self.page(TrainPage)
        if train.running:
            train.cancel()
            if not self._closing:
                self._closing = True
                train.stopped.connect(lambda _outcome: self.close())
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
        self.page(TrainPage).wait(ms)
        for task in list(self.tasks):
            task.wait(ms)
