"""The engine's types and errors the desktop app names, in one light module (no torch).

``desktop_app`` imports only :mod:`engine.app`; what it needs to recognise (an input error, a
progress event, a column's kind) or to hand over (a cancel token) is re-exported from here.
"""

from engine.errors import DoppelInputError
from engine.io import LoadedTable
from engine.privacy.ledger import data_home
from engine.run import CancelToken, LogMessage, Progress
from engine.schema import FAKE_PROVIDERS, Kind, Role, Schema

__all__ = ["FAKE_PROVIDERS", "CancelToken", "DoppelInputError", "Kind", "LoadedTable", "LogMessage", "Progress",
           "Role", "Schema", "data_home"]
