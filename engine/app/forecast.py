"""Before any ε is spent: will each column be learned well, coarsely or not at all, and what would
declaring change?

The forecast replays the run's preprocessing on the loaded table without noise and without
charging anything: the plan comes from public facts (:func:`engine.training.plan_run`: the σ of
every survey and measurement), each survey is the exact count of the column's classes passed
through the survey's own thresholds (a label is seen at
:func:`~engine.privacy.mechanisms.category_threshold`, a data-free class at
:data:`~engine.encoding.base.PUBLIC_CLASS_Z` σ), an undeclared column's facts are decided from
it by the engine's own :func:`~engine.schema.survey.decide`, and the column's encoder is fitted
as training fits it. So the forecast is the run's median outcome: noise can move a column that
sits near a threshold either way (and where training averages a survey's counts with the
measurement's, the forecast leaves that gain out).

What the forecast reads (exact local counts) is shown on this machine only, never stored or
exported. A measurement is called coarse when less than :data:`WELL_SHARE` of the column's
values (:data:`WELL_LABEL_SHARE` of its rows, for labels) lie in bins (or categories) whose count stands out of the measurement's noise by
:data:`~engine.encoding.numeric.FINE_SIGNAL_Z` σ: the numeric encoder drops weaker bins, and a
category that small is mostly noise; a labelled column is also coarse when a label held by
:data:`LOST_LABEL_SHARE` of its rows or more would not be released (it is named, locally).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, cast

import numpy as np
import pandas as pd

from engine.app import declaring
from engine.errors import DoppelInputError
from engine.run import RunConfig
from engine.schema import ColumnSchema, Role, Schema
from engine.schema.survey import Survey, cell_classes, decide, public_classes

WELL, COARSE, NOT_LEARNED, EXCLUDED = "well", "coarse", "not learned", "excluded"
WELL_SHARE = 0.8      # share of a number's values in bins that stand out, above which it is learned well
WELL_LABEL_SHARE = 0.95   # the same for labels: a category lost is a value the output never has
LOST_LABEL_SHARE = 0.01   # a label this common that the survey would not release makes a column coarse (the
                          # report warns at the same share: the output never has it, e.g. a rare gender)


@dataclass(frozen=True)
class ColumnForecast:
    name: str
    outcome: str            # WELL, COARSE, NOT_LEARNED or EXCLUDED (by its role or its name)
    reason: str             # why, in one line
    measured: bool          # its facts are decided by a DP survey (it is not declared)
    if_declared: str = ""   # the outcome with the name suggestions accepted and every column confirmed

    @property
    def learned(self) -> bool:
        return self.outcome in (WELL, COARSE)


@dataclass(frozen=True)
class Forecast:
    """Every column's forecast at one ε on a table of ``rows`` rows (the rows training will use)."""

    epsilon: float
    rows: int
    preprocessing_epsilon: float
    survey_sigma: float
    measure_sigma: float
    label_threshold: float  # rows a label needs before a survey releases it
    columns: list[ColumnForecast]

    def __getitem__(self, name: str) -> ColumnForecast:
        return next(c for c in self.columns if c.name == name)

    @property
    def learned(self) -> list[str]:
        return [c.name for c in self.columns if c.learned]

    def summary(self) -> str:
        """One line: how many columns will be learned, and what preprocessing costs."""
        counts = {o: sum(c.outcome == o for c in self.columns) for o in (WELL, COARSE, NOT_LEARNED)}
        return (f"At ε = {self.epsilon:g} on {self.rows:,} rows: {counts[WELL]} columns learned well, {counts[COARSE]} "
                f"coarsely, {counts[NOT_LEARNED]} not at all. Preprocessing spends ε = "
                f"{self.preprocessing_epsilon:.2f}; a label needs about {self.label_threshold:,.0f} rows to be seen.")


def forecast(frame: pd.DataFrame, schema: Schema, config: RunConfig, today: date | None = None) -> Forecast:
    """The forecast of training ``schema`` on ``frame`` (the training rows) with ``config``, with
    what declaring would change (suggestions accepted, every column confirmed).

    Raises :class:`DoppelInputError` when no plan fits (the same message training would give).
    """
    current = _forecast(frame, schema, config)
    alternative = _forecast(frame, declaring.declared_as_suggested(schema, frame, today), config)
    offered = declaring.proposals(schema, frame, today)
    columns = []
    for column, other in zip(current.columns, alternative.columns):
        how = f"accepting {offered[column.name].text}" if column.name in offered else "confirmed as shown"
        changes = column.outcome != EXCLUDED and (column.measured or column.name in offered
                                                  or column.outcome != other.outcome)
        columns.append(replace(column, if_declared=f"{other.outcome} ({how})" if changes else ""))
    return replace(current, columns=columns)


def learned_columns(model: Any) -> list[str]:
    """The columns a trained model really learned: learned, and not left empty by its DP releases."""
    encoder = model.encoder
    return [c.name for c in encoder.columns if c.warning(model.schema[c.name]) is None]


@dataclass(frozen=True)
class PlanNoise:
    """The plan's preprocessing noise for a table of about ``rows`` rows (the size class it falls in)."""

    survey_sigma: float
    measure_sigma: float
    survey_delta: float        # δ share of each survey's thresholds
    epsilon: float             # ε of the row count, surveys and measurements


def plan_noise(plan: Any, rows: int) -> PlanNoise:
    from engine.privacy import rdp
    from engine.privacy.accountant import curve_of
    from engine.privacy.plan import MEASURE_WEIGHT, SURVEY_WEIGHT

    sigma_pre = plan.for_rows(rows).sigma_pre
    return PlanNoise(sigma_pre / SURVEY_WEIGHT, sigma_pre / MEASURE_WEIGHT, plan.survey_delta(),
                     float(rdp.epsilon(curve_of(plan.preprocessing(sigma_pre)), plan.rdp_delta)))


def preprocessing_epsilon(plan: Any, rows: int) -> float:
    """ε of the plan's preprocessing (row count, surveys, measurements) for a table of about
    ``rows`` rows: where the run's ε curve starts."""
    return plan_noise(plan, rows).epsilon


# ------------------------------------------------------------------------------------- one plan

def _forecast(frame: pd.DataFrame, schema: Schema, config: RunConfig) -> Forecast:
    from engine.privacy.mechanisms import category_threshold
    from engine.training import plan_run

    plan = plan_run(schema, config)
    rows = len(frame)
    noise = plan_noise(plan, rows)
    threshold = category_threshold(noise.survey_sigma, noise.survey_delta) if noise.survey_delta else 0.0
    planned = {c.name: c for c in plan.columns}
    columns = [_column(spec, frame[spec.name], noise, planned.get(spec.name), rows) for spec in schema.columns]
    return Forecast(config.epsilon, rows, noise.epsilon, noise.survey_sigma, noise.measure_sigma, threshold, columns)


def _column(spec: ColumnSchema, series: pd.Series, noise: PlanNoise, planned: Any, rows: int) -> ColumnForecast:
    measured = not spec.declared
    if planned is None:
        why = f"role {spec.role.value}" + (f": {spec.pii}" if spec.pii else "") if spec.declared else \
            "by its name, as personal data or a key"
        return ColumnForecast(spec.name, EXCLUDED, f"excluded {why}", measured)
    if spec.declared:
        try:
            spec.check_cells(series, "the table")
        except DoppelInputError as error:
            return ColumnForecast(spec.name, NOT_LEARNED, f"training would refuse it: {error}", measured)
    survey = _survey(series, spec, noise) if planned.survey else None
    prefix = ""
    if measured:
        assert survey is not None
        spec = replace(decide(spec.name, survey, rows), public_min=None, public_max=None, public_categories=None)
        if spec.role is not Role.LEARN:
            return ColumnForecast(spec.name, NOT_LEARNED, f"its survey sees {spec.pii}; declare its kind "
                                  "and range or categories to learn it", measured)
        prefix = f"measured as {spec.kind.value}: "
    outcome, reason = _measurement(spec, series, survey, noise, rows)
    return ColumnForecast(spec.name, outcome, prefix + reason, measured)


def _survey(series: pd.Series, spec: ColumnSchema, noise: PlanNoise) -> Survey:
    """What the column's survey would release without noise: the classes above their thresholds."""
    from engine.encoding.base import PUBLIC_CLASS_Z
    from engine.privacy.mechanisms import category_threshold

    counts, missing = cell_classes(series, spec if spec.declared else None)
    sigma = noise.survey_sigma
    public = set(public_classes(spec.kind if spec.declared else None))
    threshold = category_threshold(sigma, noise.survey_delta)
    seen = {k: float(v) for k, v in counts.items()
            if (v >= PUBLIC_CLASS_Z * sigma if k in public else k.startswith("l|") and v >= threshold)}
    small = {int(k[2:]): float(counts.get(k, 0)) for k in public if k.startswith("i|")}
    return Survey(seen, float(missing), sigma, small)


class _Rehearsal:
    """Takes the Releaser's place when an encoder is fitted for the forecast: adds no noise, charges
    nothing, and keeps the exact histogram the encoder asked to release."""

    def __init__(self, noise: PlanNoise) -> None:
        self.noise = noise
        self.measure_sigma = noise.measure_sigma        # what encoders read to size their grid
        self.asked: np.ndarray | None = None

    def histogram(self, counts: np.ndarray) -> tuple[np.ndarray, float]:
        self.asked = np.asarray(counts, dtype=float)
        return self.asked.copy(), self.measure_sigma

    def skip_measurement(self) -> None:
        self.asked = None


def _measurement(spec: ColumnSchema, series: pd.Series, survey: Survey | None, noise: PlanNoise,
                 rows: int) -> tuple[str, str]:
    from engine.encoding.base import Releaser, encoder_class
    from engine.encoding.numeric import FINE_SIGNAL_Z

    rehearsal = _Rehearsal(noise)
    encoder = encoder_class(spec).fit(spec, spec.values(series), survey, cast(Releaser, rehearsal), float(rows))
    warning = encoder.warning(spec)
    if warning or rehearsal.asked is None:
        return NOT_LEARNED, warning or "nothing to measure"
    counts = rehearsal.asked[:-1]          # the last slot counts missing cells
    sigma = noise.measure_sigma
    present = max(float(series.notna().sum()), 1.0)
    strong = float(counts[counts >= FINE_SIGNAL_Z * sigma].sum()) / present
    noise = f"noise σ ≈ {sigma:,.0f} rows"
    outcome, reason = _shape(spec, series, encoder, counts, strong, present, noise)
    gaps = float(series.isna().mean())
    if gaps >= LOST_LABEL_SHARE and not encoder.has_missing:
        return COARSE, f"{reason}; its empty cells ({gaps:.1%}) are below the noise and the output will have " \
            "none: declare that the column may be empty to keep them"
    return outcome, reason


def _shape(spec: ColumnSchema, series: pd.Series, encoder: Any, counts: np.ndarray, strong: float, present: float,
           noise: str) -> tuple[str, str]:
    """How well the column's values (its empty cells aside) come out of the rehearsed measurement."""
    if spec.kind.numeric:
        if not strong:
            return COARSE, f"only its range: every bin is below the noise ({noise} per bin)"
        return (WELL if strong >= WELL_SHARE else COARSE), \
            f"{strong:.0%} of its values lie in bins that stand out of the noise ({noise} per bin)"
    labels = encoder.released_labels() or []
    covered = float(counts.sum()) / present
    released = f"{len(labels)} {'category' if len(labels) == 1 else 'categories'}" + \
        (f" holding {covered:.0%} of rows (rarer labels are redrawn among them)" if covered < 0.995 else "")
    shares = spec.values(series).dropna().astype(str).value_counts() / present
    kept = {str(label) for label in labels}
    lost = [f"{label} ({share:.1%})" for label, share in shares.items()
            if share >= LOST_LABEL_SHARE and label not in kept]
    reason = f"{released}; {strong:.0%} of rows in categories that stand out of the noise ({noise})"
    if lost:
        return COARSE, f"{reason}; the output will never have {', '.join(lost[:3])}" + \
            (f" and {len(lost) - 3} more" if len(lost) > 3 else "") + ": declare the categories to keep them"
    return (WELL if strong >= WELL_LABEL_SHARE else COARSE), reason
