"""Evaluation: how close a synthetic table is to the real one and how much it risks (DESIGN §4).

:mod:`.evaluate` runs the measures (:mod:`.fidelity`, :mod:`.associations`, :mod:`.utility`,
:mod:`.privacy_risk`) and returns :mod:`.results` with :mod:`.bands`; :mod:`.figures` and
:mod:`.html` turn a result into pictures and the report. It reads real rows: not private.
"""

from engine.evaluation.bands import BANDS, band
from engine.evaluation.evaluate import HOLDOUT_SHARE, evaluate, split_holdout
from engine.evaluation.results import EvaluationResult

__all__ = ["BANDS", "HOLDOUT_SHARE", "EvaluationResult", "band", "evaluate", "split_holdout"]
