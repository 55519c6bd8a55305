"""The six step pages. Pages lay out widgets and forward user actions to the main window,
which owns the state and calls the engine; nothing here computes on the data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.models import DataFrameModel, SchemaModel
from desktop_app.plots import HistogramPlot, TrainingPlot
from desktop_app.qt import (QAbstractItemView, QColor, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                            QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPixmap, QPlainTextEdit,
                            QProgressBar, QPushButton, QResizeEvent, QScrollArea, QSpinBox, QSplitter,
                            QStyledItemDelegate, QTableView, QTableWidget, QTableWidgetItem, Qt, QVBoxLayout, QWidget,
                            Slot)
from engine import preview

if TYPE_CHECKING:  # pragma: no cover
    from desktop_app.main_window import MainWindow


def _title(text: str, hint: str) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 6)
    title = QLabel(text)
    title.setObjectName("pageTitle")
    sub = QLabel(hint)
    sub.setObjectName("hint")
    sub.setWordWrap(True)
    layout.addWidget(title)
    layout.addWidget(sub)
    return box


def _primary(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName("primary")
    return button


def _stacked(top: QWidget, bottom: QWidget, stretch: tuple[int, int]) -> QSplitter:
    """Two widgets one above the other, the user dragging the border; ``stretch`` shares extra height."""
    splitter = QSplitter(Qt.Vertical)
    for index, widget in enumerate((top, bottom)):
        splitter.addWidget(widget)
        splitter.setStretchFactor(index, stretch[index])
    return splitter


class Page(QWidget):
    def __init__(self, window: "MainWindow", title: str, hint: str) -> None:
        super().__init__()
        self.win = window
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        self.layout_.addWidget(_title(title, hint))

    def refresh(self) -> None:
        """Show the window's current state (called when the page is entered or state changes)."""


# ------------------------------------------------------------------------------------------- Data


class DataPage(Page):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window, "Data", "Open the employee table (CSV, Excel or Parquet), or drop a file on "
                         "the window. It never leaves this computer.")
        buttons = QHBoxLayout()
        self.open_button = _primary("Open file…")
        self.demo_button = QPushButton("Open demo table")
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)

        facts = QGroupBox("Table")
        grid = QGridLayout(facts)
        self.facts: dict[str, QLabel] = {}
        for i, key in enumerate(("File", "Format", "Rows", "Columns", "Missing cells", "Fingerprint")):
            label = QLabel("—")
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.facts[key] = label
            grid.addWidget(QLabel(key + ":"), i // 3, (i % 3) * 2)
            grid.addWidget(label, i // 3, (i % 3) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setColumnStretch(5, 1)
        self.layout_.addWidget(facts)

        self.model = DataFrameModel(parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setDefaultSectionSize(120)
        self.layout_.addWidget(self.view, 1)

        self.open_button.clicked.connect(window.choose_table)
        self.demo_button.clicked.connect(window.open_demo)

    def refresh(self) -> None:
        table, summary = self.win.table, self.win.summary
        if table is None or summary is None:
            return
        self.model.set_frame(table.frame)
        self.facts["File"].setText(table.path.name)
        self.facts["File"].setToolTip(str(table.path))
        self.facts["Format"].setText(summary.format + (f" ({summary.detail})" if summary.detail else ""))
        self.facts["Rows"].setText(f"{summary.rows:,}")
        self.facts["Columns"].setText(f"{summary.columns:,}")
        self.facts["Missing cells"].setText(f"{summary.missing_cells:,} ({summary.missing_share:.1%})")
        self.facts["Fingerprint"].setText(summary.fingerprint[:16] + "…")
        self.facts["Fingerprint"].setToolTip(summary.fingerprint)


# ---------------------------------------------------------------------------------------- Columns


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box for the kind and role cells."""

    def __init__(self, choices: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent, option, index):  # noqa: N802, ANN001, ANN201
        combo = QComboBox(parent)
        combo.addItems(self.choices)
        return combo

    def setEditorData(self, editor, index):  # noqa: N802, ANN001, ANN201
        editor.setCurrentText(str(index.data(Qt.EditRole)))

    def setModelData(self, editor, model, index):  # noqa: N802, ANN001, ANN201
        model.setData(index, editor.currentText(), Qt.EditRole)


class ColumnsPage(Page):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window, "Columns", "What each column is and whether the model learns it. Columns "
                         "flagged as personal data are excluded by default; 'fake' fills them with invented "
                         "values. Public bounds and categories cost no privacy budget.")
        buttons = QHBoxLayout()
        self.load_button = QPushButton("Load schema…")
        self.save_button = QPushButton("Save schema…")
        self.reset_button = QPushButton("Reset to inferred")
        for b in (self.load_button, self.save_button, self.reset_button):
            buttons.addWidget(b)
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
        self.view.setItemDelegateForColumn(1, ChoiceDelegate(SchemaModel.CHOICES[1], self.view))
        self.view.setItemDelegateForColumn(2, ChoiceDelegate(SchemaModel.CHOICES[2], self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        for col, width in enumerate((150, 95, 95, 230, 60, 80, 80, 160)):
            self.view.setColumnWidth(col, width)
        header.setStretchLastSection(True)

        self.histogram = HistogramPlot(height=2.2)
        self.layout_.addWidget(_stacked(self.view, self.histogram, (3, 2)), 1)

        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.model.changed.connect(self._schema_changed)
        self.model.edit_failed.connect(window.error)
        self.load_button.clicked.connect(window.load_schema)
        self.save_button.clicked.connect(window.save_schema)
        self.reset_button.clicked.connect(window.reset_schema)

    def refresh(self) -> None:
        if self.model.schema is not self.win.schema:
            self.model.set_schema(self.win.schema)
            if self.win.schema is not None:
                self.view.selectRow(0)

    @Slot()
    def _schema_changed(self) -> None:
        self.win.schema_edited()
        current = self.view.currentIndex()
        if current.isValid():
            self._show_histogram(current.row())

    @Slot(object, object)
    def _row_changed(self, current, _previous) -> None:  # noqa: ANN001
        if current.isValid():
            self._show_histogram(current.row())

    def _show_histogram(self, row: int) -> None:
        if self.win.table is None or self.win.schema is None:
            return
        column = self.win.schema.columns[row]
        hist = preview.column_histogram(self.win.table.frame, column)
        suffix = f" · {hist.missing:,} missing" if hist.missing else ""
        self.histogram.show_histogram(hist, f"{column.name} ({column.kind.value}){suffix}")

    def set_status(self, text: str, ok: bool) -> None:
        self.status.setText(text)
        self.status.setObjectName("hint" if ok else "warning")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)


# ---------------------------------------------------------------------------------------- Privacy


class PrivacyPage(Page):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window, "Privacy", "ε is the privacy budget: smaller is more private. Every training "
                         "run on this table adds its ε to the table's ledger.")
        budget = QGroupBox("Budget for this run")
        form = QFormLayout(budget)
        presets = QHBoxLayout()
        self.preset_buttons: dict[str, QPushButton] = {}
        for label, eps, description in preview.PRESETS:
            button = QPushButton(f"{label} (ε = {eps:g})")
            button.setToolTip(description)
            button.clicked.connect(lambda _=False, e=eps: self.epsilon.setValue(e))
            presets.addWidget(button)
            self.preset_buttons[label] = button
        presets.addStretch(1)
        form.addRow("Presets:", presets)
        self.epsilon = QDoubleSpinBox()
        self.epsilon.setRange(0.1, 50.0)
        self.epsilon.setDecimals(2)
        self.epsilon.setSingleStep(0.5)
        self.epsilon.setValue(preview.DEFAULT_EPSILON)
        self.epsilon.setMaximumWidth(120)
        form.addRow("ε (epsilon):", self.epsilon)
        self.meaning = QLabel()
        self.meaning.setWordWrap(True)
        self.meaning.setObjectName("hint")
        self.meaning.setMinimumHeight(self.meaning.fontMetrics().height() * 2 + 4)
        form.addRow("Meaning:", self.meaning)
        self.delta = QLineEdit()
        self.delta.setMaximumWidth(160)
        self.delta_hint = QLabel()
        self.delta_hint.setObjectName("hint")
        delta_row = QHBoxLayout()
        delta_row.addWidget(self.delta)
        delta_row.addWidget(self.delta_hint, 1)
        form.addRow("δ (delta):", delta_row)
        self.fraction = QDoubleSpinBox()
        self.fraction.setRange(0.05, 0.5)
        self.fraction.setSingleStep(0.05)
        self.fraction.setValue(0.2)
        self.fraction.setSuffix("  of ε")
        self.fraction.setMinimumWidth(110)
        self.fraction_hint = QLabel("spent on column bounds, categories and frequencies; the rest on training")
        self.fraction_hint.setObjectName("hint")
        fraction_row = QHBoxLayout()
        fraction_row.addWidget(self.fraction)
        fraction_row.addWidget(self.fraction_hint, 1)
        form.addRow("Preprocessing share:", fraction_row)
        self.layout_.addWidget(budget)

        ledger = QGroupBox("Ledger of this table")
        ledger_layout = QVBoxLayout(ledger)
        top = QHBoxLayout()
        self.spent = QLabel("—")
        top.addWidget(self.spent)
        top.addStretch(1)
        top.addWidget(QLabel("Ceiling:"))
        self.ceiling = QDoubleSpinBox()
        self.ceiling.setRange(0.1, 1000.0)
        self.ceiling.setDecimals(2)
        top.addWidget(self.ceiling)
        self.ceiling_button = QPushButton("Set ceiling")
        top.addWidget(self.ceiling_button)
        ledger_layout.addLayout(top)
        self.warning = QLabel("")
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        ledger_layout.addWidget(self.warning)
        self.entries = QTableWidget(0, 4)
        self.entries.setHorizontalHeaderLabels(["When (UTC)", "ε", "δ", "Run"])
        self.entries.verticalHeader().setVisible(False)
        self.entries.horizontalHeader().setStretchLastSection(True)
        self.entries.setColumnWidth(0, 190)
        self.entries.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.entries.setMinimumHeight(120)
        self.entries.setMaximumHeight(220)
        ledger_layout.addWidget(self.entries)
        self.layout_.addWidget(ledger)
        self.layout_.addStretch(1)

        self.epsilon.valueChanged.connect(self._epsilon_changed)
        self.ceiling_button.clicked.connect(lambda: window.set_ceiling(self.ceiling.value()))
        self._epsilon_changed(self.epsilon.value())

    @Slot(float)
    def _epsilon_changed(self, value: float) -> None:
        self.meaning.setText(preview.epsilon_meaning(value))
        self.win.privacy_changed()

    def delta_value(self) -> float | None:
        text = self.delta.text().strip()
        return float(text) if text else None

    def refresh(self) -> None:
        info = self.win.ledger_info
        if self.win.summary is not None:
            default = preview.default_delta(self.win.summary.rows)
            self.delta.setPlaceholderText(f"{default:.2e}")
            self.delta_hint.setText(f"empty = default for {self.win.summary.rows:,} rows ({default:.2e})")
        if info is None:
            return
        total, ceiling, entries = info
        self.spent.setText(f"ε already spent on this table: <b>{total:.2f}</b> in {len(entries)} run(s)")
        self.ceiling.setValue(ceiling)
        self.entries.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            for col, text in enumerate((entry.when.replace("T", " ")[:19], f"{entry.epsilon:.3f}",
                                        f"{entry.delta:.1e}", entry.label)):
                self.entries.setItem(row, col, QTableWidgetItem(text))
        if total + self.epsilon.value() > ceiling + 1e-12:
            self.warning.setText(f"A run at ε = {self.epsilon.value():g} would take this table to "
                                 f"ε = {total + self.epsilon.value():.2f}, past its ceiling of {ceiling:g}.")
        else:
            self.warning.setText("")


# ------------------------------------------------------------------------------------------ Train


class TrainPage(Page):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window, "Train", "The model learns under differential privacy: the budget is "
                         "never exceeded, and a cancelled run still counts what it spent.")
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Device:"))
        self.device = QComboBox()
        self.device.addItem("Automatic", "auto")
        self.device.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.device.setMinimumWidth(220)
        controls.addWidget(self.device)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Epochs:"))
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(40)
        self.epochs.setToolTip("Passes over the table. The noise is chosen so that the whole run spends "
                               "exactly the budget, whatever the number of epochs.")
        controls.addWidget(self.epochs)
        controls.addSpacing(12)
        self.start_button = _primary("Start training")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        controls.addWidget(self.start_button)
        controls.addWidget(self.cancel_button)
        controls.addStretch(1)
        self.layout_.addLayout(controls)

        progress = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.eta = QLabel("Not started.")
        self.eta.setMinimumWidth(320)
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.eta)
        self.layout_.addLayout(progress)

        self.plot = TrainingPlot()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setPlaceholderText("The engine's messages appear here.")
        self.layout_.addWidget(_stacked(self.plot, self.log, (3, 1)), 1)

        self.start_button.clicked.connect(window.start_training)
        self.cancel_button.clicked.connect(window.cancel_training)

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        current = self.device.currentData()
        self.device.clear()
        for choice, label in devices:
            self.device.addItem(label, choice)
        index = self.device.findData(current)
        self.device.setCurrentIndex(max(index, 0))

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and self.win.can_train())
        self.cancel_button.setEnabled(running)
        self.device.setEnabled(not running)
        self.epochs.setEnabled(not running)

    def show_report(self, report: object) -> None:
        self.progress.setValue(int(100 * report.step / max(report.steps, 1)))
        self.eta.setText(f"Epoch {report.epoch}/{report.epochs} · step {report.step}/{report.steps} · "
                         f"{report.rows_per_second:,.0f} rows/s · about {report.eta_seconds:,.0f} s left")
        self.plot.add(report)


# ----------------------------------------------------------------------------------------- Report


class ReportPage(Page):
    """The quality and privacy report of the current model, computed by the engine in the background."""

    BAND_COLORS = {"excellent": "#1a7f37", "good": "#4d9a2a", "fair": "#b7791f", "poor": "#c0392b"}

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window, "Report", "How close the synthetic table is to the real one, and how much it "
                         "reveals. This page compares with the real rows, so it is not covered by differential "
                         "privacy: keep it, and the saved report, inside the team.")
        self.facts = QLabel("Train a model first.")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.layout_.addWidget(self.facts)

        row = QHBoxLayout()
        row.addWidget(QLabel("Predict (usefulness test):"))
        self.target = QComboBox()
        self.target.setMinimumWidth(200)
        self.target.setToolTip("A model trained on synthetic rows predicts this column on real rows, beside one "
                               "trained on real rows.")
        row.addWidget(self.target)
        self.compute_button = _primary("Compute report")
        self.compute_button.clicked.connect(window.compute_report)
        row.addWidget(self.compute_button)
        self.save_button = QPushButton("Save report…")
        self.save_button.setToolTip("One HTML file with every number and picture; opens offline and prints.")
        self.save_button.clicked.connect(window.save_report)
        row.addWidget(self.save_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.layout_.addWidget(self.status)

        split = QSplitter(Qt.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.measures = QTableWidget(0, 3)
        self.measures.setHorizontalHeaderLabels(["Measure", "Value", "Band"])
        self.measures.verticalHeader().hide()
        self.measures.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.measures.setWordWrap(True)
        header = self.measures.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        left_layout.addWidget(self.measures, 1)
        self.meaning = QLabel("Select a measure to read what its band means.")
        self.meaning.setObjectName("hint")
        self.meaning.setWordWrap(True)
        left_layout.addWidget(self.meaning)
        self.warnings = QLabel("")
        self.warnings.setObjectName("warning")
        self.warnings.setWordWrap(True)
        left_layout.addWidget(self.warnings)
        split.addWidget(left)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Picture:"))
        self.picture = QComboBox()
        pick.addWidget(self.picture, 1)
        right_layout.addLayout(pick)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.pixmap: QPixmap | None = None
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.image)
        right_layout.addWidget(self.scroll, 1)
        split.addWidget(right)
        split.setSizes([400, 700])
        self.layout_.addWidget(split, 1)
        self.measures.currentCellChanged.connect(self._measure_selected)
        self.picture.currentIndexChanged.connect(self._picture_changed)
        split.splitterMoved.connect(lambda _pos, _index: self._fit_picture())

    def refresh(self) -> None:
        win, model = self.win, self.win.model
        comparable = win.report_ready()
        self.compute_button.setEnabled(comparable and not win.report_running)
        self.save_button.setEnabled(win.report is not None and not win.report_running)
        if model is None:
            return
        s = model.summary
        self.facts.setText(
            f"ε spent <b>{s.epsilon_spent:.3f}</b> of {s.epsilon_target:g} (δ = {s.delta:.1e}, "
            f"{s.accountant} accountant) · {s.steps:,} steps, {s.epochs:.1f} epochs on {s.device} in "
            f"{s.seconds:.1f} s · noise σ = {s.noise_multiplier:.2f}, sampling rate q = {s.sample_rate:.4f}")
        names = [c.name for c in preview.report_columns(model)]
        if [self.target.itemData(i) for i in range(1, self.target.count())] != names:
            self.target.clear()
            self.target.addItem("(none)", None)
            for name in names:
                self.target.addItem(name, name)
            guess = preview.default_target(model, win.table.frame) if comparable else None
            self.target.setCurrentIndex(max(self.target.findData(guess), 0) if guess else 0)
        if win.report_running:
            self.status.setText("Computing the report (fidelity, usefulness, privacy risk)…")
        elif not comparable:
            self.status.setText("Open the table this model was trained on to compare it with the synthetic rows.")
        elif win.report is None:
            self.status.setText("Press Compute report to measure this model.")
        self.show_report(win.report)

    def show_report(self, report: "preview.QualityReport | None") -> None:
        """Fill the measures, warnings and pictures from an engine report (or clear them)."""
        rows = report.rows if report is not None else []
        self.measures.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate((row.title, row.value, row.band)):
                item = QTableWidgetItem(text)
                item.setToolTip(row.meaning)
                if j == 2 and row.band in self.BAND_COLORS:
                    item.setForeground(QColor(self.BAND_COLORS[row.band]))
                self.measures.setItem(i, j, item)
        self.measures.resizeRowsToContents()
        if report is None:
            self.warnings.setText("")
            self.picture.clear()
            self.image.clear()
            return
        r = report.result
        self.status.setText(f"Computed in {r.seconds:.1f} s on {r.rows_real:,} real and {r.rows_synthetic:,} "
                            f"synthetic rows. Holdout: {r.holdout}.")
        self.warnings.setText("\n".join(f"⚠ {w}" for w in r.warnings))
        keys = list(report.pngs)
        if [self.picture.itemData(i) for i in range(self.picture.count())] != keys:
            self.picture.blockSignals(True)
            self.picture.clear()
            for key in keys:
                self.picture.addItem(preview.figure_title(key), key)
            self.picture.blockSignals(False)
        self._picture_changed(self.picture.currentIndex())

    @Slot(int, int, int, int)
    def _measure_selected(self, row: int, _column: int, _prev_row: int, _prev_column: int) -> None:
        item = self.measures.item(row, 0)
        if item is not None:
            self.meaning.setText(f"{item.text()}: {item.toolTip()}")

    @Slot(int)
    def _picture_changed(self, index: int) -> None:
        report = self.win.report
        if report is None or index < 0:
            self.image.clear()
            self.pixmap = None
            return
        self.pixmap = QPixmap()
        self.pixmap.loadFromData(report.pngs[self.picture.itemData(index)], "PNG")
        self._fit_picture()

    def _fit_picture(self) -> None:
        """Scale the picture down to the visible width (never up: the PNG's own size is sharpest)."""
        if self.pixmap is None or self.pixmap.isNull():
            return
        width = min(self.pixmap.width(), self.scroll.viewport().width() - 4)
        self.image.setPixmap(self.pixmap.scaledToWidth(max(width, 50), Qt.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_picture()


# ----------------------------------------------------------------------------------------- Export


class ExportPage(Page):
    FORMATS = (("CSV", ".csv"), ("Excel", ".xlsx"), ("Parquet", ".parquet"))

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window, "Export", "Generate synthetic rows and save them. The file holds nothing but "
                         "the synthetic rows; the model can be saved to generate more later without "
                         "spending more budget.")
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
        for label, suffix in self.FORMATS:
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
        self.export_button = _primary("Export synthetic table")
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
        self.save_model = QPushButton("Save model…")
        self.open_model = QPushButton("Open model…")
        bundle_layout.addWidget(self.model_facts, 1)
        bundle_layout.addWidget(self.save_model)
        bundle_layout.addWidget(self.open_model)
        self.layout_.addWidget(bundle)
        self.layout_.addStretch(1)

        self.browse.clicked.connect(window.choose_export_path)
        self.export_button.clicked.connect(window.export)
        self.save_model.clicked.connect(window.save_model)
        self.open_model.clicked.connect(window.open_model)
        self.format.currentIndexChanged.connect(self._format_changed)

    def where(self) -> list[str]:
        return [part.strip() for part in self.conditions.text().replace(",", ";").split(";") if part.strip()]

    @Slot(int)
    def _format_changed(self, _index: int) -> None:
        text = self.path.text().strip()
        if text:
            stem = text.rsplit(".", 1)[0] if "." in text.rsplit("/", 1)[-1] else text
            self.path.setText(stem + self.format.currentData())

    def refresh(self) -> None:
        model = self.win.model
        self.save_model.setEnabled(model is not None)
        if model is not None:
            s = model.summary
            self.model_facts.setText(f"Trained on {s.rows:,} rows · ε = {s.epsilon_spent:.3f}, "
                                     f"δ = {s.delta:.1e} · {len(model.schema.output)} output columns")
