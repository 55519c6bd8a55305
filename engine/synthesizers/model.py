"""A trained model: what generation needs and storage keeps.

Everything in it is public or a DP release: the schema without observed statistics, the DP
encoder, the synthesizer's learned state and the run's summary. ``run_id`` is a random id that
links the model to its entry in the local ledger; the dataset it came from is known only on
this machine (``dataset``, never stored in a bundle).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.encoding import TableEncoder
from engine.run import RunSummary
from engine.schema import Schema
from engine.synthesizers.base import Synthesizer


@dataclass
class TrainedModel:
    schema: Schema
    encoder: TableEncoder
    synthesizer: Synthesizer
    summary: RunSummary
    run_id: str = ""
    created: str = ""
    versions: dict[str, str] | None = None
    dataset: str = ""          # local only: the ledger key of the table it was trained on
