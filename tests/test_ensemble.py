"""The model's ensemble of epoch snapshots: which epochs join it, how rows are drawn from it,
and that bundles and checkpoints carry every member."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import torch

from engine import training
from engine.bundle import load_bundle, read_metadata, save_bundle
from engine.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from engine.errors import BundleError
from engine.schema import infer_schema
from engine.sources import read_table
from engine.training import ENSEMBLE_SIZE, TrainingConfig, kept_epoch, train

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "employees.csv"
SMALL = dict(generator_hidden=(32, 32), discriminator_hidden=(32, 32), noise_dim=16, device="cpu")


def test_kept_epochs_are_the_second_half_and_at_most_the_ensemble_size() -> None:
    assert [e for e in range(1, 41) if kept_epoch(e, 40)] == list(range(21, 41))
    assert [e for e in range(1, 5) if kept_epoch(e, 4)] == [3, 4]
    assert [e for e in range(1, 2) if kept_epoch(e, 1)] == [1]
    many = [e for e in range(1, 301) if kept_epoch(e, 300)]
    assert len(many) <= ENSEMBLE_SIZE and many[-1] == 300 and min(many) > 150


def test_each_row_comes_from_one_member_in_turn(demo_model) -> None:
    members = demo_model.generator.members
    k = len(members)
    assert k >= 2, "the epochs of the second half of training"
    noise = torch.randn(4 * k + 1, demo_model.noise_dim)
    cond = torch.zeros(4 * k + 1, demo_model.condition_width)
    with torch.no_grad():
        out = demo_model.generator(noise, cond)
        for i, member in enumerate(members):
            torch.testing.assert_close(out[i::k], member(noise[i::k], cond[i::k]))
        assert not torch.allclose(members[0](noise, cond), members[-1](noise, cond)), "different epochs"


def _edit_members(path: Path, out: Path, count: int) -> Path:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(files["metadata.json"])
    meta["architecture"]["members"] = count
    files["metadata.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out


def test_bundle_keeps_every_member_and_refuses_an_edited_count(demo_model, tmp_path: Path) -> None:
    path = save_bundle(demo_model, tmp_path / "demo.doppel")
    k = len(demo_model.generator.members)
    assert read_metadata(path)["architecture"]["members"] == k
    loaded = load_bundle(path)
    for mine, theirs in zip(demo_model.generator.members, loaded.generator.members, strict=True):
        for (name, a), (_, b) in zip(mine.state_dict().items(), theirs.state_dict().items(), strict=True):
            assert torch.equal(a, b), name
    for count in (k + 1, 10_000):
        with pytest.raises(BundleError, match="damaged"):
            load_bundle(_edit_members(path, tmp_path / f"edited{count}.doppel", count))


def test_a_resumed_run_keeps_the_snapshots_of_its_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "CHECKPOINT_SECONDS", 0.0)   # a checkpoint at every epoch's end
    frame = read_table(DEMO).frame.head(300)
    schema = infer_schema(frame)
    config = TrainingConfig(epsilon=3.0, epochs=4, seed=5, **SMALL)
    states: list[Checkpoint] = []
    train(frame, schema, config, run_id="r", on_checkpoint=states.append)
    last = load_checkpoint(save_checkpoint(states[-1], tmp_path / "r.ckpt"))
    assert sum(k.startswith("snapshot/") for k in last.tensors), "epoch 3's generator is in the checkpoint"
    resumed = train(frame, schema, config, run_id="r", resume=last)
    first = resumed.generator.members[0].state_dict()
    for key, value in first.items():
        torch.testing.assert_close(value, last.tensors[f"snapshot/0/{key}"])
    assert len(resumed.generator.members) == 2
