"""The operations the CLI and the desktop app both call (:mod:`.operations`), the Qt-free text and
figures the app shows (:mod:`.presenters`), and the state of the window (:mod:`.session`).

``desktop_app`` imports only this package. :mod:`.session` and :mod:`.presenters` are light to
import, so the window appears before the training stack (torch, Opacus) is loaded; import
:mod:`.operations` where the work is done.
"""
