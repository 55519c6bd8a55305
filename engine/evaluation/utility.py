"""Utility: train on synthetic, test on real (TSTR), beside train on real, test on real (TRTR)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import DoppelInputError
from engine.evaluation.bands import band
from engine.evaluation.columns import TypedColumn
from engine.evaluation.results import Utility


def _feature_frame(cols: list[TypedColumn], frames: dict[str, pd.DataFrame], target: str) -> dict[str, pd.DataFrame]:
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


def measure_utility(cols: list[TypedColumn], train_idx: np.ndarray, holdout: list[TypedColumn] | None, hold_idx: np.ndarray,
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
