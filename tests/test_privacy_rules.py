"""The privacy rules of DESIGN.md §2, each checked on the real engine (small tables, CPU, fast).

Every test here can fail: each one trains or samples with the real engine and checks a
property the privacy claim depends on. ``docs/privacy.md`` names the test next to each rule.
"""

from __future__ import annotations

import json
import socket
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import norm

from engine.app import operations
from engine.errors import DoppelInputError
from engine.generation import sample
from engine.privacy import mechanisms, rdp
from engine.privacy.accountant import DOMAIN_DELTA_SHARE, PrivacyAccountant, Release, curve_of
from engine.privacy.ledger import Ledger
from engine.privacy.mechanisms import category_threshold
from engine.privacy.plan import COUNT_SHARE, rho_of
from engine.io import read_table
from engine.run import RunConfig
from engine.schema import Role, infer_schema
from engine.storage.bundle import load_bundle, save_bundle
from engine.synthesizers.dpgan import steps
from engine.synthesizers.dpgan.conditions import Conditions
from engine.synthesizers.dpgan.settings import DPGANSettings
from engine.synthesizers.dpgan.synthesizer import DPGAN
from engine.training import plan_run, train
from tests.conftest import DEMO, GAN, SMALL, assert_spends_the_plan

LEARNED = ["department", "job_level", "gender", "age", "salary", "overtime", "remote", "attrition"]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return read_table(DEMO).frame


def _table(demo: pd.DataFrame, n: int, columns: list[str] = LEARNED) -> pd.DataFrame:
    return demo[columns].head(n).reset_index(drop=True)


# ---------------------------------------------------------------- rule 2 / 5: the ε shown is met

@pytest.mark.parametrize("epsilon, delta, n", [(0.5, None, 300), (2.0, 1e-6, 200), (8.0, None, 500)])
def test_final_epsilon_within_target(demo, epsilon, delta, n) -> None:
    frame = _table(demo, n)
    model = train(frame, infer_schema(frame).declare_all(), RunConfig(epsilon=epsilon, delta=delta, epochs=2, **SMALL))
    s = model.summary
    assert s.epsilon_spent <= epsilon + 1e-9
    assert s.delta == (delta if delta is not None else 1e-5)
    # this run's own releases, recomputed independently, spend no more than the bound shown
    releases = [Release.from_json(list(r)) for r in s.releases]
    assert rdp.epsilon(curve_of(releases), (1 - DOMAIN_DELTA_SHARE) * s.delta) <= s.epsilon_spent + 1e-9


def test_every_planned_preprocessing_release_is_charged(demo) -> None:
    """Made or skipped, each planned release is in the history at its planned noise: the row count,
    a survey per undeclared column, a measurement per column that may be learned."""
    frame = _table(demo, 300)
    schema = infer_schema(frame)
    config = RunConfig(epsilon=2.0, epochs=2, **SMALL)
    plan = plan_run(schema, config)
    model = train(frame, schema, config)
    s = model.summary
    chosen = plan.for_rows(s.rows_estimate)
    assert_spends_the_plan([Release.from_json(list(r)) for r in s.releases], plan.preprocessing(chosen.sigma_pre),
                           chosen.synthesizer.releases)
    # the count comes off the top; the surveys and measurements spend a small table's share of the rest
    rho = rho_of(2.0, plan.rdp_delta)
    rest = rdp.epsilon(rdp.gaussian((2 * (1 - COUNT_SHARE) * rho) ** -0.5), plan.rdp_delta)
    _, *surveys_and_measures = plan.preprocessing(chosen.sigma_pre)
    share = DPGANSettings().preprocessing_share
    assert rdp.epsilon(curve_of(surveys_and_measures), plan.rdp_delta) == pytest.approx(share * rest, rel=1e-3)
    assert s.preprocessing_epsilon == pytest.approx(
        rdp.epsilon(curve_of(plan.preprocessing(chosen.sigma_pre)), plan.rdp_delta), rel=1e-6)
    assert s.epsilon_spent <= 2.0


def test_domain_delta_share_is_reserved_and_threshold_matches_it() -> None:
    acc = PrivacyAccountant(1.0, 1e-5, DOMAIN_DELTA_SHARE * 1e-5)
    assert acc.rdp_delta == pytest.approx(0.9e-5)
    sigma, column_delta = 3.7, 2.5e-7
    t = category_threshold(sigma, column_delta)
    # a category that goes from 1 row (never considered) to 2 rows crosses t w.p. column_delta
    assert norm.sf(t, loc=mechanisms.MIN_CATEGORY_ROWS, scale=sigma) == pytest.approx(column_delta, rel=1e-6)
    assert mechanisms.thresholded_counts({"solo": 1}, 1e-9, 0.5, np.random.default_rng(0)) == {}


def test_singleton_category_never_appears_even_at_huge_epsilon(demo, tmp_path) -> None:
    frame = _table(demo, 300)
    frame.loc[17, "department"] = "Astronaut"          # held by one employee
    frame.loc[40, "job_level"] = "9"                     # numeric outliers are not thresholded, labels are
    schema = infer_schema(frame).declare_all()
    model = train(frame, schema, RunConfig(epsilon=1000.0, epochs=2, **SMALL))
    dept = model.encoder.columns[model.encoder.index_of("department")]
    assert "Astronaut" not in dept.categories
    assert {"Sales", "Engineering"} <= set(dept.categories), "common categories still released"
    out = sample(model, 5000)
    assert "Astronaut" not in set(out["department"].dropna())
    path = save_bundle(model, tmp_path / "m.doppel")
    with zipfile.ZipFile(path) as z:
        assert b"Astronaut" not in z.read("metadata.json")


# ---------------------------------------------------------------- rule 1 / 3: DP-SGD, Poisson, conditions

class _Recorder:
    sizes: list[int] = []
    sigmas: list[float] = []
    steps: int = 0


def test_each_discriminator_update_is_one_poisson_sampled_noised_step(demo, monkeypatch) -> None:
    rec = _Recorder()
    rec.sizes, rec.sigmas, rec.steps = [], [], 0

    class Module(steps.GradSampleModuleFastGradientClipping):
        def forward(self, x):
            if self.hooks_enabled:                 # the DP step (generator step runs with hooks off)
                rec.sizes.append(len(x))
            return super().forward(x)

    class Optimizer(steps.NoisedOptimizer):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            rec.sigmas.append(self.noise_multiplier)

        def step(self, *a, **k):
            rec.steps += 1
            return super().step(*a, **k)

    monkeypatch.setattr(steps, "GradSampleModuleFastGradientClipping", Module)
    monkeypatch.setattr(steps, "NoisedOptimizer", Optimizer)
    n = 560                                              # inside its size class [400, 800), whatever n̂
    frame = _table(demo, n)
    model = train(frame, infer_schema(frame).declare_all(), RunConfig(epsilon=3.0, epochs=6, device="cpu",
                                                                       settings={**GAN["settings"], "batch_size": 80}))
    s = model.summary
    assert rec.sigmas == [s.facts["noise_multiplier"]] and s.facts["noise_multiplier"] > 0.3
    assert rec.steps == s.facts["steps"] == len(rec.sizes), "one noised optimizer step per discriminator update"
    fake = s.facts["batch"]                             # [real; fake]: q·n̂ fake rows per step
    real = np.array(rec.sizes) - fake
    q = s.facts["sample_rate"]
    assert q == pytest.approx(80 / 400) and fake == round(q * s.rows_estimate)
    # Poisson sampling: batch sizes vary, binomial(n, q) mean and variance
    assert real.std() > 0
    assert abs(real.mean() - q * n) < 4 * np.sqrt(n * q * (1 - q) / len(real))
    assert 0.4 < real.var() / (n * q * (1 - q)) < 2.0


def test_fake_conditions_come_from_dp_frequencies_only(demo) -> None:
    frame = _table(demo, 600, ["department", "gender", "attrition", "salary"])
    model = train(frame, infer_schema(frame).declare_all(), RunConfig(epsilon=6.0, epochs=1, **SMALL))
    enc = model.encoder
    conditions = Conditions(enc, torch.device("cpu"))
    probabilities = enc.condition_probabilities()
    assert probabilities, "some categorical column is released"
    for k, p in enumerate(probabilities):
        np.testing.assert_allclose(conditions.probs[k, :len(p)].numpy(), p, rtol=1e-5)
    # those probabilities are built from the encoder's noisy shares, not from the table
    differences = []
    for i in enc.condition_columns:
        column = enc.columns[i]
        true = frame[column.name].value_counts(normalize=True)
        differences += [abs(f - true[c]) for c, f in zip(column.categories, column.frequencies)]
    assert differences and max(differences) > 1e-6, "shares are noised"


# ---------------------------------------------------------------- rule 4: identifiers / PII

def test_pii_columns_absent_from_model_and_output(demo, tmp_path) -> None:
    frame = demo.head(300).reset_index(drop=True)
    schema = infer_schema(frame).declare_all()
    pii = [c.name for c in schema.columns if c.role is Role.IDENTIFIER]
    assert {"employee_id", "full_name", "email"} <= set(pii)
    model = train(frame, schema, RunConfig(epsilon=2.0, epochs=1, **SMALL))
    out = sample(model, 500)
    assert not set(pii) & set(out.columns)
    assert not set(pii) & {c.name for c in model.encoder.columns}
    with zipfile.ZipFile(save_bundle(model, tmp_path / "m.doppel")) as z:
        text = z.read("metadata.json").decode()
    for column in ("full_name", "email"):
        assert not any(str(v) in text for v in frame[column].head(50))
    # a FAKE column is filled with made-up values, not taken from the table
    schema["email"].declare(role=Role.FAKE, fake="email")
    model = train(frame, schema, RunConfig(epsilon=2.0, epochs=1, **SMALL))
    faked = sample(model, 300)["email"]
    assert not set(faked) & set(frame["email"])


# ---------------------------------------------------------------- rule 5: the budget is never exceeded

def test_training_stops_when_next_step_would_pass_budget(demo, monkeypatch) -> None:
    """Sabotage the plan (σ too small): the per-step check must still stop training in time."""
    planned = {}
    original = DPGAN.plan.__func__

    def too_small(cls, settings, rows, epochs, budget, columns):
        made = original(cls, settings, rows, epochs, budget, columns)
        planned["steps"] = made.facts["steps_planned"]
        made.facts["noise_multiplier"] *= 0.6
        return made

    monkeypatch.setattr(DPGAN, "plan", classmethod(too_small))
    frame = _table(demo, 300)
    model = train(frame, infer_schema(frame).declare_all(), RunConfig(epsilon=1.0, epochs=8, **GAN))
    assert 0 < model.summary.facts["steps"] < planned["steps"]
    spent = rdp.epsilon(curve_of([Release.from_json(list(r)) for r in model.summary.releases]),
                        (1 - DOMAIN_DELTA_SHARE) * model.summary.delta)
    assert spent <= 1.0 + 1e-9


# ---------------------------------------------------------------- rule 6: ledger

def test_ledger_sums_runs_and_blocks_a_run_over_the_ceiling(demo, tmp_path) -> None:
    table = read_table(DEMO)
    ledger = Ledger(tmp_path / "ledger.json")
    key = operations.dataset_key(table, ledger=ledger)
    ledger.set_ceiling(key, 3.0)
    ledger.record(key, 1.5, 1e-5, "a")
    ledger.record(key, 1.0, 1e-5, "b")
    assert ledger.total(key) == pytest.approx(2.5)
    assert ledger.would_exceed(key, 1.0)
    with pytest.raises(DoppelInputError, match="ceiling"):
        operations.train_model(table, infer_schema(table.frame).declare_all(), RunConfig(epsilon=1.0, epochs=1, **SMALL),
                               ledger=ledger)
    assert ledger.total(key) == pytest.approx(2.5), "refused before spending anything"


# ---------------------------------------------------------------- bundle: no observed stats, no seed

def test_bundle_metadata_has_no_observed_statistics_and_no_seed(demo, tmp_path) -> None:
    frame = _table(demo, 300)
    frame.loc[::7, "salary"] = None                    # a real missing rate the schema observes
    schema = infer_schema(frame).declare_all()
    assert schema["salary"].missing_rate and schema["salary"].missing_rate > 0
    seed = 918_273_645_546
    model = train(frame, schema, RunConfig(epsilon=2.0, epochs=1, seed=seed, **SMALL))
    path = save_bundle(model, tmp_path / "m.doppel")
    with zipfile.ZipFile(path) as z:
        text = z.read("metadata.json").decode()
    meta = json.loads(text)
    assert all(c["missing_rate"] is None for c in meta["schema"]["columns"])
    assert str(seed) not in text and str(seed + 1) not in text
    assert "seed" not in text.lower()
    assert load_bundle(path).schema["salary"].missing_rate is None


# ---------------------------------------------------------------- rule 8: offline

def test_train_sample_save_load_open_no_network_connection(demo, tmp_path, monkeypatch) -> None:
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    frame = demo.head(300).reset_index(drop=True)
    schema = infer_schema(frame).declare_all()
    schema["full_name"].declare(role=Role.FAKE, fake="name")
    model = train(frame, schema, RunConfig(epsilon=2.0, epochs=1, **SMALL))
    path = save_bundle(model, tmp_path / "m.doppel")
    out = sample(load_bundle(path), 200)
    assert len(out) == 200
    assert attempts == []
