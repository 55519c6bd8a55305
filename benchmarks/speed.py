"""Speed: one discriminator step with DP (ghost clipping + noise) against the same step without.

Run by hand (not in CI):  python benchmarks/speed.py [--table PATH] [--batch N] [--repeats R]
                                                     [--rounds K] [--device cpu|cuda] [--full-train] [--out FILE]
Both steps use the same encoded table, model, batch and code path (``GanSteps``); only
``private`` differs. Plain and DP blocks alternate over several rounds (a step takes 15–30 ms
on 2 cores, where the machine's drift between two long runs is as large as DP's cost); the
ratio reported is the median of the rounds' ratios, with its spread. ``--full-train`` also times a complete ``train`` at ε = 3 (the time to spend the budget).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from engine import privacy
from engine.encoding import fit_encoder
from engine.schema import infer_schema
from engine.sources import read_table
from engine.training import GanSteps, TrainingConfig, default_batch_size, resolve_device, train

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "datasets" / "adult.csv"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_steps(gan: GanSteps, repeats: int, block: int = 10) -> list[float]:
    """Seconds per discriminator step, one figure per block of ``block`` steps (after warm-up)."""
    for _ in range(5):
        gan.discriminator_step()
    _sync(gan.device)
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(block):
            gan.discriminator_step()
        _sync(gan.device)
        out.append((time.perf_counter() - start) / block)
    return out


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--table", default=str(ADULT))
    parser.add_argument("--batch", type=int, default=None, help="expected real rows per step (default: training's)")
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks of 10 steps per round and kind")
    parser.add_argument("--rounds", type=int, default=8, help="alternating plain/DP rounds; the ratio is their median")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--full-train", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    device = resolve_device(args.device)
    table = read_table(args.table)
    schema = infer_schema(table.frame)
    typed = {c.name: c.values(table.frame[c.name]) for c in schema.learned}
    rng = np.random.default_rng(0)
    accountant = privacy.PrivacyAccountant(3.0, 1e-5, 1e-6)
    encoder = fit_encoder(schema, typed, accountant, sigma=20.0, rng=rng)
    data = torch.as_tensor(encoder.transform(typed, rng), device=device)
    config = TrainingConfig(epsilon=3.0)
    batch = args.batch or default_batch_size(len(data))

    gans = {}
    for key, private in (("plain", False), ("dp", True)):
        torch.manual_seed(0)
        gans[key] = GanSteps(encoder, data, config, batch, 1.0, torch.Generator(device=device).manual_seed(0), private)
    results: dict[str, list[float]] = {"plain": [], "dp": []}
    ratios = []
    for _ in range(args.rounds):   # alternating blocks, so the machine's drift hits both alike
        plain, dp = (statistics.median(time_steps(gans[key], args.repeats)) for key in ("plain", "dp"))
        results["plain"].append(plain)
        results["dp"].append(dp)
        ratios.append(dp / plain)
    record = {
        "command": "python benchmarks/speed.py " + " ".join(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}")
                                                           for k, v in vars(args).items() if v not in (None, False)),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "torch_threads": torch.get_num_threads(), "device": str(device),
                    "gpu": torch.cuda.get_device_name() if device.type == "cuda" else None},
        "table": Path(args.table).name, "rows": len(data), "encoded_width": encoder.width,
        "batch_real_expected": batch, "batch_fake": batch,
        "seconds_per_d_step": {k: summary(v) for k, v in results.items()},
    }
    record["dp_over_plain"] = statistics.median(ratios)
    record["dp_over_plain_per_round"] = summary(ratios)
    record["dp_rows_per_second"] = 2 * batch / record["seconds_per_d_step"]["dp"]["median"]
    if args.full_train:
        start = time.perf_counter()
        model = train(table.frame, schema, TrainingConfig(epsilon=3.0, device=args.device, seed=0))
        record["full_train_eps3"] = {"seconds": time.perf_counter() - start, "epsilon_spent": model.summary.epsilon_spent,
                                     "steps": model.summary.steps, "rows_per_second": model.summary.rows_per_second}
    record["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = json.dumps(record, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
