"""Model bundles: round trip without pickle, and clear refusals of foreign or tampered files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch

from engine.storage.bundle import load_bundle, read_metadata, save_bundle
from engine.errors import BundleError
from engine.generation import sample


def test_round_trip_gives_identical_samples(demo_model, tmp_path: Path) -> None:
    path = save_bundle(demo_model, tmp_path / "demo.doppel")
    loaded = load_bundle(path)
    pd.testing.assert_frame_equal(sample(demo_model, 300, seed=4), sample(loaded, 300, seed=4))
    meta = read_metadata(path)
    for key in ("schema", "encoder", "privacy", "run_id", "versions", "synthesizer"):
        assert key in meta
    assert meta["synthesizer"]["name"] == "dpgan" and "members" in meta["synthesizer"]["architecture"]
    privacy = meta["privacy"]
    for key in ("epsilon_spent", "delta", "accountant", "releases", "epsilon_curve"):
        assert key in privacy
    assert privacy["facts"]["pairs_measured"] == demo_model.summary.facts["pairs_measured"] > 0
    assert all(c["missing_rate"] is None for c in meta["schema"]["columns"]), "no observed statistics stored"
    assert "seconds" not in privacy and "rows_per_second" not in privacy, "no timings stored"
    assert "torch" in meta["versions"] and "opacus" in meta["versions"]


def _rewrite(path: Path, out: Path, edit) -> Path:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    edit(files)
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out


def test_tampered_weights_are_refused(demo_model, tmp_path: Path) -> None:
    path = save_bundle(demo_model, tmp_path / "demo.doppel")

    def flip(files: dict[str, bytes]) -> None:
        weights = bytearray(files["model.safetensors"])
        weights[-1] ^= 0xFF
        files["model.safetensors"] = bytes(weights)
    with pytest.raises(BundleError, match="modified"):
        load_bundle(_rewrite(path, tmp_path / "tampered.doppel", flip))


def test_extra_member_is_refused(demo_model, tmp_path: Path) -> None:
    path = save_bundle(demo_model, tmp_path / "demo.doppel")
    bad = _rewrite(path, tmp_path / "extra.doppel", lambda f: f.update({"payload.pkl": b"\x80\x04."}))
    with pytest.raises(BundleError, match="not a Doppel model"):
        load_bundle(bad)


def test_edited_metadata_version_is_refused(demo_model, tmp_path: Path) -> None:
    path = save_bundle(demo_model, tmp_path / "demo.doppel")

    def bump(files: dict[str, bytes]) -> None:
        meta = json.loads(files["metadata.json"])
        meta["version"] = 99
        files["metadata.json"] = json.dumps(meta).encode()
    with pytest.raises(BundleError, match="version 99"):
        load_bundle(_rewrite(path, tmp_path / "future.doppel", bump))


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\nnot a model", b"just text"])
def test_foreign_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "foreign.doppel"
    path.write_bytes(content)
    with pytest.raises(BundleError, match="foreign.doppel"):
        load_bundle(path)


def test_missing_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not found"):
        load_bundle(tmp_path / "absent.doppel")


def test_bundle_keeps_every_ensemble_member_and_refuses_an_edited_count(demo_model, tmp_path: Path) -> None:
    path = save_bundle(demo_model, tmp_path / "demo.doppel")
    k = len(demo_model.synthesizer.ensemble.members)
    assert read_metadata(path)["synthesizer"]["architecture"]["members"] == k
    loaded = load_bundle(path)
    for mine, theirs in zip(demo_model.synthesizer.ensemble.members, loaded.synthesizer.ensemble.members, strict=True):
        for (name, a), (_, b) in zip(mine.state_dict().items(), theirs.state_dict().items(), strict=True):
            assert torch.equal(a, b), name

    def set_members(count: int):
        def edit(files: dict[str, bytes]) -> None:
            meta = json.loads(files["metadata.json"])
            meta["synthesizer"]["architecture"]["members"] = count
            files["metadata.json"] = json.dumps(meta).encode()
        return edit
    for count in (k + 1, 10_000):
        with pytest.raises(BundleError, match="damaged"):
            load_bundle(_rewrite(path, tmp_path / f"edited{count}.doppel", set_members(count)))
