"""Doppel on the small tables, with the same public domains and the same split the peers get.

Run by hand (not in CI), from the main venv:
    python benchmarks/small_tables.py --dataset hr1500 --epsilons 1 3 --seeds 0 1 2 [--set epochs=30 ...]
                                      [--out benchmarks/results/quality_small.json]
Each run: the table's train split (``datasets.split``), its schema as an analyst would declare
it (``datasets.declared_schema``: public bounds and category lists, 0/1 flags as categories),
DP training at ε with ``seed``, as many synthetic rows as training rows, then
``engine.evaluation.evaluate`` against the untouched holdout — the figures and JSON layout of
``peers.py`` (``datasets.<name>.runs``), so ``small_side_by_side.py`` reads both alike.
Deliberately thin: it calls only the engine's public steps (read, schema, train, sample,
evaluate), so it keeps working while the engine changes underneath.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import pandas as pd
from datasets import SMALL, TABLES, declared_schema, split
from peers import summarise
from quality import _override, in_fresh_process, measures, run_config

from engine.evaluation import evaluate
from engine.generation import sample
from engine.training import train

HERE = Path(__file__).resolve().parent


def fit_and_sample(dataset: str, epsilon: float, seed: int, overrides: dict) -> tuple[pd.DataFrame, dict]:
    """Train on the train split with the public domains declared, sample as many rows; run in a
    fresh process (``quality.in_fresh_process``) so the peak memory is this run's alone."""
    real_train, _, _ = split(dataset)
    start = time.perf_counter()
    model = train(real_train, declared_schema(dataset, real_train), run_config(epsilon, seed, overrides))
    seconds = time.perf_counter() - start
    synthetic = sample(model, len(real_train), seed=seed)
    summary = model.summary
    return synthetic, {"seconds_train": seconds, "epsilon_spent": summary.epsilon_spent,
                       "delta": summary.delta, "preprocessing_epsilon": summary.preprocessing_epsilon,
                       "facts": dict(summary.facts),
                       "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_once(dataset: str, epsilon: float, seed: int, overrides: dict) -> dict:
    real_train, holdout, target = split(dataset)
    synthetic, facts, wall, load_before = in_fresh_process(fit_and_sample, dataset, epsilon, seed, overrides)
    scoring = declared_schema(dataset, real_train, public=False)
    result = evaluate(real_train, synthetic, scoring, target=target, holdout=holdout, seed=seed)
    return {"peer": "doppel", "dataset": dataset, "epsilon": epsilon, "seed": seed,
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()},
            "bounds": "public", **measures(result), "seconds_wall": wall, **facts,
            "loadavg_before": load_before, "loadavg_after": os.getloadavg(), "cpus": os.cpu_count(),
            "machine": platform.node()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(TABLES), default="hr1500")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 3.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", action="append", default=[], help="RunConfig or DPGANSettings override, e.g. epochs=30")
    parser.add_argument("--out", default=str(HERE / "results" / "quality_small.json"))
    args = parser.parse_args()
    if args.dataset not in SMALL:
        print(f"note: {args.dataset} is not one of the small tables {SMALL}; running it anyway")
    overrides = dict(_override(s) for s in args.set)
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {"datasets": {}}
    section = report["datasets"].setdefault(args.dataset, {"runs": []})
    for epsilon in args.epsilons:
        for seed in args.seeds:
            run = run_once(args.dataset, epsilon, seed, overrides)
            run["command"] = " ".join(["python benchmarks/small_tables.py", f"--dataset {args.dataset}",
                                       f"--epsilons {epsilon:g}", f"--seeds {seed}", *[f"--set {s}" for s in args.set]])
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in run.items()}), flush=True)
            section["runs"].append(run)
            section["summary"] = summarise(section["runs"])
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report, indent=2) + "\n")   # after every run: a cut session keeps it


if __name__ == "__main__":
    main()
