"""Running engine calls off the GUI thread (Anki's background-op helper, Orange3's task state).

Two shapes:

* :class:`Task` — one call in a worker thread, its result or error delivered on the GUI thread.
* :class:`TrainingRun` — the training call: engine events become Qt signals, and cancellation
  sets the engine's thread-safe :class:`~engine.app.types.CancelToken` straight from the GUI
  thread (a queued slot call would wait behind the work, DESIGN §6).

Signals that tests and pages wait on are emitted by these GUI-thread objects, never by the
:class:`Worker` living in the other thread.
"""

from __future__ import annotations

from typing import Any, Callable

from desktop_app.qt import QObject, Qt, QThread, Signal, Slot
from desktop_app.widgets.dialogs import unexpected
from engine.app.session import FinishedRun, RunRequest, run_training
from engine.app.types import CancelToken, DoppelInputError


class Worker(QObject):
    """Lives in the worker thread and only emits signals, in that thread: connect them to slots of
    GUI-thread objects (queued), or with ``Qt.DirectConnection`` to run code in the worker itself."""

    succeeded = Signal(object)
    failed = Signal(str)
    event = Signal(object)
    done = Signal()

    def __init__(self, call: Callable[..., Any], wants_events: bool) -> None:
        super().__init__()
        self._call = call
        self._wants_events = wants_events

    @Slot()
    def run(self) -> None:
        try:
            result = self._call(self.event.emit) if self._wants_events else self._call()
        except DoppelInputError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug: one line for the user, the traceback on stderr
            self.failed.emit(unexpected(error))
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class Task(QObject):
    """Run ``call`` in a QThread; ``succeeded``/``failed``/``event`` arrive on the GUI thread, then
    ``finished`` once the thread has ended."""

    succeeded = Signal(object)
    failed = Signal(str)
    event = Signal(object)
    finished = Signal()

    def __init__(self, call: Callable[..., Any], *, wants_events: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("doppel-worker")
        self.worker = Worker(call, wants_events)
        self.worker.moveToThread(self._thread)
        self._thread.started.connect(self.worker.run)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.event.connect(self._on_event)
        # QThread.quit is thread-safe: call it from the worker thread directly, so a GUI thread
        # blocked in wait() (closing the window) is not waiting for its own event loop
        self.worker.done.connect(self._thread.quit, Qt.DirectConnection)
        self._thread.finished.connect(self._on_thread_finished)
        self.running = False

    def start(self) -> "Task":
        self.running = True
        self._thread.start()
        return self

    def wait(self, ms: int = 30_000) -> bool:
        """Block until the thread ends (closing the window); queued results are then dropped."""
        return self._thread.wait(ms)

    def is_thread_running(self) -> bool:
        return self._thread.isRunning()

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self.succeeded.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot(object)
    def _on_event(self, event: object) -> None:
        self.event.emit(event)

    @Slot()
    def _on_thread_finished(self) -> None:
        self.running = False
        self.finished.emit()


class TrainingRun(Task):
    """One training run (:func:`engine.app.session.run_training`) in a worker thread, with a cancel
    token set from the GUI; ``succeeded`` delivers its :class:`~engine.app.session.FinishedRun`
    whether it finished, was cancelled or was refused."""

    def __init__(self, request: RunRequest, parent: QObject | None = None) -> None:
        token = CancelToken()

        def call(emit: Callable[[object], None]) -> FinishedRun:
            return run_training(request, on_event=emit, cancel=token)

        super().__init__(call, wants_events=True, parent=parent)
        self._token = token

    def cancel(self) -> None:
        """Thread-safe: the engine checks the token before every step."""
        self._token.cancel()
