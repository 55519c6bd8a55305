"""Report: the quality and privacy report of the current model, computed by the engine in the
background on the first visit, with its measures, warnings and pictures; saved as one HTML file."""

from __future__ import annotations

from pathlib import Path

from desktop_app.context import Context
from desktop_app.pages.base import Page, primary
from desktop_app.qt import (QAbstractItemView, QColor, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPixmap,
                            QPushButton, QResizeEvent, QScrollArea, QSplitter, Qt, QTableWidget, QTableWidgetItem,
                            QVBoxLayout, QWidget, Signal, Slot)
from desktop_app.widgets import dialogs
from engine.app import presenters

BAND_COLORS = {"excellent": "#1a7f37", "good": "#4d9a2a", "fair": "#b7791f", "poor": "#c0392b"}
NOT_PRIVATE = "It reads real rows: keep it inside the team."


class ReportPage(Page):
    step = "report"
    hint = ("How close the synthetic table is to the real one, and how much it reveals. This page compares with "
            "the real rows, so it is not covered by differential privacy: keep it, and the saved report, inside "
            "the team.")

    computed = Signal(object)        # presenters.QualityReport

    def __init__(self, context: Context) -> None:
        super().__init__(context)
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
        self.compute_button = primary("Compute report")
        row.addWidget(self.compute_button)
        self.save_button = QPushButton("Save report…")
        self.save_button.setToolTip("One HTML file with every number and picture; opens offline and prints.")
        row.addWidget(self.save_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.basis = QLabel("")
        self.basis.setWordWrap(True)
        self.layout_.addWidget(self.basis)
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

        self.computing = False
        self.compute_button.clicked.connect(self.compute)
        self.save_button.clicked.connect(self.save_report)
        self.measures.currentCellChanged.connect(self._measure_selected)
        self.picture.currentIndexChanged.connect(self._picture_changed)
        split.splitterMoved.connect(lambda _pos, _index: self._fit_picture())

    # ------------------------------------------------------------------ actions

    def entered(self) -> None:
        """The first visit measures the model; later visits show the result."""
        self.refresh()
        if self.session.report is None and self.session.report_ready():
            self.compute()

    @Slot()
    def compute(self) -> None:
        s = self.session
        if not s.report_ready() or self.computing:
            return
        model, real, holdout, synthetic = s.model, s.report_real, s.report_holdout, s.report_frame
        target, log, ledger_total = self.target.currentData(), list(s.progress), s.ledger_total()

        def call() -> presenters.QualityReport:
            return presenters.quality_report(model, real, synthetic, target=target, holdout=holdout,
                                             ledger_total=ledger_total, training_log=log)

        self.computing = True
        self.refresh()
        task = self.context.run_in_background(call, self._computed, "Computing the quality and privacy report…")
        task.finished.connect(self._compute_finished)

    @Slot(object)
    def _computed(self, report: presenters.QualityReport) -> None:
        self.session.report = report
        self.context.show_status(f"Report computed. {NOT_PRIVATE}")
        self.computed.emit(report)

    @Slot()
    def _compute_finished(self) -> None:
        self.computing = False
        self.refresh()

    @Slot()
    def save_report(self) -> None:
        table = self.session.table
        if self.session.report is None or table is None:
            return
        path = dialogs.choose_save_path(self, self.context.settings, "Save report", f"{table.path.stem}-report.html",
                                        "HTML report (*.html)")
        if path:
            self.save_report_to(path)

    def save_report_to(self, path: str | Path) -> None:
        report, table = self.session.report, self.session.table
        if report is None or table is None:
            return
        sources = {"real": table.path.name, "model": "trained in this window"}
        self.context.run_in_background(lambda: presenters.save_report(report, str(path), sources), self._saved,
                                       "Saving the report…")

    @Slot(object)
    def _saved(self, path: str) -> None:
        dialogs.remember_folder(self.context.settings, path)
        self.context.show_status(f"Report saved to {path}. {NOT_PRIVATE}")
        self.status.setText(f"Saved to {path}. The report is not private: do not share it outside the team.")

    # ------------------------------------------------------------------ view

    def refresh(self) -> None:
        s = self.session
        comparable = s.report_ready()
        self.compute_button.setEnabled(comparable and not self.computing)
        self.save_button.setEnabled(s.report is not None and not self.computing)
        if s.model is None:
            return
        self.facts.setText(self._facts_text())
        self.basis.setText(s.report_basis() if comparable else "")
        self.basis.setObjectName("hint" if s.report_holdout is not None else "warning")
        self.basis.style().unpolish(self.basis)
        self.basis.style().polish(self.basis)
        names = [c.name for c in presenters.report_columns(s.model)]
        if [self.target.itemData(i) for i in range(1, self.target.count())] != names:
            self.target.clear()
            self.target.addItem("(none)", None)
            for name in names:
                self.target.addItem(name, name)
            guess = presenters.default_target(s.model, s.report_real) if comparable else None
            self.target.setCurrentIndex(max(self.target.findData(guess), 0) if guess else 0)
        if self.computing:
            self.status.setText("Computing the report (fidelity, usefulness, privacy risk)…")
        elif not comparable:
            self.status.setText("Open the table this model was trained on to compare it with the synthetic rows.")
        elif s.report is None:
            self.status.setText("Press Compute report to measure this model.")
        self._show_report(s.report)

    def _facts_text(self) -> str:
        s = self.session.model.summary
        timing = f" in {s.seconds:.1f} s" if s.seconds else ""
        facts = " · ".join(f"{label} = {value}" for label, value in presenters.run_facts(s))
        return (f"ε spent <b>{s.epsilon_spent:.3f}</b> of {s.epsilon_target:g} (δ = {s.delta:.1e}, {s.accountant} "
                f"accountant) · {s.synthesizer} on {s.device}{timing}" + (f" · {facts}" if facts else ""))

    def _show_report(self, report: presenters.QualityReport | None) -> None:
        """Fill the measures, warnings and pictures from an engine report (or clear them)."""
        rows = report.rows if report is not None else []
        self.measures.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate((row.title, row.value, row.band)):
                item = QTableWidgetItem(text)
                item.setToolTip(row.meaning)
                if j == 2 and row.band in BAND_COLORS:
                    item.setForeground(QColor(BAND_COLORS[row.band]))
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
                self.picture.addItem(presenters.figure_title(key), key)
            self.picture.blockSignals(False)
        self._picture_changed(self.picture.currentIndex())

    @Slot(int, int, int, int)
    def _measure_selected(self, row: int, _column: int, _prev_row: int, _prev_column: int) -> None:
        item = self.measures.item(row, 0)
        if item is not None:
            self.meaning.setText(f"{item.text()}: {item.toolTip()}")

    @Slot(int)
    def _picture_changed(self, index: int) -> None:
        report = self.session.report
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
