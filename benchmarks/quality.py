"""Quality: Doppel on Adult and the demo table at several ε and seeds, with DESIGN §4's measures.

Run by hand (not in CI):
    python benchmarks/quality.py --dataset adult --epsilons 1 3 --seeds 0 1 2 [--workers 2] [--set epochs=30 ...]
                                 [--out benchmarks/results/quality_adult.json]
Each run: the table's fixed 80/20 split (``datasets.split``), DP training on the 80 % only (its
bounds and bins come from DP statistics inside the budget), as many synthetic rows as
training rows, then ``engine.evaluation.evaluate`` against the untouched 20 % holdout.
``--set key=value`` overrides any ``RunConfig`` or ``DPGANSettings`` field, which is how experiments are run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pandas as pd
import torch
from datasets import TABLES, declared_schema, split

from engine.evaluation import EvaluationResult, evaluate
from engine.generation import sample
from engine.run import RunConfig
from engine.synthesizers.dpgan.settings import DPGANSettings
from engine.training import train

DATASETS = TABLES   # the benchmark's tables and their fixed splits live in datasets.py
MEASURES = ("marginal", "pairwise", "tstr", "trtr", "dcr_ratio", "exact_copies", "mia_advantage", "seconds_train",
            "seconds_wall", "peak_rss_mib", "epsilon_spent")


_CONFIG = {f.name for f in dataclasses.fields(RunConfig)}
_SETTINGS = {f.name for f in dataclasses.fields(DPGANSettings)}


def _override(text: str) -> tuple[str, object]:
    key, _, value = text.partition("=")
    if key not in _CONFIG | _SETTINGS:
        raise SystemExit(f"unknown RunConfig or DPGANSettings field {key!r}")
    parsed = json.loads(value) if value[:1] in "[0123456789-.tfn" else value
    return key, tuple(parsed) if isinstance(parsed, list) else parsed


def run_config(epsilon: float, seed: int, overrides: dict) -> RunConfig:
    """The run's settings: ``--set`` keys of ``RunConfig`` go there, the others to the synthesizer."""
    return RunConfig(epsilon=epsilon, seed=seed, **{k: v for k, v in overrides.items() if k in _CONFIG},
                     settings={k: v for k, v in overrides.items() if k not in _CONFIG})


def measures(result: EvaluationResult) -> dict:
    """The figures every benchmark records from one evaluation (shared with ``peers.py``)."""
    return {
        "marginal": result.marginal, "pairwise": result.pairwise,
        "tstr": result.utility.tstr if result.utility else None, "trtr": result.utility.trtr if result.utility else None,
        "dcr_ratio": result.privacy.dcr_ratio, "exact_copies": result.privacy.exact_copy_share,
        "mia_advantage": result.privacy.mia_advantage,
    }


def fit_and_sample(dataset: str, epsilon: float, seed: int, overrides: dict) -> tuple[pd.DataFrame, dict]:
    """Train on the 80 % and sample as many rows: what a user waits for, run in a fresh process
    (see ``run_once``) so its peak memory is its own, as each peer's is."""
    real_train, _, _ = split(dataset)
    start = time.perf_counter()
    model = train(real_train, declared_schema(dataset, real_train), run_config(epsilon, seed, overrides))
    seconds = time.perf_counter() - start
    synthetic = sample(model, len(real_train), seed=seed)
    return synthetic, {"seconds_train": seconds, "epsilon_spent": model.summary.epsilon_spent,
                       "facts": dict(model.summary.facts), "torch_threads": torch.get_num_threads(),
                       "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def in_fresh_process(fit: Callable[..., tuple[pd.DataFrame, dict]],
                     *args: object) -> tuple[pd.DataFrame, dict, float, tuple[float, float, float]]:
    """``fit(*args)`` in a fresh spawned process, so the peak memory is this run's alone (as each
    peer's is); returns its synthetic rows and facts, the wall seconds and the load before."""
    load_before = os.getloadavg()
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        synthetic, facts = pool.submit(fit, *args).result()
    return synthetic, facts, time.perf_counter() - start, load_before


def run_once(dataset: str, epsilon: float, seed: int, overrides: dict) -> dict:
    real_train, holdout, target = split(dataset)
    synthetic, facts, wall, load_before = in_fresh_process(fit_and_sample, dataset, epsilon, seed, overrides)
    scoring = declared_schema(dataset, real_train, public=False)   # inferred kinds, 0/1 flags as categories
    result = evaluate(real_train, synthetic, scoring, target=target, holdout=holdout, seed=seed)
    return {
        "dataset": dataset, "epsilon": epsilon, "seed": seed, "overrides": {k: list(v) if isinstance(v, tuple) else v
                                                                            for k, v in overrides.items()},
        **measures(result), "seconds_wall": wall, **facts, "loadavg_before": load_before,
    }


def medians(runs: list[dict]) -> dict:
    out = {}
    for measure in MEASURES:
        values = [r[measure] for r in runs if r.get(measure) is not None]
        if values:
            out[measure] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="adult")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", action="append", default=[], help="RunConfig or DPGANSettings override, e.g. epochs=30")
    parser.add_argument("--label", default="")
    parser.add_argument("--workers", type=int, default=1,
                        help="runs at once (each in its own process; a seeded run keeps to one thread, so 2 fill "
                             "2 cores, and each run's seconds are then those of a machine with one core busy)")
    parser.add_argument("--out")
    args = parser.parse_args()
    overrides = dict(_override(s) for s in args.set)
    report = {"command": "python benchmarks/quality.py " + " ".join(
        [f"--dataset {args.dataset}", "--epsilons " + " ".join(map(str, args.epsilons)),
         "--seeds " + " ".join(map(str, args.seeds)), f"--workers {args.workers}"] + [f"--set {s}" for s in args.set]),
        "label": args.label, "runs": [], "summary": {}}
    jobs = [(epsilon, seed) for epsilon in args.epsilons for seed in args.seeds]

    def one(job: tuple[float, int]) -> dict:
        run = run_once(args.dataset, job[0], job[1], overrides)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in run.items()}), flush=True)
        return run

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        done = dict(zip(jobs, pool.map(one, jobs)))
    for epsilon in args.epsilons:
        runs = [done[(epsilon, seed)] for seed in args.seeds]
        report["runs"] += runs
        report["summary"][str(epsilon)] = medians(runs)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
