"""Sampling synthetic rows from a trained model: conditions, constraints, decoding, fake PII.

Everything here is post-processing of the DP model, so it costs no budget. An equality
condition on a categorical column steers the generator through its condition vector; every
condition and constraint is then enforced by rejection, so returned rows always meet them.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from engine.compute import choose_threads
from engine.errors import DoppelInputError
from engine.run import EventCallback, LogMessage, emit
from engine.schema import ColumnSchema, Role
from engine.synthesizers.model import TrainedModel

MAX_ROWS = 10_000_000
_CONDITION = re.compile(r"^\s*(?P<column>.+?)\s*(?P<op><=|>=|!=|==|=|<|>)\s*(?P<value>.*?)\s*$")
_OPS = {"=": np.equal, "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
        ">": np.greater, ">=": np.greater_equal}


@dataclass(frozen=True)
class Condition:
    """``column op value`` from a ``--where`` argument, e.g. ``Department=Sales``, ``age>=40``."""

    column: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> "Condition":
        match = _CONDITION.match(text)
        if not match or not match["column"] or not match["value"]:
            raise DoppelInputError(f"Condition '{text}' is not understood; write it as COLUMN=VALUE "
                                   "(or with !=, <, <=, >, >=), e.g. \"department=Sales\".")
        return cls(match["column"], match["op"], match["value"])

    def __str__(self) -> str:
        return f"{self.column}{self.op}{self.value}"


def _check_condition(condition: Condition, model: TrainedModel) -> ColumnSchema:
    spec = model.schema[condition.column]
    if spec.role is not Role.LEARN:
        raise DoppelInputError(f"Condition '{condition}': column '{spec.name}' is not learned by this model "
                               f"(role {spec.role.value}); condition on a learned column.")
    if spec.kind.labelled:
        if condition.op not in ("=", "==", "!="):
            raise DoppelInputError(f"Condition '{condition}': '{spec.name}' is categorical; use = or !=.")
        labels = model.encoder.columns[model.encoder.index_of(spec.name)].released_labels() or []
        if condition.value not in labels:
            shown = ", ".join(labels[:12]) + (" …" if len(labels) > 12 else "")
            raise DoppelInputError(f"Condition '{condition}': '{condition.value}' is not a value this model can "
                                   f"produce for '{spec.name}' (rare values are withheld for privacy); "
                                   f"choose one of: {shown}.")
    else:
        _condition_number(condition, spec)
    return spec


def _condition_number(condition: Condition, spec: ColumnSchema) -> float:
    number = spec.value_of(condition.value)
    if number is None:
        raise DoppelInputError(f"Condition '{condition}': '{condition.value}' is not {spec.expected()} for column "
                               f"'{spec.name}'.")
    return float(number)


def _keep_mask(decoded: dict[str, np.ndarray], conditions: list[Condition], model: TrainedModel) -> np.ndarray:
    n = len(next(iter(decoded.values())))
    keep = np.ones(n, dtype=bool)
    for condition in conditions:
        spec = model.schema[condition.column]
        values = decoded[spec.name]
        if spec.kind.labelled:
            hit = np.array([v == condition.value for v in values])
            keep &= hit if condition.op != "!=" else ~hit
        else:
            number = _condition_number(condition, spec)
            with np.errstate(invalid="ignore"):
                keep &= _OPS[condition.op](values, number) & ~np.isnan(values)
    for constraint in model.schema.constraints:
        left, right = decoded[constraint.left], decoded[constraint.right]
        with np.errstate(invalid="ignore"):
            keep &= ~(left > right)      # a missing side (still employed) satisfies it
    return keep


def _steer(model: TrainedModel, conditions: list[Condition]) -> tuple[int, int] | None:
    """(column index, slot) of the first equality condition on a labelled column: the
    synthesizer may steer towards it; every row is still checked by rejection."""
    for condition in conditions:
        spec = model.schema[condition.column]
        if condition.op in ("=", "==") and spec.kind.labelled:
            index = model.encoder.index_of(spec.name)
            return index, (model.encoder.columns[index].released_labels() or []).index(condition.value)
    return None


def sample(model: TrainedModel, rows: int, conditions: list[Condition] | None = None,
           seed: int | None = None, batch_size: int = 4096, max_rounds: int = 200,
           on_event: EventCallback | None = None) -> pd.DataFrame:
    """``rows`` synthetic rows in the source's column names, kinds and formats.

    From a full batch on, torch's thread count is chosen by timing a batch (the choice is sent to
    ``on_event``): a busy machine samples far faster on one thread."""
    if not 1 <= rows <= MAX_ROWS:
        raise DoppelInputError(f"--rows must be between 1 and {MAX_ROWS:,}, got {rows}.")
    conditions = list(conditions or [])
    for condition in conditions:
        _check_condition(condition, model)
    seeded = seed is not None
    seed = seed if seed is not None else secrets.randbits(62)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    given = _steer(model, conditions)
    kept: list[dict[str, np.ndarray]] = []
    found, tried = 0, 0
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        if rows >= batch_size:
            probe = torch.Generator().manual_seed(seed + 1)
            choice = choose_threads(lambda: model.synthesizer.sample(batch_size, None, probe), seeded=seeded)
            emit(on_event, LogMessage(f"Sampling on {choice.describe()}."))
        torch.manual_seed(seed)
        for _ in range(max_rounds):
            count = min(batch_size, max(2 * (rows - found), 256))
            encoded = model.synthesizer.sample(count, given, generator)
            decoded = model.encoder.inverse_transform(encoded, model.schema)
            keep = _keep_mask(decoded, conditions, model)
            tried += count
            if keep.any():
                kept.append({k: v[keep] for k, v in decoded.items()})
                found += int(keep.sum())
            if found >= rows:
                break
    if found < rows:
        where = " and ".join(str(c) for c in conditions) or "the schema's constraints"
        raise DoppelInputError(f"Only {found} of {tried:,} generated rows meet {where}; ask for fewer rows "
                               "or loosen the condition.")
    columns = {name: np.concatenate([part[name] for part in kept])[:rows] for name in kept[0]}
    return _format(model, columns, rows, rng)


def _format(model: TrainedModel, columns: dict[str, np.ndarray], rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Typed arrays to the source's formats; fake columns filled; source column order."""
    out: dict[str, object] = {}
    faker_seed = int(rng.integers(2**31))
    for spec in model.schema.output:
        if spec.role is Role.FAKE:
            out[spec.name] = fake_values(spec.fake or "text", rows, faker_seed)
            continue
        out[spec.name] = spec.to_output(columns[spec.name])
    return pd.DataFrame(out)


def fake_values(provider: str, rows: int, seed: int) -> list[str]:
    """Values made up by Faker offline from a seed: they carry nothing from the real table."""
    from faker import Faker

    faker = Faker("en_US")
    faker.seed_instance(seed)
    if provider == "employee_id":
        start = int(np.random.default_rng(seed).integers(10_000, 90_000))
        return [f"E{start + i:06d}" for i in range(rows)]
    if provider == "email":
        return [faker.unique.email() for _ in range(rows)] if rows <= 50_000 else [faker.email() for _ in range(rows)]
    make = {"name": faker.name, "phone_number": faker.phone_number, "ssn": faker.ssn,
            "text": lambda: faker.sentence(nb_words=6)}.get(provider, faker.word)
    return [make() for _ in range(rows)]
