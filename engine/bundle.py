"""Saving and loading a trained model without pickle.

A bundle is one zip file (``.doppel``) holding ``metadata.json`` (schema, encoder, privacy
facts, source fingerprint, versions) and ``generator.safetensors`` (weights only). Loading
parses JSON and tensors, never Python objects, and checks the weights' SHA-256 recorded in
the metadata, so a foreign or tampered file is refused with a clear message.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from engine.encoding import TableEncoder
from engine.errors import BundleError
from engine.model import Generator, GeneratorEnsemble
from engine.schema import Schema
from engine.sources import atomic_write_bytes

if TYPE_CHECKING:
    from engine.training import TrainingSummary

BUNDLE_FORMAT = "doppel-model"
BUNDLE_VERSION = 2   # 2: the generator is an ensemble of epoch snapshots
MAX_MEMBERS = 64     # a larger count in the metadata means a damaged or edited file
METADATA = "metadata.json"
WEIGHTS = "generator.safetensors"


def package_versions() -> dict[str, str]:
    """Versions that shaped the model, recorded so a bundle can be traced and reproduced."""
    versions = {"python": platform.python_version()}
    for name in ("doppel", "torch", "opacus", "numpy", "pandas"):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


@dataclass
class TrainedModel:
    """Everything needed to generate rows: public schema, DP encoder, generator, privacy facts."""

    schema: Schema
    encoder: TableEncoder
    generator: GeneratorEnsemble
    noise_dim: int
    generator_hidden: tuple[int, ...]
    summary: "TrainingSummary"
    fingerprint: str
    created: str = ""
    versions: dict[str, str] | None = None

    @property
    def condition_width(self) -> int:
        return sum(self.encoder.spans[i].slots for i in self.encoder.condition_columns)

    def metadata(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "version": BUNDLE_VERSION,
            "created": self.created or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "schema": self.schema.public().to_json(),
            "encoder": self.encoder.to_json(),
            "architecture": {"noise_dim": self.noise_dim, "generator_hidden": list(self.generator_hidden),
                             "condition_width": self.condition_width, "data_width": self.encoder.width,
                             "members": len(self.generator.members)},
            "privacy": self.summary.to_json(),
            "source_fingerprint": self.fingerprint,
            "versions": self.versions or package_versions(),
        }


def save_bundle(model: TrainedModel, path: str | Path) -> Path:
    """Write the bundle atomically: a crash never leaves a half-written or mixed model."""
    weights = save_tensors({k: v.detach().cpu().contiguous() for k, v in model.generator.state_dict().items()})
    meta = model.metadata()
    meta["weights_sha256"] = hashlib.sha256(weights).hexdigest()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, json.dumps(meta, indent=2, default=float))
        archive.writestr(WEIGHTS, weights)
    return atomic_write_bytes(path, buffer.getvalue())


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The bundle's metadata alone (for showing ε, δ, columns without building the model)."""
    return _open(Path(path))[0]


def load_bundle(path: str | Path) -> TrainedModel:
    """Rebuild a model from a bundle, refusing anything that is not exactly what we wrote."""
    from engine.training import TrainingSummary

    path = Path(path)
    meta, weights = _open(path)
    try:
        schema = Schema.from_json(meta["schema"], source=f"Model {path.name}")
        encoder = TableEncoder.from_json(meta["encoder"])
        arch = meta["architecture"]
        members = int(arch["members"])
        if not 1 <= members <= MAX_MEMBERS:
            raise ValueError("member count")
        generator = GeneratorEnsemble([
            Generator(int(arch["noise_dim"]), int(arch["condition_width"]), int(arch["data_width"]),
                      tuple(int(h) for h in arch["generator_hidden"])) for _ in range(members)])
        generator.load_state_dict(load_tensors(weights))
        privacy = dict(meta["privacy"])
        privacy["history"] = [tuple(h) for h in privacy.get("history", [])]
        summary = TrainingSummary(**privacy)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise BundleError(f"Model {path.name} is damaged or from an incompatible version ({exc.__class__.__name__}); "
                          "train the model again.") from None
    generator.eval()
    return TrainedModel(schema=schema, encoder=encoder, generator=generator, noise_dim=int(arch["noise_dim"]),
                        generator_hidden=tuple(int(h) for h in arch["generator_hidden"]), summary=summary,
                        fingerprint=str(meta.get("source_fingerprint", "")), created=str(meta.get("created", "")),
                        versions=dict(meta.get("versions", {})))


def _open(path: Path) -> tuple[dict[str, Any], bytes]:
    if not path.exists():
        raise BundleError(f"Model {path} not found: check the path or train one with 'doppel train'.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if names != {METADATA, WEIGHTS}:
                raise BundleError(f"{path.name} is not a Doppel model (unexpected contents); "
                                  "open a .doppel file saved by Doppel.")
            meta = json.loads(archive.read(METADATA).decode("utf-8"))
            weights = archive.read(WEIGHTS)
    except (zipfile.BadZipFile, IsADirectoryError):
        raise BundleError(f"{path.name} is not a Doppel model (not a bundle file); open a .doppel file saved by Doppel.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BundleError(f"Model {path.name} has unreadable metadata; it was damaged or edited: train it again.") from None
    if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{path.name} is not a Doppel model; open a .doppel file saved by Doppel.")
    if meta.get("version") != BUNDLE_VERSION:
        raise BundleError(f"Model {path.name} has bundle version {meta.get('version')}, this Doppel reads "
                          f"version {BUNDLE_VERSION}; update Doppel or train the model again.")
    if hashlib.sha256(weights).hexdigest() != meta.get("weights_sha256"):
        raise BundleError(f"Model {path.name} was modified after it was saved (weights checksum mismatch); "
                          "use the original file or train again.")
    return meta, weights
