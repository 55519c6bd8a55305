"""Data: open a table (file, demo or drop), see its facts and a preview of its rows."""

from __future__ import annotations

from pathlib import Path

from desktop_app.context import Context
from desktop_app.pages.base import Page, primary
from desktop_app.qt import (QGridLayout, QGroupBox, QHBoxLayout, QInputDialog, QLabel, QPushButton, Qt, QTableView,
                            Signal, Slot)
from desktop_app.theme import RESOURCES
from desktop_app.widgets import dialogs
from desktop_app.widgets.table_models import DataFrameModel
from engine.app import presenters, session
from engine.app.types import DoppelInputError, LoadedTable

DEMO_TABLE = RESOURCES / "demo" / "employees.csv"
TABLE_FILTER = "Tables (*.csv *.tsv *.txt *.xlsx *.xlsm *.parquet);;All files (*)"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
FACTS = ("File", "Format", "Rows", "Columns", "Missing cells")


class DataPage(Page):
    step = "data"
    hint = ("Open the employee table (CSV, Excel or Parquet), or drop a file on the window. It never leaves "
            "this computer.")

    table_loaded = Signal()
    ledger_read = Signal()         # the ledger and any interrupted run of the loaded table are known

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        buttons = QHBoxLayout()
        self.open_button = primary("Open file…")
        self.demo_button = QPushButton("Open demo table")
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)

        facts = QGroupBox("Table")
        grid = QGridLayout(facts)
        self.facts: dict[str, QLabel] = {}
        for i, key in enumerate(FACTS):
            label = QLabel("—")
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.facts[key] = label
            grid.addWidget(QLabel(key + ":"), i // 3, (i % 3) * 2)
            grid.addWidget(label, i // 3, (i % 3) * 2 + 1)
        for column in (1, 3, 5):
            grid.setColumnStretch(column, 1)
        self.layout_.addWidget(facts)

        self.model = DataFrameModel(parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setDefaultSectionSize(120)
        self.layout_.addWidget(self.view, 1)
        self._shown: LoadedTable | None = None

        self.open_button.clicked.connect(self.choose_table)
        self.demo_button.clicked.connect(self.open_demo)

    # ------------------------------------------------------------------ actions

    @Slot()
    def choose_table(self) -> None:
        path = dialogs.choose_open_path(self, self.context.settings, "Open table", TABLE_FILTER)
        if path:
            self.open_table(path)

    @Slot()
    def open_demo(self) -> None:
        self.open_table(DEMO_TABLE)

    def open_table(self, path: str | Path, sheet: str | None = None) -> None:
        """Read ``path`` in the background (asking for the sheet of a workbook that has several)."""
        path = Path(path)
        if sheet is None and path.suffix.lower() in EXCEL_SUFFIXES:
            try:
                sheets = presenters.sheet_names(str(path))
            except DoppelInputError as error:
                self.context.show_error(str(error))
                return
            if len(sheets) > 1:
                sheet, ok = QInputDialog.getItem(self, "Choose a sheet", f"{path.name} has several sheets:",
                                                 sheets, 0, False)
                if not ok:
                    return
        model, dataset = self.session.model, self.session.choices.dataset
        self.context.run_in_background(lambda: session.open_table(path, sheet, model, dataset), self._table_opened,
                                       f"Reading {path.name}…")

    @Slot(object)
    def _table_opened(self, opened: session.OpenedTable) -> None:
        self.session.set_table(opened)
        dialogs.remember_folder(self.context.settings, opened.table.path)
        summary = opened.summary
        self.context.refresh()
        self.table_loaded.emit()
        table, dataset = opened.table, self.session.choices.dataset
        self.context.run_in_background(lambda: session.read_ledger(table, dataset),
                                       lambda view: self._ledger_read(table, view), "Looking for an interrupted run…")
        self.context.show_status(f"Loaded {opened.table.path.name}: {summary.rows:,} rows, {summary.columns} columns.")

    def _ledger_read(self, table: LoadedTable, view: session.LedgerView) -> None:
        """The ledger and any interrupted run of ``table`` (read after it is shown: this loads torch)."""
        if self.session.table is table:
            self.session.set_ledger(view)
            self.context.refresh()
            self.ledger_read.emit()

    # ------------------------------------------------------------------ view

    def refresh(self) -> None:
        table, summary = self.session.table, self.session.summary
        if table is None or summary is None or table is self._shown:
            return
        self._shown = table
        self.model.set_frame(table.frame)
        self.facts["File"].setText(table.path.name)
        self.facts["File"].setToolTip(str(table.path))
        self.facts["Format"].setText(summary.format + (f" ({summary.detail})" if summary.detail else ""))
        self.facts["Rows"].setText(f"{summary.rows:,}")
        self.facts["Columns"].setText(f"{summary.columns:,}")
        self.facts["Missing cells"].setText(f"{summary.missing_cells:,} ({summary.missing_share:.1%})")
