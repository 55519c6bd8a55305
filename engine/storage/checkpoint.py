"""Training checkpoints: the state of a run between two steps, so a killed run can continue.

A checkpoint is one safetensors file: the synthesizer's training tensors (for the DP-GAN: both
networks, the ensemble snapshots kept so far, both Adam optimizers' moments) plus a JSON header
(``__metadata__``) holding the plan — the run's settings and privacy plan, n̂, the accountant's
preprocessing releases, the schema the run learns and the fitted DP encoder, the synthesizer's
progress, the user's declarations, the dataset's local ledger key and the run id. Like a bundle it is read without unpickling.

What it deliberately does *not* hold: the seed and the random generators' states. Torch's CPU
generator (MT19937) and NumPy's PCG64 can be stepped backwards from a saved state, and CUDA's
Philox state is its seed plus an offset, so a leaked state would reveal the noise already added
— not only future noise. A resumed run draws fresh randomness instead (``docs/privacy.md``).

Everything stored is either public (schema, settings) or a DP release covered by the ε spent at
the checkpoint's step (encoder, and every DP-SGD iterate with its optimizer moments).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock, Timeout
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as save_tensors

from engine.encoding import TableEncoder
from engine.errors import DoppelInputError
from engine.io import atomic_write_bytes
from engine.privacy.plan import PrivacyPlan
from engine.run import RunConfig
from engine.schema import Schema

CHECKPOINT_FORMAT = "doppel-checkpoint"
CHECKPOINT_VERSION = "3"
SUFFIX = ".ckpt"


@dataclass(eq=False)
class Checkpoint:
    """A run after ``step`` of its planned steps; resuming continues this very plan."""

    run: str                    # the ledger's id for this run
    dataset: str                # the table's ledger key (a keyed hash: meaningless away from this machine)
    schema: dict[str, Any]      # the user's declarations (undeclared columns by name only)
    config: dict[str, Any]      # RunConfig.plan_json(): what a resume must repeat
    plan: PrivacyPlan           # every release of the run, for every size class
    rows: float                 # n̂, the noisy row count released first
    run_schema: dict[str, Any]  # the schema the run learns: declared facts and those measured under DP
    encoder: TableEncoder       # fitted under DP before training
    accountant: dict[str, Any]  # the accountant's state_dict: the preprocessing releases
    preprocessing_epsilon: float
    synthesizer: dict[str, Any]  # the synthesizer's training_state metadata (its progress)
    step: int                   # steps done
    steps: int                  # planned
    epsilon_spent: float        # after ``step`` steps, preprocessing included
    seconds: float              # training time so far
    tensors: dict[str, torch.Tensor]

    def run_config(self, device: str = "auto", seed: int | None = None) -> RunConfig:
        """The settings to resume with (what the GUI pre-fills); device and seed are free."""
        return RunConfig(**self.config, device=device, seed=seed)

    def check_fits(self, dataset: str, schema: Schema, config: RunConfig) -> None:
        """Refuse to resume on another table, schema or plan: the accounting would not hold."""
        if dataset != self.dataset:
            raise DoppelInputError(f"The checkpoint of run {self.run} was made from another table (or the file "
                                   "changed since); resume with the same file, or train without --resume.")
        if _json(schema.declarations()) != self.schema:
            raise DoppelInputError(f"The checkpoint of run {self.run} was made with another schema; resume with the "
                                   "same --schema (or none), or train without --resume.")
        given = _json(config.plan_json())
        changed = [f"{k}={self.config[k]}" for k in self.config if given.get(k) != self.config[k]]
        if changed:
            raise DoppelInputError(f"The checkpoint of run {self.run} was made with {', '.join(changed)}; resume "
                                   "with the same settings, or train without --resume.")


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


# ------------------------------------------------------------------------------------ files

def save_checkpoint(checkpoint: Checkpoint, path: str | Path) -> Path:
    """Write atomically: a kill during the write leaves the previous checkpoint whole."""
    state = {f.name: getattr(checkpoint, f.name) for f in fields(Checkpoint)
             if f.name not in ("encoder", "plan", "tensors")}
    state["encoder"] = checkpoint.encoder.to_json()
    state["plan"] = checkpoint.plan.to_json()
    state["config"] = _json(checkpoint.config)
    header = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "state": json.dumps(state)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, save_tensors(checkpoint.tensors, metadata=header))


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, refusing anything else clearly."""
    path = Path(path)
    if not path.is_file():
        raise DoppelInputError(f"Checkpoint {path} not found; check the path, or train without --resume.")
    try:
        with safe_open(str(path), framework="pt") as archive:
            header = archive.metadata() or {}
            tensors = {key: archive.get_tensor(key) for key in archive.keys()}
        if header.get("format") != CHECKPOINT_FORMAT or header.get("version") != CHECKPOINT_VERSION:
            raise ValueError("not a Doppel checkpoint of this version")
        state = json.loads(header["state"])
        state["encoder"] = TableEncoder.from_json(state["encoder"])
        state["plan"] = PrivacyPlan.from_json(state["plan"])
        return Checkpoint(**state, tensors=tensors)
    except (SafetensorError, OSError, ValueError, KeyError, TypeError) as exc:
        raise DoppelInputError(f"{path.name} is not a usable Doppel checkpoint ({exc.__class__.__name__}); "
                               "train without --resume.") from None


def checkpoint_folder(home: Path, dataset: str) -> Path:
    """Checkpoints of one dataset live together in the data home, never beside the data."""
    return home / "checkpoints" / dataset


def latest_checkpoint(home: Path, dataset: str) -> Path | None:
    """The most recently written checkpoint of this dataset (what ``--resume`` picks by default)."""
    folder = checkpoint_folder(home, dataset)
    found = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    return found[-1] if found else None


def remove_checkpoint(path: Path) -> None:
    """Delete a finished run's checkpoint (and its table's folder once empty)."""
    path.unlink(missing_ok=True)
    _prune(path.parent)


@contextmanager
def claimed(path: Path) -> Iterator[None]:
    """Hold a run's lock while it trains, across processes.

    Two windows resuming the same checkpoint at once would release two continuations under one
    ledger entry; the second is refused instead. The operating system drops the lock of a
    killed process, so a crash never leaves a run locked.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DoppelInputError(f"Run {path.stem} is being trained by another Doppel window or process; "
                               "let it finish, or train without --resume.") from None
    try:
        yield
    finally:
        lock.release()
        lock_path.unlink(missing_ok=True)
        _prune(path.parent)


def _prune(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass   # other runs of the same table still have checkpoints there
