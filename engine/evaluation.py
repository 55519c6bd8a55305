"""Quality and privacy measures of a synthetic table against the real one (DESIGN §4).

Pure pandas / numpy / scikit-learn: no Qt, no plotting (pictures live in ``engine.report``).
The GUI and ``doppel report`` both call :func:`evaluate` and show its :class:`EvaluationResult`
with the plain-language :data:`BANDS`.

**This evaluation reads real rows and is not covered by the differential-privacy guarantee**
(DESIGN §2.7). Everything it returns is an aggregate (shares, medians, histograms, category
names); no individual real row is ever part of the result.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from engine.errors import DoppelInputError
from engine.schema import ColumnSchema, Role, Schema

MARGINAL_BINS = 20
PAIR_BINS = 10
DISTANCE_ROWS = 5_000      # rows of each side used for distances and the membership attack
HOLDOUT_SHARE = 0.2
DISPLAY_CATEGORIES = 20    # bars shown per categorical histogram (the rest is "other")
MISSING = "(missing)"

NOT_PRIVATE_NOTICE = (
    "This report compares the synthetic table with the real one. That comparison reads real rows and is "
    "NOT covered by the differential-privacy guarantee of the synthetic table: its numbers, histograms and "
    "category lists describe the real employees. Keep the report inside the HR team; do not share it "
    "outside the team together with (or instead of) the synthetic table.")


# ----------------------------------------------------------------------------------------------
# Plain-language bands (shared by the HTML report and the GUI)

@dataclass(frozen=True)
class Band:
    """One band of a measure: ``label`` applies when the value is at least ``threshold``
    (``higher_is_better``) or at most ``threshold`` (otherwise)."""

    label: str          # excellent / good / fair / poor
    threshold: float
    meaning: str


@dataclass(frozen=True)
class Scale:
    measure: str
    title: str
    higher_is_better: bool
    bands: tuple[Band, ...]   # best first; the last band catches everything else

    def band(self, value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return "n/a"
        for b in self.bands[:-1]:
            if (value >= b.threshold) if self.higher_is_better else (value <= b.threshold):
                return b.label
        return self.bands[-1].label

    def thresholds_text(self) -> str:
        """The thresholds written down, e.g. 'excellent ≥ 0.95 · good ≥ 0.90 · … · poor below'."""
        op = "≥" if self.higher_is_better else "≤"
        parts = [f"{b.label} {op} {b.threshold:g}" for b in self.bands[:-1]]
        return " · ".join(parts + [f"{self.bands[-1].label} otherwise"])


def _scale(measure: str, title: str, higher: bool, *rows: tuple[str, float, str]) -> Scale:
    return Scale(measure, title, higher, tuple(Band(*r) for r in rows))


BANDS: dict[str, Scale] = {s.measure: s for s in (
    _scale("marginal", "Column distributions (1 − TVD)", True,
           ("excellent", 0.95, "each column's distribution is almost indistinguishable from the real one"),
           ("good", 0.90, "columns follow the real distributions closely; small shifts"),
           ("fair", 0.80, "the broad shape is right but some values are over- or under-represented"),
           ("poor", -math.inf, "distributions differ clearly from the real table")),
    _scale("pairwise", "Pairs of columns (1 − TVD)", True,
           ("excellent", 0.90, "relationships between columns are kept"),
           ("good", 0.80, "most relationships are kept"),
           ("fair", 0.70, "some relationships are weakened or lost"),
           ("poor", -math.inf, "relationships between columns are largely lost")),
    _scale("association", "Correlation difference (mean |Δ|)", False,
           ("excellent", 0.05, "correlations match the real table"),
           ("good", 0.10, "correlations are close"),
           ("fair", 0.20, "some correlations differ noticeably"),
           ("poor", math.inf, "correlations differ strongly")),
    _scale("utility", "Usefulness for prediction (TSTR relative to TRTR)", True,
           ("excellent", 0.95, "a model trained on synthetic rows predicts real rows about as well as one trained on real rows"),
           ("good", 0.85, "small loss of predictive value"),
           ("fair", 0.70, "usable for exploration; noticeably weaker models"),
           ("poor", -math.inf, "models trained on it predict real rows poorly")),
    _scale("exact_copies", "Synthetic rows copying a training row (above the holdout's rate)", False,
           ("excellent", 0.0, "no more copies of real rows than new, unseen employees would produce"),
           ("good", 0.005, "a handful of coincidental matches"),
           ("fair", 0.02, "some rows match real employees exactly: review before sharing"),
           ("poor", math.inf, "many rows copy real employees: do not share")),
    _scale("dcr", "Distance to closest record (synthetic ÷ holdout, median)", True,
           ("excellent", 1.0, "synthetic rows are no closer to the training rows than unseen real rows are"),
           ("good", 0.9, "slightly closer than unseen rows"),
           ("fair", 0.7, "noticeably closer to training rows: review before sharing"),
           ("poor", -math.inf, "synthetic rows sit on top of training rows: do not share")),
    _scale("membership", "Membership-inference advantage (2·AUC − 1)", False,
           ("excellent", 0.05, "an attacker cannot tell who was in the training table"),
           ("good", 0.10, "a slight signal, within what DP allows"),
           ("fair", 0.20, "a noticeable signal: review ε before sharing"),
           ("poor", math.inf, "an attacker can often tell who was in the training table")),
)}


def band(measure: str, value: float | None) -> str:
    """The band label ('excellent', 'good', 'fair', 'poor' or 'n/a') of ``value`` for ``measure``."""
    return BANDS[measure].band(value)


# ----------------------------------------------------------------------------------------------
# Result types

@dataclass(frozen=True)
class ColumnFidelity:
    column: str
    kind: str
    fidelity: float             # 1 − TVD, numbers in 20 quantile bins of the real column
    band: str
    real_missing: float
    synthetic_missing: float


@dataclass(frozen=True)
class PairFidelity:
    left: str
    right: str
    fidelity: float


@dataclass(frozen=True)
class Histogram:
    """Real and synthetic shares over display bins (aggregates only)."""

    column: str
    kind: str
    labels: tuple[str, ...]
    real: tuple[float, ...]
    synthetic: tuple[float, ...]
    numeric: bool


@dataclass(frozen=True)
class Associations:
    """Mixed association matrix: Pearson r (number–number), Cramér's V (category–category),
    correlation ratio η (number–category)."""

    columns: tuple[str, ...]
    real: tuple[tuple[float, ...], ...]
    synthetic: tuple[tuple[float, ...], ...]
    mean_abs_difference: float
    band: str

    @property
    def difference(self) -> np.ndarray:
        return np.asarray(self.synthetic, dtype=float) - np.asarray(self.real, dtype=float)


@dataclass(frozen=True)
class Utility:
    target: str
    task: str                  # binary / multiclass / regression
    metric: str                # roc_auc / accuracy / r2
    tstr: float                # trained on synthetic, tested on the real holdout
    trtr: float                # trained on real training rows, tested on the real holdout
    chance: float              # the metric of a constant guess (0.5 AUC, majority share, R² 0)
    relative: float            # (tstr − chance) / (trtr − chance)
    band: str
    train_rows_real: int
    train_rows_synthetic: int
    test_rows: int


@dataclass(frozen=True)
class PrivacyRisk:
    dcr_synthetic_median: float     # synthetic → closest training row
    dcr_holdout_median: float       # holdout → closest training row (the baseline)
    dcr_synthetic_p5: float
    dcr_holdout_p5: float
    dcr_ratio: float                # synthetic median ÷ holdout median
    dcr_band: str
    exact_copy_share: float         # synthetic rows identical to a training row
    holdout_copy_share: float       # holdout rows identical to a training row (baseline)
    exact_copy_band: str
    mia_auc: float                  # distance attack: closer to a synthetic row ⇒ "member"
    mia_advantage: float            # max(0, 2·AUC − 1)
    mia_band: str
    dcr_edges: tuple[float, ...]    # shared histogram of the two distance distributions
    dcr_synthetic_hist: tuple[float, ...]
    dcr_holdout_hist: tuple[float, ...]
    rows_used: int


@dataclass(frozen=True)
class Coverage:
    column: str
    real_categories: int
    synthetic_categories: int
    missing: tuple[str, ...]        # real categories never generated (mode collapse)
    missing_share: float            # share of real rows whose category is missing from synthetic
    synthetic_only: tuple[str, ...]
    synthetic_only_share: float     # share of synthetic rows with a category absent from the real table


@dataclass(frozen=True)
class RunFacts:
    epsilon: float | None
    epsilon_target: float | None
    delta: float | None
    noise_multiplier: float | None
    steps: int | None
    epochs: float | None
    sample_rate: float | None
    preprocessing_epsilon: float | None
    accountant: str | None
    ledger_total: float | None
    epsilon_curve: tuple[tuple[int, float], ...] = ()          # (step, ε spent)
    losses: tuple[tuple[int, float, float], ...] = ()          # (step, D loss, G loss)


@dataclass(frozen=True)
class EvaluationResult:
    rows_real: int
    rows_synthetic: int
    rows_train: int
    rows_holdout: int
    holdout: str                                  # how the holdout was obtained, in words
    seed: int
    marginal: float
    marginal_band: str
    columns: tuple[ColumnFidelity, ...]
    pairwise: float
    pairwise_band: str
    worst_pairs: tuple[PairFidelity, ...]
    associations: Associations | None
    utility: Utility | None
    privacy: PrivacyRisk | None
    coverage: tuple[Coverage, ...]
    histograms: tuple[Histogram, ...]
    run: RunFacts | None
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    seconds: float
    notice: str = NOT_PRIVATE_NOTICE

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and ∞ become null)."""
        return _clean(asdict(self))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


# ----------------------------------------------------------------------------------------------
# Typed columns

@dataclass
class _Column:
    spec: ColumnSchema
    numeric: bool
    real: pd.Series
    synth: pd.Series


def _typed(spec: ColumnSchema, series: pd.Series) -> pd.Series:
    values = spec.values(series)
    if spec.kind.numeric:
        return pd.to_numeric(values, errors="coerce").astype(float).reset_index(drop=True)
    return values.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                      ).astype(object).reset_index(drop=True)


def _columns(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> tuple[list[_Column], list[str]]:
    notes: list[str] = []
    chosen = [c for c in schema.output if c.role is Role.LEARN]
    fake = [c.name for c in schema.output if c.role is Role.FAKE]
    if fake:
        notes.append(f"Columns filled with fake values are not compared: {', '.join(fake)}.")
    missing_real = [c.name for c in chosen if c.name not in real.columns]
    if missing_real:
        raise DoppelInputError(f"The real table lacks column(s) {', '.join(missing_real)} of the schema; "
                               "give the table the model was trained on.")
    absent = [c.name for c in chosen if c.name not in synthetic.columns]
    if len(absent) == len(chosen):
        raise DoppelInputError("The synthetic table has none of the real table's learned columns; "
                               "check that the two files belong together.")
    if absent:
        notes.append(f"Missing from the synthetic table and left out: {', '.join(absent)}.")
    return [_Column(c, c.kind.numeric, _typed(c, real[c.name]), _typed(c, synthetic[c.name]))
            for c in chosen if c.name in synthetic.columns], notes


def _quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([])
    return np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))


def _codes(col: _Column, bins: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer bin codes of the real and synthetic cells; the last code is 'missing'."""
    if col.numeric:
        r, s = col.real.to_numpy(float), col.synth.to_numpy(float)
        edges = _quantile_edges(r, bins)
        k = len(edges) + 1
        codes = [np.where(np.isfinite(v), np.searchsorted(edges, v, side="right"), k) for v in (r, s)]
        return codes[0], codes[1], k + 1
    categories = pd.Index(pd.unique(pd.concat([col.real, col.synth]).dropna()))
    k = len(categories)
    out = []
    for v in (col.real, col.synth):
        c = categories.get_indexer(v.where(v.notna(), None))
        out.append(np.where(c < 0, k, c))
    return out[0], out[1], k + 1


def _tvd(a: np.ndarray, b: np.ndarray, size: int) -> float:
    p = np.bincount(a, minlength=size) / max(len(a), 1)
    q = np.bincount(b, minlength=size) / max(len(b), 1)
    return 0.5 * float(np.abs(p - q).sum())


# ----------------------------------------------------------------------------------------------
# Measures

def _marginals(cols: list[_Column]) -> tuple[ColumnFidelity, ...]:
    out = []
    for col in cols:
        r, s, k = _codes(col, MARGINAL_BINS)
        fid = 1.0 - _tvd(r, s, k)
        out.append(ColumnFidelity(col.spec.name, col.spec.kind.value, fid, band("marginal", fid),
                                  float(col.real.isna().mean()), float(col.synth.isna().mean())))
    return tuple(out)


def _pairs(cols: list[_Column]) -> list[PairFidelity]:
    coded = [_codes(col, PAIR_BINS) for col in cols]
    out = []
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            (ri, si, ki), (rj, sj, kj) = coded[i], coded[j]
            fid = 1.0 - _tvd(ri * kj + rj, si * kj + sj, ki * kj)
            out.append(PairFidelity(cols[i].spec.name, cols[j].spec.name, fid))
    return out


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(float)
    table = table[table.sum(1) > 0][:, table.sum(0) > 0]
    n = table.sum()
    if n == 0 or min(table.shape) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / n / (min(table.shape) - 1))


def _eta(x: np.ndarray, groups: np.ndarray) -> float:
    ok = np.isfinite(x)
    x, groups = x[ok], groups[ok]
    if x.size < 2 or np.var(x) == 0:
        return 0.0
    counts = np.bincount(groups)
    sums = np.bincount(groups, weights=x)
    nz = counts > 0
    means = sums[nz] / counts[nz]
    between = float((counts[nz] * (means - x.mean()) ** 2).sum())
    return math.sqrt(between / float(((x - x.mean()) ** 2).sum()))


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return 0.0
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _association_matrix(cols: list[_Column], side: str) -> np.ndarray:
    n = len(cols)
    m = np.eye(n)
    data = []
    for col in cols:
        series = col.real if side == "real" else col.synth
        if col.numeric:
            data.append(series.to_numpy(float))
        else:  # categories (missing as its own category) coded on the union of both tables
            categories = pd.Index(pd.unique(pd.concat([col.real, col.synth]).fillna(MISSING)))
            data.append(categories.get_indexer(series.fillna(MISSING)))
    for i in range(n):
        for j in range(i + 1, n):
            a, b = cols[i].numeric, cols[j].numeric
            if a and b:
                v = _pearson(data[i], data[j])
            elif not a and not b:
                v = _cramers_v(data[i], data[j])
            else:
                x, g = (data[i], data[j]) if a else (data[j], data[i])
                v = _eta(x, g)
            m[i, j] = m[j, i] = v
    return m


def _associations(cols: list[_Column]) -> Associations | None:
    if len(cols) < 2:
        return None
    real, synth = _association_matrix(cols, "real"), _association_matrix(cols, "synthetic")
    iu = np.triu_indices(len(cols), 1)
    mad = float(np.abs(synth - real)[iu].mean())
    return Associations(tuple(c.spec.name for c in cols), tuple(map(tuple, real)), tuple(map(tuple, synth)),
                        mad, band("association", mad))


def _histograms(cols: list[_Column]) -> tuple[Histogram, ...]:
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


def _coverage(cols: list[_Column]) -> tuple[Coverage, ...]:
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


# ----------------------------------------------------------------------------------------------
# Utility (TSTR vs TRTR)

def _feature_frame(cols: list[_Column], frames: dict[str, pd.DataFrame], target: str) -> dict[str, pd.DataFrame]:
    """Numbers as floats, categories as integer codes over the training sides' categories."""
    out = {k: pd.DataFrame(index=f.index) for k, f in frames.items()}
    for col in cols:
        if col.spec.name == target:
            continue
        name = col.spec.name
        if col.numeric:
            for k, f in frames.items():
                out[k][name] = f[name].to_numpy(float)
        else:
            seen = pd.concat([frames["real"][name], frames["synthetic"][name]]).dropna().value_counts()
            categories = pd.Index(seen.index[:250])  # HistGradientBoosting takes at most 255 categories
            for k, f in frames.items():
                codes = categories.get_indexer(f[name]).astype(float)
                codes[codes < 0] = np.nan
                out[k][name] = codes
    return out


def _utility(cols: list[_Column], train_idx: np.ndarray, holdout: list[_Column] | None, hold_idx: np.ndarray,
             target: str, seed: int) -> Utility:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    by_name = {c.spec.name: c for c in cols}
    if target not in by_name:
        raise DoppelInputError(f"Target column '{target}' is not a learned column of both tables; "
                               f"choose one of {', '.join(by_name)}.")
    names = list(by_name)
    real_all = pd.DataFrame({n: by_name[n].real for n in names})
    frames = {"real": real_all.iloc[train_idx].reset_index(drop=True),
              "synthetic": pd.DataFrame({n: by_name[n].synth for n in names})}
    if holdout is None:
        frames["test"] = real_all.iloc[hold_idx].reset_index(drop=True)
    else:
        frames["test"] = pd.DataFrame({c.spec.name: c.real for c in holdout if c.spec.name in by_name})
    frames = {k: f[f[target].notna()].reset_index(drop=True) for k, f in frames.items()}
    if min(len(f) for f in frames.values()) < 2:
        raise DoppelInputError(f"Too few rows with a value in '{target}' to measure utility.")
    features = _feature_frame(cols, frames, target)
    for side in ("real", "synthetic"):
        # a column the model left empty (no DP range found) carries nothing, but an all-missing
        # feature breaks gradient boosting's binning: make it a constant, which it never splits on
        empty = features[side].columns[features[side].isna().all()]
        features[side][empty] = 0.0
    categorical = [not by_name[n].numeric for n in features["real"].columns]
    spec = by_name[target]
    y = {k: f[target] for k, f in frames.items()}
    if spec.numeric:
        task, metric, chance = "regression", "r2", 0.0
        def fit_score(side: str) -> float:
            model = HistGradientBoostingRegressor(random_state=seed, categorical_features=categorical or None)
            model.fit(features[side], y[side].to_numpy(float))
            return float(r2_score(y["test"].to_numpy(float), model.predict(features["test"])))
    else:
        classes = sorted(set(y["real"]) | set(y["test"]))
        binary = len(classes) == 2
        task, metric = ("binary", "roc_auc") if binary else ("multiclass", "accuracy")
        chance = 0.5 if binary else float(y["test"].value_counts(normalize=True).iloc[0])
        positive = classes[-1] if binary else None
        def fit_score(side: str) -> float:
            labels = y[side].astype(str)
            if labels.nunique() < 2:       # a collapsed target: the model can only guess one class
                only = labels.iloc[0]
                if binary:
                    return 0.5
                return float((y["test"].astype(str) == only).mean())
            model = HistGradientBoostingClassifier(random_state=seed, categorical_features=categorical or None)
            model.fit(features[side], labels)
            if binary:
                proba = model.predict_proba(features["test"])
                cls = list(model.classes_)
                score = proba[:, cls.index(positive)] if positive in cls else np.zeros(len(proba))
                truth = (y["test"].astype(str) == positive).astype(int)
                return float(roc_auc_score(truth, score)) if truth.nunique() == 2 else float("nan")
            return float(accuracy_score(y["test"].astype(str), model.predict(features["test"])))
    tstr, trtr = fit_score("synthetic"), fit_score("real")
    relative = (tstr - chance) / (trtr - chance) if trtr - chance > 1e-9 else float("nan")
    return Utility(target, task, metric, tstr, trtr, chance, relative, band("utility", relative),
                   len(frames["real"]), len(frames["synthetic"]), len(frames["test"]))


# ----------------------------------------------------------------------------------------------
# Privacy risk

def _encode_for_distance(cols: list[_Column], parts: dict[str, pd.DataFrame], train_key: str) -> dict[str, np.ndarray]:
    """Standardized numbers (+ a missing flag) and one-hot categories scaled so that a differing
    category counts 1, like one standard deviation."""
    blocks: dict[str, list[np.ndarray]] = {k: [] for k in parts}
    train = parts[train_key]
    for col in cols:
        name = col.spec.name
        if col.numeric:
            ref = train[name].to_numpy(float)
            mean = np.nanmean(ref) if np.isfinite(ref).any() else 0.0
            std = np.nanstd(ref) if np.isfinite(ref).any() else 1.0
            std = std if std > 0 else 1.0
            for k, f in parts.items():
                v = f[name].to_numpy(float)
                blocks[k].append(np.nan_to_num((v - mean) / std, nan=0.0)[:, None])
                if train[name].isna().any():
                    blocks[k].append(np.isnan(v).astype(float)[:, None])
        else:
            categories = pd.Index(pd.unique(train[name].fillna(MISSING)))
            for k, f in parts.items():
                idx = categories.get_indexer(f[name].fillna(MISSING))
                onehot = np.zeros((len(f), len(categories)))
                ok = idx >= 0
                onehot[np.nonzero(ok)[0], idx[ok]] = math.sqrt(0.5)
                blocks[k].append(onehot)
    return {k: np.hstack(v).astype(np.float32) if v else np.zeros((len(parts[k]), 0), np.float32)
            for k, v in blocks.items()}


def _row_keys(frame: pd.DataFrame) -> pd.Series:
    return pd.util.hash_pandas_object(frame.astype(str), index=False)


def _privacy(cols: list[_Column], train_idx: np.ndarray, holdout: list[_Column] | None, hold_idx: np.ndarray,
             seed: int) -> tuple[PrivacyRisk, list[str]]:
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(seed)
    names = [c.spec.name for c in cols]
    real_all = pd.DataFrame({c.spec.name: c.real for c in cols})
    train = real_all.iloc[train_idx].reset_index(drop=True)
    if holdout is None:
        hold = real_all.iloc[hold_idx].reset_index(drop=True)
    else:
        hold = pd.DataFrame({c.spec.name: c.real for c in holdout})[names].reset_index(drop=True)
    synth = pd.DataFrame({c.spec.name: c.synth for c in cols})
    notes = []

    # exact copies on the whole tables (typed values, missing equal to missing)
    train_keys = set(_row_keys(train))
    copy_share = float(_row_keys(synth).isin(train_keys).mean()) if len(synth) else 0.0
    hold_copy = float(_row_keys(hold).isin(train_keys).mean()) if len(hold) else 0.0

    def pick(frame: pd.DataFrame, n: int) -> pd.DataFrame:
        if len(frame) <= n:
            return frame
        return frame.iloc[np.sort(rng.choice(len(frame), n, replace=False))].reset_index(drop=True)

    synth_q, hold_q = pick(synth, DISTANCE_ROWS), pick(hold, DISTANCE_ROWS)
    members = pick(train, min(len(hold_q), DISTANCE_ROWS))
    synth_ref = pick(synth, max(DISTANCE_ROWS, 4 * len(members)))
    if len(synth) > len(synth_q) or len(hold) > len(hold_q):
        notes.append(f"Distances use at most {DISTANCE_ROWS:,} synthetic and {DISTANCE_ROWS:,} holdout rows "
                     "(random subsample, fixed seed) against every training row.")
    enc = _encode_for_distance(cols, {"train": train, "synth": synth_q, "hold": hold_q, "members": members,
                                      "ref": synth_ref}, "train")
    nn = NearestNeighbors(n_neighbors=1).fit(enc["train"])
    d_synth = nn.kneighbors(enc["synth"])[0][:, 0]
    d_hold = nn.kneighbors(enc["hold"])[0][:, 0]
    # membership attack: a real person whose closest synthetic row is nearer is guessed "member"
    nn_s = NearestNeighbors(n_neighbors=1).fit(enc["ref"])
    d_mem = nn_s.kneighbors(enc["members"])[0][:, 0]
    d_non = nn_s.kneighbors(enc["hold"][: len(members)])[0][:, 0]
    truth = np.r_[np.ones(len(d_mem)), np.zeros(len(d_non))]
    auc = float(roc_auc_score(truth, -np.r_[d_mem, d_non])) if len(d_mem) and len(d_non) else float("nan")
    advantage = max(0.0, 2 * auc - 1) if math.isfinite(auc) else float("nan")

    med_s, med_h = float(np.median(d_synth)), float(np.median(d_hold))
    ratio = med_s / med_h if med_h > 0 else (1.0 if med_s > 0 else (0.0 if copy_share > hold_copy else 1.0))
    top = float(np.quantile(np.r_[d_synth, d_hold], 0.99)) or 1.0
    edges = np.linspace(0, top, 31)
    hs = np.histogram(np.clip(d_synth, 0, top), edges)[0] / max(len(d_synth), 1)
    hh = np.histogram(np.clip(d_hold, 0, top), edges)[0] / max(len(d_hold), 1)
    excess = copy_share - hold_copy
    risk = PrivacyRisk(med_s, med_h, float(np.quantile(d_synth, 0.05)), float(np.quantile(d_hold, 0.05)), ratio,
                       band("dcr", ratio), copy_share, hold_copy, band("exact_copies", excess), auc, advantage,
                       band("membership", advantage), tuple(map(float, edges)), tuple(map(float, hs)),
                       tuple(map(float, hh)), int(len(d_synth)))
    return risk, notes


# ----------------------------------------------------------------------------------------------
# Run facts

def _get(summary: Any, name: str) -> Any:
    if summary is None:
        return None
    if isinstance(summary, Mapping):
        return summary.get(name)
    return getattr(summary, name, None)


def epsilon_curve(history: Iterable[Sequence[float]], delta: float, points: int = 40) -> tuple[tuple[int, float], ...]:
    """ε spent after each step of training, from a summary's accountant history of
    ``(σ, q, steps)`` entries (preprocessing releases have q = 1 and come first)."""
    from opacus.accountants.analysis import rdp as rdp_analysis

    from engine.privacy import ORDERS
    entries = [(float(s), float(q), int(k)) for s, q, k in history]
    fixed = [e for e in entries if e[1] >= 1.0]
    steps = [e for e in entries if e[1] < 1.0]
    if not steps or not delta:
        return ()
    base = np.zeros(len(ORDERS))
    for sigma, q, k in fixed:
        base += np.asarray(rdp_analysis.compute_rdp(q=q, noise_multiplier=sigma, steps=k, orders=list(ORDERS)))
    sigma, q, total = steps[0][0], steps[0][1], sum(e[2] for e in steps)
    per_step = np.asarray(rdp_analysis.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=list(ORDERS)))
    out = []
    for step in sorted(set(np.linspace(0, total, points + 1).astype(int))):
        eps, _ = rdp_analysis.get_privacy_spent(orders=list(ORDERS), rdp=base + step * per_step, delta=delta)
        out.append((int(step), float(eps)))
    return tuple(out)


def _run_facts(summary: Any, ledger_total: float | None, training_log: Sequence[Any] | None) -> RunFacts | None:
    if summary is None and ledger_total is None and not training_log:
        return None
    delta = _get(summary, "delta")
    try:
        curve = epsilon_curve(_get(summary, "history") or (), delta) if summary is not None else ()
    except Exception:  # noqa: BLE001 - a curve is a nicety; never fail the report for it
        curve = ()
    losses = tuple((int(_get(e, "step")), float(_get(e, "d_loss")), float(_get(e, "g_loss")))
                   for e in training_log or () if _get(e, "d_loss") is not None)
    if not curve and training_log:
        curve = tuple((int(_get(e, "step")), float(_get(e, "epsilon_spent"))) for e in training_log
                      if _get(e, "epsilon_spent") is not None)
    steps = _get(summary, "steps")
    epochs = _get(summary, "epochs")
    return RunFacts(_get(summary, "epsilon_spent"), _get(summary, "epsilon_target"), delta,
                    _get(summary, "noise_multiplier"), int(steps) if steps is not None else None,
                    float(epochs) if epochs is not None else None, _get(summary, "sample_rate"),
                    _get(summary, "preprocessing_epsilon"), _get(summary, "accountant"), ledger_total, curve, losses)


# ----------------------------------------------------------------------------------------------
# Entry point

def split_holdout(n: int, seed: int, share: float = HOLDOUT_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """Train and holdout row positions of a table of ``n`` rows (seeded permutation)."""
    order = np.random.default_rng(seed).permutation(n)
    cut = int(round(n * share))
    return np.sort(order[cut:]), np.sort(order[:cut])


def evaluate(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema, *, target: str | None = None,
             holdout: pd.DataFrame | None = None, model_summary: Any = None, ledger_total: float | None = None,
             training_log: Sequence[Any] | None = None, seed: int = 0) -> EvaluationResult:
    """Compare ``synthetic`` with ``real`` on the columns ``schema`` learns.

    ``real`` is the table the model was trained on. ``holdout`` is real rows the model never saw;
    without it ``real`` is split 80/20 with ``seed`` (TRTR and the distance baselines then use
    the 80 %, and the 20 % is only "unseen" if the model was trained on the 80 % alone).
    ``model_summary`` is a ``TrainingSummary`` (or its JSON dict); ``training_log`` the
    ``EpochReport`` events of the run, for the loss curves. Raises :class:`DoppelInputError`
    for tables that cannot be compared.
    """
    from threadpoolctl import threadpool_limits

    # One thread: OpenMP in gradient boosting and nearest neighbours is many times slower on a
    # busy machine (measured 0.4 s vs 7-28 s for 2,000 rows) and these tables are small.
    with threadpool_limits(limits=1):
        return _evaluate(real, synthetic, schema, target=target, holdout=holdout, model_summary=model_summary,
                         ledger_total=ledger_total, training_log=training_log, seed=seed)


def _evaluate(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema, *, target: str | None,
              holdout: pd.DataFrame | None, model_summary: Any, ledger_total: float | None,
              training_log: Sequence[Any] | None, seed: int) -> EvaluationResult:
    started = time.perf_counter()
    if len(real) < 10:
        raise DoppelInputError(f"The real table has {len(real)} rows; at least 10 are needed for a report.")
    if len(synthetic) < 1:
        raise DoppelInputError("The synthetic table has no rows; generate some first.")
    cols, notes = _columns(real, synthetic, schema)
    warnings: list[str] = []
    hold_cols = None
    if holdout is not None:
        hold_cols, _ = _columns(holdout, holdout, schema)
        hold_cols = [c for c in hold_cols if c.spec.name in {x.spec.name for x in cols}]
        train_idx, hold_idx = np.arange(len(real)), np.array([], dtype=int)
        how = f"separate holdout table of {len(holdout):,} rows never used in training"
        n_train, n_hold = len(real), len(holdout)
    else:
        train_idx, hold_idx = split_holdout(len(real), seed)
        how = (f"the real table split 80/20 with seed {seed}: TRTR and the distance baselines use the "
               f"{len(train_idx):,} rows (80 %), the {len(hold_idx):,} rows (20 %) serve as holdout")
        n_train, n_hold = len(train_idx), len(hold_idx)
        warnings.append("No separate holdout was given. If the model was trained on the whole real table, the 20 % "
                        "holdout was seen in training, so utility may be overstated and the membership-inference "
                        "advantage understated; pass a holdout of rows kept out of training for a sound test.")

    columns = _marginals(cols)
    marginal = float(np.mean([c.fidelity for c in columns]))
    pairs = _pairs(cols)
    pairwise = float(np.mean([p.fidelity for p in pairs])) if pairs else float("nan")
    worst = tuple(sorted(pairs, key=lambda p: p.fidelity)[:5])
    associations = _associations(cols)
    utility = _utility(cols, train_idx, hold_cols, hold_idx, target, seed) if target else None
    privacy, privacy_notes = _privacy(cols, train_idx, hold_cols, hold_idx, seed)
    notes += privacy_notes
    coverage = _coverage(cols)
    run = _run_facts(model_summary, ledger_total, training_log)

    if privacy.exact_copy_share > privacy.holdout_copy_share + 0.005:
        warnings.append(f"{privacy.exact_copy_share:.1%} of synthetic rows are exact copies of training rows "
                        f"(unseen real rows: {privacy.holdout_copy_share:.1%}). Do not share this table.")
    if privacy.dcr_band in ("fair", "poor"):
        warnings.append(f"Synthetic rows are closer to training rows than unseen real rows are "
                        f"(median distance ratio {privacy.dcr_ratio:.2f}). Review before sharing.")
    if privacy.mia_band in ("fair", "poor"):
        warnings.append(f"A distance-based membership attack has an advantage of {privacy.mia_advantage:.2f}. "
                        "Review ε before sharing.")
    collapsed = [c.column for c in coverage if c.missing_share > 0.01]
    if collapsed:
        warnings.append(f"Categories held by more than 1 % of real rows never appear in: {', '.join(collapsed)}.")
    if model_summary is None:
        notes.append("No model was given: ε, δ and σ of the synthetic table are unknown to this report.")
    return EvaluationResult(
        rows_real=len(real), rows_synthetic=len(synthetic), rows_train=n_train, rows_holdout=n_hold, holdout=how,
        seed=seed, marginal=marginal, marginal_band=band("marginal", marginal), columns=columns,
        pairwise=pairwise, pairwise_band=band("pairwise", pairwise), worst_pairs=worst, associations=associations,
        utility=utility, privacy=privacy, coverage=coverage, histograms=_histograms(cols), run=run,
        warnings=tuple(warnings), notes=tuple(dict.fromkeys(notes)), seconds=time.perf_counter() - started)
