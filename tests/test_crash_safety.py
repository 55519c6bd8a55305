"""Crash safety: real kills of real processes during training and during ledger/checkpoint writes.

A killed training must leave the previous model and export byte-identical, its spent ε in the
ledger, and a checkpoint from which the same plan continues without paying its ε twice. The
ledger must stay whole under concurrent writers and under a kill in the middle of a write.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest

from engine import cli
from engine.app import operations as workflow
from engine.io import writing
from engine.privacy import rdp
from engine.privacy.accountant import Release, curve_of
from engine.storage.bundle import TrainedModel, load_bundle, save_bundle
from engine.storage.checkpoint import Checkpoint, checkpoint_folder, claimed, load_checkpoint, save_checkpoint
from engine.errors import DoppelInputError
from engine.generation import sample
from engine.privacy.ledger import Ledger
from engine.schema import Schema, infer_schema
from engine.io import LoadedTable, read_table, write_table
from engine.run import RunConfig
from engine.training import train
from tests.conftest import DEMO, ROOT, SMALL, assert_spends_the_plan

SEED = 918_273_645_546      # distinctive, so its absence from a checkpoint's bytes means something


@dataclass
class Run:
    path: Path
    table: LoadedTable
    schema: Schema
    config: RunConfig
    model: TrainedModel
    checkpoint: Path
    ledger_key: Path            # the ledger secret the checkpoint's dataset key was made with

    def ledger(self, folder: Path) -> Ledger:
        """A fresh ledger in ``folder`` that knows the table by the same key as the checkpoint."""
        shutil.copy(self.ledger_key, folder / "ledger.key")
        return Ledger(folder / "ledger.json")

    def key(self, ledger: Ledger) -> str:
        return workflow.dataset_key(self.table, ledger=ledger)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A 300-row table, a small model trained on it, and that run's first checkpoint on disk."""
    folder = tmp_path_factory.mktemp("crash")
    path = folder / "staff.csv"
    path.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:301]), encoding="utf-8")
    table = read_table(path)
    schema = infer_schema(table.frame).declare_all()
    config = RunConfig(epsilon=3.0, epochs=3, seed=7, **SMALL)
    states: list[Checkpoint] = []
    ledger = Ledger(folder / "ledger.json")
    model = train(table.frame, schema, config, dataset=workflow.dataset_key(table, ledger=ledger), run_id="r0",
                  on_checkpoint=states.append)
    assert states and 0 < states[0].step < states[0].steps
    return Run(path, table, schema, config, model, save_checkpoint(states[0], folder / "r0.ckpt"),
               folder / "ledger.key")


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "DOPPEL_HOME": str(home), "PYTHONWARNINGS": "ignore"}


def _start(args: list[str], home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=_env(home), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _kill(proc: subprocess.Popen[str]) -> None:
    assert proc.poll() is None, "the process ended before it could be killed:\n" + proc.stdout.read()
    proc.kill()                     # SIGKILL: no handler, no cleanup, no flush
    proc.wait(timeout=30)


def _wait_for(predicate, proc: subprocess.Popen[str], timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, "the process ended early:\n" + proc.stdout.read()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# ------------------------------------------------------------------ a real kill during training

def test_killed_training_keeps_outputs_and_resumes_without_spending_twice(small: Run, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    home = Path(os.environ["DOPPEL_HOME"])          # this test's own data home (conftest)
    bundle, export = tmp_path / "staff.doppel", tmp_path / "staff_synthetic.csv"
    save_bundle(small.model, bundle)
    write_table(sample(small.model, 20, seed=1), export)
    before = {p: p.read_bytes() for p in (bundle, export, small.path)}
    command = ["synthesize", str(small.path), "--epsilon", "3", "--epochs", "3", "--rows", "50",
               "--out", str(export), "--model", str(bundle), "--seed", str(SEED)]
    ledger = Ledger(home / "ledger.json")
    key = workflow.dataset_key(small.table, ledger=ledger)
    folder = checkpoint_folder(home, key)

    # 1. killed at its first words (DP preprocessing done, before any checkpoint): nothing left it
    proc = _start(["-m", "engine", *command], home)
    assert proc.stdout.readline()
    _kill(proc)
    assert {p: p.read_bytes() for p in before} == before
    assert ledger.entries(key) == [] and not list(folder.glob("*.ckpt"))
    assert cli.main([*command, "--resume"]) == 2
    assert "No interrupted run of staff.csv" in capsys.readouterr().err

    # 2. killed right after the first checkpoint: its ε is in the ledger, the checkpoint is whole
    proc = _start(["-m", "engine", *command], home)
    _wait_for(lambda: any(folder.glob("*.ckpt")), proc)
    _kill(proc)
    assert {p: p.read_bytes() for p in before} == before, "model, export and source are untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([bundle.name, export.name])
    [saved] = folder.glob("*.ckpt")
    checkpoint = load_checkpoint(saved)
    assert 0 < checkpoint.step < checkpoint.steps
    [entry] = ledger.entries(key)
    assert (entry.run, entry.steps, entry.resumable) == (checkpoint.run, checkpoint.step, True)
    assert entry.epsilon == pytest.approx(checkpoint.epsilon_spent, rel=1e-12)
    raw = saved.read_bytes()
    assert str(SEED).encode() not in raw and b"seed" not in raw, "no seed (nor RNG state) in a checkpoint"
    # safetensors: an 8-byte little-endian header length, then that many bytes of JSON (never a
    # pickle; its first byte alone says nothing, since the header length can start with 0x80)
    header_length = int.from_bytes(raw[:8], "little")
    assert isinstance(json.loads(raw[8:8 + header_length]), dict), "safetensors + JSON, never pickle"

    # 3. the same command with --resume finishes the same plan, under the same ledger entry
    out = io.StringIO()
    assert cli.main([*command, "--resume", "--json"], out=out) == 0
    assert f"Resuming at step {checkpoint.step} of {checkpoint.steps}" in capsys.readouterr().err
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    chosen = checkpoint.plan.for_rows(checkpoint.rows)
    assert summary["rows_estimate"] == checkpoint.rows, "the same n̂, not a second count"
    assert summary["rounds_planned"] == chosen.synthesizer.facts["rounds"] and summary["pairs_measured"] > 0
    model = load_bundle(bundle)
    plan = checkpoint.plan.preprocessing(chosen.sigma_pre) + chosen.synthesizer.releases
    assert_spends_the_plan([Release.from_json(list(h)) for h in model.summary.releases],
                           checkpoint.plan.preprocessing(chosen.sigma_pre), chosen.synthesizer.releases)
    assert model.summary.epsilon_spent == pytest.approx(checkpoint.plan.bound)
    assert rdp.epsilon(curve_of(plan), checkpoint.plan.rdp_delta) <= model.summary.epsilon_spent <= 3.0
    [entry] = ledger.entries(key)
    assert (entry.run, entry.resumable, entry.label) == (checkpoint.run, False, bundle.name)
    assert ledger.total(key) == pytest.approx(model.summary.epsilon_spent, rel=1e-12)
    assert not list(folder.glob("*.ckpt")), "a finished run's checkpoint is removed"
    assert len(pd.read_csv(export)) == 50 and small.path.read_bytes() == before[small.path]


# ------------------------------------------------------------------ resuming: what is refused, what is charged

def test_a_stale_checkpoint_is_charged_as_a_new_run(small: Run, tmp_path: Path) -> None:
    ledger = small.ledger(tmp_path)
    checkpoint = load_checkpoint(small.checkpoint)
    fingerprint = small.key(ledger)
    # the run went on after this checkpoint (a later state may have been released)
    ledger.record(fingerprint, checkpoint.epsilon_spent + 0.1, checkpoint.accountant["delta"], "unfinished", run=checkpoint.run,
                  steps=checkpoint.step + 3, resumable=True)
    events: list[object] = []
    model = workflow.train_model(small.table, small.schema, checkpoint.run_config(device="cpu"), ledger=ledger,
                                 resume=small.checkpoint, on_event=events.append)
    assert any("charged as a new run" in getattr(e, "text", "") for e in events)
    entries = ledger.entries(fingerprint)
    assert len(entries) == 2 and entries[1].run != checkpoint.run
    assert ledger.total(fingerprint) == pytest.approx(checkpoint.epsilon_spent + 0.1 + model.summary.epsilon_spent)
    assert small.checkpoint.exists(), "a checkpoint outside the data home is the user's file"


def test_resume_refuses_other_settings_tables_and_files(small: Run, tmp_path: Path) -> None:
    ledger = small.ledger(tmp_path)
    checkpoint = load_checkpoint(small.checkpoint)
    config = checkpoint.run_config(device="cpu")
    other_settings = replace(config, epsilon=2.0)
    with pytest.raises(DoppelInputError, match=r"epsilon=3\.0.*same settings"):
        workflow.train_model(small.table, small.schema, other_settings, ledger=ledger, resume=small.checkpoint)
    other = tmp_path / "other.csv"
    other.write_bytes(small.path.read_bytes() + DEMO.read_text(encoding="utf-8").splitlines()[301].encode() + b"\n")
    with pytest.raises(DoppelInputError, match="another table"):
        workflow.train_model(read_table(other), small.schema, config, ledger=ledger, resume=small.checkpoint)
    fake = tmp_path / "photo.ckpt"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(DoppelInputError, match="photo.ckpt is not a usable Doppel checkpoint") as info:
        workflow.train_model(small.table, small.schema, config, ledger=ledger, resume=fake)
    assert "\n" not in str(info.value)
    folder = checkpoint_folder(ledger.path.parent, small.key(ledger))
    with claimed(folder / f"{checkpoint.run}.ckpt"):      # another window is resuming this run
        with pytest.raises(DoppelInputError, match="being trained by another Doppel window"):
            workflow.train_model(small.table, small.schema, config, ledger=ledger, resume=small.checkpoint)
    assert ledger.entries(small.key(ledger)) == [], "nothing recorded for a refused resume"
    assert not folder.exists()


def test_failed_bundle_save_keeps_the_previous_bundle(small: Run, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = save_bundle(small.model, tmp_path / "m.doppel")
    old = bundle.read_bytes()

    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writing.os, "replace", full_disk)
    with pytest.raises(DoppelInputError, match="No space left"):
        save_bundle(small.model, bundle)
    assert bundle.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["m.doppel"]


# ------------------------------------------------------------------ the ledger under concurrency and kills

_WRITER = """
import sys
from engine.privacy.ledger import Ledger
ledger, name = Ledger(), sys.argv[1]
for i in range(1, 21):
    ledger.record("table", 0.01, 1e-5, f"{name}-{i}")
    ledger.record("table", 0.001 * i, 1e-5, "training", run=name, steps=i, resumable=True)
"""


def test_ledger_keeps_every_entry_of_concurrent_processes(tmp_path: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, f"w{k}"], cwd=ROOT, env=_env(tmp_path),
                                stderr=subprocess.PIPE, text=True) for k in range(4)]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    entries = Ledger(tmp_path / "ledger.json").entries("table")
    assert sorted(e.label for e in entries if not e.run) == sorted(f"w{k}-{i}" for k in range(4) for i in range(1, 21))
    runs = {e.run: e for e in entries if e.run}
    assert sorted(runs) == [f"w{k}" for k in range(4)], "one entry per run, updated in place"
    assert all(e.steps == 20 and e.epsilon == pytest.approx(0.02) for e in runs.values())


_LOOP = """
import itertools, sys
from engine.storage.checkpoint import load_checkpoint, save_checkpoint
from engine.privacy.ledger import Ledger
ledger, checkpoint = Ledger(), load_checkpoint(sys.argv[1])
print("ready", flush=True)
for i in itertools.count(1):
    ledger.record("table", 0.01, 1e-5, str(i), run="run", steps=i, resumable=True)
    ledger.record("table", 0.01, 1e-5, str(i))
    checkpoint.step = i
    save_checkpoint(checkpoint, sys.argv[2])
"""


def test_kill_during_ledger_and_checkpoint_writes_leaves_both_whole(small: Run, tmp_path: Path) -> None:
    target = tmp_path / "checkpoints" / "run.ckpt"
    proc = _start(["-c", _LOOP, str(small.checkpoint), str(target)], tmp_path)
    assert proc.stdout.readline().strip() == "ready"
    _wait_for(target.exists, proc)
    time.sleep(0.7)                 # hundreds of writes in flight: the kill lands inside one
    _kill(proc)
    ledger = Ledger(tmp_path / "ledger.json")
    entries = ledger.entries("table")          # parses: no torn file
    [run] = [e for e in entries if e.run]
    labels = [int(e.label) for e in entries if not e.run]
    assert labels == list(range(1, len(labels) + 1)) and run.steps in (len(labels), len(labels) + 1)
    assert load_checkpoint(target).step in (run.steps, run.steps - 1), "the ledger is never behind a checkpoint"
    started = time.monotonic()
    ledger.record("table", 0.5, 1e-5, "after the crash")       # the dead process's lock is released
    assert time.monotonic() - started < 5 and ledger.entries("table")[-1].label == "after the crash"
