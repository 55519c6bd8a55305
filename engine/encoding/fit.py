"""Preprocessing: the run's noisy row count, each column's survey and measurement, and what they decide.

What is planned for a column follows from public facts alone (:func:`column_plans`): a column
whose facts are declared gets one measurement (plus a survey when its bounds or categories are
not declared); an undeclared column gets a survey, which decides its kind, formats and role under
DP (:func:`engine.schema.survey.decide`), and a measurement; a column whose *name* marks it as
personal data gets nothing and is excluded. Every planned release is charged, made or not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from engine.encoding.base import ColumnEncoder, Releaser, encoder_class
from engine.encoding.table import TableEncoder
from engine.privacy.plan import ColumnPlan, PrivacyPlan
from engine.schema import ColumnSchema, Constraint, Kind, Role, Schema
from engine.schema import pii
from engine.schema.inference import pair_constraints
from engine.schema.survey import Survey, cell_classes, decide, undeclared_role


def needs_survey(spec: ColumnSchema) -> bool:
    """Whether the column's facts or shape must be measured: undeclared, or declared without its
    bounds (numbers, dates) or its categories."""
    if not spec.declared:
        return True
    if spec.kind.numeric:
        return spec.public_min is None or spec.public_max is None
    return spec.kind is Kind.CATEGORICAL and spec.public_categories is None


def column_plans(schema: Schema) -> list[ColumnPlan]:
    """The releases planned for each column, from the schema's declarations and the names alone."""
    plans = []
    for spec in schema.columns:
        if spec.declared and spec.role is Role.LEARN:
            plans.append(ColumnPlan(spec.name, needs_survey(spec), True))
        elif not spec.declared and undeclared_role(spec.name) is None:
            plans.append(ColumnPlan(spec.name, True, True))
    return plans


@dataclass
class Preprocessed:
    rows: float                 # n̂
    schema: Schema              # declared facts kept, undeclared ones decided under DP
    encoder: TableEncoder
    notes: list[str]            # what was decided, for the log


def count_rows(frame: pd.DataFrame, releaser: Releaser) -> float:
    """n̂, the first release of every run."""
    return releaser.count(len(frame))


def preprocess(frame: pd.DataFrame, schema: Schema, plan: PrivacyPlan, releaser: Releaser,
               rows: float) -> Preprocessed:
    """Make every planned survey and measurement (after :func:`count_rows`) and fit the encoder."""
    releaser.use_class(plan.for_rows(rows).sigma_pre)
    columns: list[ColumnSchema] = []
    encoders: list[ColumnEncoder] = []
    notes: list[str] = []
    planned = {c.name: c for c in plan.columns}
    for spec in schema.columns:
        column_plan = planned.get(spec.name)
        survey: Survey | None = None
        if column_plan is not None and column_plan.survey:
            counts, missing = cell_classes(frame[spec.name], spec if spec.declared else None)
            survey = releaser.survey(counts, missing, spec.kind if spec.declared else None)
            if not spec.declared:
                spec = _decided(spec, survey, rows, notes)
        elif not spec.declared:
            spec = replace(spec, kind=Kind.TEXT, role=Role.IDENTIFIER, pii=_name_reason(spec.name),
                           fake=pii.fake_provider(_name_reason(spec.name)), missing_rate=None)
        if column_plan is not None and column_plan.measure:
            if spec.role is Role.LEARN:
                encoders.append(encoder_class(spec).fit(spec, spec.values(frame[spec.name]), survey, releaser, rows))
            else:
                releaser.skip_measurement()
        columns.append(spec)
    releaser.done()
    decided = Schema(columns, [c for c in schema.constraints if _still_valid(c, columns)])
    if any(not c.declared for c in schema.columns):
        known = {(c.left, c.right) for c in decided.constraints}
        decided.constraints += [c for c in pair_constraints(columns) if (c.left, c.right) not in known]
    return Preprocessed(rows, decided, TableEncoder(encoders), notes)


def _name_reason(name: str) -> str:
    return pii.reason_from_name(name, None) or "an employee number or key (by its name)"


def _decided(spec: ColumnSchema, survey: Survey, rows: float, notes: list[str]) -> ColumnSchema:
    decided = decide(spec.name, survey, rows)
    decided = replace(decided, public_min=None, public_max=None, public_categories=None,
                      fake=spec.fake if spec.role is Role.FAKE else decided.fake)
    if decided.role is Role.LEARN:
        detail = {Kind.DATE: f", format {decided.date_format}", Kind.CONTINUOUS: f", {decided.decimals} decimals",
                  Kind.BOOLEAN: f", tokens {decided.true_token}/{decided.false_token}"}.get(decided.kind, "")
        notes.append(f"Column '{spec.name}': measured as {decided.kind.value}{detail}.")
    else:
        notes.append(f"Column '{spec.name}': excluded ({decided.pii}); declare it in the schema to learn it.")
    return decided


def _still_valid(constraint: Constraint, columns: list[ColumnSchema]) -> bool:
    by_name = {c.name: c for c in columns}
    a, b = by_name.get(constraint.left), by_name.get(constraint.right)
    return bool(a and b and a.kind.numeric and a.kind == b.kind and a.role is b.role is Role.LEARN)

