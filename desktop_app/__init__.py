"""Doppel's desktop app: a PySide6 shell over :mod:`engine.app` (the engine never imports Qt).

* :mod:`.main_window` — the shell: step bar, pages, menus, ε readout, theme, closing; it holds the
  Qt-free :class:`engine.app.session.Session` and implements :class:`.context.Context`.
* :mod:`.pages` — one module per step (Data, Columns, Privacy, Train, Report, Export): its widgets
  and what its buttons do, through the Context only.
* :mod:`.widgets` — plots, Qt item models, dialogs; :mod:`.worker` — engine calls off the GUI
  thread; :mod:`.qt` — the one module Qt is imported from; :mod:`.theme` — light and dark.

The app imports only :mod:`engine.app`; :mod:`engine.app.operations` (torch) only inside calls
that run in worker threads, so the window shows before the training stack is loaded.
"""
