"""The self-contained HTML report of an evaluation, and its headline rows in words.

The HTML has no external references of any kind (no scripts, fonts, style sheets or images
from elsewhere): it opens offline and prints.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from matplotlib.figure import Figure

from engine import __version__
from engine.evaluation.bands import BANDS
from engine.evaluation.figures import BAND_COLORS, figures, png_bytes
from engine.evaluation.results import EvaluationResult
from engine.io import atomic_write_bytes


FACT_LABELS = {"noise_multiplier": "noise multiplier σ", "sample_rate": "sample rate q", "steps": "DP-SGD steps",
               "steps_planned": "DP-SGD steps planned", "epochs": "epochs", "batch": "expected real rows per step",
               "pairs_measured": "pairs measured", "rounds": "pair rounds",
               "rounds_planned": "pair rounds planned (at the first round's budget)",
               "pair_sigma": "pair σ, first round (later ones may be smaller)",
               "selection_epsilon": "ε of a pair's choice, first round"}


@dataclass(frozen=True)
class SummaryRow:
    """One headline measure in words: ``measure`` is its key in :data:`~engine.evaluation.BANDS`."""

    measure: str
    title: str
    value: str
    band: str

    @property
    def meaning(self) -> str:
        """What the band means in plain language, and the thresholds behind it."""
        scale = BANDS[self.measure]
        found = next((b.meaning for b in scale.bands if b.label == self.band), "not measured")
        return f"{found}. Bands: {scale.thresholds_text()}."


def summary_rows(r: EvaluationResult) -> list[SummaryRow]:
    """The headline measures of a result, best read top to bottom."""
    rows = [SummaryRow("marginal", "Column distributions (mean 1 − TVD)", _num(r.marginal), r.marginal_band),
            SummaryRow("pairwise", "Pairs of columns (mean 1 − TVD)", _num(r.pairwise), r.pairwise_band)]
    if r.associations:
        rows.append(SummaryRow("association", "Correlation difference (mean |Δ|)",
                               _num(r.associations.mean_abs_difference), r.associations.band))
    if r.utility:
        u = r.utility
        rows.append(SummaryRow("utility", f"Prediction of '{u.target}' (TSTR {u.metric} {_num(u.tstr)} vs TRTR "
                               f"{_num(u.trtr)}; relative)", _num(u.relative), u.band))
    if r.privacy:
        p = r.privacy
        rows += [SummaryRow("exact_copies", "Exact copies of training rows (synthetic / unseen real)",
                            f"{p.exact_copy_share:.2%} / {p.holdout_copy_share:.2%}", p.exact_copy_band),
                 SummaryRow("dcr", "Distance to closest record (median ratio synthetic ÷ holdout)",
                            _num(p.dcr_ratio, ".2f"), p.dcr_band),
                 SummaryRow("membership", "Membership-inference advantage", _num(p.mia_advantage), p.mia_band)]
    return rows


CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; max-width: 1100px;
       margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc;
       padding-bottom: .2em; margin-top: 1.6em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: .6em 0; } th, td { border: 1px solid #ddd; padding: .25em .6em;
       text-align: left; vertical-align: top; } th { background: #f4f4f4; } td.num { text-align: right;
       font-variant-numeric: tabular-nums; }
.notice { border: 2px solid #c0392b; background: #fdf0ee; padding: .7em 1em; margin: 1em 0; }
.warn { border-left: 4px solid #b7791f; background: #fff8e6; padding: .4em .8em; margin: .4em 0; }
.band { display: inline-block; padding: 0 .5em; border-radius: .7em; color: #fff; font-size: .9em; }
.muted { color: #666; font-size: .92em; }
figure { margin: .8em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; } .grid { display: flex; flex-wrap: wrap; gap: .5em; }
.grid figure { width: 49%; margin: 0; }
@media print { body { max-width: none; margin: 0; font-size: 11px; } h2 { page-break-after: avoid; }
  .grid figure { width: 48%; } .notice, .warn { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .band { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""



def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, fmt: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return format(value, fmt)


def _band(label: str) -> str:
    return f'<span class="band" style="background:{BAND_COLORS.get(label, "#777")}">{_e(label)}</span>'


def _img(fig: Figure, alt: str) -> str:
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></figure>'


def _rows(rows: list[list[str]], header: list[str], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(result: EvaluationResult, figs: Mapping[str, Figure] | None = None, *,
                title: str = "Doppel synthetic data report", sources: Mapping[str, str] | None = None) -> str:
    """The report as one self-contained HTML document (images embedded as data: URIs)."""
    figs = figures(result) if figs is None else figs
    r = result
    parts: list[str] = [f"<h1>{_e(title)}</h1>",
                        f'<p class="muted">Doppel {_e(__version__)} · '
                        f'{_e(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))} · '
                        f"{r.rows_real:,} real rows, {r.rows_synthetic:,} synthetic rows · computed in "
                        f"{r.seconds:.1f} s</p>"]
    if sources:
        parts.append(_rows([[_e(k), _e(v)] for k, v in sources.items()], ["input", "file"]))
    parts.append(f'<div class="notice"><strong>Not covered by differential privacy — do not share outside the '
                 f"team.</strong> {_e(r.notice)} Distances to real records are shown only as aggregates.</div>")
    for w in r.warnings:
        parts.append(f'<div class="warn">⚠ {_e(w)}</div>')

    # summary
    summary = [[_e(row.title), _e(row.value), _band(row.band)] for row in summary_rows(r)]
    parts += ["<h2>Summary</h2>", _rows(summary, ["measure", "value", "band"], {1})]

    # run facts
    parts.append("<h2>Privacy of the synthetic table (the DP guarantee)</h2>")
    if r.run is not None and r.run.epsilon is not None:
        f = r.run
        facts = [["ε spent (target)", f"{_num(f.epsilon)} ({_num(f.epsilon_target, 'g')})"],
                 ["δ", _num(f.delta, ".2g")], ["model", _e(f.synthesizer or "–")],
                 *[[_e(FACT_LABELS.get(k, k.replace("_", " "))), _num(v, ".4g")] for k, v in f.facts],
                 ["ε of DP preprocessing (bounds, bins, categories)", _num(f.preprocessing_epsilon)],
                 ["accountant", _e(f.accountant)],
                 ["ε spent on this source table over all runs (ledger)", _num(f.ledger_total)]]
        parts.append(_rows(facts, ["fact", "value"], {1}))
        parts.append(f'<p>The synthetic table and the model satisfy (ε = {_num(f.epsilon)}, δ = {_num(f.delta, ".2g")})'
                     "-differential privacy for every employee in the source table. The rest of this report "
                     "does not.</p>")
    else:
        parts.append("<p>No model was given, so ε, δ and σ are not shown. Pass the model "
                     "(<code>--model</code>) to include the run's privacy facts.</p>")
        if r.run is not None and r.run.ledger_total is not None:
            parts.append(f"<p>Ledger: ε = {_num(r.run.ledger_total)} spent on this source table over all runs.</p>")
    if "training" in figs:
        parts.append(_img(figs["training"], "losses and epsilon over training"))

    # fidelity
    parts.append("<h2>Fidelity</h2>")
    parts.append("<p>Each column's real and synthetic distributions are compared with 1 − total variation "
                 "distance (1 = identical). Numbers are binned into 20 quantile bins of the real column; "
                 "missing values count as their own bin.</p>")
    if "fidelity" in figs:
        parts.append(_img(figs["fidelity"], "column fidelity"))
    parts.append(_rows([[_e(c.column), _e(c.kind), _num(c.fidelity), _band(c.band), f"{c.real_missing:.1%}",
                         f"{c.synthetic_missing:.1%}"] for c in r.columns],
                       ["column", "kind", "1 − TVD", "band", "missing (real)", "missing (synthetic)"], {2, 4, 5}))
    parts.append(f"<h3>Pairs of columns</h3><p>Mean 1 − TVD over every pair of columns (10 bins each): "
                 f"<strong>{_num(r.pairwise)}</strong> {_band(r.pairwise_band)}. Least faithful pairs:</p>")
    parts.append(_rows([[_e(p.left), _e(p.right), _num(p.fidelity)] for p in r.worst_pairs],
                       ["column", "column", "1 − TVD"], {2}))
    if r.associations is not None:
        parts.append("<h3>Correlations</h3><p>Pearson r between numbers, Cramér's V between categories and the "
                     "correlation ratio η between a number and a category.</p>")
        if "associations" in figs:
            parts.append(_img(figs["associations"], "association matrices and their difference"))

    # utility
    parts.append("<h2>Usefulness (train on synthetic, test on real)</h2>")
    if r.utility:
        u = r.utility
        parts.append(_rows([[_e(u.target), _e(u.task), _e(u.metric), _num(u.tstr), _num(u.trtr), _num(u.chance),
                             _num(u.relative), _band(u.band)]],
                           ["target", "task", "metric", "TSTR", "TRTR", "chance", "relative", "band"], {3, 4, 5, 6}))
        parts.append(f'<p class="muted">A gradient-boosting model trained on {u.train_rows_synthetic:,} synthetic rows '
                     f"(TSTR) and one trained on {u.train_rows_real:,} real training rows (TRTR) are both tested on "
                     f"{u.test_rows:,} real holdout rows. Relative = (TSTR − chance) ÷ (TRTR − chance).</p>")
    else:
        parts.append("<p>No target column was chosen (<code>--target</code>), so usefulness was not measured.</p>")

    # privacy risk
    parts.append("<h2>Privacy risk (reads real rows; aggregates only)</h2>")
    if r.privacy:
        p = r.privacy
        parts.append(_rows([
            ["median distance synthetic → closest training row", _num(p.dcr_synthetic_median)],
            ["median distance holdout (unseen real) → closest training row", _num(p.dcr_holdout_median)],
            ["5th percentile, synthetic / holdout", f"{_num(p.dcr_synthetic_p5)} / {_num(p.dcr_holdout_p5)}"],
            ["synthetic rows identical to a training row", f"{p.exact_copy_share:.2%}"],
            ["holdout rows identical to a training row (baseline)", f"{p.holdout_copy_share:.2%}"],
            ["membership attack AUC / advantage", f"{_num(p.mia_auc)} / {_num(p.mia_advantage)}"]],
            ["measure", "value"], {1}))
        parts.append('<p class="muted">Distances use standardized numbers and one-hot categories (a differing '
                     "category counts like one standard deviation). The membership attack guesses that a real "
                     "person was in the training table when a synthetic row lies close to them; advantage = "
                     "2·AUC − 1 (0 = no better than a coin).</p>")
        if "privacy" in figs:
            parts.append(_img(figs["privacy"], "distance to closest record histogram"))

    # coverage
    parts.append("<h2>Coverage of categories</h2>")
    if r.coverage:
        parts.append(_rows([[_e(c.column), str(c.real_categories), str(c.synthetic_categories),
                             _e(", ".join(c.missing[:12]) + (" …" if len(c.missing) > 12 else "")) or "–",
                             f"{c.missing_share:.1%}",
                             _e(", ".join(c.synthetic_only[:12]) + (" …" if len(c.synthetic_only) > 12 else "")) or "–",
                             f"{c.synthetic_only_share:.1%}"] for c in r.coverage],
                           ["column", "real categories", "synthetic categories", "never generated",
                            "real rows affected", "only in synthetic", "synthetic rows affected"], {1, 2, 4, 6}))
        parts.append('<p class="muted">Categories held by very few people are left out of the model on purpose '
                     "(DP threshold), so some real categories are expected to be missing.</p>")
    else:
        parts.append("<p>No category columns.</p>")

    # per-column pictures
    columns = [k for k in figs if k.startswith("column:")]
    if columns:
        parts.append("<h2>Columns, real vs synthetic</h2><div class=\"grid\">")
        parts += [_img(figs[k], k.split(":", 1)[1]) for k in columns]
        parts.append("</div>")

    # bands and method
    parts.append("<h2>How to read the bands</h2>")
    parts.append(_rows([[_e(s.title), _e(s.thresholds_text())] for s in BANDS.values()], ["measure", "bands"]))
    parts.append("<h2>Method and notes</h2><ul>")
    parts.append(f"<li>Holdout: {_e(r.holdout)}.</li>")
    parts += [f"<li>{_e(n)}</li>" for n in r.notes]
    parts.append("</ul>")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def write_html(result: EvaluationResult, figs: Mapping[str, Figure] | None, path: str | Path, **kwargs) -> Path:
    """Write the report atomically (a reader sees the old file or the whole new one)."""
    return atomic_write_bytes(path, render_html(result, figs, **kwargs).encode("utf-8"))
