"""Doppel's desktop app: a PySide6 window over :mod:`engine` (which never imports Qt).

Qt is imported through :mod:`desktop_app.qt` and matplotlib's Qt canvas through
:mod:`desktop_app.plots`; the engine is called from :mod:`desktop_app.worker` off the GUI thread.
"""
