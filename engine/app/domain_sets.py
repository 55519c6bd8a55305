"""Saved domain sets: public category lists (departments, job levels, sites) kept under a name and
reused on other tables of the same organisation.

A declared category list spares its column the DP survey of its labels, and a list the user
knows from the organisation chart (not from the table) reveals nothing about any employee. The
sets live in the data folder beside the ledger (``DOPPEL_HOME`` overrides it), one JSON file
guarded by a file lock and replaced atomically, as the ledger is.
"""

from __future__ import annotations

import json
from pathlib import Path

from filelock import FileLock

from engine.errors import DoppelInputError
from engine.io import atomic_write_bytes
from engine.privacy.ledger import data_home

FILE_NAME = "domain_sets.json"


class DomainSets:
    """Named lists of category labels, stored in the data folder."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_home() / FILE_NAME
        self._lock = FileLock(str(self.path) + ".lock", timeout=30)

    def all(self) -> dict[str, list[str]]:
        """Every saved set by name, in name order."""
        with self._lock:
            return dict(sorted(self._read().items()))

    def get(self, name: str) -> list[str]:
        found = self.all()
        if name not in found:
            known = ", ".join(found) or "none saved yet"
            raise DoppelInputError(f"No saved domain set named '{name}' (saved sets: {known}).")
        return found[name]

    def save(self, name: str, labels: list[str]) -> list[str]:
        """Save ``labels`` (stripped, duplicates dropped, order kept) under ``name``, replacing a set
        of that name; returns what was saved."""
        name = name.strip()
        kept = list(dict.fromkeys(label.strip() for label in labels if label.strip()))
        if not name:
            raise DoppelInputError("A domain set needs a name, e.g. 'Departments'.")
        if not kept:
            raise DoppelInputError(f"Domain set '{name}' has no labels; declare the column's public categories first.")
        with self._lock:
            data = self._read()
            data[name] = kept
            self._write(data)
        return kept

    def remove(self, name: str) -> None:
        with self._lock:
            data = self._read()
            data.pop(name, None)
            self._write(data)

    def _read(self) -> dict[str, list[str]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DoppelInputError(f"The saved domain sets in {self.path} are damaged; fix or delete that file.") from None
        return {str(k): [str(v) for v in values] for k, values in data.items()}

    def _write(self, data: dict[str, list[str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
