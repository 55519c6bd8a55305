"""Pictures of an evaluation: per-column real vs synthetic, fidelity, associations, distances,
losses and ε over training.

Figures are plain :class:`matplotlib.figure.Figure` objects built without pyplot (no global
state, Agg canvas), so the GUI can show the same figures and the report can embed them as PNGs.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.evaluation.bands import BANDS
from engine.evaluation.results import EvaluationResult


REAL_COLOR = "#4c72b0"


SYNTH_COLOR = "#dd8452"


BAND_COLORS = {"excellent": "#1a7f37", "good": "#4d9a2a", "fair": "#b7791f", "poor": "#c0392b", "n/a": "#777"}

def clip_text(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"



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
        ax.set_xticks(x, [clip_text(label, 18) for label in hist.labels], rotation=45, ha="right", fontsize=7)
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
    labels = [clip_text(c, 14) for c in a.columns]
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
        for (name, points), color in zip(run.losses, (REAL_COLOR, SYNTH_COLOR, "#55a868", "#8172b2")):
            steps, values = zip(*points)
            ax.plot(steps, values, label=name, color=color)
        ax.set_xlabel("epoch or stage (as the run reported them)", fontsize=8)
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
        ax.set_xlabel("DP-SGD step, or release of a measured pair (0 = after preprocessing)", fontsize=8)
        ax.set_ylabel("ε spent", fontsize=8)
        ax.set_title("ε over training (RDP; the last point is what the run is charged)", fontsize=9)
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
