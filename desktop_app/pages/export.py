"""Export: conditions built from the model's columns and released values (or typed), a preview of
synthetic rows that follows them, the export itself, and saving or opening the model."""

from __future__ import annotations

from pathlib import Path

from desktop_app.context import Context
from desktop_app.pages.base import Page, primary
from desktop_app.qt import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                            QTableView, QTimer, QVBoxLayout, Signal, Slot)
from desktop_app.widgets import dialogs
from desktop_app.widgets.table_models import DataFrameModel
from engine.app import presenters, session
from engine.app.types import DoppelInputError

FORMATS = (("CSV", ".csv"), ("Excel", ".xlsx"), ("Parquet", ".parquet"))
MODEL_FILTER = "Doppel model (*.doppel)"
PREVIEW_DELAY_MS = 400       # typing a condition samples the preview once, after a pause


class ExportPage(Page):
    step = "export"
    hint = ("Generate synthetic rows and save them. The file holds nothing but the synthetic rows; the model can "
            "be saved to generate more later without spending more budget.")

    exported = Signal(str)           # the path written, once the export has ended (another may start)
    previewed = Signal()             # a fresh preview is shown

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        box = QGroupBox("Synthetic table")
        form = QFormLayout(box)
        self.rows = QSpinBox()
        self.rows.setRange(1, 10_000_000)
        self.rows.setValue(2000)
        self.rows.setGroupSeparatorShown(True)
        self.rows.setMaximumWidth(160)
        form.addRow("Rows:", self.rows)
        editor = QHBoxLayout()
        self.condition_column = QComboBox()
        self.condition_column.setMinimumWidth(170)
        self.condition_operator = QComboBox()
        self.condition_value = QComboBox()
        self.condition_value.setEditable(True)
        self.condition_value.setMinimumWidth(170)
        self.add_condition = QPushButton("Add condition")
        self.condition_hint = QLabel("")
        self.condition_hint.setObjectName("hint")
        for widget in (self.condition_column, self.condition_operator, self.condition_value, self.add_condition):
            editor.addWidget(widget)
        editor.addWidget(self.condition_hint, 1)
        form.addRow("Condition:", editor)
        conditions_row = QHBoxLayout()
        self.conditions = QLineEdit()
        self.conditions.setPlaceholderText("optional, e.g. department=Sales; remote=True (or build them above)")
        self.clear_conditions = QPushButton("Clear")
        conditions_row.addWidget(self.conditions, 1)
        conditions_row.addWidget(self.clear_conditions)
        form.addRow("Conditions:", conditions_row)
        self.format = QComboBox()
        for label, suffix in FORMATS:
            self.format.addItem(f"{label} ({suffix})", suffix)
        self.format.setMaximumWidth(200)
        form.addRow("Format:", self.format)
        path_row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("choose where to save…")
        self.browse = QPushButton("Browse…")
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        form.addRow("Save to:", path_row)
        self.export_button = primary("Export synthetic table")
        export_row = QHBoxLayout()
        export_row.addWidget(self.export_button)
        export_row.addStretch(1)
        form.addRow("", export_row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form.addRow("", self.status)
        self.layout_.addWidget(box)

        preview = QGroupBox(f"Preview: {presenters.PREVIEW_ROWS} synthetic rows meeting the conditions (sampling "
                            "spends no ε)")
        preview_layout = QVBoxLayout(preview)
        self.preview_model = DataFrameModel(parent=self)
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.setAlternatingRowColors(True)
        self.preview.verticalHeader().setDefaultSectionSize(22)
        self.preview.horizontalHeader().setDefaultSectionSize(110)
        preview_layout.addWidget(self.preview, 1)
        self.preview_status = QLabel("")
        self.preview_status.setObjectName("hint")
        self.preview_status.setWordWrap(True)
        preview_layout.addWidget(self.preview_status)
        self.layout_.addWidget(preview, 1)

        bundle = QGroupBox("Model")
        bundle_layout = QHBoxLayout(bundle)
        self.model_facts = QLabel("No model yet.")
        self.model_facts.setWordWrap(True)
        self.save_model_button = QPushButton("Save model…")
        self.open_model_button = QPushButton("Open model…")
        bundle_layout.addWidget(self.model_facts, 1)
        bundle_layout.addWidget(self.save_model_button)
        bundle_layout.addWidget(self.open_model_button)
        self.layout_.addWidget(bundle)

        self.exporting = False
        self._written: str | None = None
        self._choices: dict[str, presenters.ConditionColumn] = {}
        self._choices_for: object = None
        self._previewing = False
        self._previewed: tuple[object, str] | None = None     # (model, conditions) of the preview shown
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)
        self.conditions.textChanged.connect(lambda _text: self._preview_timer.start())
        self.condition_column.currentIndexChanged.connect(self._condition_column_changed)
        self.add_condition.clicked.connect(self.add_condition_from_editor)
        self.clear_conditions.clicked.connect(self.conditions.clear)
        self.browse.clicked.connect(self.choose_export_path)
        self.export_button.clicked.connect(self.export)
        self.save_model_button.clicked.connect(self.save_model)
        self.open_model_button.clicked.connect(self.open_model)
        self.format.currentIndexChanged.connect(self._format_changed)

    # ------------------------------------------------------------------ synthetic rows

    @Slot()
    def export_shortcut(self) -> None:
        """Ctrl+E: open this page and export, asking where first when no path is set."""
        if self.session.model is None:
            return
        self.context.go("export")
        self.export()

    @Slot()
    def choose_export_path(self) -> None:
        suffix = self.format.currentData()
        stem = self.session.table.path.stem if self.session.table is not None else "synthetic"
        path = dialogs.choose_save_path(self, self.context.settings, "Save synthetic table",
                                        f"{stem}-synthetic{suffix}", f"{self.format.currentText()};;All files (*)")
        if path:
            self.path.setText(path if Path(path).suffix else path + suffix)

    @Slot()
    def export(self) -> None:
        model = self.session.model
        if model is None or self.exporting:
            return
        if not self.path.text().strip():
            self.choose_export_path()
            if not self.path.text().strip():
                return
        rows, out = self.rows.value(), Path(self.path.text().strip())
        where = presenters.split_conditions(self.conditions.text())

        def call() -> str:
            from engine.app import operations

            operations.export_sample(model, rows, out, where=where)
            return str(out)

        self.exporting = True
        self.refresh()
        task = self.context.run_in_background(call, self._exported, f"Generating {rows:,} synthetic rows…")
        task.finished.connect(self._export_finished)

    @Slot(object)
    def _exported(self, path: str) -> None:
        dialogs.remember_folder(self.context.settings, path)
        self.status.setText(f"Saved {self.rows.value():,} synthetic rows to {path}.")
        self.context.show_status(f"Exported {path}")
        self._written = path

    @Slot()
    def _export_finished(self) -> None:
        self.exporting = False
        self.refresh()
        written, self._written = self._written, None
        if written is not None:
            self.exported.emit(written)

    # ------------------------------------------------------------------ conditions and preview

    def _fill_condition_columns(self) -> None:
        model = self.session.model
        if model is self._choices_for:
            return
        self._choices_for = model
        self._choices = {c.name: c for c in presenters.condition_columns(model)} if model is not None else {}
        self.condition_column.blockSignals(True)
        self.condition_column.clear()
        self.condition_column.addItems(list(self._choices))
        self.condition_column.blockSignals(False)
        self._condition_column_changed(self.condition_column.currentIndex())

    @Slot(int)
    def _condition_column_changed(self, _index: int) -> None:
        """The operators that fit the chosen column's kind, and its released values to pick from."""
        choice = self._choices.get(self.condition_column.currentText())
        self.condition_operator.clear()
        self.condition_value.clear()
        if choice is None:
            self.condition_hint.setText("")
            return
        self.condition_operator.addItems(list(choice.operators))
        self.condition_value.addItems(list(choice.values))
        self.condition_value.lineEdit().setPlaceholderText("" if choice.values else "type a value")
        self.condition_hint.setText(choice.hint)

    @Slot()
    def add_condition_from_editor(self) -> None:
        column, value = self.condition_column.currentText(), self.condition_value.currentText()
        if not column or not value.strip():
            return
        condition = presenters.condition_text(column, self.condition_operator.currentText(), value)
        self.conditions.setText(presenters.join_conditions(self.conditions.text(), condition))

    @Slot()
    def refresh_preview(self) -> None:
        """Sample the preview again in the background when the model or the conditions changed."""
        model, text = self.session.model, self.conditions.text()
        if model is None or (model, text) == self._previewed:
            return
        if self._previewing:
            self._preview_timer.start()
            return
        where = presenters.split_conditions(text)

        def call() -> object:
            try:
                return presenters.preview_rows(model, where)
            except DoppelInputError as error:
                return str(error)

        self._previewing, self._previewed = True, (model, text)
        task = self.context.run_in_background(call, self._previewed_rows, "Sampling a preview…")
        task.finished.connect(self._preview_finished)

    @Slot(object)
    def _previewed_rows(self, rows: object) -> None:
        if isinstance(rows, str):
            self.preview_status.setText(f"No preview: {rows}")
            return
        self.preview_model.set_frame(rows)
        conditions = self.conditions.text().strip()
        self.preview_status.setText(f"{len(rows)} fresh synthetic rows" + (f" with {conditions}" if conditions else "")
                                    + "; the export draws its own.")
        self.previewed.emit()

    @Slot()
    def _preview_finished(self) -> None:
        self._previewing = False
        if self.session.model is not None and (self.session.model, self.conditions.text()) != self._previewed:
            self._preview_timer.start()

    @Slot(int)
    def _format_changed(self, _index: int) -> None:
        text = self.path.text().strip()
        if text:
            self.path.setText(str(Path(text).with_suffix(self.format.currentData())))

    # ------------------------------------------------------------------ model bundle

    @Slot()
    def save_model(self) -> None:
        if self.session.model is None:
            return
        path = dialogs.choose_save_path(self, self.context.settings, "Save model", "model.doppel", MODEL_FILTER)
        if path:
            self.save_model_to(path)

    def save_model_to(self, path: str | Path) -> None:
        model = self.session.model
        if model is None:
            return

        def call() -> str:
            from engine.app import operations

            return str(operations.save_model(model, path))

        self.context.run_in_background(call, lambda saved: self.context.show_status(f"Model saved to {saved}"),
                                       "Saving model…")

    @Slot()
    def open_model(self) -> None:
        path = dialogs.choose_open_path(self, self.context.settings, "Open model", MODEL_FILTER)
        if path:
            self.open_model_from(path)

    def open_model_from(self, path: str | Path) -> None:
        table, dataset = self.session.table, self.session.choices.dataset
        self.context.run_in_background(lambda: session.open_model(path, table, dataset), self._model_opened,
                                       "Opening model…")

    @Slot(object)
    def _model_opened(self, opened: session.OpenedModel) -> None:
        self.session.set_opened_model(opened)
        self.context.refresh()
        self.context.go("export")

    # ------------------------------------------------------------------ view

    def refresh(self) -> None:
        model = self.session.model
        self.export_button.setEnabled(model is not None and not self.exporting)
        self.save_model_button.setEnabled(model is not None)
        for widget in (self.condition_column, self.condition_operator, self.condition_value, self.add_condition):
            widget.setEnabled(model is not None)
        if model is not None:
            s = model.summary
            self.model_facts.setText(f"{s.synthesizer} · ε = {s.epsilon_spent:.3f}, δ = {s.delta:.1e} · "
                                     f"{len(model.schema.output)} output columns")
        self._fill_condition_columns()
        if self.isVisible():
            self._preview_timer.start()

    def entered(self) -> None:
        self.refresh()
        self.refresh_preview()
