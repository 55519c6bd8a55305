"""Shared fixtures: the demo table, a small trained model, an isolated ledger folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "resources" / "demo" / "employees.csv"
ADULT = ROOT.parent / "shared" / "datasets" / "adult.csv"
# Small networks and short fits, so that a test trains in seconds on the real code paths
FIT = dict(generator_hidden=(32, 32), discriminator_hidden=(32, 32), noise_dim=16, final_fit_steps=150,
           round_fit_steps=5, fit_batch=256)
SMALL = dict(device="cpu", settings=FIT)                                # fitted to private measurements
GAN = dict(device="cpu", settings={**FIT, "dpsgd_from_rows": 50})      # DP-SGD at any size


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own ledger/settings folder: nothing touches the user's real one."""
    home = tmp_path_factory.mktemp("doppel-home")
    monkeypatch.setenv("DOPPEL_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def demo_path() -> Path:
    return DEMO


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory: pytest.TempPathFactory):
    """One DP model of the demo table at ε = 3, shared by the tests that only sample from it."""
    from engine.schema import infer_schema
    from engine.io import read_table
    from engine.run import RunConfig
    from engine.training import train

    table = read_table(DEMO)
    return train(table.frame, infer_schema(table.frame).declare_all(), RunConfig(epsilon=3.0, epochs=4, seed=11))


def assert_spends_the_plan(made: list, preprocessing: list, synthesizer: list) -> None:
    """A run's releases against its class's plan: each preprocessing release made as planned (same
    noise, same count), and all of them composing to the plan's RDP curve — the pair rounds may
    divide their ρ otherwise than listed, never spend more or less."""
    import numpy as np
    from engine.privacy.accountant import curve_of

    def tally(releases: list) -> dict[tuple[float, float, float], int]:
        out: dict[tuple[float, float, float], int] = {}
        for r in releases:
            out[(r.sigma, r.rate, r.exponential)] = out.get((r.sigma, r.rate, r.exponential), 0) + r.count
        return out

    made_tally, planned = tally(made), tally(preprocessing)
    assert {k: made_tally.get(k) for k in planned} == planned, "each preprocessing release made once, as planned"
    np.testing.assert_allclose(curve_of(made), curve_of(preprocessing + synthesizer), rtol=1e-9,
                               err_msg="the run spends the plan's curve, no more, no less")
