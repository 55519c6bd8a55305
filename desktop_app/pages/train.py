"""Train: device, epochs and the rows kept aside for the report; Start, Resume and Cancel; live
progress, loss curves, ε spent (from the preprocessing's spend on) and the engine's log.

A run is a :class:`~desktop_app.worker.TrainingRun`; Cancel sets its token from the GUI thread and
the engine stops before its next step, recording the ε it spent.
"""

from __future__ import annotations

from desktop_app.context import Context
from desktop_app.pages.base import Page, primary, stacked
from desktop_app.qt import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
                            QSpinBox, Signal, Slot)
from desktop_app.widgets.plots import TrainingPlot
from desktop_app.worker import TrainingRun
from engine.app import presenters
from engine.app.session import FinishedRun, LedgerView, RunPlanned, read_ledger
from engine.app.types import DoppelInputError, LogMessage, Progress


class TrainPage(Page):
    step = "train"
    hint = ("The model learns under differential privacy: the budget is never exceeded, and a cancelled run "
            "still counts what it spent.")

    EPOCHS_TIP = ("Passes of the DP-SGD discriminator over the table. The noise is chosen so that the whole run "
                  "spends exactly the budget, whatever the number of epochs.")

    run_started = Signal(object)     # the TrainingRun, before its thread starts
    stopped = Signal(str)            # "finished", "cancelled" or "failed", once the run's thread has ended

    def __init__(self, context: Context) -> None:
        super().__init__(context)
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
        self.epochs.setValue(self.session.choices.epochs)
        self.epochs.setToolTip(self.EPOCHS_TIP)
        controls.addWidget(self.epochs)
        controls.addSpacing(12)
        self.start_button = primary("Start training")
        self.resume_button = QPushButton("Resume interrupted run")
        self.resume_button.setToolTip("Continue the run that was interrupted (its checkpoint), with the settings it "
                                      "started with; the ε it spent is not spent again.")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        controls.addWidget(self.start_button)
        controls.addWidget(self.resume_button)
        controls.addWidget(self.cancel_button)
        controls.addStretch(1)
        self.layout_.addLayout(controls)
        self.keep_aside = QCheckBox()
        self.keep_aside.setToolTip("Train on the other rows; the Report then measures the model against rows it never "
                                   "saw. The ledger counts the whole table either way.")
        self.layout_.addWidget(self.keep_aside)

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
        self.layout_.addWidget(stacked(self.plot, self.log, (3, 1)), 1)

        self.run: TrainingRun | None = None
        self._outcome = "failed"
        self._cancelling = False
        self._devices_asked = False
        self.epochs.valueChanged.connect(self._epochs_changed)
        self.device.currentIndexChanged.connect(self._device_changed)
        self.keep_aside.toggled.connect(self._keep_aside_changed)
        self.start_button.clicked.connect(self.start)
        self.resume_button.clicked.connect(self.resume)
        self.cancel_button.clicked.connect(self.cancel)

    @property
    def running(self) -> bool:
        """A run's thread is working (it may already be cancelling)."""
        return self.run is not None and self.run.running

    # ------------------------------------------------------------------ actions

    @Slot(int)
    def _epochs_changed(self, value: int) -> None:
        self.session.choices.epochs = value

    @Slot(int)
    def _device_changed(self, _index: int) -> None:
        self.session.choices.device = self.device.currentData() or "auto"

    @Slot(bool)
    def _keep_aside_changed(self, on: bool) -> None:
        self.session.choices.keep_aside = on
        self.session.invalidate_forecast()

    @Slot()
    def resume(self) -> None:
        """Continue the interrupted run whose checkpoint the ledger folder holds."""
        self.start(resume=True)

    @Slot()
    def start(self, resume: bool = False) -> None:
        if self.running or self.session.table is None:
            return
        if self.session.schema_error:
            self.context.go("columns")
            self.context.show_error(self.session.schema_error)
            return
        try:
            request = self.session.start_run(resume)
        except DoppelInputError as error:
            self.context.show_error(str(error))
            return
        config = request.config
        self.plot.clear(config.epsilon)
        self.progress.setValue(0)
        self.eta.setText("Preparing (DP preprocessing)…")
        kept = f", {len(request.holdout):,} rows kept aside" if request.holdout is not None else ""
        self.log.appendPlainText(f"— Resuming the interrupted run{kept} —" if resume else
                                 f"— Training at ε = {config.epsilon:g}, {config.epochs} epochs on "
                                 f"{len(request.rows):,} rows{kept} —")
        run = TrainingRun(request, parent=self)
        run.event.connect(self._event)
        run.succeeded.connect(self._ended)
        run.failed.connect(self._failed)
        run.finished.connect(self._thread_finished)
        self.run, self._outcome, self._cancelling = run, "failed", False
        self.run_started.emit(run)
        run.start()
        self.context.show_status("Training… the window stays usable; Cancel stops before the next step.")
        self.context.refresh()

    @Slot()
    def cancel(self) -> None:
        """Stop the run before its next step; the ε it spent is recorded in the ledger."""
        if self.running and not self._cancelling:
            self.run.cancel()
            self._cancelling = True
            self.cancel_button.setEnabled(False)
            self.eta.setText("Cancelling…")

    def wait(self, ms: int) -> None:
        """Block until the run's thread has ended (closing the window)."""
        if self.run is not None:
            self.run.wait(ms)

    @Slot(object)
    def _event(self, event: object) -> None:
        if isinstance(event, RunPlanned):
            self.session.planned(event)
            self.plot.start_at(event.preprocessing_epsilon, event.config.epsilon)
            self.context.refresh_readout()
        elif isinstance(event, Progress):
            self.session.add_progress(event)
            self.progress.setValue(int(100 * event.step / max(event.steps, 1)))
            self.eta.setText(presenters.progress_line(event))
            self.plot.add(event)
            self.context.refresh_readout()
        elif isinstance(event, LogMessage):
            self.log.appendPlainText(event.text)

    @Slot(object)
    def _ended(self, finished: FinishedRun) -> None:
        self._outcome = finished.outcome
        self.session.finish_run(finished)
        self.log.appendPlainText(finished.message)
        if finished.outcome == "finished":
            summary = finished.model.summary
            self.progress.setValue(100)
            self.eta.setText(f"Done in {summary.seconds:.1f} s · ε = {summary.epsilon_spent:.3f}")
            self.plot.charged(summary.epsilon_spent)
            self.context.show_status("Model trained. See the Report, then Export.")
        elif finished.outcome == "cancelled":
            self.eta.setText("Cancelled.")
            self.context.show_status(finished.message)
        else:
            self.eta.setText("Failed.")
            self.context.show_error(finished.message)

    @Slot(str)
    def _failed(self, message: str) -> None:
        """A bug ended the run: say so, and read the ledger again (a checkpoint may have recorded ε)."""
        self._outcome = "failed"
        self.session.finish_run(None)
        self.eta.setText("Failed.")
        self.log.appendPlainText(message)
        self.context.show_error(message)
        table, dataset = self.session.table, self.session.choices.dataset
        if table is not None:
            self.context.run_in_background(lambda: read_ledger(table, dataset), self._ledger_read,
                                           "Reading the ledger…")

    @Slot(object)
    def _ledger_read(self, view: LedgerView) -> None:
        self.session.set_ledger(view)
        self.context.refresh()

    @Slot()
    def _thread_finished(self) -> None:
        self.context.refresh()
        self.stopped.emit(self._outcome)

    # ------------------------------------------------------------------ view

    def entered(self) -> None:
        self.refresh()
        if not self._devices_asked:
            self._devices_asked = True
            self.context.run_in_background(presenters.devices, self.set_devices, "Looking for a GPU…")

    @Slot(object)
    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        current = self.device.currentData()
        self.device.clear()
        for choice, label in devices:
            self.device.addItem(label, choice)
        self.device.setCurrentIndex(max(self.device.findData(current), 0))

    def refresh(self) -> None:
        running, s = self.running, self.session
        self.start_button.setEnabled(not running and s.can_train())
        self.resume_button.setVisible(s.checkpoint is not None)
        self.resume_button.setEnabled(not running and s.can_resume())
        self.cancel_button.setEnabled(running and not self._cancelling)
        self.device.setEnabled(not running)
        unused = s.epochs_note()
        self.epochs.setEnabled(not running and unused is None)
        self.epochs.setToolTip(unused or self.EPOCHS_TIP)
        self.keep_aside.setEnabled(not running and s.split is not None)
        self.keep_aside.setText(s.keep_aside_text())
        if self.keep_aside.isChecked() != s.choices.keep_aside:
            self.keep_aside.blockSignals(True)
            self.keep_aside.setChecked(s.choices.keep_aside)
            self.keep_aside.blockSignals(False)

    def set_dark(self, dark: bool) -> None:
        self.plot.set_dark(dark)
