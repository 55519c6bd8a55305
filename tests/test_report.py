"""Figures, the self-contained HTML report and ``doppel report``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from engine.evaluation import evaluate
from engine.evaluation.figures import figures
from engine.evaluation.html import render_html, write_html
from engine.schema import infer_schema
from engine.io import read_table
from tests.conftest import DEMO, ROOT


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return read_table(DEMO).frame.sample(400, random_state=5).reset_index(drop=True)


@pytest.fixture(scope="module")
def result(small):
    rng = np.random.default_rng(0)
    synth = pd.DataFrame({c: small[c].to_numpy()[rng.permutation(len(small))] for c in small.columns})
    synth = synth.rename(columns={"remote": "remote"})
    return evaluate(small, synth, infer_schema(small), target="attrition",
                    model_summary={"epsilon_spent": 2.9, "epsilon_target": 3.0, "delta": 1e-5, "synthesizer": "dpgan",
                                   "facts": {"noise_multiplier": 1.1, "steps": 120, "epochs": 4.0,
                                             "sample_rate": 0.05},
                                   "preprocessing_epsilon": 0.6, "accountant": "rdp",
                                   "releases": [[2.0, 1.0, 10], [1.1, 0.05, 120]],
                                   "epsilon_curve": [[0, 0.6], [60, 2.0], [120, 2.9]]},
                    ledger_total=5.9,
                    training_log=[{"step": 60, "losses": {"discriminator": 1.3, "generator": 0.8}},
                                  {"step": 120, "losses": {"discriminator": 1.2, "generator": 0.9}}])


def test_figures_are_matplotlib_figures_by_key(result) -> None:
    figs = figures(result)
    assert {"fidelity", "associations", "privacy", "training"} <= set(figs)
    assert {f"column:{c.column}" for c in result.columns} <= set(figs)
    assert all(isinstance(f, Figure) for f in figs.values())


def test_html_is_self_contained_and_says_it_is_not_private(result, tmp_path: Path) -> None:
    path = write_html(result, figures(result), tmp_path / "report.html")
    text = path.read_text("utf-8")
    lowered = text.lower()
    for forbidden in ("http://", "https://", 'src="//', "src='//", "<script", "<link", "@import", "url("):
        assert forbidden not in lowered, forbidden
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'src="([^"]*)"', text))
    assert text.count("data:image/png;base64,") == len(figures(result))
    assert "not covered by differential privacy" in lowered and "do not share outside the team" in lowered
    assert "@media print" in text
    assert "excellent ≥ 0.95" in text                # the band thresholds are written down
    assert "2.900" in text and "5.900" in text       # ε spent and the ledger total
    assert not list(tmp_path.glob("*.tmp*"))         # atomic write leaves nothing behind


def test_html_escapes_table_content(small) -> None:
    frame = small[["department", "salary"]].rename(columns={"department": "<b>dept</b>"})
    frame.loc[:20, "<b>dept</b>"] = "<script>alert(1)</script>"
    schema = infer_schema(frame)
    html = render_html(evaluate(frame, frame.iloc[::-1], schema))
    assert "<script>alert" not in html and "<b>dept</b>" not in html
    assert "&lt;b&gt;dept&lt;/b&gt;" in html


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOPPEL_HOME": str(home), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "engine", "report", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_cli_report_writes_html_and_json(small, tmp_path: Path) -> None:
    real, synth = tmp_path / "real.csv", tmp_path / "synth.csv"
    small.to_csv(real, index=False)
    small.sample(frac=1, random_state=1).drop(columns=["employee_id", "full_name", "email"]).to_csv(synth, index=False)
    out = tmp_path / "report.html"
    result = _cli(str(real), str(synth), "--target", "attrition", "--out", str(out), "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["marginal"] == pytest.approx(1.0) and data["utility"]["metric"] == "roc_auc"
    assert out.exists() and "data:image/png;base64," in out.read_text("utf-8")
    assert "not covered by differential privacy" in result.stderr


@pytest.mark.parametrize("case", ["missing real", "missing synthetic", "bad target", "bad suffix", "missing model",
                                  "no out"])
def test_cli_report_bad_input_exits_2_on_one_line(case: str, small, tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    small.to_csv(real, index=False)
    out = str(tmp_path / "r.html")
    args = {"missing real": [str(tmp_path / "nope.csv"), str(real), "--out", out],
            "missing synthetic": [str(real), str(tmp_path / "gone.csv"), "--out", out],
            "bad target": [str(real), str(real), "--target", "nope", "--out", out],
            "bad suffix": [str(real), str(real), "--out", str(tmp_path / "r.txt")],
            "missing model": [str(real), str(real), "--model", str(tmp_path / "m.doppel"), "--out", out],
            "no out": [str(real), str(real)]}[case]
    result = _cli(*args, home=tmp_path)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not Path(out).exists()
