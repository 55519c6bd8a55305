"""The budget ledger: ε spent on each source table, summed over every training run.

Keyed by the fingerprint of the table's content, so a renamed copy is still the same table.
The file lives in the user's data folder (``DOPPEL_HOME`` overrides it) and is guarded by a
file lock, so two app windows or a CLI run beside the app never lose an entry, and every write
replaces the whole file atomically, so a crash mid-write leaves the previous ledger intact. The
ledger adds ε by plain summation, which is an upper bound on the composition of the runs.

A training run keeps one entry, keyed by its run id and updated in place: at every checkpoint
(before the checkpoint is written, so the ledger never shows less than has left the process)
and at the end. A killed run's spend therefore stays recorded, and resuming it updates the same
entry instead of adding its ε again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock
from platformdirs import user_data_dir

from engine.errors import DoppelInputError
from engine.io import atomic_write_bytes

DEFAULT_CEILING = 10.0


@dataclass(frozen=True)
class LedgerEntry:
    when: str
    epsilon: float
    delta: float
    label: str        # what the run was (the model file, or "cancelled")
    run: str = ""     # the run's id: its entry is updated in place while it trains
    steps: int = 0    # DP-SGD steps the entry covers
    resumable: bool = False   # the run may still continue from its checkpoint at ``steps``


def data_home() -> Path:
    """Where Doppel keeps its ledger and settings (never next to the user's data)."""
    return Path(os.environ.get("DOPPEL_HOME") or user_data_dir("Doppel", appauthor=False))


class Ledger:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_home() / "ledger.json"
        self._lock = FileLock(str(self.path) + ".lock", timeout=30)

    def _read(self) -> dict:
        if not self.path.exists():
            return {"tables": {}, "ceilings": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DoppelInputError(f"The budget ledger {self.path} is damaged; restore it from a backup "
                                   "(deleting it forgets the ε already spent).") from None
        data.setdefault("tables", {})
        data.setdefault("ceilings", {})
        return data

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, json.dumps(data, indent=2).encode("utf-8"))

    def entries(self, fingerprint: str) -> list[LedgerEntry]:
        with self._lock:
            return [LedgerEntry(**e) for e in self._read()["tables"].get(fingerprint, [])]

    def total(self, fingerprint: str) -> float:
        return sum(e.epsilon for e in self.entries(fingerprint))

    def ceiling(self, fingerprint: str) -> float:
        with self._lock:
            return float(self._read()["ceilings"].get(fingerprint, DEFAULT_CEILING))

    def set_ceiling(self, fingerprint: str, ceiling: float) -> None:
        if not ceiling > 0:
            raise DoppelInputError(f"The ε ceiling must be positive, got {ceiling}.")
        with self._lock:
            data = self._read()
            data["ceilings"][fingerprint] = float(ceiling)
            self._write(data)

    def would_exceed(self, fingerprint: str, epsilon: float) -> bool:
        """True when a run spending ``epsilon`` would take the table past its ceiling."""
        return self.total(fingerprint) + epsilon > self.ceiling(fingerprint) + 1e-12

    def run_entry(self, fingerprint: str, run: str) -> LedgerEntry | None:
        """The entry of one training run, if it has recorded anything yet."""
        return next((e for e in self.entries(fingerprint) if run and e.run == run), None)

    def record(self, fingerprint: str, epsilon: float, delta: float, label: str, *, run: str = "",
               steps: int = 0, resumable: bool = False) -> None:
        """Add an entry, or replace the entry of ``run`` in place (the same run is never counted twice)."""
        if epsilon <= 0:
            return
        with self._lock:
            data = self._read()
            entry = asdict(LedgerEntry(datetime.now(timezone.utc).isoformat(timespec="seconds"), float(epsilon),
                                       float(delta), label, run, int(steps), resumable))
            table = data["tables"].setdefault(fingerprint, [])
            same = [i for i, e in enumerate(table) if run and e.get("run") == run]
            if same:
                table[same[0]] = entry
            else:
                table.append(entry)
            self._write(data)
