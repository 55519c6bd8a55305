"""Privacy: the run's ε (presets and their meaning), δ, the preprocessing share, and the ledger of
the dataset (a name the user gives, or the table itself) with its ceiling and lookalike warning."""

from __future__ import annotations

from desktop_app.context import Context
from desktop_app.pages.base import Page
from desktop_app.qt import (QAbstractItemView, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                            QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, Slot)
from engine.app import presenters, session


class PrivacyPage(Page):
    step = "privacy"
    hint = ("ε is the privacy budget: smaller is more private. Every training run on a dataset adds its ε to the "
            "dataset's ledger.")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        choices = self.session.choices
        budget = QGroupBox("Budget for this run")
        form = QFormLayout(budget)
        presets = QHBoxLayout()
        self.preset_buttons: dict[str, QPushButton] = {}
        for label, eps, description in presenters.PRESETS:
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
        self.epsilon.setValue(choices.epsilon)
        self.epsilon.setMaximumWidth(120)
        form.addRow("ε (epsilon):", self.epsilon)
        self.meaning = QLabel()
        self.meaning.setWordWrap(True)
        self.meaning.setObjectName("hint")
        self.meaning.setMinimumHeight(self.meaning.fontMetrics().height() * 2 + 4)
        form.addRow("Meaning:", self.meaning)
        self.delta = QLineEdit(choices.delta_text)
        self.delta.setMaximumWidth(160)
        self.delta_hint = QLabel()
        self.delta_hint.setObjectName("hint")
        delta_row = QHBoxLayout()
        delta_row.addWidget(self.delta)
        delta_row.addWidget(self.delta_hint, 1)
        form.addRow("δ (delta):", delta_row)
        self.fraction = QDoubleSpinBox()
        self.fraction.setRange(0.0, 0.6)
        self.fraction.setSingleStep(0.05)
        self.fraction.setSpecialValueText("automatic (by table size)")   # shown at 0: the plan's share
        self.fraction.setValue(choices.preprocessing_fraction or 0.0)
        self.fraction.setSuffix("  of ε")
        # wide enough for the special text: a squeezed box read "atic (by table size)"
        self.fraction.setMinimumWidth(self.fraction.fontMetrics().horizontalAdvance("automatic (by table size)") + 40)
        fraction_hint = QLabel("after the row count's small fixed share: spent on column bounds, categories and "
                               "frequencies; the rest on learning")
        fraction_hint.setObjectName("hint")
        fraction_hint.setWordWrap(True)
        fraction_row = QHBoxLayout()
        fraction_row.addWidget(self.fraction)
        fraction_row.addWidget(fraction_hint, 1)
        form.addRow("Preprocessing share:", fraction_row)
        self.layout_.addWidget(budget)

        ledger = QGroupBox("Ledger of this dataset")
        ledger_layout = QVBoxLayout(ledger)
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Dataset name:"))
        self.dataset = QLineEdit(choices.dataset)
        self.dataset.setPlaceholderText("(this table)")
        self.dataset.setMaximumWidth(240)
        self.dataset.setToolTip("Runs under the same name add up in the ledger: give every export of the same staff "
                                "(next month's file too) the same name.")
        name_row.addWidget(self.dataset)
        dataset_hint = QLabel("the same name for every export of the same staff, so their ε adds up")
        dataset_hint.setObjectName("hint")
        name_row.addWidget(dataset_hint, 1)
        ledger_layout.addLayout(name_row)
        self.lookalike = QLabel("")
        self.lookalike.setObjectName("warning")
        self.lookalike.setWordWrap(True)
        self.lookalike.hide()
        ledger_layout.addWidget(self.lookalike)
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
        self.delta.textChanged.connect(self._delta_changed)
        self.fraction.valueChanged.connect(self._fraction_changed)
        self.ceiling_button.clicked.connect(lambda: self.set_ceiling(self.ceiling.value()))
        self.dataset.editingFinished.connect(lambda: self.set_dataset(self.dataset.text()))
        self.meaning.setText(presenters.epsilon_meaning(choices.epsilon))

    # ------------------------------------------------------------------ actions

    @Slot(float)
    def _epsilon_changed(self, value: float) -> None:
        self.session.choices.epsilon = value
        self.session.invalidate_forecast()
        self.meaning.setText(presenters.epsilon_meaning(value))
        self.warning.setText(self.session.ceiling_warning())
        self.context.refresh_readout()

    @Slot(str)
    def _delta_changed(self, text: str) -> None:
        self.session.choices.delta_text = text
        self.session.invalidate_forecast()

    @Slot(float)
    def _fraction_changed(self, value: float) -> None:
        self.session.choices.preprocessing_fraction = value if value > 0 else None
        self.session.invalidate_forecast()

    def set_dataset(self, name: str) -> None:
        """Train under this dataset name from now on, and read its ledger (in the background)."""
        name = name.strip()
        table = self.session.table
        if name == self.session.choices.dataset:
            return
        self.session.choices.dataset = name
        if table is not None:
            self.context.run_in_background(lambda: session.read_ledger(table, name), self._ledger_read,
                                           "Reading the ledger…")

    @Slot(object)
    def _ledger_read(self, view: session.LedgerView) -> None:
        self.session.set_ledger(view)
        self.context.refresh()

    def set_ceiling(self, value: float) -> None:
        """Record the dataset's ε ceiling in its ledger (in the background; the ledger file is locked)."""
        table, name = self.session.table, self.session.choices.dataset or None
        if table is None:
            return

        def call() -> object:
            from engine.app import operations

            return operations.set_ceiling(table, value, name)

        self.context.run_in_background(call, self._ledger_changed, "Setting the ceiling…")

    @Slot(object)
    def _ledger_changed(self, status: object) -> None:
        self.session.ledger = status
        self.context.refresh()

    # ------------------------------------------------------------------ view

    def refresh(self) -> None:
        s = self.session
        if s.summary is not None and s.default_delta is not None:
            self.delta.setPlaceholderText(f"{s.default_delta:.2e}")
            self.delta_hint.setText(f"empty = default for {s.summary.rows:,} rows ({s.default_delta:.2e})")
        self.warning.setText(s.ceiling_warning())
        if self.dataset.text().strip() != s.choices.dataset and not self.dataset.hasFocus():
            self.dataset.setText(s.choices.dataset)
        if s.ledger is None:
            return
        self.lookalike.setText(s.ledger.warning or "")
        self.lookalike.setVisible(bool(s.ledger.warning))
        entries = s.ledger.entries
        what = f"dataset '{s.choices.dataset}'" if s.choices.dataset else "this table"
        self.spent.setText(f"ε already spent on {what}: <b>{s.ledger.total:.2f}</b> in {len(entries)} run(s)")
        self.ceiling.setValue(s.ledger.ceiling)
        self.entries.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            for col, text in enumerate((entry.when.replace("T", " ")[:19], f"{entry.epsilon:.3f}",
                                        f"{entry.delta:.1e}", entry.label)):
                self.entries.setItem(row, col, QTableWidgetItem(text))
