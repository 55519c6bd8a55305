"""The CLI as a user runs it: real subprocesses, exit codes, one-line messages, outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import DEMO, ROOT


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOPPEL_HOME": str(home), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    result = run("inspect", str(tmp_path / "nope.csv"), home=tmp_path)
    assert result.returncode == 2
    assert "nope.csv" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_empty_file_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = run("train", str(empty), "--epsilon", "3", "--model", str(tmp_path / "m.doppel"), home=tmp_path)
    assert result.returncode == 2
    assert "empty.csv" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.doppel").exists()


def test_bad_arguments_exit_2_on_one_line(tmp_path: Path) -> None:
    result = run("train", str(DEMO), "--epsilon", "-1", "--model", str(tmp_path / "m.doppel"), home=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "epsilon" in result.stderr
    negative = run("train", str(DEMO), "--epsilon", "3", "--seed", "-4", "--model", str(tmp_path / "m.doppel"),
                   home=tmp_path)
    assert negative.returncode == 2 and len(negative.stderr.strip().splitlines()) == 1
    assert "--seed" in negative.stderr and "at least 0" in negative.stderr


def test_inspect_shows_schema_and_json(tmp_path: Path) -> None:
    table = run("inspect", str(DEMO), home=tmp_path)
    assert table.returncode == 0
    assert "email" in table.stdout and "PII" in table.stdout
    as_json = run("inspect", str(DEMO), "--json", home=tmp_path)
    schema = json.loads(as_json.stdout)
    roles = {c["name"]: c["role"] for c in schema["columns"]}
    assert roles["email"] == "identifier" and roles["department"] == "learn"


def test_train_sample_and_unknown_column(tmp_path: Path) -> None:
    model = tmp_path / "demo.doppel"
    small = ["--set", "generator_hidden=[32,32]", "--set", "final_fit_steps=150", "--set", "round_fit_steps=5"]
    trained = run("train", str(DEMO), "--epsilon", "3", "--seed", "1", "--model", str(model), *small,
                  "--json", home=tmp_path)
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    for key in ("epsilon_spent", "delta", "rows_estimate", "pairs_measured", "pair_sigma", "seconds", "device"):
        assert key in summary
    assert summary["epsilon_spent"] <= 3.0 and summary["device"] == "cpu"
    stages = [line for line in trained.stderr.splitlines() if line.startswith("stage ")]
    # a line per round and per stage of the final fit; a round whose budget grew counts for as many
    # stages as the starting rounds it spends, so the numbers may skip but always rise to the total
    done = [tuple(int(x) for x in line.split()[1].split("/")) for line in stages]
    assert len(done) > 1 and len({total for _, total in done}) == 1
    assert all(a < b for (a, _), (b, _) in zip(done, done[1:])) and done[-1][0] == done[-1][1]

    wrong = run("train", str(DEMO), "--epsilon", "3", "--model", str(tmp_path / "x.doppel"), "--set", "fit_steps=3",
                home=tmp_path)
    assert wrong.returncode == 2 and "fit_steps" in wrong.stderr and "final_fit_steps" in wrong.stderr

    out = tmp_path / "out.csv"
    sampled = run("sample", str(model), "--rows", "150", "--out", str(out), "--where", "department=Sales",
                  home=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 150 and set(frame["department"]) == {"Sales"}
    assert "email" not in frame.columns

    unknown = run("sample", str(model), "--rows", "10", "--out", str(tmp_path / "x.csv"), "--where", "salaryy=3",
                  home=tmp_path)
    assert unknown.returncode == 2 and "salaryy" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1

    ledger = run("ledger", str(DEMO), "--json", home=tmp_path)
    assert abs(json.loads(ledger.stdout)["total_epsilon"] - summary["epsilon_spent"]) < 1e-5


def test_synthesize_writes_parquet(tmp_path: Path) -> None:
    out = tmp_path / "synthetic.parquet"
    result = run("synthesize", str(DEMO), "--epsilon", "5", "--rows", "100", "--out", str(out), "--seed", "2",
                 "--set", "generator_hidden=[32,32]", "--set", "final_fit_steps=100", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(pd.read_parquet(out)) == 100


def test_engine_imports_without_qt() -> None:
    code = ("import importlib, pkgutil, sys, engine; "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(engine.__path__, 'engine.') "
            "if m.name != 'engine.__main__']; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'desktop_app'))]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_unwritable_export_folder_is_refused_before_any_budget_is_spent(tmp_path: Path, monkeypatch,
                                                                        capsys) -> None:
    """Root can write anywhere, so the folder's refusal is simulated at the one place files are created."""
    from engine import cli
    from engine.app import operations
    from engine.io import read_table

    locked = tmp_path / "locked"
    locked.mkdir()
    real_open = os.open

    def refuse_in_locked(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if Path(path).parent == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setenv("DOPPEL_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(os, "open", refuse_in_locked)
    code = cli.main(["synthesize", str(DEMO), "--epsilon", "3", "--rows", "10", "--out", str(locked / "s.csv")])
    message = capsys.readouterr().err.strip()
    assert code == 2 and len(message.splitlines()) == 1
    assert "no permission to write" in message and str(locked) in message
    assert operations.ledger_status(read_table(DEMO)).entries == []       # nothing was spent
    assert list(locked.iterdir()) == []
