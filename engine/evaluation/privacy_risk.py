"""Privacy risk measured on the rows: distance to closest record, exact copies, a membership attack.

Shown only as aggregates (DESIGN §2.7)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.evaluation.bands import band
from engine.evaluation.columns import MISSING, TypedColumn
from engine.evaluation.results import PrivacyRisk


DISTANCE_ROWS = 5_000      # rows of each side used for distances and the membership attack


def _encode_for_distance(cols: list[TypedColumn], parts: dict[str, pd.DataFrame], train_key: str) -> dict[str, np.ndarray]:
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


def measure_privacy_risk(cols: list[TypedColumn], train_idx: np.ndarray, holdout: list[TypedColumn] | None, hold_idx: np.ndarray,
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
