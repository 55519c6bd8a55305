"""Columns: what each column is and whether the model learns it; the histogram of the selected one."""

from __future__ import annotations

from pathlib import Path

from desktop_app.context import Context
from desktop_app.pages.base import Page, stacked
from desktop_app.qt import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QModelIndex, QPushButton, QTableView,
                            Slot)
from desktop_app.widgets import dialogs
from desktop_app.widgets.plots import HistogramPlot
from desktop_app.widgets.table_models import ChoiceDelegate, SchemaModel
from engine.app import presenters
from engine.app.types import DoppelInputError

SCHEMA_FILTER = "Schema (*.json)"
COLUMN_WIDTHS = (150, 95, 95, 230, 60, 80, 80, 160)


class ColumnsPage(Page):
    step = "columns"
    hint = ("What each column is and whether the model learns it. Columns flagged as personal data are excluded "
            "by default; 'fake' fills them with invented values. Public bounds and categories cost no privacy "
            "budget.")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        buttons = QHBoxLayout()
        self.load_button = QPushButton("Load schema…")
        self.save_button = QPushButton("Save schema…")
        self.reset_button = QPushButton("Reset to inferred")
        for button in (self.load_button, self.save_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status = QLabel("")
        buttons.addWidget(self.status)
        self.layout_.addLayout(buttons)

        self.model = SchemaModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.SelectedClicked
                                  | QAbstractItemView.EditKeyPressed)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        for column, choices in SchemaModel.CHOICES.items():
            self.view.setItemDelegateForColumn(column, ChoiceDelegate(choices, self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        for column, width in enumerate(COLUMN_WIDTHS):
            self.view.setColumnWidth(column, width)
        header.setStretchLastSection(True)

        self.histogram = HistogramPlot(height=2.2)
        self.layout_.addWidget(stacked(self.view, self.histogram, (3, 2)), 1)

        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.model.edited.connect(self._edited)
        self.model.edit_failed.connect(self.context.show_error)
        self.load_button.clicked.connect(self.load_schema)
        self.save_button.clicked.connect(self.save_schema)
        self.reset_button.clicked.connect(self.reset_schema)

    # ------------------------------------------------------------------ actions

    @Slot()
    def load_schema(self) -> None:
        if self.session.table is None:
            return
        path = dialogs.choose_open_path(self, self.context.settings, "Load schema", SCHEMA_FILTER)
        if not path:
            return
        try:
            self.session.load_schema(path)
        except DoppelInputError as error:
            self.context.show_error(str(error))
            return
        self.context.refresh()

    @Slot()
    def save_schema(self) -> None:
        schema, table = self.session.schema, self.session.table
        if schema is None or table is None:
            return
        path = dialogs.choose_save_path(self, self.context.settings, "Save schema", f"{table.path.stem}.schema.json",
                                        SCHEMA_FILTER)
        if not path:
            return
        try:
            schema.save(path)
        except DoppelInputError as error:
            self.context.show_error(str(error))
            return
        dialogs.remember_folder(self.context.settings, Path(path))

    @Slot()
    def reset_schema(self) -> None:
        self.session.reset_schema()
        self.context.refresh()

    @Slot()
    def _edited(self) -> None:
        """A cell was changed in place: check the schema again, as the engine would read it."""
        assert self.session.schema is not None
        self.session.set_schema(self.session.schema)
        self.context.refresh()
        current = self.view.currentIndex()
        if current.isValid():
            self._show_histogram(current.row())

    # ------------------------------------------------------------------ view

    def refresh(self) -> None:
        if self.model.schema is not self.session.schema:
            self.model.set_schema(self.session.schema)
            if self.session.schema is not None:
                self.view.selectRow(0)
        text, ok = self.session.schema_status()
        self.status.setText(text)
        self.status.setObjectName("hint" if ok else "warning")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def set_dark(self, dark: bool) -> None:
        self.histogram.set_dark(dark)

    @Slot(QModelIndex, QModelIndex)
    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._show_histogram(current.row())

    def _show_histogram(self, row: int) -> None:
        table, schema = self.session.table, self.session.schema
        if table is None or schema is None:
            return
        column = schema.columns[row]
        hist = presenters.column_histogram(table.frame, column)
        suffix = f" · {hist.missing:,} missing" if hist.missing else ""
        self.histogram.show_histogram(hist, f"{column.name} ({column.kind.value}){suffix}")
