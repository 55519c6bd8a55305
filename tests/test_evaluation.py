"""Quality and privacy measures: known answers on identical, noisy and shuffled tables."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from engine.errors import DoppelInputError
from engine.evaluation import BANDS, band, evaluate, split_holdout
from engine.schema import infer_schema
from engine.io import read_table
from tests.conftest import DEMO


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, object]:
    frame = read_table(DEMO).frame.sample(600, random_state=3).reset_index(drop=True)
    return frame, infer_schema(frame)


def _noise(frame: pd.DataFrame, schema, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for c in schema.learned:
        if c.kind.numeric and c.kind.value != "date":
            values = pd.to_numeric(frame[c.name], errors="coerce")
            out[c.name] = rng.uniform(values.min(), values.max() * 3 + 1, len(frame)).round()
        elif c.kind.value == "date":
            out[c.name] = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 40000, len(frame)), "D")
            out[c.name] = out[c.name].dt.strftime("%Y-%m-%d")
        else:
            out[c.name] = [f"noise{v}" for v in rng.integers(0, 50, len(frame))]
    return out


def _shuffled(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: frame[c].to_numpy()[rng.permutation(len(frame))] for c in frame.columns})


def test_identical_tables_score_one_and_warn_about_copies(demo) -> None:
    frame, schema = demo
    result = evaluate(frame, frame, schema, seed=1)
    assert result.marginal == pytest.approx(1.0)
    assert result.pairwise == pytest.approx(1.0)
    assert all(c.fidelity == pytest.approx(1.0) for c in result.columns)
    assert result.associations.mean_abs_difference == pytest.approx(0.0, abs=1e-9)
    assert result.marginal_band == "excellent" and result.pairwise_band == "excellent"
    p = result.privacy
    assert p.exact_copy_share == pytest.approx(0.8, abs=0.01)   # every training row is copied
    assert p.holdout_copy_share == 0.0
    assert p.exact_copy_band == "poor" and p.dcr_band == "poor"
    assert p.dcr_synthetic_median == 0.0
    assert any("exact copies" in w for w in result.warnings)
    assert all(not c.missing and not c.synthetic_only for c in result.coverage)


def test_empty_cells_are_missing_however_the_table_holds_them() -> None:
    """A table read from a file holds pd.NA in a text column, a synthetic table made in memory
    None; both are empty cells (the report once scored them as a label '<NA>' against 'missing')."""
    labels = ["Sales", None, "HR", "Sales", None, "IT"] * 20
    read = pd.DataFrame({"team": pd.array(labels, dtype="string"), "score": np.arange(120) % 7})
    made = pd.DataFrame({"team": pd.Series(labels, dtype=object), "score": np.arange(120) % 7})
    result = evaluate(read, made, infer_schema(read), seed=0)
    team = next(c for c in result.columns if c.column == "team")
    assert team.fidelity == pytest.approx(1.0)
    assert team.real_missing == pytest.approx(team.synthetic_missing) and team.real_missing > 0.3


def test_random_noise_scores_low(demo) -> None:
    frame, schema = demo
    result = evaluate(frame, _noise(frame, schema), schema)
    assert result.marginal < 0.5 and result.marginal_band == "poor"
    assert result.pairwise < 0.4
    assert result.privacy.exact_copy_share == 0.0
    assert not any("exact copies" in w for w in result.warnings)
    assert any(c.synthetic_only for c in result.coverage)
    assert any(c.missing_share > 0.5 for c in result.coverage)


def test_shuffled_columns_keep_marginals_and_lose_pairs(demo) -> None:
    frame, schema = demo
    identical = evaluate(frame, frame, schema)
    shuffled = evaluate(frame, _shuffled(frame), schema)
    assert shuffled.marginal == pytest.approx(1.0)
    assert shuffled.pairwise < identical.pairwise - 0.1
    assert shuffled.associations.mean_abs_difference > 0.05
    worst = shuffled.worst_pairs[0]
    assert worst.fidelity < 0.6          # e.g. department × job_role, tied in the real table


def test_utility_tasks_and_metrics(demo) -> None:
    frame, schema = demo
    binary = evaluate(frame, frame, schema, target="attrition").utility
    assert (binary.task, binary.metric, binary.chance) == ("binary", "roc_auc", 0.5)
    assert 0.5 <= binary.trtr <= 1.0 and 0.5 <= binary.tstr <= 1.0
    assert binary.test_rows == 120 and binary.train_rows_real == 480
    multi = evaluate(frame, frame, schema, target="department").utility
    assert multi.metric == "accuracy" and 0 < multi.chance < 1
    numeric = evaluate(frame, frame, schema, target="salary").utility
    assert numeric.metric == "r2" and numeric.trtr > 0.3
    noisy = evaluate(frame, _noise(frame, schema), schema, target="salary").utility
    assert noisy.relative < numeric.relative


def test_utility_survives_a_column_the_model_left_empty(demo) -> None:
    """A numeric column with no DP range comes out all-missing; TSTR must still be measured."""
    frame, schema = demo
    synthetic = frame.copy()
    synthetic["salary"] = np.nan
    utility = evaluate(frame, synthetic, schema, target="attrition").utility
    assert 0.5 <= utility.tstr <= 1.0 and utility.train_rows_synthetic == len(synthetic)


def test_separate_holdout_is_used(demo) -> None:
    frame, schema = demo
    train_idx, hold_idx = split_holdout(len(frame), 4)
    train, hold = frame.iloc[train_idx], frame.iloc[hold_idx]
    result = evaluate(train, train, schema, holdout=hold, target="attrition")
    assert result.rows_train == len(train) and result.rows_holdout == len(hold)
    assert result.utility.test_rows == len(hold)
    assert result.privacy.exact_copy_share == pytest.approx(1.0)
    assert not any("No separate holdout" in w for w in result.warnings)


def test_coverage_finds_missing_and_invented_categories(demo) -> None:
    frame, schema = demo
    synth = frame.copy()
    synth.loc[synth["department"] == "Sales", "department"] = "Engineering"
    synth.loc[:9, "gender"] = "Martian"
    cov = {c.column: c for c in evaluate(frame, synth, schema).coverage}
    assert "Sales" in cov["department"].missing and cov["department"].missing_share > 0
    assert cov["gender"].synthetic_only == ("Martian",)
    assert cov["gender"].synthetic_only_share == pytest.approx(10 / len(frame))


def test_json_is_strict_and_holds_no_identifiers(demo) -> None:
    frame, schema = demo
    result = evaluate(frame, _shuffled(frame), schema, target="attrition")
    text = json.dumps(result.to_json(), allow_nan=False)
    assert "not covered by the differential-privacy guarantee" in text.lower()
    for column in ("employee_id", "full_name", "email"):      # PII columns are never read into the result
        assert not any(str(v) in text for v in frame[column].head(50))


def test_run_facts_from_a_trained_model(demo_model) -> None:
    from engine.generation import sample
    frame = read_table(DEMO).frame
    synth = sample(demo_model, 500, seed=3)
    result = evaluate(frame, synth, demo_model.schema, model_summary=demo_model.summary, ledger_total=4.5)
    run = result.run
    assert run.epsilon == demo_model.summary.epsilon_spent and run.delta == demo_model.summary.delta
    facts = dict(run.facts)
    assert facts["pair_sigma"] > 0 and facts["pairs_measured"] == demo_model.summary.facts["pairs_measured"] > 0
    assert run.ledger_total == 4.5 and run.synthesizer == "dpgan"
    steps, eps = zip(*run.epsilon_curve)
    assert steps[0] == 0 and steps[-1] == 2 * facts["rounds"], "a choice and a measurement per round"
    assert eps[0] == pytest.approx(demo_model.summary.preprocessing_epsilon)
    assert all(b >= a for a, b in zip(eps, eps[1:]))
    assert eps[-1] == pytest.approx(run.epsilon), "the curve ends at what the run is charged"
    assert 0 < result.marginal < 1 and 0 <= result.privacy.mia_advantage <= 1


def test_bad_inputs_raise_clear_errors(demo) -> None:
    frame, schema = demo
    with pytest.raises(DoppelInputError, match="Target column 'nope'"):
        evaluate(frame, frame, schema, target="nope")
    with pytest.raises(DoppelInputError, match="none of the real table"):
        evaluate(frame, pd.DataFrame({"x": [1, 2]}), schema)
    with pytest.raises(DoppelInputError, match="no rows"):
        evaluate(frame, frame.iloc[:0], schema)


def test_bands_have_written_thresholds() -> None:
    assert band("marginal", 0.96) == "excellent" and band("marginal", 0.5) == "poor"
    assert band("membership", 0.01) == "excellent" and band("membership", 0.6) == "poor"
    assert band("exact_copies", 0.0) == "excellent" and band("exact_copies", 0.3) == "poor"
    assert band("utility", math.nan) == "n/a"
    for scale in BANDS.values():
        assert [b.label for b in scale.bands] == ["excellent", "good", "fair", "poor"]
        assert "excellent" in scale.thresholds_text() and "poor otherwise" in scale.thresholds_text()
    assert "excellent ≥ 0.95" in BANDS["marginal"].thresholds_text()
