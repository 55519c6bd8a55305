"""Fit one peer synthesizer and write its synthetic CSV; runs inside the peer's own virtualenv.

Called by ``benchmarks/peers.py`` as ``<env>/bin/python benchmarks/peer_fit.py SPEC.json``. It
imports nothing from Doppel (the peer venv has only the peer and its pins), and prints one JSON
line with its own fit time, peak memory and how the column bounds were obtained; all scoring
happens back in the main venv so every tool is judged by the same code.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time

import numpy as np
import pandas as pd

MISSING = "?"   # Adult's own token for a missing category; mapped back to empty on output


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _snsynth_bounds(style: str, bounds: dict[str, list[float]]) -> dict:
    """Public bounds as smartnoise column transformers (its documented way to skip the DP search)."""
    from snsynth.transform import BinTransformer, MinMaxTransformer

    if style == "cube":
        return {c: BinTransformer(bins=10, lower=lo, upper=hi) for c, (lo, hi) in bounds.items()}
    return {c: MinMaxTransformer(lower=lo, upper=hi, negative=False) for c, (lo, hi) in bounds.items()}


def _fit_smartnoise(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, dict]:
    """MST or DP-CTGAN: the DP bound search first, public bounds only when that search fails."""
    from snsynth import Synthesizer

    style = "cube" if spec["peer"] == "mst" else "gan"
    columns = dict(categorical_columns=spec["categorical"], continuous_columns=spec["continuous"])
    attempts = [("dp", None, spec["preprocessor_eps"]), ("public", _snsynth_bounds(style, spec["bounds"]), 0.0)]
    if spec["bounds_mode"] == "public":
        attempts = attempts[1:]
    failures = []
    for mode, transformer, pre_eps in attempts:
        synth = Synthesizer.create(spec["peer"], epsilon=spec["epsilon"], verbose=True, **spec["settings"])
        try:
            synth.fit(frame, transformer=transformer, preprocessor_eps=pre_eps, **columns)
        except (ValueError, TypeError, ZeroDivisionError) as exc:   # smartnoise's failed bound search
            failures.append(f"{mode}: {type(exc).__name__}: {exc}"[:300])
            continue
        facts = {"bounds": mode, "preprocessor_eps": pre_eps, "failures": failures,
                 "bounds_used": {name: [float(t.fit_lower), float(t.fit_upper)]
                                 for name, t in zip(frame.columns, synth._transformer.transformers)
                                 if getattr(t, "fit_lower", None) is not None}}
        epsilons = getattr(synth, "epsilon_list", None)   # DP-CTGAN: ε after each epoch
        if epsilons:
            facts["epsilon_spent_training"] = float(epsilons[-1])
            facts["epochs_run"] = len(epsilons)
        return synth.sample(spec["rows"]), facts
    raise RuntimeError("; ".join(failures))


def _fit_ctgan(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, dict]:
    from ctgan import CTGAN

    model = CTGAN(**spec["settings"])
    model.fit(frame, discrete_columns=spec["categorical"])
    return model.sample(spec["rows"]), {"bounds": "none (not private)"}


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    _seed_everything(spec["seed"])
    frame = pd.read_csv(spec["train_csv"], dtype=str, keep_default_na=False)
    for col in spec["continuous"]:
        frame[col] = frame[col].astype(float)
    for col in spec["categorical"]:
        frame[col] = frame[col].replace("", MISSING)
    start = time.perf_counter()
    fit = _fit_ctgan if spec["peer"] == "ctgan" else _fit_smartnoise
    synthetic, facts = fit(frame, spec)
    seconds = time.perf_counter() - start
    synthetic = pd.DataFrame(synthetic, columns=frame.columns)
    for col in spec["continuous"]:   # Adult's numeric columns are whole numbers
        synthetic[col] = pd.to_numeric(synthetic[col], errors="coerce").round().astype("Int64")
    for col in spec["categorical"]:
        synthetic[col] = synthetic[col].astype("string").replace(MISSING, pd.NA)
    synthetic.to_csv(spec["out_csv"], index=False)
    facts.update(seconds_fit_and_sample=seconds,
                 peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("PEER_RESULT " + json.dumps(facts), flush=True)


if __name__ == "__main__":
    main()
