"""What a page may ask of the window around it, so that pages never import the window.

The window (:class:`desktop_app.main_window.MainWindow`) implements :class:`Context` and hands
itself to every page; a page reads and changes the :class:`~engine.app.session.Session`, runs
slow engine calls through :meth:`Context.run_in_background`, and asks the window to show the
session again with :meth:`Context.refresh`.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, TypeVar

from desktop_app.qt import QSettings
from desktop_app.worker import Task
from engine.app.session import Session

T = TypeVar("T")


class Context(Protocol):
    session: Session
    settings: QSettings       # remembered folders and choices (the window's geometry and theme too)

    def run_in_background(self, call: Callable[[], T], on_success: Callable[[T], Any], busy_text: str) -> Task:
        """Run ``call`` in a worker thread; its result goes to ``on_success`` on the GUI thread, an
        error to a dialog; the window shows ``busy_text`` and a busy cursor meanwhile."""
        ...

    def show_error(self, message: str) -> None:
        """The engine's one-line message in a dialog (and the status bar)."""
        ...

    def show_status(self, text: str) -> None:
        ...

    def go(self, step: str) -> None:
        """Open the page of ``step`` (a name in :data:`engine.app.session.STEPS`)."""
        ...

    def refresh(self) -> None:
        """Show the session again everywhere: the steps that can be opened, the ε readout, every page."""
        ...

    def refresh_readout(self) -> None:
        """Show the ε readout again (cheap: called on every progress event)."""
        ...
