"""Every fact of one column, editable (each edit declares the column), with its name suggestion,
the saved category lists, and its forecast. It edits the column object it is shown and says so
with ``edited``; the page checks the schema again."""

from __future__ import annotations

from typing import Any

from desktop_app.qt import (QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                            QScrollArea, QSpinBox, QWidget, Signal, Slot)
from engine.app import declaring
from engine.app.types import FAKE_PROVIDERS, DoppelInputError, Kind, Role


class ColumnDetails(QScrollArea):
    edited = Signal()                  # a fact of the shown column changed
    edit_failed = Signal(str)          # the engine's message for text that does not fit a fact
    accept_requested = Signal(str)     # accept the name suggestion of this column
    save_set_requested = Signal(list)  # save these labels as a named domain set

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.title = QLabel("Select a column.")
        grid.addWidget(self.title, 0, 0, 1, 4)
        self.declared = QCheckBox("declared (public)")
        self.declared.setToolTip("Declared facts are public: stored with the model, nothing spent to decide them. "
                                 "Unticked, a private survey decides them under DP.")
        self.pii = QLabel("")
        self.pii.setObjectName("warning")
        self.pii.setWordWrap(True)
        self.kind, self.role, self.fake = QComboBox(), QComboBox(), QComboBox()
        self.kind.addItems([k.value for k in Kind])
        self.role.addItems([r.value for r in Role])
        self.fake.addItems(list(FAKE_PROVIDERS))
        self.date_formats = QLineEdit()
        self.date_formats.setToolTip("strftime codes, e.g. %Y-%m-%d; a mixed column lists several, separated by ';'")
        self.decimals = QSpinBox()
        self.decimals.setRange(0, declaring.MAX_DECIMALS)
        self.decimal_comma = QCheckBox("decimal comma")
        self.decimal_comma.setToolTip("Numbers are written 1.234,5: the decimal mark is a comma.")
        self.true_token, self.false_token = QLineEdit(), QLineEdit()
        self.true_token.setToolTip("How the table writes true")
        self.false_token.setToolTip("How the table writes false")
        self.public_min, self.public_max = QLineEdit(), QLineEdit()
        self.public_min.setPlaceholderText("min")
        self.public_max.setPlaceholderText("max")
        self.public_categories = QLineEdit()
        self.public_categories.setPlaceholderText("comma-separated, e.g. Sales, Engineering, HR")
        self.public_missing = QComboBox()
        self.public_missing.addItems(list(declaring.EMPTY_CELLS.values()))
        self.public_missing.setToolTip("Whether this column may have empty cells, as you know it without looking at "
                                       "the data. Decided under DP, a small share of empty cells can be lost in the "
                                       "noise; 'may be empty' keeps them.")
        self.sets = QComboBox()
        self.use_set = QPushButton("Use")
        self.save_set = QPushButton("Save as set…")
        self.suggestion = QLabel("")
        self.suggestion.setWordWrap(True)
        self.accept = QPushButton("Accept")
        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        rows = (
            (("Facts:", self.declared), ("Personal data:", self.pii)),
            (("Kind:", self.kind), ("Role:", self.role)),
            (("Date format(s):", self.date_formats), ("Fake values:", self.fake)),
            (("Decimals:", _row(self.decimals, self.decimal_comma)),
             ("True / false:", _row(self.true_token, self.false_token))),
            (("Public range:", _row(self.public_min, QLabel("to"), self.public_max, stretch=(1, 0, 1))),
             ("Categories:", self.public_categories)),
            (("Empty cells:", self.public_missing), ("", QWidget())),
        )
        for index, pairs in enumerate(rows, start=1):
            for slot, (label, widget) in enumerate(pairs):
                grid.addWidget(QLabel(label), index, 2 * slot)
                grid.addWidget(widget, index, 2 * slot + 1)
        grid.addWidget(QLabel("Saved sets:"), 7, 0)
        grid.addWidget(_row(self.sets, self.use_set, self.save_set), 7, 1, 1, 3)
        grid.addWidget(QLabel("Suggested:"), 8, 0)
        grid.addWidget(_row(self.suggestion, self.accept), 8, 1, 1, 3)
        grid.addWidget(QLabel("Forecast:"), 9, 0)
        grid.addWidget(self.outcome, 9, 1, 1, 3)
        grid.setRowStretch(10, 1)
        self.setWidget(body)

        self.column: Any = None
        self._inputs: dict[str, QWidget] = {
            "kind": self.kind, "role": self.role, "fake": self.fake, "date_formats": self.date_formats,
            "decimals": self.decimals, "decimal_comma": self.decimal_comma, "true_token": self.true_token,
            "false_token": self.false_token, "public_min": self.public_min, "public_max": self.public_max,
            "public_categories": self.public_categories, "public_missing": self.public_missing}
        for field, widget in self._inputs.items():
            if isinstance(widget, QComboBox):
                widget.activated.connect(lambda _i, f=field, w=widget: self._set(f, w.currentText()))
            elif isinstance(widget, QLineEdit):
                widget.editingFinished.connect(lambda f=field, w=widget: self._set_if_changed(f, w.text()))
            elif isinstance(widget, QSpinBox):
                widget.valueChanged.connect(lambda v, f=field: self._set_if_changed(f, str(v)))
            else:
                widget.toggled.connect(lambda on, f=field: self._set(f, declaring.YES if on else declaring.NO))
        self.declared.toggled.connect(self._declared_toggled)
        self.accept.clicked.connect(lambda: self.column is not None and self.accept_requested.emit(self.column.name))
        self.use_set.clicked.connect(self._use_set)
        self.save_set.clicked.connect(self._save_set)
        self.show_column(None, None, None)

    # ------------------------------------------------------------------ showing

    def set_domain_sets(self, sets: dict[str, list[str]]) -> None:
        self.sets.clear()
        for name, labels in sets.items():
            self.sets.addItem(f"{name} ({len(labels)})", labels)
        self.use_set.setEnabled(bool(sets) and self._categorical())

    def show_column(self, column: Any, proposal: Any, outcome: Any) -> None:
        """Show ``column``'s facts (None: nothing selected), its suggestion and its forecast."""
        self.column = column
        widgets = [*self._inputs.values(), self.declared, self.accept, self.use_set, self.save_set, self.sets]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self._fill(column, proposal, outcome)
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def _fill(self, column: Any, proposal: Any, outcome: Any) -> None:
        enabled = column is not None
        for widget in (*self._inputs.values(), self.declared, self.use_set, self.save_set, self.sets):
            widget.setEnabled(enabled)
        if column is None:
            self.title.setText("Select a column to see and edit every fact.")
            self.accept.setEnabled(False)
            return
        self.title.setText(f"<b>{column.name}</b> — " + ("declared: these facts are public" if column.declared else
                                                          "measured under DP (a local guess; editing declares it)"))
        self.declared.setChecked(column.declared)
        for field, widget in self._inputs.items():
            text = declaring.field_text(column, field)
            if isinstance(widget, QComboBox):
                widget.setCurrentText(text)
            elif isinstance(widget, QLineEdit):
                widget.setText(text)
            elif isinstance(widget, QSpinBox):
                widget.setValue(column.decimals)
            else:
                widget.setChecked(column.decimal_comma)
        kind = column.kind
        self.fake.setEnabled(column.role is Role.FAKE)
        self.date_formats.setEnabled(kind is Kind.DATE)
        self.decimals.setEnabled(kind is Kind.CONTINUOUS)
        self.decimal_comma.setEnabled(kind in (Kind.CONTINUOUS, Kind.INTEGER))
        self.true_token.setEnabled(kind is Kind.BOOLEAN)
        self.false_token.setEnabled(kind is Kind.BOOLEAN)
        self.public_min.setEnabled(kind.numeric)
        self.public_max.setEnabled(kind.numeric)
        self.public_categories.setEnabled(self._categorical())
        self.public_missing.setEnabled(column.role is Role.LEARN)
        self.use_set.setEnabled(self._categorical() and self.sets.count() > 0)
        self.sets.setEnabled(self._categorical())
        self.save_set.setEnabled(bool(column.public_categories))
        self.pii.setText(column.pii or "none found")
        self.pii.setObjectName("warning" if column.pii else "hint")
        self.pii.style().unpolish(self.pii)
        self.pii.style().polish(self.pii)
        self.suggestion.setText(f"{proposal.text} — {proposal.suggestion.reason}" if proposal is not None else
                                "nothing from this column's name")
        self.accept.setEnabled(proposal is not None)
        if outcome is None:
            self.outcome.setText("…")
        else:
            self.outcome.setText(f"<b>{outcome.outcome}</b>: {outcome.reason}"
                                 + (f"<br>If declared: {outcome.if_declared}" if outcome.if_declared else ""))

    def _categorical(self) -> bool:
        return self.column is not None and self.column.kind is Kind.CATEGORICAL

    # ------------------------------------------------------------------ editing

    def _set_if_changed(self, field: str, text: str) -> None:
        if self.column is not None and declaring.field_text(self.column, field) != text.strip():
            self._set(field, text)

    def _set(self, field: str, text: str) -> None:
        if self.column is None:
            return
        try:
            declaring.set_column_field(self.column, field, text)
        except DoppelInputError as error:
            self.edit_failed.emit(str(error))
            return
        self.edited.emit()

    @Slot(bool)
    def _declared_toggled(self, on: bool) -> None:
        if self.column is not None:
            declaring.set_declared(self.column, on)
            self.edited.emit()

    @Slot()
    def _use_set(self) -> None:
        labels = self.sets.currentData()
        if self.column is not None and labels:
            declaring.use_domain_set(self.column, labels)
            self.edited.emit()

    @Slot()
    def _save_set(self) -> None:
        if self.column is not None and self.column.public_categories:
            self.save_set_requested.emit(list(self.column.public_categories))


def _row(*widgets: QWidget, stretch: tuple[int, ...] = (1,)) -> QWidget:
    """Widgets side by side in one grid cell, sharing its spare width by ``stretch`` (the first
    takes it all by default)."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, stretch[index] if index < len(stretch) else 0)
    return row
