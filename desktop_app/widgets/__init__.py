"""Widgets the pages are built from: plots (:mod:`.plots`), Qt item models over engine objects
(:mod:`.table_models`), dialogs (:mod:`.dialogs`). None of them knows about the window or a page."""
