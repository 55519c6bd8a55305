"""Export: generate synthetic rows (optionally conditioned) and save them; save or open the model."""

from __future__ import annotations

from pathlib import Path

from desktop_app.context import Context
from desktop_app.pages.base import Page, primary
from desktop_app.qt import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                            Signal, Slot)
from desktop_app.widgets import dialogs
from engine.app import presenters, session

FORMATS = (("CSV", ".csv"), ("Excel", ".xlsx"), ("Parquet", ".parquet"))
MODEL_FILTER = "Doppel model (*.doppel)"


class ExportPage(Page):
    step = "export"
    hint = ("Generate synthetic rows and save them. The file holds nothing but the synthetic rows; the model can "
            "be saved to generate more later without spending more budget.")

    exported = Signal(str)           # the path written, once the export has ended (another may start)

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
        self.conditions = QLineEdit()
        self.conditions.setPlaceholderText("optional, e.g. department=Sales; remote=True")
        form.addRow("Conditions:", self.conditions)
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
        self.layout_.addStretch(1)

        self.exporting = False
        self._written: str | None = None
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
        table = self.session.table
        self.context.run_in_background(lambda: session.open_model(path, table), self._model_opened,
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
        if model is not None:
            s = model.summary
            self.model_facts.setText(f"{s.synthesizer} · ε = {s.epsilon_spent:.3f}, δ = {s.delta:.1e} · "
                                     f"{len(model.schema.output)} output columns")
