"""Quality and privacy measures of a synthetic table against the real one (DESIGN §4).

Pure pandas / numpy / scikit-learn: no Qt, no plotting (pictures live in :mod:`.figures`).
The GUI and ``doppel report`` both call :func:`evaluate` and show its
:class:`~engine.evaluation.results.EvaluationResult` with the plain-language bands.

**This evaluation reads real rows and is not covered by the differential-privacy guarantee**
(DESIGN §2.7). Everything it returns is an aggregate (shares, medians, histograms, category
names); no individual real row is ever part of the result.
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from engine.errors import DoppelInputError
from engine.evaluation.associations import measure_associations
from engine.evaluation.bands import band
from engine.evaluation.columns import typed_columns
from engine.evaluation.fidelity import category_coverage, display_histograms, marginal_fidelity, pair_fidelity
from engine.evaluation.privacy_risk import measure_privacy_risk
from engine.evaluation.results import EvaluationResult, RunFacts
from engine.evaluation.utility import measure_utility
from engine.schema import Schema


HOLDOUT_SHARE = 0.2


def _get(summary: Any, name: str) -> Any:
    if summary is None:
        return None
    if isinstance(summary, Mapping):
        return summary.get(name)
    return getattr(summary, name, None)


def _run_facts(summary: Any, ledger_total: float | None, training_log: Sequence[Any] | None) -> RunFacts | None:
    """The run's facts from a run summary (object or its JSON) and the progress events of the run."""
    if summary is None and ledger_total is None and not training_log:
        return None
    facts = _get(summary, "facts") or {}
    curve = tuple((int(s), float(e)) for s, e in (_get(summary, "epsilon_curve") or ()))
    series: dict[str, list[tuple[int, float]]] = {}
    for event in training_log or ():
        for name, value in (_get(event, "losses") or {}).items():
            series.setdefault(name, []).append((int(_get(event, "step")), float(value)))
    if not curve and training_log:
        curve = tuple((int(_get(e, "step")), float(_get(e, "epsilon_spent"))) for e in training_log
                      if _get(e, "epsilon_spent") is not None)
    return RunFacts(_get(summary, "epsilon_spent"), _get(summary, "epsilon_target"), _get(summary, "delta"),
                    _get(summary, "preprocessing_epsilon"), _get(summary, "accountant"), ledger_total,
                    _get(summary, "synthesizer"),
                    tuple((k, float(v)) for k, v in facts.items() if isinstance(v, (int, float))),
                    curve, tuple((name, tuple(points)) for name, points in series.items()))


def split_holdout(n: int, seed: int, share: float = HOLDOUT_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """Train and holdout row positions of a table of ``n`` rows (seeded permutation)."""
    order = np.random.default_rng(seed).permutation(n)
    cut = int(round(n * share))
    return np.sort(order[cut:]), np.sort(order[:cut])


def evaluate(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema, *, target: str | None = None,
             holdout: pd.DataFrame | None = None, model_summary: Any = None, ledger_total: float | None = None,
             training_log: Sequence[Any] | None = None, seed: int = 0) -> EvaluationResult:
    """Compare ``synthetic`` with ``real`` on the columns ``schema`` learns.

    ``real`` is the table the model was trained on. ``holdout`` is real rows the model never saw;
    without it ``real`` is split 80/20 with ``seed`` (TRTR and the distance baselines then use
    the 80 %, and the 20 % is only "unseen" if the model was trained on the 80 % alone).
    ``model_summary`` is a :class:`~engine.run.RunSummary` (or its JSON dict); ``training_log``
    the run's :class:`~engine.run.Progress` events, for the loss curves. Raises :class:`DoppelInputError`
    for tables that cannot be compared.
    """
    from threadpoolctl import threadpool_limits

    # One thread: OpenMP in gradient boosting and nearest neighbours is many times slower on a
    # busy machine (measured 0.4 s vs 7-28 s for 2,000 rows) and these tables are small.
    with threadpool_limits(limits=1):
        return _evaluate(real, synthetic, schema, target=target, holdout=holdout, model_summary=model_summary,
                         ledger_total=ledger_total, training_log=training_log, seed=seed)


def _evaluate(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema, *, target: str | None,
              holdout: pd.DataFrame | None, model_summary: Any, ledger_total: float | None,
              training_log: Sequence[Any] | None, seed: int) -> EvaluationResult:
    started = time.perf_counter()
    if len(real) < 10:
        raise DoppelInputError(f"The real table has {len(real)} rows; at least 10 are needed for a report.")
    if len(synthetic) < 1:
        raise DoppelInputError("The synthetic table has no rows; generate some first.")
    cols, notes = typed_columns(real, synthetic, schema)
    warnings: list[str] = []
    hold_cols = None
    if holdout is not None:
        hold_cols, _ = typed_columns(holdout, holdout, schema)
        hold_cols = [c for c in hold_cols if c.spec.name in {x.spec.name for x in cols}]
        train_idx, hold_idx = np.arange(len(real)), np.array([], dtype=int)
        how = f"separate holdout table of {len(holdout):,} rows never used in training"
        n_train, n_hold = len(real), len(holdout)
    else:
        train_idx, hold_idx = split_holdout(len(real), seed)
        how = (f"the real table split 80/20 with seed {seed}: TRTR and the distance baselines use the "
               f"{len(train_idx):,} rows (80 %), the {len(hold_idx):,} rows (20 %) serve as holdout")
        n_train, n_hold = len(train_idx), len(hold_idx)
        warnings.append("No separate holdout was given. If the model was trained on the whole real table, the 20 % "
                        "holdout was seen in training, so utility may be overstated and the membership-inference "
                        "advantage understated; pass a holdout of rows kept out of training for a sound test.")

    columns = marginal_fidelity(cols)
    marginal = float(np.mean([c.fidelity for c in columns]))
    pairs = pair_fidelity(cols)
    pairwise = float(np.mean([p.fidelity for p in pairs])) if pairs else float("nan")
    worst = tuple(sorted(pairs, key=lambda p: p.fidelity)[:5])
    associations = measure_associations(cols)
    utility = measure_utility(cols, train_idx, hold_cols, hold_idx, target, seed) if target else None
    privacy, privacy_notes = measure_privacy_risk(cols, train_idx, hold_cols, hold_idx, seed)
    notes += privacy_notes
    coverage = category_coverage(cols)
    run = _run_facts(model_summary, ledger_total, training_log)

    if privacy.exact_copy_share > privacy.holdout_copy_share + 0.005:
        warnings.append(f"{privacy.exact_copy_share:.1%} of synthetic rows are exact copies of training rows "
                        f"(unseen real rows: {privacy.holdout_copy_share:.1%}). Do not share this table.")
    if privacy.dcr_band in ("fair", "poor"):
        warnings.append(f"Synthetic rows are closer to training rows than unseen real rows are "
                        f"(median distance ratio {privacy.dcr_ratio:.2f}). Review before sharing.")
    if privacy.mia_band in ("fair", "poor"):
        warnings.append(f"A distance-based membership attack has an advantage of {privacy.mia_advantage:.2f}. "
                        "Review ε before sharing.")
    collapsed = [c.column for c in coverage if c.missing_share > 0.01]
    if collapsed:
        warnings.append(f"Categories held by more than 1 % of real rows never appear in: {', '.join(collapsed)}.")
    if model_summary is None:
        notes.append("No model was given: ε, δ and σ of the synthetic table are unknown to this report.")
    return EvaluationResult(
        rows_real=len(real), rows_synthetic=len(synthetic), rows_train=n_train, rows_holdout=n_hold, holdout=how,
        seed=seed, marginal=marginal, marginal_band=band("marginal", marginal), columns=columns,
        pairwise=pairwise, pairwise_band=band("pairwise", pairwise), worst_pairs=worst, associations=associations,
        utility=utility, privacy=privacy, coverage=coverage, histograms=display_histograms(cols), run=run,
        warnings=tuple(warnings), notes=tuple(dict.fromkeys(notes)), seconds=time.perf_counter() - started)
