"""Speed: the DP step's cost, a whole run, planning, and training on a machine doing other work.

Run by hand (not in CI), one benchmark at a time on an otherwise idle machine:

    python benchmarks/speed.py [--table PATH] [--device cpu|cuda] [--steps] [--full-train]
                               [--under-load] [--planning] [--startup] [--out FILE]

``--steps`` (the default when nothing else is asked): one discriminator step with DP (ghost
clipping + noise) against the same step without, on the same encoded table, model and batch
(``GanSteps`` with ``private`` on or off). Plain and DP blocks alternate over several rounds (a
step takes 15–30 ms on 2 cores, where the machine's drift between two long runs is as large as
DP's cost); the ratio is the median of the rounds' ratios.

``--full-train``: a complete ``train`` at ε = 3 on ``--device`` (the time to spend the budget),
then the bundle round trip as a user meets it: saved, loaded on the CPU and sampled there.

``--under-load``: rows/s of a whole run of the demo table and of DP-SGD steps on ``--table``,
alone and then with one core kept busy by another process, back to back (issue 16's target:
loaded within 2× of idle). The DP step is also timed at each fixed thread count, which shows what
the engine's choice of threads saves.

``--startup``: the app launched five times (offscreen) on the demo table: seconds to the window
and to the table loaded, as the app reports them and from outside.

``--planning``: seconds of ``plan_run`` (every size class's noise before a row is read) for the
demo and Adult schemas at ε 1, 3 and 10.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from engine.compute import choose_threads, resolve_device, usable_cpus
from engine.encoding.base import Releaser
from engine.encoding.fit import count_rows, preprocess
from engine.generation import sample
from engine.io import read_table
from engine.privacy.accountant import PrivacyAccountant
from engine.privacy.randomness import NoiseSource
from engine.run import LogMessage, RunConfig
from engine.schema import Schema, infer_schema
from engine.storage.bundle import load_bundle, save_bundle
from engine.synthesizers.dpgan.settings import DPGANSettings
from engine.synthesizers.dpgan.steps import GanSteps
from engine.training import plan_run, train

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "datasets" / "adult.csv"
DEMO = ROOT / "resources" / "demo" / "employees.csv"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def discriminator_steps(path: Path, device: torch.device, private_kinds: tuple[bool, ...]) -> dict[bool, GanSteps]:
    """DP-SGD steps on ``path``'s encoded table with the batch a real run would use there."""
    frame = read_table(path).frame
    schema = infer_schema(frame)
    config = RunConfig(epsilon=3.0, seed=0, settings={"dpsgd_from_rows": 1})
    plan = plan_run(schema, config)
    accountant = PrivacyAccountant(config.epsilon, plan.delta, plan.domain_delta)
    releaser = Releaser(plan, accountant, NoiseSource(0))
    rows = count_rows(frame, releaser)
    pre = preprocess(frame, schema, plan, releaser, rows)
    typed = {c.name: c.values(frame[c.name]) for c in pre.schema.learned}
    data = torch.as_tensor(pre.encoder.transform(typed, np.random.default_rng(0)), device=device)
    facts = plan.for_rows(rows).synthesizer.facts
    settings = DPGANSettings(generator_hidden=tuple(facts["generator_hidden"]))
    batch = max(int(round(facts["sample_rate"] * rows)), 1)
    out = {}
    for private in private_kinds:
        torch.manual_seed(0)
        out[private] = GanSteps(pre.encoder, data, settings, batch, facts["noise_multiplier"], NoiseSource(0),
                                torch.Generator(device=device).manual_seed(0), private=private)
    return out


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


def step_cost(args: argparse.Namespace, device: torch.device) -> dict:
    gans = discriminator_steps(Path(args.table), device, (False, True))
    results: dict[str, list[float]] = {"plain": [], "dp": []}
    ratios = []
    for _ in range(args.rounds):   # alternating blocks, so the machine's drift hits both alike
        plain, dp = (statistics.median(time_steps(gans[private], args.repeats)) for private in (False, True))
        results["plain"].append(plain)
        results["dp"].append(dp)
        ratios.append(dp / plain)
    batch = gans[True].batch
    return {"rows": len(gans[True].data), "encoded_width": gans[True].encoder.width,
            "batch_real_expected": batch, "batch_fake": batch,
            "seconds_per_d_step": {k: summary(v) for k, v in results.items()},
            "dp_over_plain": statistics.median(ratios), "dp_over_plain_per_round": summary(ratios),
            "dp_rows_per_second": 2 * batch / statistics.median(results["dp"])}


def timed_train(path: Path, device: str, epsilon: float = 3.0) -> dict:
    """One whole run as a user starts it (inferred schema, default settings, no seed: a seeded run
    keeps to one thread so that it repeats bit for bit, which is not how a user's run goes)."""
    frame = read_table(path).frame
    lines: list[str] = []
    start = time.perf_counter()
    model = train(frame, infer_schema(frame), RunConfig(epsilon=epsilon, device=device),
                  on_event=lambda e: lines.append(e.text) if isinstance(e, LogMessage) else None)
    seconds = time.perf_counter() - start
    s = model.summary
    return {"table": path.name, "rows": len(frame), "seconds": seconds, "epsilon_spent": s.epsilon_spent,
            "rows_per_second": s.rows_per_second, "facts": dict(s.facts),
            "threads": next((line for line in lines if "CPU thread" in line), None), "model": model}


def full_train(args: argparse.Namespace) -> dict:
    run = timed_train(Path(args.table), args.device)
    model = run.pop("model")
    with tempfile.TemporaryDirectory() as folder:
        bundle = save_bundle(model, Path(folder) / "model.doppel")
        start = time.perf_counter()
        loaded = load_bundle(bundle)           # always on the CPU, wherever it was trained
        seconds_load = time.perf_counter() - start
    lines: list[str] = []
    start = time.perf_counter()
    rows = sample(loaded, run["rows"], seed=0, on_event=lambda e: lines.append(e.text))
    run["sample_cpu"] = {"rows": len(rows), "seconds": time.perf_counter() - start, "threads": lines[:1],
                         "seconds_load_bundle": seconds_load}
    return run


def _busy_core() -> subprocess.Popen:
    """Another program keeping one core at 100 %."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _with_and_without_load(measure: Callable[[], dict]) -> dict:
    idle = measure()
    busy = _busy_core()
    try:
        time.sleep(1.0)
        loaded = measure()
    finally:
        busy.kill()
        busy.wait()
    return {"idle": idle, "one_core_busy": loaded}


def under_load(args: argparse.Namespace, device: torch.device) -> dict:
    def demo_run() -> dict:
        run = timed_train(DEMO, "cpu")
        run.pop("model")
        return run

    gan = discriminator_steps(Path(args.table), device, (True,))[True]

    def dp_steps() -> dict:
        fixed = {}
        for threads in sorted({1, min(usable_cpus(), 4)}):
            torch.set_num_threads(threads)
            fixed[threads] = 2 * gan.batch / statistics.median(time_steps(gan, args.repeats))
        choice = choose_threads(gan.discriminator_step)
        chosen = 2 * gan.batch / statistics.median(time_steps(gan, args.repeats))
        return {"rows_per_second_by_threads": fixed, "chosen": choice.describe(), "rows_per_second_chosen": chosen}

    out = {"demo_train": _with_and_without_load(demo_run), "dp_steps": _with_and_without_load(dp_steps)}
    demo = out["demo_train"]
    out["demo_loaded_seconds_over_idle"] = demo["one_core_busy"]["seconds"] / demo["idle"]["seconds"]
    steps = out["dp_steps"]
    out["dp_idle_over_loaded"] = steps["idle"]["rows_per_second_chosen"] / steps["one_core_busy"]["rows_per_second_chosen"]
    return out


def startup(repeats: int = 5) -> dict:
    """Launch to window and to the demo table loaded, ``repeats`` launches of the app (offscreen):
    the app's own figures (from its first import) and the wall time from outside, which adds the
    interpreter's start."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "desktop_app", "--startup-probe", "--demo"], env=env,
                              capture_output=True, text=True, timeout=300, check=True)
        outside = time.perf_counter() - start
        figures = {line.split(" after ")[0]: float(line.split(" after ")[1].split()[0])
                   for line in done.stdout.splitlines() if " after " in line}
        runs.append({"window_shown": figures["window shown"], "demo_loaded": figures["demo table loaded"],
                     "launch_to_exit_outside": outside})
    return {"runs": runs, **{f"median_{key}": statistics.median(r[key] for r in runs) for key in runs[0]}}


def planning() -> dict:
    out = {}
    for path in (DEMO, ADULT):
        schema: Schema = infer_schema(read_table(path).frame)
        for epsilon in (1.0, 3.0, 10.0):
            start = time.perf_counter()
            plan_run(schema, RunConfig(epsilon=epsilon))
            out[f"{path.name} eps={epsilon:g}"] = time.perf_counter() - start
    out["max_seconds"] = max(out.values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", default=str(ADULT))
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks of 10 steps per round and kind")
    parser.add_argument("--rounds", type=int, default=8, help="alternating plain/DP rounds; the ratio is their median")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", action="store_true", help="DP against plain discriminator steps")
    parser.add_argument("--full-train", action="store_true")
    parser.add_argument("--under-load", action="store_true")
    parser.add_argument("--planning", action="store_true")
    parser.add_argument("--startup", action="store_true", help="launch to window and to demo table loaded")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if not (args.full_train or args.under_load or args.planning or args.startup):
        args.steps = True

    device = resolve_device(args.device)
    record: dict = {
        "command": "python benchmarks/speed.py " + " ".join(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}")
                                                           for k, v in vars(args).items() if v not in (None, False)),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": usable_cpus(),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                    "device": str(device), "gpu": torch.cuda.get_device_name() if device.type == "cuda" else None},
        "table": Path(args.table).name,
    }
    if args.planning:
        record["planning_seconds"] = planning()
    if args.startup:
        record["startup_seconds"] = startup()
    if args.steps:
        record["steps"] = step_cost(args, device)
    if args.full_train:
        record["full_train_eps3"] = full_train(args)
    if args.under_load:
        record["under_load"] = under_load(args, device)
    record["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = json.dumps(record, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
