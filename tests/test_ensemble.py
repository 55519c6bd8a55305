"""The model's ensemble of epoch snapshots: which epochs join it, how rows are drawn from it,
and that a checkpoint carries the snapshots (bundles: ``test_bundle.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine import training
from engine.storage.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from engine.schema import infer_schema
from engine.io import read_table
from engine.run import Progress, RunConfig
from engine.synthesizers.dpgan.synthesizer import ENSEMBLE_SIZE, kept_epoch
from engine.training import train
from tests.conftest import GAN

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "employees.csv"


def test_kept_epochs_are_the_second_half_and_at_most_the_ensemble_size() -> None:
    assert [e for e in range(1, 41) if kept_epoch(e, 40)] == list(range(21, 41))
    assert [e for e in range(1, 5) if kept_epoch(e, 4)] == [3, 4]
    assert [e for e in range(1, 2) if kept_epoch(e, 1)] == [1]
    many = [e for e in range(1, 301) if kept_epoch(e, 300)]
    assert len(many) <= ENSEMBLE_SIZE and many[-1] == 300 and min(many) > 150


def test_each_row_comes_from_one_member_in_turn(demo_model) -> None:
    ensemble = demo_model.synthesizer.ensemble
    members = ensemble.members
    k = len(members)
    assert k >= 2, "the epochs of the second half of training"
    architecture = demo_model.synthesizer.model_state()[1]
    noise = torch.randn(4 * k + 1, architecture["noise_dim"])
    cond = torch.zeros(4 * k + 1, architecture["condition_width"])
    with torch.no_grad():
        out = ensemble(noise, cond)
        for i, member in enumerate(members):
            torch.testing.assert_close(out[i::k], member(noise[i::k], cond[i::k]))
        assert not torch.allclose(members[0](noise, cond), members[-1](noise, cond)), "different epochs"


def test_progress_counts_the_epochs_asked_for() -> None:
    """steps = epochs / q is rounded; the epochs shown must still be the ones the user chose."""
    frame = read_table(DEMO).frame.head(300)
    schema = infer_schema(frame).declare_all()
    events: list[Progress] = []
    train(frame, schema, RunConfig(epsilon=3.0, epochs=3, seed=1, **GAN), on_event=lambda e: isinstance(e, Progress)
          and events.append(e))
    stages = [e for e in events if e.unit == "stage"]     # the pairs measured before DP-SGD
    epochs = [(e.epoch, e.epochs) for e in events if e.unit == "epoch"]
    # a round whose budget grew counts for the starting rounds it spends: stages may skip, but rise to the total
    done = [e.epoch for e in stages]
    assert len(done) > 1 and all(a < b for a, b in zip(done, done[1:])) and done[-1] == stages[-1].epochs
    assert epochs == [(1, 3), (2, 3), (3, 3)] and events[-1].step == events[-1].steps


def test_a_resumed_run_keeps_the_snapshots_of_its_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "CHECKPOINT_SECONDS", 0.0)   # a checkpoint at every epoch's end
    frame = read_table(DEMO).frame.head(300)
    schema = infer_schema(frame).declare_all()
    config = RunConfig(epsilon=3.0, epochs=4, seed=5, **GAN)
    states: list[Checkpoint] = []
    train(frame, schema, config, run_id="r", on_checkpoint=states.append)
    last = load_checkpoint(save_checkpoint(states[-1], tmp_path / "r.ckpt"))
    assert sum(k.startswith("snapshot/") for k in last.tensors), "epoch 3's generator is in the checkpoint"
    resumed = train(frame, schema, config, run_id="r", resume=last)
    first = resumed.synthesizer.ensemble.members[0].state_dict()
    for key, value in first.items():
        torch.testing.assert_close(value, last.tensors[f"snapshot/0/{key}"])
    assert len(resumed.synthesizer.ensemble.members) == 2
