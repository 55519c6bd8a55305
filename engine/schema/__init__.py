"""What each column is and what Doppel may do with it: kinds, roles, PII flags, public declarations.

:mod:`~engine.schema.kinds` names the kinds and roles, :mod:`~engine.schema.columns` holds the
schema the user edits (and its JSON form), :mod:`~engine.schema.inference` proposes one for a
freshly loaded table.
"""

from engine.schema.columns import SCHEMA_VERSION, ColumnSchema, Constraint, Schema
from engine.schema.inference import infer_column, infer_schema
from engine.schema.kinds import FAKE_PROVIDERS, Kind, Role

__all__ = ["FAKE_PROVIDERS", "SCHEMA_VERSION", "ColumnSchema", "Constraint", "Kind", "Role", "Schema",
           "infer_column", "infer_schema"]
