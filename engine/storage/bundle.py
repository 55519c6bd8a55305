"""Saving and loading a trained model without pickle.

A bundle is one zip file (``.doppel``) holding ``metadata.json`` (public schema, DP encoder, the
synthesizer's name and architecture, the run's privacy facts, a random run id, versions) and
``model.safetensors`` (weights only). Loading parses JSON and tensors, never Python objects, and
checks the weights' SHA-256 recorded in the metadata, so a foreign or tampered file is refused
with a clear message. Nothing in it is an exact function of the source table's cells.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import zipfile
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from engine.encoding import TableEncoder
from engine.errors import BundleError
from engine.io import atomic_write_bytes
from engine.run import RunSummary
from engine.schema import Schema
from engine.synthesizers.model import TrainedModel
from engine.synthesizers.registry import synthesizer_class

BUNDLE_FORMAT = "doppel-model"
BUNDLE_VERSION = 3   # 3: any synthesizer; no source fingerprint, no timings
METADATA = "metadata.json"
WEIGHTS = "model.safetensors"


def package_versions() -> dict[str, str]:
    """Versions that shaped the model, recorded so a bundle can be traced and reproduced."""
    versions = {"python": platform.python_version()}
    for name in ("doppel", "torch", "opacus", "numpy", "pandas"):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def bundle_metadata(model: TrainedModel) -> dict[str, Any]:
    """The bundle's ``metadata.json`` (without the weights' checksum)."""
    _, architecture = model.synthesizer.model_state()
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "created": model.created or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "schema": model.schema.public().to_json(),
        "encoder": model.encoder.to_json(),
        "synthesizer": {"name": model.synthesizer.name, "architecture": architecture},
        "privacy": model.summary.to_json(),
        "run_id": model.run_id,
        "versions": model.versions or package_versions(),
    }


def save_bundle(model: TrainedModel, path: str | Path) -> Path:
    """Write the bundle atomically: a crash never leaves a half-written or mixed model."""
    tensors, _ = model.synthesizer.model_state()
    weights = save_tensors(tensors)
    meta = bundle_metadata(model)
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
    path = Path(path)
    meta, weights = _open(path)
    try:
        schema = Schema.from_json(meta["schema"], source=f"Model {path.name}")
        encoder = TableEncoder.from_json(meta["encoder"])
        cls = synthesizer_class(str(meta["synthesizer"]["name"]))
        synthesizer = cls.from_model_state(encoder, load_tensors(weights), dict(meta["synthesizer"]["architecture"]))
        summary = RunSummary.from_json(meta["privacy"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise BundleError(f"Model {path.name} is damaged or from an incompatible version ({exc.__class__.__name__}); "
                          "train the model again.") from None
    return TrainedModel(schema=schema, encoder=encoder, synthesizer=synthesizer, summary=summary,
                        run_id=str(meta.get("run_id", "")), created=str(meta.get("created", "")),
                        versions=dict(meta.get("versions", {})))


def _open(path: Path) -> tuple[dict[str, Any], bytes]:
    if not path.exists():
        raise BundleError(f"Model {path} not found: check the path or train one with 'doppel train'.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if names != {METADATA, WEIGHTS}:
                raise BundleError(f"{path.name} is not a Doppel model of this version (unexpected contents); "
                                  "open a .doppel file saved by this Doppel, or train it again.")
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
