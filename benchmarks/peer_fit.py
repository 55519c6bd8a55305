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
    """Public bounds as smartnoise column transformers (its documented way to skip the DP search).

    Widened by half a unit: Adult's numbers are whole, and smartnoise 1.0.8 treats a lower bound
    of 0 as "no bound given" (``if self.lower and self.upper``) and then demands ε for a search.
    """
    from snsynth.transform import BinTransformer, MinMaxTransformer

    bounds = {c: (lo - 0.5, hi + 0.5) for c, (lo, hi) in bounds.items()}
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
        if spec["peer"] == "dpctgan":
            facts.update(_dpctgan_spent(synth, len(frame)))
        return synth.sample(spec["rows"]), facts
    raise RuntimeError("; ".join(failures))


def _dpctgan_spent(synth, rows: int) -> dict:
    """Epochs DP-CTGAN trained and the ε they spent. Its ``epsilon_list`` holds ε at the *start*
    of each epoch and it stops only once that exceeds the budget, so it can overspend by one epoch;
    the figure here is recomputed with its own Opacus 0.14 accountant for the epochs it trained."""
    from opacus import privacy_analysis

    started = len(synth.epsilon_list)
    trained = started - 1 if started < synth._epochs else started
    alphas = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))   # DP-CTGAN's own orders
    d_steps = 2 if synth.loss == "cross_entropy" else 1   # it steps the optimizer on fake, then real
    steps = trained * max(rows // synth._batch_size, 1) * d_steps
    rdp = privacy_analysis.compute_rdp(synth._batch_size / rows, synth.sigma, steps, alphas)
    spent, _ = privacy_analysis.get_privacy_spent(alphas, rdp, synth.delta)
    return {"epochs_trained": trained, "epsilon_spent_training": float(spent), "delta": float(synth.delta)}


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
