"""Property: any small table of mixed kinds either trains and samples with the same columns and
kinds, or is refused with a one-line DoppelInputError — never another exception.

Tables are real CSV files read by the engine. Every table has at least one numeric or boolean
column: a table whose learned columns are all categorical, none common enough to pass the DP
threshold, currently crashes training (see test_bad_input.py's xfail test).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.errors import DoppelInputError
from engine.generation import sample
from engine.schema import Kind, Role, infer_schema
from engine.run import RunConfig
from engine.training import train
from engine.app.operations import load_table

KINDS = ("categorical", "integer", "float", "date", "boolean")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    """50–120 rows; 1–4 columns of random kinds, each with its own share of missing cells."""
    n = draw(st.integers(50, 120))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
    if all(k == "categorical" for k in kinds):
        kinds.append(draw(st.sampled_from(KINDS[1:])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns: dict[str, list[object]] = {}
    for i, kind in enumerate(kinds):
        if kind == "categorical":
            labels = [f"dept {c}" for c in "ABCDEFGH"[:draw(st.integers(1, 8))]]
            cells: list[object] = list(rng.choice(labels, n))
        elif kind == "integer":
            low = draw(st.integers(-1000, 100_000))
            cells = list(rng.integers(low, low + draw(st.integers(0, 500)) + 1, n))
        elif kind == "float":
            cells = [f"{v:.2f}" for v in rng.normal(draw(st.floats(-1e4, 1e4)), draw(st.floats(0.01, 1e3)), n)]
        elif kind == "date":
            days = rng.integers(0, draw(st.integers(1, 20_000)), n)
            fmt = draw(st.sampled_from(DATE_FORMATS))
            cells = [(pd.Timestamp("1990-01-01") + pd.Timedelta(days=int(d))).strftime(fmt) for d in days]
        else:
            cells = list(rng.choice(["true", "false"], n))
        missing = rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.5]))
        columns[f"{kind}_{i}"] = [None if gap else cell for cell, gap in zip(cells, missing)]
    return pd.DataFrame(columns)


def check_kinds(out: pd.DataFrame, schema, source: pd.DataFrame) -> None:
    """Each synthetic column has its source column's kind and format."""
    for column in schema.output:
        values = out[column.name].dropna()
        if column.kind is Kind.INTEGER:
            assert pd.api.types.is_integer_dtype(out[column.name]), column
        elif column.kind is Kind.CONTINUOUS:
            assert pd.api.types.is_float_dtype(out[column.name]), column
        elif column.kind is Kind.DATE:
            assert pd.to_datetime(values, format=column.date_format, errors="coerce").notna().all(), column
        elif column.kind is Kind.BOOLEAN:
            assert set(values) <= {column.true_token, column.false_token}, column
        else:
            assert set(values) <= set(source[column.name].dropna()), column


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(frame=tables(), epsilon=st.sampled_from([1.0, 2.5]))
def test_train_and_sample_keep_columns_and_kinds_or_refuse_clearly(frame: pd.DataFrame, epsilon: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        frame.to_csv(path, index=False)
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        table = load_table(path)
        schema = infer_schema(table.frame).declare_all()
        # most of ε on the DP preprocessing, so small tables keep some values; the rest on 16 steps
        config = RunConfig(epsilon=epsilon, epochs=4, preprocessing_fraction=0.8, device="cpu", seed=0,
                           settings=dict(batch_size=max(len(frame) // 4, 1), generator_hidden=(16,),
                                         discriminator_hidden=(16,), noise_dim=8))
        try:
            model = train(table.frame, schema, config, source_name=path.name)
            out = sample(model, 80, seed=1)
        except DoppelInputError as exc:
            message = str(exc)
            assert message and "\n" not in message, message
            event(f"refused: {message.split(';')[0].split(':')[-1].strip()}")
            return
        finally:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    event("trained and sampled" + (", some values kept" if out.notna().any().any() else ", all values withheld"))
    assert list(out.columns) == [c.name for c in schema.output]
    assert len(out) == 80
    learned = {c.name for c in schema.columns if c.role is Role.LEARN}
    assert learned <= set(out.columns)
    check_kinds(out, schema, table.frame)
