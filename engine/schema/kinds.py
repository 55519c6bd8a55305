"""Column kinds and roles: what a column is and what Doppel may do with it."""

from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    CATEGORICAL = "categorical"
    CONTINUOUS = "continuous"
    INTEGER = "integer"
    DATE = "date"
    BOOLEAN = "boolean"
    TEXT = "text"  # free text or unique keys: never learned

    @property
    def numeric(self) -> bool:
        """Kinds the model learns as numbers (through DP quantile bins)."""
        return self in (Kind.CONTINUOUS, Kind.INTEGER, Kind.DATE)

    @property
    def labelled(self) -> bool:
        """Kinds whose values are labels (categories, a boolean's two tokens): conditions use = and !=."""
        return self in (Kind.CATEGORICAL, Kind.BOOLEAN)

    @property
    def on_unit_grid(self) -> bool:
        """Numeric kinds whose values are whole units (integers, days)."""
        return self in (Kind.INTEGER, Kind.DATE)


class Role(str, Enum):
    LEARN = "learn"            # modelled under DP and present in the output
    DROP = "drop"              # absent from model and output
    IDENTIFIER = "identifier"  # PII or key: absent from model and output (the default for PII)
    FAKE = "fake"              # present in the output, filled with fake values carrying nothing


FAKE_PROVIDERS = ("name", "email", "phone_number", "ssn", "employee_id", "text")
