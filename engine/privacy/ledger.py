"""The budget ledger: ε spent on each dataset, summed over every training run.

Keyed by the dataset: a name the user gives it (``--dataset``), or else the fingerprint of the
parsed table (:mod:`engine.io.fingerprint`: invariant to line endings, file format and row
order), always through an HMAC under a random key that lives only beside the ledger, so the
keys mean nothing to anyone holding a bundle or a checkpoint. For each dataset the ledger also
keeps its column names and a keyed sketch of its rows, to warn when a new table looks like one
already in it (next month's export of the same staff).
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

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock
from platformdirs import user_data_dir

from engine.errors import DoppelInputError
from engine.io import atomic_write_bytes

DEFAULT_CEILING = 10.0
SKETCH_SIZE = 128          # keyed row hashes kept per dataset (a bottom-k sketch)
SIMILAR_COLUMNS = 0.8      # share of column names in common above which two tables "look alike"


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


@dataclass(frozen=True)
class Lookalike:
    """A dataset already in the ledger that shares most of a new table's columns."""

    label: str               # the file name (and dataset name) it was last trained from
    columns: float           # share of column names in common
    rows: float              # estimated share of identical rows (Jaccard)
    epsilon: float           # ε already spent on it


class Ledger:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_home() / "ledger.json"
        self._lock = FileLock(str(self.path) + ".lock", timeout=30)

    # ------------------------------------------------------------------ keys
    def _secret(self) -> bytes:
        """The ledger's random key (created once, readable by this user only)."""
        path = self.path.with_name("ledger.key")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, secrets.token_bytes(32))
            try:
                path.chmod(0o600)
            except OSError:
                pass
        return path.read_bytes()

    def key(self, fingerprint: str, name: str | None = None) -> str:
        """The ledger key of a dataset: its user-given name if any, else its table fingerprint."""
        message = f"name:{name.strip()}" if name else f"table:{fingerprint}"
        return hmac.new(self._secret(), message.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def sketch(self, digests: list[bytes]) -> list[str]:
        """The ``SKETCH_SIZE`` smallest keyed hashes of a table's rows (estimates row overlap)."""
        secret = self._secret()
        keyed = sorted(hashlib.blake2b(d, key=secret[:32], digest_size=8).hexdigest() for d in digests)
        return keyed[:SKETCH_SIZE]

    # ------------------------------------------------------------------ datasets
    def remember(self, key: str, label: str, columns: list[str], sketch: list[str]) -> None:
        """Note what a dataset looks like (for :meth:`lookalikes`), under its key."""
        with self._lock:
            data = self._read()
            data["datasets"][key] = {"label": label, "columns": sorted(columns), "sketch": sketch}
            self._write(data)

    def lookalikes(self, key: str, columns: list[str], sketch: list[str]) -> list[Lookalike]:
        """Other datasets in the ledger with mostly the same columns, most similar first."""
        with self._lock:
            data = self._read()
        found = []
        mine = set(columns)
        for other, info in data["datasets"].items():
            theirs = set(info["columns"])
            shared = len(mine & theirs) / max(len(mine | theirs), 1)
            if other == key or shared < SIMILAR_COLUMNS:
                continue
            union = sorted(set(sketch) | set(info["sketch"]))[:SKETCH_SIZE]
            rows = len(set(union) & set(sketch) & set(info["sketch"])) / max(len(union), 1)
            spent = sum(e["epsilon"] for e in data["tables"].get(other, []))
            found.append(Lookalike(info["label"], shared, rows, spent))
        return sorted(found, key=lambda f: (f.columns, f.rows), reverse=True)

    # ------------------------------------------------------------------ entries
    def _read(self) -> dict:
        if not self.path.exists():
            return {"tables": {}, "ceilings": {}, "datasets": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DoppelInputError(f"The budget ledger {self.path} is damaged; restore it from a backup "
                                   "(deleting it forgets the ε already spent).") from None
        data.setdefault("tables", {})
        data.setdefault("ceilings", {})
        data.setdefault("datasets", {})
        return data

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, json.dumps(data, indent=2).encode("utf-8"))

    def entries(self, key: str) -> list[LedgerEntry]:
        with self._lock:
            return [LedgerEntry(**e) for e in self._read()["tables"].get(key, [])]

    def total(self, key: str) -> float:
        return sum(e.epsilon for e in self.entries(key))

    def ceiling(self, key: str) -> float:
        with self._lock:
            return float(self._read()["ceilings"].get(key, DEFAULT_CEILING))

    def set_ceiling(self, key: str, ceiling: float) -> None:
        if not ceiling > 0:
            raise DoppelInputError(f"The ε ceiling must be positive, got {ceiling}.")
        with self._lock:
            data = self._read()
            data["ceilings"][key] = float(ceiling)
            self._write(data)

    def would_exceed(self, key: str, epsilon: float) -> bool:
        """True when a run spending ``epsilon`` would take the table past its ceiling."""
        return self.total(key) + epsilon > self.ceiling(key) + 1e-12

    def run_entry(self, key: str, run: str) -> LedgerEntry | None:
        """The entry of one training run, if it has recorded anything yet."""
        return next((e for e in self.entries(key) if run and e.run == run), None)

    def record(self, key: str, epsilon: float, delta: float, label: str, *, run: str = "",
               steps: int = 0, resumable: bool = False) -> None:
        """Add an entry, or replace the entry of ``run`` in place (the same run is never counted twice)."""
        if epsilon <= 0:
            return
        with self._lock:
            data = self._read()
            entry = asdict(LedgerEntry(datetime.now(timezone.utc).isoformat(timespec="seconds"), float(epsilon),
                                       float(delta), label, run, int(steps), resumable))
            table = data["tables"].setdefault(key, [])
            same = [i for i, e in enumerate(table) if run and e.get("run") == run]
            if same:
                table[same[0]] = entry
            else:
                table.append(entry)
            self._write(data)
