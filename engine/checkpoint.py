"""Training checkpoints: the state of a run between two steps, so a killed run can continue.

A checkpoint is one safetensors file: the tensors (generator and discriminator weights, the
generator snapshots kept so far for the model's ensemble, both Adam optimizers' moments) plus a
JSON header (``__metadata__``) holding the DP plan — σ, q, the planned and finished steps, the
preprocessing releases, the fitted DP encoder, the public schema, the source fingerprint and
the run id. Like a bundle it is read without unpickling.

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
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from filelock import FileLock, Timeout
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as save_tensors

from engine.encoding import TableEncoder
from engine.errors import DoppelInputError
from engine.schema import Schema
from engine.sources import atomic_write_bytes

if TYPE_CHECKING:
    from engine.training import GanSteps, TrainingConfig

CHECKPOINT_FORMAT = "doppel-checkpoint"
CHECKPOINT_VERSION = "1"
SUFFIX = ".ckpt"
_RUNTIME_SETTINGS = ("seed", "device")   # may differ on resume; the seed is never stored


@dataclass(eq=False)
class Checkpoint:
    """A run after ``step`` of ``steps`` DP-SGD steps; resuming continues this very plan."""

    run: str                    # the ledger's id for this run
    fingerprint: str            # of the source table (local state, like the ledger: never shared)
    schema: dict[str, Any]      # public schema JSON
    settings: dict[str, Any]    # TrainingConfig without seed and device
    encoder: TableEncoder       # fitted under DP before training
    rows: int
    delta: float
    domain_delta: float
    preprocessing: list[tuple[float, float, int]]   # (σ, q = 1, count) of every release
    preprocessing_epsilon: float
    preprocessing_sigma: float
    noise_multiplier: float
    sample_rate: float
    batch: int
    steps: int                  # planned
    step: int                   # done
    epsilon_spent: float        # after ``step`` steps, preprocessing included
    seconds: float              # training time so far
    tensors: dict[str, torch.Tensor]

    def training_config(self, device: str = "auto", seed: int | None = None) -> "TrainingConfig":
        """The settings to resume with (what the GUI pre-fills); device and seed are free."""
        from engine.training import TrainingConfig

        values = dict(self.settings)
        for name in ("generator_hidden", "discriminator_hidden"):
            values[name] = tuple(values[name])
        return TrainingConfig(**values, device=device, seed=seed)

    def check_fits(self, fingerprint: str, schema: Schema, config: "TrainingConfig", rows: int) -> None:
        """Refuse to resume on another table, schema or plan: the accounting would not hold."""
        if fingerprint != self.fingerprint or rows != self.rows:
            raise DoppelInputError(f"The checkpoint of run {self.run} was made from another table (or the file "
                                   "changed since); resume with the same file, or train without --resume.")
        if _json(schema.public().to_json()) != self.schema:
            raise DoppelInputError(f"The checkpoint of run {self.run} was made with another schema; resume with the "
                                   "same --schema (or none), or train without --resume.")
        given = config_settings(config)
        changed = [f"{k}={self.settings[k]}" for k in self.settings if given.get(k) != self.settings[k]]
        if changed:
            raise DoppelInputError(f"The checkpoint of run {self.run} was made with {', '.join(changed)}; resume "
                                   "with the same settings, or train without --resume.")


def config_settings(config: "TrainingConfig") -> dict[str, Any]:
    """The settings that define a run's plan, as JSON values (tuples become lists)."""
    return _json({k: v for k, v in asdict(config).items() if k not in _RUNTIME_SETTINGS})


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


# ------------------------------------------------------------------------ networks and optimizers

def _parts(gan: "GanSteps") -> Iterator[tuple[str, Any]]:
    yield "generator", gan.generator
    yield "discriminator", gan.discriminator
    yield "g_optimizer", gan.g_optimizer
    yield "d_optimizer", gan.d_optimizer


def capture(gan: "GanSteps") -> dict[str, torch.Tensor]:
    """Weights and Adam moments as flat named CPU tensors (``part/key``, ``part/index/slot``)."""
    out: dict[str, torch.Tensor] = {}
    for part, obj in _parts(gan):
        if isinstance(obj, torch.nn.Module):
            items = obj.state_dict().items()
        else:
            items = ((f"{index}/{slot}", value) for index, slots in obj.state_dict()["state"].items()
                     for slot, value in slots.items())
        for key, value in items:
            out[f"{part}/{key}"] = torch.as_tensor(value).detach().to("cpu", copy=True).contiguous()
    for i, state in enumerate(gan.snapshots):
        for key, value in state.items():
            out[f"snapshot/{i}/{key}"] = value.detach().to("cpu", copy=True).contiguous()
    return out


def restore(gan: "GanSteps", tensors: dict[str, torch.Tensor]) -> None:
    """Load what :func:`capture` took into freshly built networks and optimizers."""
    for part, obj in _parts(gan):
        mine = {key[len(part) + 1:]: value for key, value in tensors.items() if key.startswith(part + "/")}
        if isinstance(obj, torch.nn.Module):
            obj.load_state_dict(mine)
            continue
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in mine.items():
            index, slot = key.split("/")
            state.setdefault(int(index), {})[slot] = value
        obj.load_state_dict({"state": state, "param_groups": obj.state_dict()["param_groups"]})
    snapshots: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("snapshot/"):
            _, index, name = key.split("/", 2)
            snapshots.setdefault(int(index), {})[name] = value.to(gan.device)
    keys = set(gan.generator.state_dict())
    for index in sorted(snapshots):
        if set(snapshots[index]) != keys:
            raise KeyError(f"snapshot/{index}")
    gan.snapshots = [snapshots[i] for i in sorted(snapshots)]


# ------------------------------------------------------------------------------------ files

def save_checkpoint(checkpoint: Checkpoint, path: str | Path) -> Path:
    """Write atomically: a kill during the write leaves the previous checkpoint whole."""
    state = {f.name: getattr(checkpoint, f.name) for f in fields(Checkpoint) if f.name not in ("encoder", "tensors")}
    state["encoder"] = checkpoint.encoder.to_json()
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
        state["preprocessing"] = [(float(s), float(q), int(c)) for s, q, c in state["preprocessing"]]
        return Checkpoint(**state, tensors=tensors)
    except (SafetensorError, OSError, ValueError, KeyError, TypeError) as exc:
        raise DoppelInputError(f"{path.name} is not a usable Doppel checkpoint ({exc.__class__.__name__}); "
                               "train without --resume.") from None


def checkpoint_folder(home: Path, fingerprint: str) -> Path:
    """Checkpoints of one source table live together in the data home, never beside the data."""
    return home / "checkpoints" / fingerprint


def latest_checkpoint(home: Path, fingerprint: str) -> Path | None:
    """The most recently written checkpoint of this table (what ``--resume`` picks by default)."""
    folder = checkpoint_folder(home, fingerprint)
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
