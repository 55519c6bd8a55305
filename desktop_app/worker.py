"""Running engine calls off the GUI thread (Anki's background-op helper, Orange3's task state).

Two shapes:

* :class:`Task` — one call in a worker thread, its result or error delivered on the GUI thread.
* :class:`TrainingRun` — the training call: engine events become Qt signals, and cancellation
  sets the engine's thread-safe :class:`~engine.training.CancelToken` straight from the GUI
  thread (a queued slot call would wait behind the work, DESIGN §6).

Signals that tests and pages wait on are emitted by these GUI-thread objects, never by the
worker living in the other thread.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from desktop_app.dialogs import unexpected
from desktop_app.qt import QObject, Qt, QThread, Signal, Slot
from engine.errors import DoppelInputError, TrainingCancelled


class _Worker(QObject):
    """Lives in the worker thread; only emits signals (connected to GUI-thread slots)."""

    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str, float)
    event = Signal(object)
    done = Signal()

    def __init__(self, call: Callable[..., Any], wants_events: bool) -> None:
        super().__init__()
        self._call = call
        self._wants_events = wants_events
        self.stopped_at: float | None = None     # when the engine answered a cancel (perf_counter)

    @Slot()
    def run(self) -> None:
        try:
            result = self._call(self.event.emit) if self._wants_events else self._call()
        except TrainingCancelled as stop:
            self.stopped_at = time.perf_counter()
            self.cancelled.emit(str(stop), float(stop.epsilon_spent))
        except DoppelInputError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug: one line for the user, the traceback on stderr
            self.failed.emit(unexpected(error))
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class Task(QObject):
    """Run ``call`` in a QThread; ``succeeded``/``failed``/``cancelled`` arrive on the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str, float)
    event = Signal(object)
    finished = Signal()

    def __init__(self, call: Callable[..., Any], *, wants_events: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("doppel-worker")
        self._worker = _Worker(call, wants_events)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.succeeded.connect(self._on_succeeded)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._worker.event.connect(self._on_event)
        # QThread.quit is thread-safe: call it from the worker thread directly, so a GUI thread
        # blocked in wait() (closing the window) is not waiting for its own event loop
        self._worker.done.connect(self._thread.quit, Qt.DirectConnection)
        self._thread.finished.connect(self._on_thread_finished)
        self.running = False

    def start(self) -> "Task":
        self.running = True
        self._thread.start()
        return self

    def wait(self, ms: int = 30_000) -> bool:
        """Block until the thread ends (closing the window); queued results are then dropped."""
        return self._thread.wait(ms)

    @property
    def stopped_at(self) -> float | None:
        return self._worker.stopped_at

    def is_thread_running(self) -> bool:
        return self._thread.isRunning()

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self.succeeded.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot(str, float)
    def _on_cancelled(self, message: str, spent: float) -> None:
        self.cancelled.emit(message, spent)

    @Slot(object)
    def _on_event(self, event: object) -> None:
        self.event.emit(event)

    @Slot()
    def _on_thread_finished(self) -> None:
        self.running = False
        self.finished.emit()


class TrainingRun(Task):
    """One training run: ``train_model`` in a worker thread with a cancel token set from the GUI."""

    def __init__(self, table: Any, schema: Any, config: Any, parent: QObject | None = None) -> None:
        from engine.training import CancelToken

        token = CancelToken()

        def call(emit: Callable[[object], None]) -> Any:
            from engine import preview, workflow

            model = workflow.train_model(table, schema, config, on_event=emit, cancel=token)
            # a sample for the Report page's comparisons, drawn here rather than on the GUI thread
            return model, preview.report_sample(model, len(table.frame))

        super().__init__(call, wants_events=True, parent=parent)
        self.token = token
        self.cancel_requested_at: float | None = None

    def cancel(self) -> None:
        """Thread-safe: the engine checks the token between steps."""
        if self.cancel_requested_at is None:
            self.cancel_requested_at = time.perf_counter()
        self.token.cancel()
