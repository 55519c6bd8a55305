"""Empirical privacy audit of Doppel's DP pipeline (run by hand, not in CI).

Plants a canary employee (an outlier row) in a small table drawn from the demo data, trains
many models *with* and *without* the canary at a fixed ε, runs a membership-inference test on
each model's synthetic output, and turns the test's true/false-positive rates into an empirical
lower bound on ε (Jagielski et al. 2020, "Auditing Differentially Private Machine Learning";
Nasr et al. 2021), with Clopper–Pearson confidence intervals:

    ε_lb = log((TPR_low − δ) / FPR_high)      (and symmetrically with 1−FPR, 1−TPR)

The bound holds with the stated confidence for *this attack*: a small ε_lb does not prove the
claim, but an ε_lb above the claimed ε would prove the claim false. A deliberately broken mode
(``--broken``: preprocessing noise ≈ 0 and DP-SGD noise multiplier 0, switched on here by
patching the engine's accountant from outside, never in the engine) shows the audit can fail.

Every run is the real engine (``engine.training.train`` + ``engine.generation.sample``), each
with its own fresh random seed (seeds drawn by ``secrets``; no fixed seeds so the DP noise is
what a user would get).

Example (≈ 20 minutes on 2 CPU cores):

    python benchmarks/privacy_audit.py --epsilons 1 4 --broken --trials 60 --workers 2 \
        --out benchmarks/results/privacy_audit.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import secrets
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import beta

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "resources" / "demo" / "employees.csv"
COLUMNS = ["department", "job_level", "age", "salary", "weekly_hours", "attrition"]
# The canary: a teenage engineer at level 5 paid 2.4 million for an 80-hour week. Nobody in
# the demo table earns more than ~353k, so a synthetic salary ≥ 1 million can only come from it.
CANARY = {"department": "Engineering", "job_level": 5, "age": 19, "salary": 2_400_000,
          "weekly_hours": 80, "attrition": "Yes"}
CANARY_REGION = 1_000_000      # a synthetic row with salary ≥ this is "near the canary"


# ------------------------------------------------------------------------------ statistics

def clopper_pearson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """Two-sided (1 − alpha) Clopper–Pearson interval for a binomial proportion."""
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high


def epsilon_lower_bound(tp: int, n_in: int, fp: int, n_out: int, delta: float, alpha: float) -> float:
    """Empirical ε lower bound from an attack's confusion counts (Jagielski et al. 2020).

    (ε, δ)-DP implies TPR ≤ e^ε FPR + δ and (1 − FPR) ≤ e^ε (1 − TPR) + δ; with the
    conservative ends of the Clopper–Pearson intervals each gives a bound on ε; the larger wins.
    """
    tpr_low, tpr_high = clopper_pearson(tp, n_in, alpha)
    fpr_low, fpr_high = clopper_pearson(fp, n_out, alpha)
    bounds = [0.0]
    if tpr_low - delta > 0 and fpr_high > 0:
        bounds.append(math.log((tpr_low - delta) / fpr_high))
    if (1 - fpr_high) - delta > 0 and (1 - tpr_low) > 0:
        bounds.append(math.log(((1 - fpr_high) - delta) / (1 - tpr_low)))
    return max(bounds)


# ------------------------------------------------------------------------------ one trial

def _break_privacy() -> None:
    """The deliberately broken mode: no noise anywhere. Patches the accountant from outside.

    Preprocessing σ ≈ 0 (exact histograms, exact ranges, every category with ≥ 2 rows), DP-SGD
    noise multiplier 0 (Opacus then adds no noise; clipping stays), and the budget check
    always passes. The reported ε is meaningless (∞) in this mode.
    """
    from engine import privacy

    acc = privacy.PrivacyAccountant
    acc.preprocessing_sigma = lambda self, weight, fraction: 1e-9
    acc.plan_training = lambda self, sample_rate, steps: 0.0
    acc.start_training = lambda self, noise_multiplier, sample_rate: setattr(self, "_training", (0.0, sample_rate))
    acc.epsilon_after = lambda self, steps: float("inf")
    acc.can_step = lambda self, steps_taken: True
    acc.final_epsilon = lambda self: (float("inf"), "broken")


def _trial(job: dict) -> dict:
    import torch
    torch.set_num_threads(1)
    if job["broken"]:
        _break_privacy()
    from engine.generation import sample
    from engine.schema import infer_schema
    from engine.training import TrainingConfig, train

    frame = pd.read_pickle(job["table"])
    if job["with_canary"]:
        frame = pd.concat([frame, pd.DataFrame([CANARY]).astype(frame.dtypes.to_dict())], ignore_index=True)
    else:                               # same n in both worlds (n is treated as public)
        frame = frame.iloc[:-1].copy() if job["same_n"] else frame
    schema = infer_schema(frame)
    started = time.perf_counter()
    model = train(frame, schema, TrainingConfig(
        epsilon=job["epsilon"], delta=job["delta"], epochs=job["epochs"], device="cpu",
        generator_hidden=(64, 64), discriminator_hidden=(64, 64), noise_dim=32))
    synthetic = sample(model, job["rows"])
    salary = pd.to_numeric(synthetic["salary"], errors="coerce").to_numpy(dtype=float)
    salary_edges = next(c.fine_edges for c in model.encoder.columns if c.name == "salary")
    return {"with_canary": job["with_canary"],
            "score": int(np.nansum(salary >= CANARY_REGION)),
            "max_salary": float(np.nanmax(salary)) if np.isfinite(salary).any() else None,
            "encoder_salary_max": float(salary_edges[-1]),
            "epsilon_reported": model.summary.epsilon_spent,
            "steps": model.summary.steps,
            "noise_multiplier": model.summary.noise_multiplier,
            "seconds": time.perf_counter() - started}


# ------------------------------------------------------------------------------ audit

def base_table(rows: int, seed: int) -> pd.DataFrame:
    """``rows`` employees from the demo table, PII columns dropped (same draw in both worlds)."""
    demo = pd.read_csv(DEMO)
    return demo[COLUMNS].sample(n=rows, random_state=seed).reset_index(drop=True)


def summarise(results: list[dict], delta: float, alpha: float, threshold: int) -> dict:
    inside = [r["score"] for r in results if r["with_canary"]]
    outside = [r["score"] for r in results if not r["with_canary"]]
    tp = sum(s >= threshold for s in inside)
    fp = sum(s >= threshold for s in outside)
    out = {"trials_with_canary": len(inside), "trials_without_canary": len(outside),
           "threshold": threshold, "true_positives": tp, "false_positives": fp,
           "tpr": tp / max(len(inside), 1), "fpr": fp / max(len(outside), 1),
           "tpr_ci": clopper_pearson(tp, len(inside), alpha),
           "fpr_ci": clopper_pearson(fp, len(outside), alpha),
           "epsilon_lower_bound": epsilon_lower_bound(tp, len(inside), fp, len(outside), delta, alpha)}
    # Optimistic figure: best threshold chosen on the same runs (biased upwards; shown only
    # to make clear that even the most favourable choice stays below the claim).
    best = 0.0
    for t in sorted(set(inside) | set(outside) | {threshold}):
        if t <= 0:
            continue
        b = epsilon_lower_bound(sum(s >= t for s in inside), len(inside), sum(s >= t for s in outside),
                                len(outside), delta, alpha)
        best = max(best, b)
    out["epsilon_lower_bound_best_threshold_optimistic"] = best
    out["scores_with_canary"] = inside
    out["scores_without_canary"] = outside
    return out


def run_setting(name: str, epsilon: float, broken: bool, args, table_path: Path, delta: float) -> dict:
    jobs = [{"table": str(table_path), "with_canary": w, "epsilon": epsilon, "delta": delta,
             "epochs": args.epochs, "rows": args.synthetic_rows, "broken": broken, "same_n": args.same_n}
            for _ in range(args.trials) for w in (True, False)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(_trial, jobs))
    summary = summarise(results, delta, args.alpha, args.threshold)
    reported = [r["epsilon_reported"] for r in results]
    summary.update({"name": name, "claimed_epsilon": epsilon if not broken else None,
                    "nominal_epsilon_setting": epsilon, "broken_no_noise": broken, "delta": delta,
                    "epsilon_reported_max": max(reported), "steps": results[0]["steps"],
                    "noise_multiplier": results[0]["noise_multiplier"],
                    "canary_range_released": sum(r["encoder_salary_max"] >= CANARY_REGION
                                                 for r in results if r["with_canary"]),
                    "seconds": time.perf_counter() - started})
    print(f"[{name}] ε setting {epsilon}{' (BROKEN: no noise)' if broken else ''}: "
          f"TP {summary['true_positives']}/{summary['trials_with_canary']}, "
          f"FP {summary['false_positives']}/{summary['trials_without_canary']} → "
          f"ε_lb = {summary['epsilon_lower_bound']:.3f} "
          f"(optimistic {summary['epsilon_lower_bound_best_threshold_optimistic']:.3f}) "
          f"in {summary['seconds']:.0f} s", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 4.0])
    p.add_argument("--broken", action="store_true", help="also run the no-noise mode (must fail the audit)")
    p.add_argument("--broken-only", action="store_true", help="run only the no-noise mode")
    p.add_argument("--broken-epsilon", type=float, default=1.0, help="nominal ε setting of the broken runs")
    p.add_argument("--trials", type=int, default=40, help="runs per world (with / without canary) per setting")
    p.add_argument("--broken-trials", type=int, default=None, help="runs per world in broken mode (default --trials)")
    p.add_argument("--rows", type=int, default=400, help="employees in the base table")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--synthetic-rows", type=int, default=1000)
    p.add_argument("--threshold", type=int, default=1,
                   help="fixed a priori: guess 'member' when ≥ this many synthetic rows have salary ≥ 1e6")
    p.add_argument("--alpha", type=float, default=0.05, help="1 − confidence of the Clopper–Pearson intervals")
    p.add_argument("--same-n", action="store_true",
                   help="drop one ordinary row in the without-canary world so n is equal (substitution)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--table-seed", type=int, default=7)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "privacy_audit.json"))
    args = p.parse_args(argv)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = base_table(args.rows, args.table_seed)
    table_path = out.parent / f".audit_table_{secrets.token_hex(4)}.pkl"
    table.to_pickle(table_path)
    from engine.privacy import default_delta
    delta = default_delta(args.rows + 1)
    settings = []
    started = time.perf_counter()
    try:
        if not args.broken_only:
            for eps in args.epsilons:
                settings.append(run_setting(f"dp_eps{eps:g}", eps, False, args, table_path, delta))
        if args.broken or args.broken_only:
            trials = args.trials
            args.trials = args.broken_trials or trials
            settings.append(run_setting("broken_no_noise", args.broken_epsilon, True, args, table_path, delta))
            args.trials = trials
    finally:
        table_path.unlink(missing_ok=True)
    record = {
        "command": "python " + " ".join([str(Path(sys.argv[0]).as_posix())] + sys.argv[1:]) if argv is None
        else "main(" + repr(argv) + ")",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "workers": args.workers},
        "design": {"base_rows": args.rows, "columns": COLUMNS, "canary": CANARY,
                   "membership_statistic": f"number of synthetic rows (of {args.synthetic_rows}) with salary ≥ {CANARY_REGION:,}",
                   "decision": f"member if statistic ≥ {args.threshold} (fixed before the runs)",
                   "neighbouring": "substitution (same n)" if args.same_n else "add/remove one row (canary)",
                   "epochs": args.epochs, "model": "generator/discriminator hidden (64, 64), noise_dim 32",
                   "confidence": 1 - args.alpha,
                   "bound": "ε_lb = max(log((TPR_low − δ)/FPR_high), log((1 − FPR_high − δ)/(1 − TPR_low)))"},
        "settings": settings,
        "seconds": time.perf_counter() - started,
    }
    out.write_text(json.dumps(record, indent=2, default=float))
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
