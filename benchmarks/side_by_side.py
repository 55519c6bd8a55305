"""Doppel beside the peers: Markdown tables from ``quality.py``'s / ``small_tables.py``'s and ``peers.py``'s JSON.

Run by hand after the benchmarks:
    python benchmarks/side_by_side.py [--quality benchmarks/results/quality_adult.json]
                                      [--peers benchmarks/results/peers_adult.json]
    python benchmarks/side_by_side.py --small [--quality benchmarks/results/quality_small.json]
                                      [--peers benchmarks/results/peers_small.json]
Rewrites the "Doppel and peers on Adult" section of ``benchmarks/README.md``: median
(min–max) over seeds of every figure, the wall time of fit plus sampling, and each tool's
time over Doppel's at the same ε, so the claim "better at the same ε, in a fraction of the
time" can be read off one table. With ``--small`` it rewrites the "Small tables" section
instead: one block per table and ε, every tool's row beside Doppel's.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from peers import FIGURES, README, _cell

HERE = Path(__file__).resolve().parent
SECTION = "## Doppel and peers on Adult"
SMALL_SECTION = "## Small tables: Doppel and peers"
SMALL_TABLES = ("demo", "hr500", "hr1500", "adult1000")
TARGETS = {1.0: {"tstr": 0.84, "pairwise": 0.88, "marginal": 0.93, "seconds_wall": 180},
           3.0: {"tstr": 0.87, "pairwise": 0.90, "marginal": 0.95, "seconds_wall": 300}}


def doppel_rows(quality: dict) -> list[dict]:
    """quality.py's runs grouped by ε, in the row format of ``peers.summarise``."""
    by_eps: dict[float, list[dict]] = {}
    for run in quality["runs"]:
        by_eps.setdefault(run["epsilon"], []).append(run)
    rows = []
    for epsilon, runs in sorted(by_eps.items()):
        row = {"peer": "**Doppel**", "epsilon": epsilon, "settings": runs[0]["overrides"], "bounds": "dp",
               "seeds": [r["seed"] for r in runs], "commands": [quality["command"]],
               "loadavg_1min": [r["loadavg_before"][0] for r in runs]}
        for figure in FIGURES:
            values = [r[figure] for r in runs if r.get(figure) is not None]
            if values:
                row[figure] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
        rows.append(row)
    return rows


def _meets(row: dict) -> str:
    target = TARGETS.get(row["epsilon"])
    if not target:
        return "–"
    failed = [k for k, v in target.items()
              if (row[k]["median"] > v if k == "seconds_wall" else row[k]["median"] < v)]
    failed += ["copies"] if row["exact_copies"]["max"] > 0 else []
    return "all" if not failed else "misses " + ", ".join(failed)


def table(quality: dict, peers: dict) -> list[str]:
    ours = {row["epsilon"]: row for row in doppel_rows(quality)}
    rows = list(ours.values()) + [r for r in peers["summary"]]
    rows.sort(key=lambda r: (r["epsilon"] is None, r["epsilon"] or 0, not r["peer"].startswith("**")))
    lines = ["| tool | ε | settings | seeds | ε spent | marginal | pairwise | TSTR AUC | TRTR | exact copies | DCR ratio "
             "| wall s (fit + sample) | × Doppel's time | peak MiB | load (1 min) | meets the issue's targets |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        mine = ours.get(row["epsilon"]) or ours.get(3.0)
        ratio = row["seconds_wall"]["median"] / mine["seconds_wall"]["median"]
        settings = ", ".join(f"{k}={v}" for k, v in row["settings"].items() if k != "verbose") or "defaults"
        lines.append(" | ".join([
            f"| {row['peer']}", "— (not private)" if row["epsilon"] is None else f"{row['epsilon']:g}", settings,
            " ".join(map(str, row["seeds"])), _cell(row, "epsilon_spent", 2), _cell(row, "marginal"),
            _cell(row, "pairwise"), _cell(row, "tstr"), _cell(row, "trtr"), _cell(row, "exact_copies", 4),
            _cell(row, "dcr_ratio"), _cell(row, "seconds_wall", 0), f"{ratio:.1f}×", _cell(row, "peak_rss_mib", 0),
            " ".join(f"{x:.1f}" for x in row["loadavg_1min"]), (_meets(row) if row["peer"].startswith("**") else "") + " |"]))
    return lines


def small_table(quality: dict, peers: dict) -> list[str]:
    """One row per table, ε and tool (Doppel first), median (min–max) over the seeds run."""
    lines = ["| table | ε | tool | seeds | ε spent | marginal | pairwise | TSTR AUC | TRTR | exact copies | DCR ratio "
             "| MIA adv. | wall s | peak MiB | load (1 min) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in SMALL_TABLES:
        rows = [*quality.get("datasets", {}).get(name, {}).get("summary", []),
                *peers.get("datasets", {}).get(name, {}).get("summary", [])]
        order = {"doppel": 0, "aim": 1, "mst": 2, "dpctgan": 3}
        rows.sort(key=lambda r: (r["epsilon"] or 0, order.get(r["peer"], 9)))
        for row in rows:
            tool = "**Doppel**" if row["peer"] == "doppel" else row["peer"]
            lines.append(" | ".join([
                f"| {name}", f"{row['epsilon']:g}", tool, " ".join(map(str, row["seeds"])),
                _cell(row, "epsilon_spent", 2), _cell(row, "marginal"), _cell(row, "pairwise"), _cell(row, "tstr"),
                _cell(row, "trtr"), _cell(row, "exact_copies", 4), _cell(row, "dcr_ratio"),
                _cell(row, "mia_advantage"), _cell(row, "seconds_wall", 0), _cell(row, "peak_rss_mib", 0),
                " ".join(f"{x:.1f}" for x in row["loadavg_1min"]) + " |"]))
    return lines


SMALL_INTRO = [
    "Written by `python benchmarks/side_by_side.py --small` from `quality_small.json` (Doppel, "
    "`small_tables.py`) and `peers_small.json` (`peers.py --bounds expert`). Splits from `datasets.py`: "
    "`demo` 1,600 train / 400 holdout (80/20, split seed 0); `hr500` 500 / 125 and `hr1500` 1,500 / 375 "
    "from `hr_turnover.csv`, `adult1000` 1,000 / 250 from `adult.csv` (`frame.sample(n, random_state=11)`, "
    "holdout `.sample(frac=0.2, random_state=7)`). Every tool gets the same public domains (`datasets.py`: "
    "bounds, category lists, documented empty cells), δ = min(1e-5, n^-1.1), as many synthetic rows as "
    "training rows, and is scored by `engine.evaluation.evaluate` against the holdout with the same schema "
    "(0/1 flags as categories, so TSTR is a ROC AUC); median (min–max) over the seeds listed. TRTR is the "
    "real training rows' own AUC on the holdout. Wall time is fit plus sampling in a fresh process on the "
    "project's 2 shared CPU cores; the 1-minute load before each run is in the last column (above about 1, "
    "another job shared the cores and the time is not a fair comparison) and the notes below say what ran beside.",
    "",
    "Commands (each run is appended to its JSON with its own command, so seeds can be added later, e.g. "
    "`--seeds 1 2`):",
    "",
    "```bash",
    "for t in demo hr500 hr1500 adult1000; do",
    "  python benchmarks/small_tables.py --dataset $t --epsilons 1 3 --seeds 0 1 2",
    "  python benchmarks/peers.py --dataset $t --peers mst aim dpctgan --epsilons 1 3 --seeds 0 1 2",
    "done",
    "python benchmarks/side_by_side.py --small",
    "```",
    "",
    "How each tool was set up:",
    "",
    "- **Doppel**: `engine` defaults at the commit the run was made with, the schema inferred from the train "
    "split with every public bound and category list declared (`datasets.declared_schema`).",
    "- **AIM, MST** (smartnoise-synth 1.0.8 with its mbi): the whole ε to the synthesizer (the domains are "
    "public, so no ε for bounds). Our discretisation over the public domains (`peer_fit.Discretiser`): an "
    "integer column with at most 128 values in its public range gets one bin per value (ratings, levels, "
    "ages, years of service, weekly hours, number of projects), any other number or date 20 equal-width "
    "bins over its public bounds, a categorical column its public list, and a column documented to have "
    "empty cells one more code. Rows are drawn i.i.d. from the fitted graphical model (mbi's "
    "`synthetic_data(method=\"sample\")`) instead of smartnoise's `sample()` (mbi's \"round\" decoding, which "
    "correlates conditionally independent columns); a numeric bin is decoded uniformly inside the bin, then "
    "rounded to the column's decimals. AIM: smartnoise's defaults otherwise (degree 2, max_model_size 80, "
    "max_cells 10,000, 16 × columns rounds). ε spent is the ε the peer reports (it spends all of it).",
    "- **DP-CTGAN** (smartnoise-synth 1.0.8): its defaults (σ = 5, batch 500, clip 1.0, up to 300 epochs, "
    "stopping when ε is spent), the public bounds as min-max scaling (dates in days), no ε for bounds; its "
    "categories are smartnoise's own (read from the data, as its defaults do). ε spent is recomputed with "
    "its own accountant for the epochs it trained (it can overspend by one epoch).",
]


def write(lines: list[str], intro: list[str], title: str = SECTION) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n\n"
    section = "\n".join([title, "", *intro, "", *lines, "", ""])   # a blank line before the next section
    start = text.find(title)
    if start < 0:
        head, _, rest = text.partition("\n## ")
        text = head.rstrip("\n") + "\n\n" + section + ("\n## " + rest if rest else "")
    else:
        end = text.find("\n## ", start + len(title))
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="the small tables' section instead of Adult's")
    parser.add_argument("--quality", help="default: results/quality_adult.json (quality_small.json with --small)")
    parser.add_argument("--peers", help="default: results/peers_adult.json (peers_small.json with --small)")
    parser.add_argument("--note", action="append", default=[], help="a line for the small tables' section")
    args = parser.parse_args()
    if args.small:
        quality = json.loads(Path(args.quality or HERE / "results" / "quality_small.json").read_text())
        peers = json.loads(Path(args.peers or HERE / "results" / "peers_small.json").read_text())
        notes = peers.get("notes", []) + args.note
        write(small_table(quality, peers), SMALL_INTRO + [f"- {n}" for n in notes], SMALL_SECTION)
        return
    args.quality = args.quality or str(HERE / "results" / "quality_adult.json")
    args.peers = args.peers or str(HERE / "results" / "peers_adult.json")
    quality = json.loads(Path(args.quality).read_text())
    peers = json.loads(Path(args.peers).read_text())
    intro = [f"Written by `python benchmarks/side_by_side.py` from `{Path(args.quality).name}` and "
             f"`{Path(args.peers).name}`. Adult, target `class`, the same 80/20 split (split seed 0), as many "
             "synthetic rows as training rows, every tool scored by `engine.evaluation.evaluate`; median "
             "(min–max) over the seeds listed. Wall time is one fit plus sampling in a fresh process, on the "
             "same 2 CPU cores; `× Doppel's time` divides by Doppel's median at the same ε (ε = 3 for the "
             "non-private CTGAN). Targets: ε = 1 TSTR ≥ 0.84, pairwise ≥ 0.88, marginal ≥ 0.93, ≤ 180 s; "
             "ε = 3 TSTR ≥ 0.87, pairwise ≥ 0.90, marginal ≥ 0.95, ≤ 300 s; no exact copies."]
    write(table(quality, peers), intro)


if __name__ == "__main__":
    main()
