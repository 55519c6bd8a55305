"""Columns: every fact of every column (declared or measured under DP), the suggestions taken from
the column names, saved category lists, the forecast of the chosen run, and a histogram."""

from __future__ import annotations

from pathlib import Path

from desktop_app.context import Context
from desktop_app.pages.base import Page, stacked
from desktop_app.qt import (QAbstractItemView, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QModelIndex,
                            QPushButton, QSplitter, Qt, QTableView, QTimer, Slot)
from desktop_app.widgets import dialogs
from desktop_app.widgets.column_details import ColumnDetails
from desktop_app.widgets.plots import HistogramPlot
from desktop_app.widgets.table_models import ChoiceDelegate, SchemaModel
from engine.app import presenters, session
from engine.app.domain_sets import DomainSets
from engine.app.types import DoppelInputError, Kind

SCHEMA_FILTER = "Schema (*.json)"
COLUMN_WIDTHS = (130, 100, 85, 80, 85, 60, 60, 110, 150, 80)
FORECAST_DELAY_MS = 300      # edits in a row are forecast once


class ColumnsPage(Page):
    step = "columns"
    hint = ("What each column is, and whether the model will learn it. Personal data is excluded ('fake' fills a "
            "column with invented values).")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        buttons = QHBoxLayout()
        self.load_button = QPushButton("Load schema…")
        self.save_button = QPushButton("Save schema…")
        self.reset_button = QPushButton("Reset to inferred")
        self.confirm_button = QPushButton("Confirm all")
        self.confirm_button.setToolTip("Declare every column's facts as shown: they become public, and nothing is "
                                       "spent to decide them.")
        self.accept_button = QPushButton("Accept all suggestions")
        self.accept_button.setToolTip("Declare every range and category list suggested by the column names.")
        for button in (self.load_button, self.save_button, self.reset_button, self.confirm_button,
                       self.accept_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status = QLabel("")
        buttons.addWidget(self.status)
        self.layout_.addLayout(buttons)
        self.note = QLabel("")
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.layout_.addWidget(self.note)
        self.forecast_line = QLabel("")
        self.forecast_line.setWordWrap(True)
        self.layout_.addWidget(self.forecast_line)

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

        self.details = ColumnDetails()
        self.histogram = HistogramPlot(height=2.2)
        bottom = QSplitter(Qt.Horizontal)
        bottom.addWidget(self.details)
        bottom.addWidget(self.histogram)
        bottom.setSizes([600, 380])
        self.layout_.addWidget(stacked(self.view, bottom, (1, 1)), 1)

        self._forecasting = False
        self._histogram_key: tuple | None = None
        self._forecast_timer = QTimer(self)
        self._forecast_timer.setSingleShot(True)
        self._forecast_timer.setInterval(FORECAST_DELAY_MS)
        self._forecast_timer.timeout.connect(self.compute_forecast)

        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.model.edited.connect(self._edited)
        self.model.edit_failed.connect(self.context.show_error)
        self.view.doubleClicked.connect(self._double_clicked)
        self.details.edited.connect(self._edited)
        self.details.edit_failed.connect(self.context.show_error)
        self.details.accept_requested.connect(self.accept_suggestion)
        self.details.save_set_requested.connect(self.save_domain_set)
        self.load_button.clicked.connect(self.load_schema)
        self.save_button.clicked.connect(self.save_schema)
        self.reset_button.clicked.connect(self.reset_schema)
        self.confirm_button.clicked.connect(self.confirm_all)
        self.accept_button.clicked.connect(lambda: self.accept_suggestion(None))

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
    def confirm_all(self) -> None:
        if self.session.schema is not None:
            self.session.confirm_all()
            self.context.refresh()

    def accept_suggestion(self, name: str | None) -> None:
        """Declare the name suggestion of column ``name`` (every suggestion when None)."""
        if self.session.schema is None:
            return
        accepted = self.session.accept_suggestions(None if name is None else [name])
        if accepted:
            self.context.show_status(f"Declared as suggested by their names: {', '.join(accepted)}.")
        self.context.refresh()

    def save_domain_set(self, labels: list[str]) -> None:
        """Save a column's public categories under a name the user gives, for other tables."""
        name, ok = QInputDialog.getText(self, "Save domain set", "Name for this list (e.g. Departments):")
        if ok:
            self.save_domain_set_as(name, labels)

    def save_domain_set_as(self, name: str, labels: list[str]) -> None:
        try:
            saved = DomainSets().save(name, labels)
        except DoppelInputError as error:
            self.context.show_error(str(error))
            return
        self.context.show_status(f"Saved '{name.strip()}' ({len(saved)} labels) for other tables.")
        self.details.set_domain_sets(DomainSets().all())

    @Slot()
    def _edited(self) -> None:
        """A fact was changed in place: check the schema again, as the engine would read it."""
        assert self.session.schema is not None
        self.session.set_schema(self.session.schema)
        self.context.refresh()

    @Slot(QModelIndex)
    def _double_clicked(self, index: QModelIndex) -> None:
        """A double click on a suggestion accepts it."""
        if index.column() == SchemaModel.SUGGESTION and self.session.schema is not None:
            name = self.session.schema.columns[index.row()].name
            if name in self.session.proposals:
                self.accept_suggestion(name)

    # ------------------------------------------------------------------ forecast

    def schedule_forecast(self) -> None:
        if self.session.forecast is None:
            self._forecast_timer.start()

    @Slot()
    def compute_forecast(self) -> None:
        """Forecast the current schema and choices in the background (torch loads there the first time)."""
        if self._forecasting or self.session.forecast is not None:
            return
        request = self.session.forecast_request()
        if request is None:
            self._show_forecast()
            return
        self._forecasting = True
        task = self.context.run_in_background(lambda: session.compute_forecast(request),
                                              lambda found: self._forecast_done(request, found),
                                              "Forecasting what each column will learn…")
        task.finished.connect(self._forecast_finished)

    def _forecast_done(self, request: session.ForecastRequest, found: object) -> None:
        if self.session.set_forecast(request, found):
            self.refresh()

    @Slot()
    def _forecast_finished(self) -> None:
        self._forecasting = False
        if self.session.forecast is None and self.isVisible():
            self.schedule_forecast()      # the schema or a choice changed while it ran

    def _show_forecast(self) -> None:
        s = self.session
        if s.forecast is not None:
            self.forecast_line.setText(f"Forecast (before any ε is spent): {s.forecast.summary()} Hover a column's "
                                       "forecast for why, and what declaring would change.")
        elif s.forecast_error:
            self.forecast_line.setText(f"No forecast: {s.forecast_error}")
        elif s.schema_error:
            self.forecast_line.setText("No forecast until the schema can be trained (see the message above).")
        else:
            self.forecast_line.setText("Forecasting which columns a run at the chosen ε will learn…")

    # ------------------------------------------------------------------ view

    def entered(self) -> None:
        self.refresh()
        self.details.set_domain_sets(DomainSets().all())
        self.schedule_forecast()

    def refresh(self) -> None:
        s = self.session
        if self.model.schema is not s.schema:
            self.model.set_schema(s.schema)
            if s.schema is not None:
                self.view.selectRow(0)
        self.model.set_extras(s.proposals, s.forecast)
        text, ok = s.schema_status()
        self.status.setText(text)
        self.status.setObjectName("hint" if ok else "warning")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.note.setText(s.declaration_note())
        self.accept_button.setText(f"Accept all suggestions ({len(s.proposals)})")
        self.accept_button.setEnabled(bool(s.proposals))
        self.confirm_button.setEnabled(s.schema is not None and any(not c.declared for c in s.schema.columns))
        self._show_forecast()
        self._show_column(self.view.currentIndex().row())
        if self.isVisible():
            self.schedule_forecast()

    def set_dark(self, dark: bool) -> None:
        self.histogram.set_dark(dark)

    @Slot(QModelIndex, QModelIndex)
    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_column(current.row())

    def _show_column(self, row: int) -> None:
        table, schema = self.session.table, self.session.schema
        if table is None or schema is None or not 0 <= row < len(schema.columns):
            self.details.show_column(None, None, None)
            return
        column = schema.columns[row]
        outcome = self.session.forecast[column.name] if self.session.forecast is not None else None
        self.details.show_column(column, self.session.proposals.get(column.name), outcome)
        key = (id(table), column.name, column.kind, column.date_format, tuple(column.more_date_formats),
               column.decimal_comma)
        if key == self._histogram_key:
            return
        self._histogram_key = key
        if column.kind is Kind.TEXT:     # keys and free text: every value differs, nothing to see
            self.histogram.show_histogram(None, f"{column.name} (text: not learned)")
            return
        hist = presenters.column_histogram(table.frame, column)
        suffix = f" · {hist.missing:,} missing" if hist.missing else ""
        self.histogram.show_histogram(hist, f"{column.name} ({column.kind.value}){suffix}", note=HISTOGRAM_NOTE)


HISTOGRAM_NOTE = "Round bins of this table, seen here only.\nDeclare bounds you know without looking at the data."
