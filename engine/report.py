"""Pictures and the self-contained HTML report of an :class:`~engine.evaluation.EvaluationResult`.

Figures are plain :class:`matplotlib.figure.Figure` objects built without pyplot (no global
state, Agg canvas), so the GUI can put the same figures in a ``FigureCanvasQTAgg`` and the
report can embed them as base64 PNGs. The HTML has no external references of any kind
(no scripts, fonts, style sheets or images from elsewhere): it opens offline and prints.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine import __version__
from engine.evaluation import BANDS, EvaluationResult
from engine.sources import atomic_write_bytes

REAL_COLOR = "#4c72b0"
SYNTH_COLOR = "#dd8452"
BAND_COLORS = {"excellent": "#1a7f37", "good": "#4d9a2a", "fair": "#b7791f", "poor": "#c0392b", "n/a": "#777"}


# ----------------------------------------------------------------------------------------------
# Figures

def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def column_figure(result: EvaluationResult, column: str) -> Figure:
    """Real vs synthetic histogram (numbers) or bar chart (categories) of one column."""
    hist = next(h for h in result.histograms if h.column == column)
    fig = _figure(6.0, 3.0)
    ax = fig.add_subplot()
    x = np.arange(len(hist.labels))
    if hist.numeric:
        ax.bar(x, hist.real, width=1.0, color=REAL_COLOR, alpha=0.55, label="real")
        ax.bar(x, hist.synthetic, width=1.0, color=SYNTH_COLOR, alpha=0.55, label="synthetic")
        ticks = [i for i in range(len(hist.labels)) if i % 6 == 0 or hist.labels[i] == "(missing)"]
        ax.set_xticks(ticks, [hist.labels[i].split("–")[0] if hist.labels[i] != "(missing)" else "(missing)"
                              for i in ticks], fontsize=7)
    else:
        ax.bar(x - 0.2, hist.real, width=0.4, color=REAL_COLOR, label="real")
        ax.bar(x + 0.2, hist.synthetic, width=0.4, color=SYNTH_COLOR, label="synthetic")
        ax.set_xticks(x, [_clip(label, 18) for label in hist.labels], rotation=45, ha="right", fontsize=7)
    fidelity = next((c.fidelity for c in result.columns if c.column == column), float("nan"))
    ax.set_title(f"{column} ({hist.kind}) — fidelity {fidelity:.3f}", fontsize=9)
    ax.set_ylabel("share of rows", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, frameon=False)
    return fig


def fidelity_figure(result: EvaluationResult) -> Figure:
    """Per-column 1 − TVD as horizontal bars with the band thresholds drawn."""
    cols = sorted(result.columns, key=lambda c: c.fidelity)
    fig = _figure(6.0, max(2.0, 0.25 * len(cols) + 0.9))
    ax = fig.add_subplot()
    ax.barh([c.column for c in cols], [c.fidelity for c in cols],
            color=[BAND_COLORS.get(c.band, "#777") for c in cols])
    for b in BANDS["marginal"].bands[:-1]:
        ax.axvline(b.threshold, color="#999", lw=0.7, ls="--")
    ax.set_xlim(max(0.0, min([c.fidelity for c in cols] + [0.8]) - 0.05), 1.0)
    ax.set_xlabel("1 − total variation distance", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title("Column fidelity (dashed: band thresholds)", fontsize=9)
    return fig


def association_figure(result: EvaluationResult) -> Figure:
    """Real, synthetic and difference association matrices (Pearson / Cramér's V / η)."""
    a = result.associations
    n = len(a.columns)
    size = min(14.0, max(7.5, 0.35 * n * 3))
    fig = _figure(size, size / 3 + 1.0)
    axes = fig.subplots(1, 3)
    labels = [_clip(c, 14) for c in a.columns]
    panels = ((np.asarray(a.real), "real", "RdBu_r", -1, 1), (np.asarray(a.synthetic), "synthetic", "RdBu_r", -1, 1),
              (a.difference, f"synthetic − real (mean |Δ| {a.mean_abs_difference:.3f})", "PuOr_r", -0.5, 0.5))
    for ax, (m, title, cmap, lo, hi) in zip(axes, panels):
        image = ax.imshow(m, cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=9)
        fontsize = 7 if n <= 20 else 5
        ax.set_xticks(range(n), labels, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(n), labels if ax is axes[0] else [""] * n, fontsize=fontsize)
        fig.colorbar(image, ax=ax, shrink=0.7).ax.tick_params(labelsize=6)
    return fig


def privacy_figure(result: EvaluationResult) -> Figure:
    """Distribution of distances to the closest training row: synthetic vs holdout (aggregates)."""
    p = result.privacy
    edges = np.asarray(p.dcr_edges)
    centers = (edges[:-1] + edges[1:]) / 2
    width = edges[1] - edges[0]
    fig = _figure(6.0, 3.0)
    ax = fig.add_subplot()
    ax.bar(centers, p.dcr_holdout_hist, width=width, color=REAL_COLOR, alpha=0.55, label="holdout (unseen real) → train")
    ax.bar(centers, p.dcr_synthetic_hist, width=width, color=SYNTH_COLOR, alpha=0.55, label="synthetic → train")
    ax.set_xlabel("distance to closest training row (standardized; last bin includes larger)", fontsize=8)
    ax.set_ylabel("share of rows", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(f"Distance to closest record — median ratio {p.dcr_ratio:.2f}", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return fig


def training_figure(result: EvaluationResult) -> Figure | None:
    """Loss curves (when the run's log was given) and ε spent over training steps."""
    run = result.run
    if run is None or (not run.losses and not run.epsilon_curve):
        return None
    panels = int(bool(run.losses)) + int(bool(run.epsilon_curve))
    fig = _figure(6.0 * panels, 3.0)
    axes = list(np.atleast_1d(fig.subplots(1, panels)))
    if run.losses:
        ax = axes.pop(0)
        steps, d, g = zip(*run.losses)
        ax.plot(steps, d, label="discriminator", color=REAL_COLOR)
        ax.plot(steps, g, label="generator", color=SYNTH_COLOR)
        ax.set_xlabel("step", fontsize=8)
        ax.set_title("Losses", fontsize=9)
        ax.legend(fontsize=7, frameon=False)
        ax.tick_params(labelsize=7)
    if run.epsilon_curve:
        ax = axes.pop(0)
        steps, eps = zip(*run.epsilon_curve)
        ax.plot(steps, eps, color="#555")
        if run.epsilon_target:
            ax.axhline(run.epsilon_target, color=BAND_COLORS["poor"], ls="--", lw=0.8, label="target ε")
            ax.legend(fontsize=7, frameon=False)
        ax.set_xlabel("DP-SGD step (step 0 = after preprocessing)", fontsize=8)
        ax.set_ylabel("ε spent", fontsize=8)
        ax.set_title("ε over training (RDP bound; the final ε may be tighter)", fontsize=9)
        ax.tick_params(labelsize=7)
    return fig


def figures(result: EvaluationResult) -> dict[str, Figure]:
    """All pictures of a result, by key: ``fidelity``, ``associations``, ``privacy``,
    ``training`` (when there is a run), and ``column:NAME`` for every compared column."""
    out: dict[str, Figure] = {"fidelity": fidelity_figure(result)}
    if result.associations is not None:
        out["associations"] = association_figure(result)
    if result.privacy is not None:
        out["privacy"] = privacy_figure(result)
    training = training_figure(result)
    if training is not None:
        out["training"] = training
    for hist in result.histograms:
        out[f"column:{hist.column}"] = column_figure(result, hist.column)
    return out


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------
# Summary (shared by the HTML report and the app's Report page)


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


# ----------------------------------------------------------------------------------------------
# HTML

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


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


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
                 ["δ", _num(f.delta, ".2g")], ["noise multiplier σ", _num(f.noise_multiplier)],
                 ["DP-SGD steps / epochs", f"{f.steps:,} / {_num(f.epochs, '.2f')}"],
                 ["sample rate q", _num(f.sample_rate, ".4g")],
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
