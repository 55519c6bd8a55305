"""Empirical privacy audits of Doppel (run by hand, not in CI): lower bounds on ε from attacks.

Two audits, each turning an attack's true/false-positive rates into an ε lower bound with
Clopper–Pearson intervals (Jagielski et al. 2020; Nasr et al. 2021), and each with a
deliberately broken control that must fail it:

* ``whitebox`` — the DP-SGD step itself, as Doppel makes it: Opacus ghost clipping, Doppel's
  noised optimizer and Poisson sampling from its 128-bit noise source, σ planned by Doppel's
  accountant for the claimed ε. *Gradient canaries* (Nasr et al. 2021's Dirac canary): rows whose
  clipped gradient lies on one coordinate no other row touches, so the adversary, who sees every
  iterate (white-box), observes that coordinate's noised sum at each step and runs the optimal
  likelihood-ratio test; thousands of canaries on disjoint coordinates make thousands of
  independent trials per run (:func:`_whitebox_run`). The threshold is chosen on a third of the
  trials and the bound measured on the rest. A tight audit shows the noise is really there and
  the accounting is not loose; the broken control uses a quarter of the planned noise.
* ``blackbox`` — the whole pipeline (``engine.training.train`` → ``engine.generation.sample``) on
  a small table, a canary employee whose every value lies inside the table's ranges and
  categories but whose combination is rare, and an attacker who holds every other row and counts
  the synthetic rows that match the canary on the pairs of columns no other row shares with it
  (Doppel learns from measured pairs; :func:`_pair_score`). Loose by nature (the attacker sees
  only synthetic rows); the broken control removes all noise and must break the claim.

    python benchmarks/privacy_audit.py whitebox --epsilons 1 4 --trials 30000 \
        --out benchmarks/results/privacy_audit_whitebox.json
    python benchmarks/privacy_audit.py blackbox --epsilons 1 --trials 32 --broken \
        --out benchmarks/results/privacy_audit_blackbox.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import beta

if TYPE_CHECKING:
    import pandas as pd
    import torch

ROOT = Path(__file__).resolve().parents[1]
DELTA = 1e-5
ALPHA = 0.05
CANARIES_PER_RUN = 4000


# ------------------------------------------------------------------------------ statistics

def clopper_pearson(successes: int, trials: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Two-sided (1 − alpha) Clopper–Pearson interval for a binomial proportion."""
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high


def epsilon_lower_bound(tp: int, n_in: int, fp: int, n_out: int, delta: float = DELTA) -> float:
    """ε lower bound from an attack's confusion counts: (ε, δ)-DP implies TPR ≤ e^ε FPR + δ and
    1 − FPR ≤ e^ε (1 − TPR) + δ; with the conservative ends of the intervals, the larger bound wins."""
    tpr_low, _ = clopper_pearson(tp, n_in)
    _, fpr_high = clopper_pearson(fp, n_out)
    bounds = [0.0]
    if tpr_low - delta > 0 and fpr_high > 0:
        bounds.append(math.log((tpr_low - delta) / fpr_high))
    if (1 - fpr_high) - delta > 0 and (1 - tpr_low) > 0:
        bounds.append(math.log(((1 - fpr_high) - delta) / (1 - tpr_low)))
    return max(bounds)


def audit(scores_in: np.ndarray, scores_out: np.ndarray, rng: np.random.Generator) -> dict:
    """Choose the threshold on a third of each world's scores; bound ε with the other two thirds."""
    scores_in, scores_out = rng.permutation(scores_in), rng.permutation(scores_out)
    k_in, k_out = len(scores_in) // 3, len(scores_out) // 3
    pick_in, test_in, pick_out, test_out = scores_in[:k_in], scores_in[k_in:], scores_out[:k_out], scores_out[k_out:]
    candidates = np.unique(np.quantile(np.concatenate([pick_in, pick_out]), np.linspace(0.5, 0.99999, 400)))
    best = max(candidates, key=lambda t: epsilon_lower_bound(int((pick_in >= t).sum()), len(pick_in),
                                                             int((pick_out >= t).sum()), len(pick_out)))
    tp, fp = int((test_in >= best).sum()), int((test_out >= best).sum())
    return {"threshold": float(best), "tp": tp, "n_in": len(test_in), "fp": fp, "n_out": len(test_out),
            "epsilon_lower_bound": epsilon_lower_bound(tp, len(test_in), fp, len(test_out))}


# ------------------------------------------------------------------------------ white-box

class _LinearLoss:
    """Loss = minus the output: each row's gradient is minus its input, whatever the weights, so
    the canary's clipped gradient stays exactly one unit on its own coordinate at every step."""

    reduction = "sum"

    def __call__(self, output: "torch.Tensor", target: "torch.Tensor") -> "torch.Tensor":
        per_row = -output
        return per_row if self.reduction == "none" else per_row.sum()


def _whitebox_run(job: dict) -> tuple[np.ndarray, np.ndarray]:
    """One DP-SGD run with many gradient canaries; the likelihood-ratio score of each, canary in / out.

    Canary k is a row whose input is zero but for a huge value on its own coordinate, so its clipped
    gradient is exactly one unit there and no other row ever touches that coordinate: each
    coordinate's noised sum is an independent observation (canary present or not + N(0, σ²)), and
    every canary is an independent trial of the one-canary test (Steinke, Nasr & Jagielski 2023's
    one-run audit, with trials made independent by disjoint coordinates). Half the canaries, chosen
    at random, are in the table. The step is production's: Poisson sampling from a
    :class:`NoiseSource`, one forward and backward of ``[sampled rows; a fake row]`` through Opacus
    ghost clipping (``DPLossFastGradientClipping``), Doppel's noised optimizer."""
    import torch
    from opacus.grad_sample import GradSampleModuleFastGradientClipping
    from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping

    from engine.privacy.dpsgd import NoisedOptimizer
    from engine.privacy.randomness import NoiseSource

    torch.set_num_threads(1)
    rows, features, canaries, clip = 40, 5, job["canaries"], 1.0
    rng = np.random.default_rng(job["seed"])
    member = rng.random(canaries) < 0.5
    ordinary = torch.zeros(rows, features + canaries)
    ordinary[:, :features] = torch.as_tensor(rng.normal(size=(rows, features)), dtype=torch.float32)
    planted = torch.zeros(int(member.sum()), features + canaries)
    planted[torch.arange(len(planted)), features + torch.as_tensor(np.flatnonzero(member))] = 1e6
    data = torch.cat([ordinary, planted])
    fake = torch.zeros(1, features + canaries)
    layer = torch.nn.Linear(features + canaries, 1, bias=False)
    module = GradSampleModuleFastGradientClipping(layer, max_grad_norm=clip, use_ghost_clipping=True,
                                                  loss_reduction="sum")
    sigma, q = job["sigma"], job["rate"]
    noise = NoiseSource()
    optimizer = NoisedOptimizer(torch.optim.SGD(layer.parameters(), lr=1.0), noise=noise,
                                noise_multiplier=sigma * job["noise_scale"], max_grad_norm=clip,
                                expected_batch_size=1, loss_reduction="sum")
    loss = DPLossFastGradientClipping(module, optimizer, _LinearLoss(), "sum")
    scores = np.zeros(canaries)
    for _ in range(job["steps"]):
        batch = torch.cat([data[noise.sample_rows(len(data), q, torch.device("cpu"))], fake])
        before = layer.weight[0, features:].detach().clone()
        optimizer.zero_grad()
        loss(module(batch).squeeze(1), torch.zeros(len(batch))).backward()
        optimizer.step()
        observed = ((layer.weight[0, features:].detach() - before) / clip).double().numpy()
        scores += np.logaddexp(np.log1p(-q) if q < 1 else -np.inf, np.log(q) + (2 * observed - 1) / (2 * sigma ** 2))
    return scores[member], scores[~member]


def whitebox(args: argparse.Namespace) -> dict:
    from engine.privacy import rdp
    from engine.privacy.accountant import Release
    from engine.privacy.plan import Budget

    configs = {"one step, every row (q = 1)": (1.0, 1), "subsampled (q = 0.2, 10 steps)": (0.2, 10)}
    results = []
    for epsilon in args.epsilons:
        for label, (rate, steps) in configs.items():
            budget = Budget(np.zeros_like(rdp.ORDERS), epsilon, DELTA)
            sigma = budget.smallest(lambda s: [Release(s, rate, steps)], key=None, low=0.05)
            claimed = rdp.epsilon(Release(sigma, rate, steps).curve(), DELTA)
            for broken in ([False, True] if args.broken else [False]):
                scale = 0.25 if broken else 1.0
                started = time.perf_counter()
                runs = max(1, 2 * args.trials // CANARIES_PER_RUN)
                jobs = [{"canaries": CANARIES_PER_RUN, "sigma": sigma, "noise_scale": scale, "rate": rate,
                         "steps": steps, "seed": 1000 * int(broken) + i} for i in range(runs)]
                with ProcessPoolExecutor(max_workers=args.workers) as pool:
                    out = list(pool.map(_whitebox_run, jobs))
                scores_in = np.concatenate([i for i, _ in out])
                scores_out = np.concatenate([o for _, o in out])
                found = audit(scores_in, scores_out, np.random.default_rng(0))
                row = {"epsilon_claimed": claimed, "epsilon_target": epsilon, "config": label, "sigma": sigma,
                       "rate": rate, "steps": steps, "broken": broken, "noise_scale": scale,
                       "trials_per_world": len(scores_in), **found,
                       "share_of_claim": found["epsilon_lower_bound"] / claimed,
                       "seconds": time.perf_counter() - started}
                print(json.dumps(row), flush=True)
                results.append(row)
    return {"audit": "whitebox", "results": results}


# ------------------------------------------------------------------------------ black-box

BLACKBOX_TABLE = "hr500"
BLACKBOX_ROWS = 100      # one employee is 1 % of every measured histogram: the canary shows most
SYNTHETIC_ROWS = 20_000
NEAR = 0.05              # a numeric value "matches" within 5 % of its public range


def _base_table() -> tuple["pd.DataFrame", object]:
    """The audited table without the canary (a seeded sample of hr500's training split) and its
    declared schema (public bounds and categories, as an analyst would confirm them)."""
    import datasets

    frame, _, _ = datasets.split(BLACKBOX_TABLE)
    frame = frame.sample(BLACKBOX_ROWS, random_state=0).reset_index(drop=True)
    return frame, datasets.declared_schema(BLACKBOX_TABLE, frame)


def _canary(frame: "pd.DataFrame", schema: object) -> "pd.DataFrame":
    """One employee inside every public range and category list but unlike anyone: each
    categorical column takes its rarest category, each numeric column alternately its 2nd and
    98th percentile (so no single value is out of place, only the combination)."""
    import pandas as pd

    row = {}
    for i, spec in enumerate(schema.learned):
        values = frame[spec.name]
        if spec.kind.labelled:
            row[spec.name] = values.value_counts().idxmin()
        else:   # the table holds the file's text: the canary's value is written as the file would
            row[spec.name] = str(pd.Series(_numbers(values)).dropna().quantile(0.02 if i % 2 else 0.98,
                                                                               interpolation="nearest"))
    return pd.DataFrame([row], columns=frame.columns)


def _numbers(column: "pd.Series") -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def _matches(frame: "pd.DataFrame", canary: "pd.DataFrame", schema: object) -> np.ndarray:
    """rows × columns: whether each row's value matches the canary's (a category exactly, a number
    within ``NEAR`` of its public range)."""
    out = []
    for spec in schema.learned:
        target = canary[spec.name].iloc[0]
        if spec.kind.labelled:
            out.append((frame[spec.name].astype(str) == str(target)).to_numpy())
        else:
            width = float(spec.public_max) - float(spec.public_min)
            out.append(np.abs(_numbers(frame[spec.name]) - float(target)) <= NEAR * width)
    return np.stack(out, axis=1)


def _pair_score(synthetic: "pd.DataFrame", base: "pd.DataFrame", canary: "pd.DataFrame", schema: object) -> float:
    """The attacker holds every other row (``base``), so knows the pairs of columns on which no
    other employee matches the canary: a measured histogram of such a pair has a cell of one with
    the canary and of zero without, and the generator fitted to it puts rows there. The score is
    Σ over those pairs of log(1 + synthetic rows matching the canary on both)."""
    syn, real = _matches(synthetic, canary, schema).astype(float), _matches(base, canary, schema).astype(float)
    together, alone = syn.T @ syn, real.T @ real
    i, j = np.triu_indices(syn.shape[1], k=1)
    empty = alone[i, j] == 0
    return float(np.log1p(together[i, j][empty]).sum())


def _blackbox_run(job: dict) -> float | None:
    """Train on the table (with the canary when ``member``), sample, score the canary's pairs.
    None when the run was refused (its noisy row count fell under the 50-row minimum: at
    ε = 1 on 100 rows it is drawn with σ ≈ 40): the attacker then sees no rows at all."""
    import pandas as pd
    import torch

    from engine.errors import BudgetSpent
    from engine.generation import sample
    from engine.run import RunConfig
    from engine.training import train

    torch.set_num_threads(1)
    frame, schema = _base_table()
    canary = _canary(frame, schema)
    table = pd.concat([frame, canary], ignore_index=True) if job["member"] else frame
    try:
        model = train(table, schema, RunConfig(epsilon=job["epsilon_noise"], seed=job["seed"]))
    except BudgetSpent:
        return None
    return _pair_score(sample(model, SYNTHETIC_ROWS, seed=job["seed"]), frame, canary, schema)


def blackbox(args: argparse.Namespace) -> dict:
    """Whole runs on the base table, the canary in for half of them, at each claimed ε; the broken
    control (``--broken``) trains once with ε = 10,000's noise (none to speak of) and is scored
    against the smallest claimed ε, which it must break."""
    results = []
    configs = [(epsilon, False) for epsilon in args.epsilons]
    if args.broken:
        configs.append((min(args.epsilons), True))
    for epsilon, broken in configs:
        started = time.perf_counter()
        noise = 1e4 if broken else epsilon
        jobs = [{"member": member, "epsilon_noise": noise, "seed": 2 * i + member + 10_000 * int(broken)}
                for i in range(args.trials) for member in (True, False)]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            outcomes = list(pool.map(_blackbox_run, jobs))
        refused = [o is None for o in outcomes]
        scores = np.array([0.0 if o is None else o for o in outcomes])    # no rows: no match
        member = np.array([job["member"] for job in jobs])
        found = audit(scores[member], scores[~member], np.random.default_rng(0))
        row = {"epsilon_claimed": epsilon, "table": f"{BLACKBOX_TABLE} ({BLACKBOX_ROWS} rows)", "broken": broken,
               "epsilon_of_noise": noise, "trials_per_world": args.trials, "synthetic_rows": SYNTHETIC_ROWS, **found,
               "share_of_claim": found["epsilon_lower_bound"] / epsilon,
               "refused_in": int(np.sum(np.array(refused) & member)), "refused_out": int(np.sum(np.array(refused) & ~member)),
               "scores_in": sorted(scores[member].round(3).tolist()),
               "scores_out": sorted(scores[~member].round(3).tolist()),
               "seconds": time.perf_counter() - started}
        print(json.dumps(row), flush=True)
        results.append(row)
    return {"audit": "blackbox", "results": results}


# ------------------------------------------------------------------------------ driver

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audit", choices=["whitebox", "blackbox"])
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 4.0])
    parser.add_argument("--trials", type=int, default=30_000, help="trials per world (canary in / out)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broken", action="store_true", help="also run the broken control (it must fail)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    report = whitebox(args) if args.audit == "whitebox" else blackbox(args)
    report.update(command="python benchmarks/privacy_audit.py " + " ".join(os.sys.argv[1:]),
                  machine=platform.platform(), cpus=os.cpu_count(), loadavg=os.getloadavg(),
                  seconds=time.perf_counter() - started, delta=DELTA, confidence=1 - ALPHA)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
