"""Errors the engine raises on purpose.

Every user-facing failure is a :class:`DoppelInputError` whose message is one line naming the
file, column or row and what to do; the CLI maps it to exit code 2 and the GUI to a dialog.
Anything else escaping the engine is a bug (exit code 1).
"""

from __future__ import annotations


class DoppelError(Exception):
    """Base of the engine's own errors."""


class DoppelInputError(DoppelError):
    """Bad input or arguments: the message is shown to the user verbatim, on one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class BundleError(DoppelInputError):
    """A model bundle that is missing, foreign, tampered with or of an unknown version."""


class _CarriesSpend(Exception):
    """An error that carries the ε a run spent before it stopped, and keeps it when pickled (a run
    in a worker process re-raises in its parent, which must still record the spend)."""

    def __init__(self, message: str, epsilon_spent: float, delta: float) -> None:
        super().__init__(message)
        self.epsilon_spent = epsilon_spent
        self.delta = delta

    def __reduce__(self) -> tuple[type, tuple[str, float, float]]:
        return type(self), (str(self), self.epsilon_spent, self.delta)


class BudgetSpent(_CarriesSpend, DoppelInputError):
    """A run refused after part of its budget was spent (the noisy row count showed the table does
    not fit the settings): the message is for the user, and the ε goes to the ledger."""


class TrainingCancelled(_CarriesSpend, DoppelError):
    """Training stopped by the user; the ε already spent still counts and goes to the ledger."""
