"""Fit one peer synthesizer and write its synthetic CSV; runs inside the peer's own virtualenv.

Called by ``benchmarks/peers.py`` as ``<env>/bin/python benchmarks/peer_fit.py SPEC.json``. It
imports nothing from Doppel (the peer venv has only the peer and its pins), and prints one JSON
line with its own fit time, peak memory and how the column bounds were obtained; all scoring
happens back in the main venv so every tool is judged by the same code.

With ``bounds_mode`` "expert" the spec carries the public domain of every column
(``benchmarks/datasets.py``) and the peer is set up as an expert would:
- AIM and MST get our discretisation over the public domains (``Discretiser``): an integer
  column whose public range holds at most ``per_value_max`` values gets one bin per value, any
  other number or date ``bins`` equal-width bins over its public bounds, a categorical column its
  public list; a documented empty cell is one more code. smartnoise only sees integer codes (one
  ``BinTransformer`` of width 1 per code, so no ε goes to preprocessing). Rows are drawn i.i.d.
  from the fitted graphical model (mbi's ``synthetic_data(method="sample")``), not with
  smartnoise's ``sample()``, whose "round" decoding correlates conditionally independent columns;
  a numeric bin is decoded uniformly inside the bin, then rounded to the column's decimals.
- DP-CTGAN gets the public bounds as min-max scaling (dates as days), the rest its defaults.
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
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:   # dpmm's venv has no torch
        return
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


EPOCH = pd.Timestamp("1970-01-01")


def _days(value: str) -> float:
    return float((pd.Timestamp(value) - EPOCH).days)


class Discretiser:
    """One column's expert discretisation over its public domain: cells -> codes -> cells.

    Codes 0..size-1; the last code is "empty" when the domain says the column may be empty.
    Integer columns (and dates, in days) with at most ``per_value_max`` values get one code per
    value; other numeric columns ``bins`` equal-width bins over the public bounds (for integers
    the edges sit on half units, so every whole number falls in exactly one bin).
    """

    def __init__(self, domain: dict, bins: int, per_value_max: int) -> None:
        self.domain = domain
        self.kind = domain["type"]
        self.nullable = bool(domain.get("nullable"))
        if self.kind == "categorical":
            self.categories = list(domain["categories"])
            self.values = len(self.categories)
            return
        lo, hi = domain["min"], domain["max"]
        self.lo, self.hi = (_days(lo), _days(hi)) if self.kind == "date" else (float(lo), float(hi))
        whole = self.kind in ("integer", "date")
        if whole and self.hi - self.lo + 1 <= per_value_max:
            self.edges = np.arange(self.lo - 0.5, self.hi + 1.0)      # one bin per whole value
        elif whole:
            self.edges = np.linspace(self.lo - 0.5, self.hi + 0.5, bins + 1)
        else:
            self.edges = np.linspace(self.lo, self.hi, bins + 1)
        self.values = len(self.edges) - 1

    @property
    def size(self) -> int:
        return self.values + (1 if self.nullable else 0)

    def encode(self, cells: pd.Series) -> np.ndarray:
        empty = cells.isna() | (cells == "")
        if empty.any() and not self.nullable:
            raise ValueError(f"column {cells.name!r} has empty cells but its public domain says it has none")
        codes = np.full(len(cells), self.values, dtype=int)   # the "empty" code
        present = cells[~empty]
        if self.kind == "categorical":
            index = {c: i for i, c in enumerate(self.categories)}
            unknown = set(present) - set(index)
            if unknown:
                raise ValueError(f"column {cells.name!r} holds values outside its public list")
            codes[~empty.to_numpy()] = present.map(index).to_numpy()
            return codes
        numbers = present.map(_days) if self.kind == "date" else present.astype(float)
        numbers = np.clip(numbers.to_numpy(), self.lo, self.hi)
        codes[~empty.to_numpy()] = np.clip(np.searchsorted(self.edges, numbers, side="right") - 1, 0, self.values - 1)
        return codes

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Cells from codes: a category, or a value drawn uniformly inside the bin, then rounded."""
        empty = codes >= self.values
        safe = np.minimum(codes, self.values - 1)
        if self.kind == "categorical":
            out = pd.Series(np.array(self.categories, dtype=object)[safe], dtype="object")
            out[empty] = None
            return out
        values = self.edges[safe] + rng.random(len(codes)) * (self.edges[safe + 1] - self.edges[safe])
        values = np.clip(values, self.lo, self.hi)
        if self.kind == "date":
            days = np.round(values).astype(int)
            out = pd.Series([(EPOCH + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in days], dtype="object")
        elif self.kind == "integer":
            out = pd.Series(np.round(values).astype(int).astype(str), dtype="object")
        else:
            decimals = int(self.domain.get("decimals", 0))
            out = pd.Series([f"{v:.{decimals}f}" for v in np.round(values, decimals)], dtype="object")
        out[empty] = None
        return out


def _fit_marginal_expert(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, dict]:
    """AIM or MST on our codes; i.i.d. rows from the fitted model; uniform decoding inside bins."""
    from snsynth import Synthesizer
    from snsynth.transform import BinTransformer, TableTransformer
    from snsynth.utils import cdp_rho

    settings = dict(spec["settings"])
    bins, per_value_max = int(settings.pop("bins")), int(settings.pop("per_value_max"))
    columns = list(frame.columns)
    coders = {c: Discretiser(spec["domain"][c], bins, per_value_max) for c in columns}
    codes = pd.DataFrame({c: coders[c].encode(frame[c]) for c in columns})
    # A width-1 bin per code, bounds given: smartnoise passes the codes through and spends no ε.
    transformer = TableTransformer([BinTransformer(bins=coders[c].size, lower=-0.5, upper=coders[c].size - 0.5)
                                    for c in columns])
    synth = Synthesizer.create(spec["peer"], epsilon=spec["epsilon"], delta=spec["delta"], verbose=True, **settings)
    synth.fit(codes, transformer=transformer, preprocessor_eps=0.0)
    model = synth.synthesizer                     # mbi's fitted MarkovRandomField
    drawn = model.synthetic_data(rows=spec["rows"], method="sample")   # i.i.d. rows, not "round"
    if spec["peer"] == "mst":
        drawn = synth.undo_compress_fn(drawn)     # MST's own map back from its compressed domain
    names = [f"col{i}" for i in range(len(columns))]
    rng = np.random.default_rng(spec["seed"])
    synthetic = pd.DataFrame({c: coders[c].decode(np.asarray(drawn.df[n]), rng) for c, n in zip(columns, names)})
    facts = {"bounds": "expert", "preprocessor_eps": 0.0, "epsilon_reported": float(synth.epsilon),
             "delta": float(synth.delta), "rho": float(cdp_rho(synth.epsilon, synth.delta)),
             "domain_sizes": {c: coders[c].size for c in columns}, "sampling": "mbi synthetic_data(method='sample')",
             "model_cliques": [list(cl) for cl in model.cliques]}
    return synthetic, facts


def _fit_dpmm_expert(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, dict]:
    """dpmm's AIM (``AIMPipeline``) on the same codes as smartnoise's, its own binning off; rows drawn
    i.i.d. from its fitted model (its ``generate`` uses the same "round" decoding as smartnoise)."""
    from dpmm.pipelines import AIMPipeline

    settings = dict(spec["settings"])
    bins, per_value_max = int(settings.pop("bins")), int(settings.pop("per_value_max"))
    columns = list(frame.columns)
    coders = {c: Discretiser(spec["domain"][c], bins, per_value_max) for c in columns}
    codes = pd.DataFrame({c: coders[c].encode(frame[c]) for c in columns})
    pipe = AIMPipeline(epsilon=spec["epsilon"], delta=spec["delta"], n_jobs=1, disable_processing=True,
                       gen_kwargs=settings)
    pipe.fit(codes, domain={c: coders[c].size for c in columns}, random_state=spec["seed"])
    mechanism = pipe.gen.generator
    drawn = mechanism.model.synthetic_data(rows=spec["rows"], method="sample")
    if mechanism.compressor is not None:
        drawn = mechanism.compressor.reverse(drawn)
    rng = np.random.default_rng(spec["seed"])
    synthetic = pd.DataFrame({c: coders[c].decode(np.asarray(drawn.df[c]), rng) for c in columns})
    return synthetic, {"bounds": "expert", "preprocessor_eps": 0.0, "epsilon_reported": float(pipe.gen.epsilon),
                       "delta": float(pipe.gen.delta), "domain_sizes": {c: coders[c].size for c in columns},
                       "sampling": "dpmm model.synthetic_data(method='sample')"}


def _fit_dpctgan_expert(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, dict]:
    """DP-CTGAN with smartnoise's defaults and the public bounds as min-max scaling (dates in days)."""
    from snsynth import Synthesizer
    from snsynth.transform import MinMaxTransformer

    domain = spec["domain"]
    numeric = [c for c in frame.columns if domain[c]["type"] != "categorical"]
    categorical = [c for c in frame.columns if c not in numeric]
    data = frame.copy()
    bounds = {}
    for c in numeric:
        kind, lo, hi = domain[c]["type"], domain[c]["min"], domain[c]["max"]
        empty = data[c].isna() | (data[c] == "")
        data[c] = [np.nan if e else (_days(v) if kind == "date" else float(v)) for v, e in zip(data[c], empty)]
        bounds[c] = (_days(lo), _days(hi)) if kind == "date" else (float(lo), float(hi))
    for c in categorical:
        data[c] = data[c].fillna(MISSING).replace("", MISSING)
    # smartnoise 1.0.8 reads a bound of 0 as "none given" (``if self.lower and self.upper``).
    transformer = {c: MinMaxTransformer(lower=lo if lo != 0 else -1e-9, upper=hi, negative=False,
                                        nullable=bool(domain[c].get("nullable"))) for c, (lo, hi) in bounds.items()}
    synth = Synthesizer.create("dpctgan", epsilon=spec["epsilon"], delta=spec["delta"], verbose=True,
                               **spec["settings"])
    synth.fit(data, transformer=transformer, preprocessor_eps=0.0, categorical_columns=categorical,
              continuous_columns=numeric, nullable=any(domain[c].get("nullable") for c in numeric))
    raw = pd.DataFrame(synth.sample(spec["rows"]), columns=frame.columns)
    out = pd.DataFrame(index=raw.index)
    for c in frame.columns:
        d = domain[c]
        if d["type"] == "categorical":
            out[c] = raw[c].astype("object").where(raw[c] != MISSING, None)
            continue
        lo, hi = bounds[c]
        values = pd.to_numeric(raw[c], errors="coerce").clip(lo, hi)
        if d["type"] == "date":
            out[c] = [None if pd.isna(v) else (EPOCH + pd.Timedelta(days=int(round(v)))).strftime("%Y-%m-%d")
                      for v in values]
        else:
            decimals = 0 if d["type"] == "integer" else int(d.get("decimals", 0))
            out[c] = [None if pd.isna(v) else f"{round(v, decimals):.{decimals}f}" for v in values]
    facts = {"bounds": "expert", "preprocessor_eps": 0.0, **_dpctgan_spent(synth, len(frame))}
    return out, facts


def _fit_ctgan(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, dict]:
    from ctgan import CTGAN

    model = CTGAN(**spec["settings"])
    model.fit(frame, discrete_columns=spec["categorical"])
    return model.sample(spec["rows"]), {"bounds": "none (not private)"}


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    _seed_everything(spec["seed"])
    frame = pd.read_csv(spec["train_csv"], dtype=str, keep_default_na=False)
    start = time.perf_counter()
    if spec["bounds_mode"] == "expert":
        frame = frame.mask(frame == "")
        fit = {"dpctgan": _fit_dpctgan_expert, "dpmm-aim": _fit_dpmm_expert}.get(spec["peer"], _fit_marginal_expert)
        synthetic, facts = fit(frame, spec)
        seconds = time.perf_counter() - start
    else:   # the doc-default runs (Adult only): the peer's own DP bound search, Adult's whole numbers
        for col in spec["continuous"]:
            frame[col] = frame[col].astype(float)
        for col in spec["categorical"]:
            frame[col] = frame[col].replace("", MISSING)
        fit = _fit_ctgan if spec["peer"] == "ctgan" else _fit_smartnoise
        synthetic, facts = fit(frame, spec)
        seconds = time.perf_counter() - start
        synthetic = pd.DataFrame(synthetic, columns=frame.columns)
        for col in spec["continuous"]:
            synthetic[col] = pd.to_numeric(synthetic[col], errors="coerce").round().astype("Int64")
        for col in spec["categorical"]:
            synthetic[col] = synthetic[col].astype("string").replace(MISSING, pd.NA)
    synthetic.to_csv(spec["out_csv"], index=False)
    facts.update(seconds_fit_and_sample=seconds,
                 peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("PEER_RESULT " + json.dumps(facts), flush=True)


if __name__ == "__main__":
    main()
