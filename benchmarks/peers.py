"""Peers: the tools a user would pick instead of Doppel, on Doppel's split and measures.

Run by hand (not in CI), from the main venv:
    python benchmarks/peers.py --dataset hr500 --peers aim mst dpctgan --epsilons 1 3 --seeds 0 1 2
                               [--set aim.bins=16] [--bounds expert|dp|public]
                               [--out benchmarks/results/peers_small.json] [--readme]
Each peer gets its own virtualenv under ``benchmarks/.envs/`` (created and installed here on
first use, CPU torch first so no CUDA wheels are pulled); smartnoise-synth pins Opacus 0.14, so
it cannot share our venv. The peer only writes a synthetic CSV (``peer_fit.py``, run with
``nice -n 19``, one at a time); scoring is ``engine.evaluation.evaluate`` here, on the split of
``datasets.py`` and with the same figures as ``quality.py``.

``--bounds expert`` (the default) hands every peer the public domains of ``datasets.py`` and
sets AIM and MST up as an expert would (see ``peer_fit.py``); ``dp`` and ``public`` reproduce
the earlier doc-default runs on Adult. Runs are appended to ``--out`` after every run: Adult's
file holds one list of runs, ``peers_small.json`` one per dataset (``datasets.<name>.runs``).
``--readme`` rewrites the "Peers on Adult" section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from datasets import ADULT_PUBLIC_BOUNDS, TABLES, declared_schema, domain, split
from quality import measures

from engine.evaluation import evaluate
from engine.schema import Kind
from engine.io import read_table

HERE = Path(__file__).resolve().parent
ENVS = HERE / ".envs"
TORCH = "torch==2.13.0"    # the CPU wheel this machine holds; installed before the peer
# smartnoise-synth imports ``packaging`` without declaring it.
ENV_PACKAGES = {"smartnoise-synth": ["smartnoise-synth==1.0.8", "packaging"], "ctgan": ["ctgan==0.12.1"],
                "dpmm": ["dpmm==0.1.9"]}   # dpmm pins its own numpy 1.26.4, pandas 2.1.0, opendp 0.12.1
NO_TORCH = {"dpmm"}   # pure numpy: no torch to pin first
PEERS = {   # peer -> (its venv, its settings; the documented defaults unless --set changes them)
    "aim": ("smartnoise-synth", {}),
    "mst": ("smartnoise-synth", {}),
    "dpmm-aim": ("dpmm", {}),          # dpmm's AIM: a second packaged AIM, same expert setting
    "dpctgan": ("smartnoise-synth", {"epochs": 300}),
    "ctgan": ("ctgan", {"epochs": 300, "verbose": True}),
}
PRIVATE = {"aim", "mst", "dpctgan", "dpmm-aim"}
# The expert discretisation of AIM and MST (peer_fit.Discretiser): one bin per value for integer
# columns with at most 128 values in their public range (ratings, levels, counts, ages, years of
# service, hours a week: HR's integer scales peak at round values that wider bins would smear),
# 20 equal-width bins over the public bounds for any other number or date (the resolution of the
# 20-bin marginal measure; at 500–1,600 rows a 20 × 20 pair already has 1–4 rows per cell).
EXPERT_BINS = {"bins": 20, "per_value_max": 128}
FIGURES = ("epsilon_spent", "marginal", "pairwise", "tstr", "trtr", "dcr_ratio", "exact_copies", "mia_advantage",
           "seconds_wall", "peak_rss_mib")
README = HERE / "README.md"
SECTION = "## Peers on Adult"


def ensure_env(name: str) -> Path:
    """The peer's venv python, creating and installing the venv the first time."""
    env = ENVS / name
    python = env / "bin" / "python"
    marker = env / "installed.txt"
    first = [] if name in NO_TORCH else [TORCH]
    wanted = "\n".join(first + ENV_PACKAGES[name])
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    subprocess.run(["python3.11", "-m", "venv", str(env)], check=True)
    if first:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *first], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *ENV_PACKAGES[name]], check=True)
    marker.write_text(wanted)
    return python


def _parse_set(items: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for item in items:
        key, _, value = item.partition("=")
        peer, _, field = key.partition(".")
        if peer not in PEERS or not field:
            raise SystemExit(f"--set wants peer.field=value with peer in {sorted(PEERS)}, got {item!r}")
        out.setdefault(peer, {})[field] = json.loads(value) if value[:1] in "[0123456789-.tfn" else value
    return out


def delta_for(rows: int) -> float:
    """Doppel's default δ for a table of ``rows`` (DESIGN §2.5), given to every peer in expert mode."""
    return min(1e-5, rows ** -1.1)


def run_once(peer: str, epsilon: float | None, seed: int, settings: dict, bounds_mode: str, dataset: str,
             work: Path) -> dict:
    real_train, holdout, target = split(dataset)
    schema = declared_schema(dataset, real_train, public=False)   # the kinds every tool is scored with
    numeric = [c.name for c in schema.learned if c.kind in (Kind.INTEGER, Kind.CONTINUOUS)]
    train_csv, out_csv, spec_json = work / "train.csv", work / "synthetic.csv", work / "spec.json"
    learned = [c.name for c in schema.learned]
    real_train[learned].to_csv(train_csv, index=False)
    expert = bounds_mode == "expert"
    spec = {"peer": peer, "train_csv": str(train_csv), "out_csv": str(out_csv), "seed": seed,
            "rows": len(real_train), "epsilon": epsilon, "settings": settings, "bounds_mode": bounds_mode,
            "preprocessor_eps": 0.0 if expert or not epsilon else epsilon / 3,   # the docs' example: 1.0 of ε = 3
            "delta": delta_for(len(real_train)) if expert else None,
            "domain": {c: domain(dataset)[c] for c in learned} if expert else None,
            "continuous": numeric, "categorical": [c for c in learned if c not in numeric],
            "bounds": {c: b for c, b in ADULT_PUBLIC_BOUNDS.items() if c in numeric}}
    spec_json.write_text(json.dumps(spec))
    python = ensure_env(PEERS[peer][0])
    load_before = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.run(["nice", "-n", "19", str(python), str(HERE / "peer_fit.py"), str(spec_json)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    (work / "peer.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"{peer} failed (rc {proc.returncode}); last output:\n{(proc.stdout + proc.stderr)[-3000:]}")
    facts = json.loads(re.findall(r"^PEER_RESULT (.*)$", proc.stdout, re.M)[-1])
    # DP-CTGAN may stop short of its budget (capped epochs): bounds ε plus what training spent.
    # AIM and MST spend their whole budget by construction: the ε they report (after preprocessing).
    spent = facts["preprocessor_eps"] + facts["epsilon_spent_training"] if "epsilon_spent_training" in facts \
        else facts.get("epsilon_reported", epsilon)
    synthetic = read_table(out_csv).frame
    result = evaluate(real_train, synthetic, schema, target=target, holdout=holdout, seed=seed)
    return {"peer": peer, "dataset": dataset, "epsilon": epsilon, "seed": seed, "settings": settings,
            "epsilon_spent": spent, **measures(result), "seconds_wall": wall, "seconds_fit_and_sample": facts.pop("seconds_fit_and_sample"),
            "peak_rss_mib": facts.pop("peak_rss_mib"), "loadavg_before": load_before, "loadavg_after": load_after,
            "cpus": os.cpu_count(), "machine": platform.node(), **facts}


def summarise(runs: list[dict]) -> list[dict]:
    """Median, min and max of each figure per peer, ε and settings (runs of other settings kept apart)."""
    groups: dict[str, list[dict]] = {}
    for run in runs:
        groups.setdefault(json.dumps([run["peer"], run["epsilon"], run["settings"], run.get("bounds")]), []).append(run)
    out = []
    for key, members in groups.items():
        peer, epsilon, settings, bounds = json.loads(key)
        row = {"peer": peer, "epsilon": epsilon, "settings": settings, "bounds": bounds,
               "seeds": [m["seed"] for m in members], "commands": [m["command"] for m in members]}
        for figure in FIGURES:
            values = [m[figure] for m in members if m.get(figure) is not None]
            if values:
                row[figure] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
        row["loadavg_1min"] = [round(m["loadavg_before"][0], 2) for m in members]
        out.append(row)
    return sorted(out, key=lambda r: (r["peer"], r["epsilon"] or 0))


def _cell(row: dict, figure: str, digits: int = 3) -> str:
    stats = row.get(figure)
    if not stats:
        return "–"
    text = f"{stats['median']:.{digits}f}"
    return text if len(row["seeds"]) == 1 else f"{text} ({stats['min']:.{digits}f}–{stats['max']:.{digits}f})"


def write_readme(report: dict) -> None:
    lines = [SECTION, "",
             "Written by `python benchmarks/peers.py ... --readme` from `results/peers_adult.json`. Adult, target "
             "`class`, 80/20 split (split seed 0), as many synthetic rows as training rows, scored by "
             "`engine.evaluation.evaluate` in the main venv; median (min–max) over the seeds listed.",
             "The load average before each run is in the `load` column: at about 1 or less the peer had the 2 "
             "cores to itself (the peer itself adds 1); the runs kept from 2026-11-21 at load 3–7 shared them, so "
             "their times are not fair comparisons.", "",
             "| peer | ε | settings | bounds | seeds | ε spent | marginal | pairwise | TSTR AUC | TRTR | DCR ratio | exact copies "
             "| MIA adv. | wall s | peak MiB | load (1 min) | command |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in report["summary"]:
        settings = ", ".join(f"{k}={v}" for k, v in row["settings"].items() if k != "verbose") or "defaults"
        lines.append(" | ".join([
            f"| {row['peer']}", "—" if row["epsilon"] is None else f"{row['epsilon']:g}", settings,
            str(row["bounds"]), " ".join(map(str, row["seeds"])), _cell(row, "epsilon_spent", 2), _cell(row, "marginal"), _cell(row, "pairwise"),
            _cell(row, "tstr"), _cell(row, "trtr"), _cell(row, "dcr_ratio"), _cell(row, "exact_copies", 4),
            _cell(row, "mia_advantage"), _cell(row, "seconds_wall", 0), _cell(row, "peak_rss_mib", 0),
            " ".join(map(str, row["loadavg_1min"])), "; ".join(f"`{c}`" for c in row["commands"]) + " |"]))
    lines += ["", "How each peer was set up:", "",
              f"- Environments: `benchmarks/.envs/<venv>/`, {TORCH} (CPU) first where the peer uses torch (not dpmm's), then "
              f"{', '.join(p for ps in ENV_PACKAGES.values() for p in ps)}; smartnoise-synth 1.0.8 brings its pinned "
              "Opacus 0.14.0 and mbi (Private-PGM on jax); Opacus 0.14 runs on torch 2.13 unchanged.",
              "- DP-CTGAN and CTGAN (`bounds` dp): each tool's documented defaults (constructor defaults, and the docs' "
              "`Synthesizer.create(name, epsilon=...)` then `fit(..., preprocessor_eps=...)`), with the docs' share of "
              "ε for the DP bound search (1.0 of ε = 3, so ε/3) taken out of the same ε; DP-CTGAN scales numbers "
              "min-max between those bounds ('gan' style), and its numeric output is rounded to whole numbers, as "
              "Adult's columns are.",
              "- AIM and MST (`bounds` expert): the expert setting of the small tables (see \"Small tables: Doppel and "
              "peers\"): the whole ε to the synthesizer, δ = 1e-5, the public domains of `datasets.py` (the published "
              "Adult ranges above, adult.names' category lists, '?' as an empty cell of workclass, occupation and "
              "native-country); one bin per value for age, education-num and hours-per-week, 20 equal-width bins "
              "for fnlwgt, capital-gain and capital-loss; rows drawn i.i.d. from the fitted model, each bin decoded "
              "uniformly inside it.", ""]
    lines += [f"- {note}" for note in report.get("notes", [])]
    lines += ["", "Per-run details (bounds found, ε spent in training, epochs run, load average) are in the "
              "JSON's `runs`.", ""]
    text = README.read_text() if README.exists() else "# Benchmarks\n\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + "\n".join(lines) + (text[end + 1:] if end >= 0 else "")
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(TABLES), default="adult")
    parser.add_argument("--peers", nargs="+", choices=sorted(PEERS), default=sorted(PEERS))
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 3.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", action="append", default=[], help="peer setting, e.g. dpctgan.epochs=50")
    parser.add_argument("--bounds", choices=["expert", "dp", "public"], default="expert",
                        help="expert: the public domains of datasets.py and AIM/MST's expert discretisation; "
                             "dp: the peer's own DP bound search, public bounds only if it fails")
    parser.add_argument("--out", help="default: results/peers_adult.json for adult, results/peers_small.json else")
    parser.add_argument("--readme", action="store_true")
    parser.add_argument("--note", action="append", default=[], help="a finding to keep with the results")
    parser.add_argument("--no-run", action="store_true", help="only record --note and rewrite the README")
    args = parser.parse_args()
    overrides = _parse_set(args.set)
    keyed = args.dataset != "adult"
    out = Path(args.out or HERE / "results" / ("peers_small.json" if keyed else "peers_adult.json"))
    report = json.loads(out.read_text()) if out.exists() else ({"datasets": {}} if keyed else {"runs": []})
    section = report["datasets"].setdefault(args.dataset, {"runs": []}) if keyed else report
    report["notes"] = report.get("notes", []) + args.note
    for peer in [] if args.no_run else args.peers:
        expert = EXPERT_BINS if args.bounds == "expert" and peer in ("aim", "mst", "dpmm-aim") else {}
        settings = {**PEERS[peer][1], **expert, **overrides.get(peer, {})}
        for epsilon in (args.epsilons if peer in PRIVATE else [None]):
            for seed in args.seeds:
                command = " ".join(["python benchmarks/peers.py", f"--dataset {args.dataset}", f"--peers {peer}",
                                    *([f"--epsilons {epsilon:g}"] if epsilon else []), f"--seeds {seed}",
                                    f"--bounds {args.bounds}",
                                    *[f"--set {s}" for s in args.set if s.startswith(peer + ".")]])
                with tempfile.TemporaryDirectory(prefix=f"peer-{peer}-") as work:
                    run = run_once(peer, epsilon, seed, settings, args.bounds, args.dataset, Path(work))
                run["command"] = command
                print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in run.items()
                                  if k != "model_cliques"}), flush=True)
                section["runs"].append(run)
                _save(report, section, out, args.readme and not keyed)
    _save(report, section, out, args.readme and not keyed)


def _save(report: dict, section: dict, out: Path, readme: bool) -> None:
    """Written after every run, so a long session that is cut short keeps what it measured."""
    section["summary"] = summarise(section["runs"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    if readme:
        write_readme(report)


if __name__ == "__main__":
    main()
