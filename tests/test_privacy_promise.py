"""Issue 12: nothing that leaves the machine is an exact function of the cells unless declared,
the noise is unguessable, δ is sane, n is noisy, and the ledger knows a dataset, not a file.

Each test checks one finding of the review on the real engine; each failed on the code before.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from engine import cli
from engine.app import operations
from engine.io import read_table, write_table
from engine.privacy.dpsgd import NoisedOptimizer
from engine.privacy.ledger import Ledger
from engine.privacy.randomness import NoiseSource
from engine.run import RunConfig
from engine.schema import Kind, Role, infer_schema
from engine.storage.bundle import load_bundle, save_bundle
from engine.storage.checkpoint import save_checkpoint
from engine.synthesizers.dpgan.synthesizer import DPGAN
from engine import training
from tests.conftest import DEMO, GAN, ROOT, SMALL



def _neighbours(n: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tables that differ in one row's cells, each change flipping an exact inference."""
    rng = np.random.default_rng(3)
    base = pd.DataFrame({
        "salary": (rng.integers(400, 1500, n) * 100).astype(str),
        "bonus": np.round(rng.uniform(1, 15, n), 1).astype(str),
        "start": pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 4000, n), unit="D"),
        "remote": rng.choice(["True", "False"], n),
        "team": [f"T{i:03d}" for i in range(int(0.95 * n))] + [f"T{i:03d}" for i in range(n - int(0.95 * n))],
        "department": rng.choice(["Sales", "Engineering", "Support"], n),
    })
    base["start"] = base["start"].dt.strftime("%Y-%m-%d")
    other = base.copy()
    other.loc[7, "salary"] = "98200.5"           # integer → continuous
    other.loc[8, "bonus"] = "8.125"              # decimals 1 → 3
    other.loc[9, "start"] = "05/03/2015"          # a second date format
    other.loc[10, "remote"] = "yes"               # boolean → categorical
    other.loc[100, "team"] = "T000"               # 95 % → 94.75 % distinct: "a unique key" no more
    return base, other


def test_one_row_cannot_change_a_schema_fact_in_the_model(tmp_path) -> None:
    base, other = _neighbours()
    exact = [infer_schema(t) for t in (base, other)]
    flipped = [c for c in base.columns if exact[0][c].to_json() != exact[1][c].to_json()]
    assert {"salary", "bonus", "start", "remote", "team"} <= set(flipped), "the exact inference is sensitive"
    saved = []
    for i, frame in enumerate((base, other)):
        model = training.train(frame, infer_schema(frame), RunConfig(epsilon=5.0, epochs=1, seed=4, **SMALL))
        saved.append(json.loads(zipfile.ZipFile(save_bundle(model, tmp_path / f"{i}.doppel")).read("metadata.json")))
    schemas = [m["schema"] for m in saved]
    assert schemas[0] == schemas[1], "the model's schema does not depend on one row"
    learned = {c["name"]: c for c in schemas[0]["columns"]}
    assert learned["salary"]["kind"] == "integer" and learned["bonus"]["decimals"] == 1
    assert learned["start"]["kind"] == "date" and learned["start"]["more_date_formats"] == []
    assert learned["remote"]["kind"] == "boolean" and learned["team"]["role"] == "identifier"
    assert all(c["declared"] is False for c in schemas[0]["columns"])


def test_bundle_checkpoint_and_summary_carry_no_fingerprint_count_or_timing(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(training, "CHECKPOINT_SECONDS", 0.0)
    table = read_table(DEMO)
    frame = table.frame.head(600)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    table = read_table(path)
    states = []
    monkeypatch.setattr(operations, "save_checkpoint", lambda state, where: states.append(save_checkpoint(state, where)))
    model = operations.train_model(table, infer_schema(table.frame), RunConfig(epsilon=3.0, epochs=3, seed=2, **SMALL),
                                   model_path=tmp_path / "m.doppel")
    raw_fingerprint = table.fingerprint
    import hashlib
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = zipfile.ZipFile(tmp_path / "m.doppel").read("metadata.json").decode()
    checkpoint = states[0].read_bytes() if states and states[0].exists() else b""
    summary = cli._summary_line(model)
    for text in (meta, checkpoint.decode("latin-1"), summary):
        assert raw_fingerprint not in text and file_hash not in text
    privacy = json.loads(meta)["privacy"]
    assert "rows" not in privacy and "seconds" not in privacy and "rows_per_second" not in privacy
    assert privacy["rows_estimate"] != len(frame), "n is released with noise (this seed: not exactly n)"
    assert f'"{len(frame)}' not in json.dumps(privacy["facts"])


def test_size_facts_are_the_same_for_neighbouring_row_counts() -> None:
    frame = read_table(DEMO).frame.head(401)
    facts = []
    for n in (400, 401):
        model = training.train(frame.head(n), infer_schema(frame.head(n)), RunConfig(epsilon=3.0, epochs=1, seed=9, **SMALL))
        # the pairs measured and the rounds they took follow the DP releases, not n
        facts.append({k: v for k, v in model.summary.facts.items() if k not in ("pairs_measured", "rounds")})
    assert facts[0] == facts[1]


def test_dp_noise_has_128_bits_and_does_not_come_from_torch(monkeypatch) -> None:
    asked = []
    import secrets
    real = secrets.randbits
    monkeypatch.setattr(secrets, "randbits", lambda k: asked.append(k) or real(k))
    first, second = NoiseSource(), NoiseSource()
    assert asked == [128, 128] and first.private
    assert not np.array_equal(first.normal(8, 1.0), second.normal(8, 1.0))

    def step(noise: NoiseSource, torch_seed: int) -> torch.Tensor:
        torch.manual_seed(0)
        layer = torch.nn.Linear(4, 1, bias=False)
        from opacus.grad_sample import GradSampleModuleFastGradientClipping
        module = GradSampleModuleFastGradientClipping(layer, max_grad_norm=1.0, use_ghost_clipping=True,
                                                      loss_reduction="sum")
        optimizer = NoisedOptimizer(torch.optim.SGD(layer.parameters(), lr=1.0), noise=noise, noise_multiplier=1.0,
                                    max_grad_norm=1.0, expected_batch_size=1, loss_reduction="sum")
        torch.manual_seed(torch_seed)
        optimizer.zero_grad()
        module(torch.ones(2, 4)).sum().backward()
        optimizer.step()
        return layer.weight.detach().clone()

    assert torch.equal(step(NoiseSource(5), 1), step(NoiseSource(5), 2)), "torch's generator plays no part"
    assert not torch.equal(step(NoiseSource(5), 1), step(NoiseSource(6), 1))


def test_weights_training_never_touched_ship_as_zero(tmp_path) -> None:
    frame = read_table(DEMO).frame[["department", "gender", "age", "attrition"]].head(500).copy()
    frame["country"] = "US"                         # one released value, never missing: a one-slot span
    model = training.train(frame, infer_schema(frame), RunConfig(epsilon=8.0, epochs=2, seed=1, **SMALL))
    span = model.encoder.spans[model.encoder.index_of("country")]
    assert span.slots == 1
    loaded = load_bundle(save_bundle(model, tmp_path / "m.doppel"))
    for member in loaded.synthesizer.ensemble.members:
        assert torch.count_nonzero(member.head.weight[span.start]) == 0
        assert member.head.bias[span.start] == 0
        assert torch.count_nonzero(member.head.weight) > 0


def test_a_delta_of_one_over_n_or_more_is_refused(tmp_path, capsys) -> None:
    path = tmp_path / "small.csv"
    read_table(DEMO).frame.head(300).to_csv(path, index=False)
    code = cli.main(["train", str(path), "--epsilon", "3", "--delta", "0.5", "--model", str(tmp_path / "m.doppel")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "δ" in err
    assert operations.ledger_status(read_table(path)).total == 0.0, "refused before anything was read"
    code = cli.main(["train", str(path), "--epsilon", "3", "--delta", "0.004", "--model", str(tmp_path / "m.doppel")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "1/n" in err and len(err.splitlines()) == 1
    status = operations.ledger_status(read_table(path))
    assert status.total == pytest.approx(_row_count_epsilon(path, 0.004)), "only the row count was spent"
    assert status.total < 0.2 * 3 and "refused" in status.entries[0].label
    assert not (tmp_path / "m.doppel").exists()


def _row_count_epsilon(path, delta: float) -> float:
    """ε of the noisy row count alone, as the plan of a run at ε = 3 with this δ draws it."""
    from engine.privacy import rdp

    plan = training.plan_run(infer_schema(read_table(path).frame), RunConfig(epsilon=3.0, delta=delta))
    return rdp.epsilon(rdp.gaussian(plan.count_sigma), plan.delta - plan.domain_delta)


def _train_with_delta(frame: pd.DataFrame, delta: float) -> None:
    training.train(frame, infer_schema(frame), RunConfig(epsilon=3.0, delta=delta))


def test_a_refusal_in_a_worker_process_reaches_the_parent_with_its_spend() -> None:
    """A run in another process (a benchmark's pool, a GUI worker) that is refused after the row
    count still tells its parent what it spent, so that the spend can go to the ledger."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from engine.errors import BudgetSpent

    frame = read_table(DEMO).frame.head(300)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with pytest.raises(BudgetSpent, match="1/n") as refused:
            pool.submit(_train_with_delta, frame, 0.004).result(timeout=300)
    assert refused.value.epsilon_spent == pytest.approx(_row_count_epsilon(DEMO, 0.004), rel=0.05)
    assert refused.value.epsilon_spent > 0 and refused.value.delta == 0.004


def test_the_ledger_knows_a_dataset_whatever_its_file(tmp_path) -> None:
    frame = read_table(DEMO).frame.head(300)
    frame.to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "b.csv").write_bytes((tmp_path / "a.csv").read_bytes().replace(b"\n", b"\r\n"))
    frame.sample(frac=1.0, random_state=1).to_csv(tmp_path / "c.csv", index=False)
    write_table(frame, tmp_path / "d.xlsx")
    write_table(frame, tmp_path / "e.parquet")
    keys = {operations.dataset_key(read_table(tmp_path / name)) for name in ("a.csv", "b.csv", "c.csv", "d.xlsx",
                                                                             "e.parquet")}
    assert len(keys) == 1
    changed = frame.copy()
    changed.loc[3, "salary"] = "1"
    changed.to_csv(tmp_path / "f.csv", index=False)
    assert operations.dataset_key(read_table(tmp_path / "f.csv")) not in keys
    ledger = Ledger()
    [key] = keys
    assert key != read_table(tmp_path / "a.csv").fingerprint and len(key) == 32, "a keyed hash, not the fingerprint"
    # next month's export: same columns, most rows the same → a warning naming the earlier file
    operations.train_model(read_table(tmp_path / "a.csv"), infer_schema(frame), RunConfig(epsilon=3.0, epochs=1,
                                                                                           **SMALL))
    later = pd.concat([frame.iloc[20:], read_table(DEMO).frame.iloc[300:320]], ignore_index=True)
    later.to_csv(tmp_path / "next.csv", index=False)
    status = operations.ledger_status(read_table(tmp_path / "next.csv"))
    assert status.total == 0.0 and status.warning and "a.csv" in status.warning
    # a name ties both files to one dataset: their ε adds up
    for name in ("a.csv", "next.csv"):
        operations.train_model(read_table(tmp_path / name), infer_schema(frame), RunConfig(epsilon=3.0, epochs=1,
                                                                                            **SMALL),
                               dataset="staff")
    assert operations.ledger_status(read_table(tmp_path / "next.csv"), "staff").total == pytest.approx(6.0, abs=0.05)
    assert len(ledger.entries(operations.dataset_key(read_table(tmp_path / "a.csv"), "staff"))) == 2


def test_progress_shows_no_loss_computed_on_real_rows() -> None:
    events = []
    frame = read_table(DEMO).frame.head(300)
    training.train(frame, infer_schema(frame), RunConfig(epsilon=3.0, epochs=2, seed=1, **SMALL),
                   on_event=events.append)
    losses = [e.losses for e in events if hasattr(e, "losses")]
    # the fit to the (noisy) measurements and the generator's side of the GAN: post-processing only
    assert losses and all(set(l) == {"marginal fit"} for l in losses)
    events.clear()
    training.train(frame, infer_schema(frame), RunConfig(epsilon=3.0, epochs=2, seed=1, **GAN), on_event=events.append)
    stepped = [e.losses for e in events if getattr(e, "unit", "") == "epoch"]
    assert stepped and all(set(l) == {"generator loss", "D score of synthetic rows"} for l in stepped)


def test_privacy_doc_states_the_claim_and_has_no_placeholder() -> None:
    text = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    assert "PLACEHOLDER" not in text and "to fix" not in text.lower()
    for needed in ("n̂", "128 bits", "declared", "size class", "HMAC", "white-box", "black-box"):
        assert needed.lower() in text.lower(), needed


def test_undeclared_columns_are_measured_not_copied_from_inference() -> None:
    """The CLI without --schema: an undeclared column's role comes from DP, not the exact inference."""
    base, _ = _neighbours()
    schema = infer_schema(base)
    assert schema["team"].role is Role.IDENTIFIER and not schema["team"].declared
    schema["department"].declare(kind=Kind.CATEGORICAL)
    plan = training.plan_run(schema, RunConfig(epsilon=3.0, **SMALL))
    planned = {c.name: (c.survey, c.measure) for c in plan.columns}
    assert planned["team"] == (True, True), "undeclared: surveyed and maybe learned, whatever inference said"
    assert planned["department"] == (True, True), "declared kind, no categories: its domain is surveyed"
    assert DPGAN.name == "dpgan"
