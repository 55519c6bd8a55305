"""Doppel beside the peers on Adult: one Markdown table from ``quality.py``'s and ``peers.py``'s JSON.

Run by hand after both benchmarks:
    python benchmarks/side_by_side.py [--quality benchmarks/results/quality_adult.json]
                                      [--peers benchmarks/results/peers_adult.json]
Rewrites the "Doppel and peers on Adult" section of ``benchmarks/README.md``: median
(min–max) over seeds of every figure, the wall time of fit plus sampling, and each tool's
time over Doppel's at the same ε, so the claim "better at the same ε, in a fraction of the
time" can be read off one table.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from peers import FIGURES, README, _cell

HERE = Path(__file__).resolve().parent
SECTION = "## Doppel and peers on Adult"
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


def write(lines: list[str], intro: list[str]) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n\n"
    section = "\n".join([SECTION, "", *intro, "", *lines, ""])
    start = text.find(SECTION)
    if start < 0:
        head, _, rest = text.partition("\n## ")
        text = head.rstrip("\n") + "\n\n" + section + ("\n## " + rest if rest else "")
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quality", default=str(HERE / "results" / "quality_adult.json"))
    parser.add_argument("--peers", default=str(HERE / "results" / "peers_adult.json"))
    args = parser.parse_args()
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
