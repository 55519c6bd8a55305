"""The operations the CLI and the desktop app both call (:mod:`.operations`), the Qt-free text and
figures the app shows (:mod:`.presenters`), the state of the window and the slow calls that fill
it (:mod:`.session`), and the engine's types and errors the app names (:mod:`.types`).

``desktop_app`` imports only this package. :mod:`.session`, :mod:`.presenters` and :mod:`.types`
are light to import, so the window appears before the training stack (torch, Opacus) is loaded;
import :mod:`.operations` where the work is done.
"""
