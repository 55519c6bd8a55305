"""Fidelity: each column's and each pair's distribution (1 − TVD), display histograms, category coverage."""

from __future__ import annotations

import numpy as np

from engine.evaluation.bands import band
from engine.evaluation.columns import MISSING, TypedColumn, bin_codes, tvd
from engine.evaluation.results import ColumnFidelity, Coverage, Histogram, PairFidelity


MARGINAL_BINS = 20


PAIR_BINS = 10


DISPLAY_CATEGORIES = 20    # bars shown per categorical histogram (the rest is "other")


def marginal_fidelity(cols: list[TypedColumn]) -> tuple[ColumnFidelity, ...]:
    out = []
    for col in cols:
        r, s, k = bin_codes(col, MARGINAL_BINS)
        fid = 1.0 - tvd(r, s, k)
        out.append(ColumnFidelity(col.spec.name, col.spec.kind.value, fid, band("marginal", fid),
                                  float(col.real.isna().mean()), float(col.synth.isna().mean())))
    return tuple(out)


def pair_fidelity(cols: list[TypedColumn]) -> list[PairFidelity]:
    coded = [bin_codes(col, PAIR_BINS) for col in cols]
    out = []
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            (ri, si, ki), (rj, sj, kj) = coded[i], coded[j]
            fid = 1.0 - tvd(ri * kj + rj, si * kj + sj, ki * kj)
            out.append(PairFidelity(cols[i].spec.name, cols[j].spec.name, fid))
    return out


def display_histograms(cols: list[TypedColumn]) -> tuple[Histogram, ...]:
    out = []
    for col in cols:
        if col.numeric:
            r, s = col.real.to_numpy(float), col.synth.to_numpy(float)
            finite = r[np.isfinite(r)]
            if finite.size == 0:
                continue
            low, high = np.quantile(finite, [0.005, 0.995])
            if high <= low:
                low, high = float(finite.min()) - 0.5, float(finite.max()) + 0.5
            edges = np.linspace(low, high, 31)
            labels = [f"{_short(edges[i])}–{_short(edges[i + 1])}" for i in range(30)]
            shares = []
            for v in (r, s):
                c = np.clip(np.searchsorted(edges, v[np.isfinite(v)], side="right") - 1, 0, 29)
                shares.append(list(np.bincount(c, minlength=30) / max(len(v), 1)))
            if col.real.isna().any() or col.synth.isna().any():
                labels.append(MISSING)
                shares[0].append(float(col.real.isna().mean()))
                shares[1].append(float(col.synth.isna().mean()))
            out.append(Histogram(col.spec.name, col.spec.kind.value, tuple(labels),
                                 tuple(map(float, shares[0])), tuple(map(float, shares[1])), True))
        else:
            real = col.real.fillna(MISSING).value_counts(normalize=True)
            synth = col.synth.fillna(MISSING).value_counts(normalize=True)
            top = list(real.index[:DISPLAY_CATEGORIES])
            for extra in synth.index:       # show synthetic-only categories when there is room
                if len(top) >= DISPLAY_CATEGORIES:
                    break
                if extra not in top:
                    top.append(extra)
            rs = [float(real.get(c, 0.0)) for c in top]
            ss = [float(synth.get(c, 0.0)) for c in top]
            if len(real) + len(synth) > 2 * len(top) or sum(rs) < 0.9999 or sum(ss) < 0.9999:
                top.append("(other)")
                rs.append(max(0.0, 1 - sum(rs)))
                ss.append(max(0.0, 1 - sum(ss)))
            out.append(Histogram(col.spec.name, col.spec.kind.value, tuple(map(str, top)), tuple(rs), tuple(ss), False))
    return tuple(out)


def _short(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:,.0f}"


def category_coverage(cols: list[TypedColumn]) -> tuple[Coverage, ...]:
    out = []
    for col in cols:
        if col.numeric:
            continue
        real = col.real.dropna().value_counts()
        synth = col.synth.dropna().value_counts()
        missing = [c for c in real.index if c not in synth.index]
        only = [c for c in synth.index if c not in real.index]
        out.append(Coverage(col.spec.name, len(real), len(synth), tuple(sorted(map(str, missing))),
                            float(real[missing].sum() / max(len(col.real), 1)) if missing else 0.0,
                            tuple(sorted(map(str, only))),
                            float(synth[only].sum() / max(len(col.synth), 1)) if only else 0.0))
    return tuple(out)
