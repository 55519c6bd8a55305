"""The facts every run shares, whatever learns the table: what the user chose, what the engine
reports while it works, how it is stopped, and what it leaves behind.

Imports nothing else of ours, so the app, the CLI and every synthesizer can speak the same
language without depending on each other. Progress reaches the caller through a plain callback
receiving these frozen dataclasses; a run stops between two steps once its :class:`CancelToken`
is set.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class RunConfig:
    """What the user chooses for one run.

    ``seed`` makes a run reproducible and is meant for tests: whoever knows it can recompute
    the noise, so it is never stored and a seeded run is not private. ``settings`` overrides the
    chosen synthesizer's own defaults (see its settings dataclass).
    """

    epsilon: float
    delta: float | None = None
    epochs: int = 40                         # passes over the data the budget is spread over
    preprocessing_fraction: float | None = None   # share of ε (what the row count leaves) for the surveys
                                                  # and 1-way measurements; None: the synthesizer's choice
    device: str = "auto"
    seed: int | None = None
    synthesizer: str = "dpgan"
    settings: Mapping[str, Any] = field(default_factory=dict)

    def plan_json(self) -> dict[str, Any]:
        """The choices that define a run's plan (a resumed run must repeat them); device and seed
        may differ on resume and are left out."""
        data = asdict(self)
        del data["device"], data["seed"]
        data["settings"] = dict(self.settings)
        return data


@dataclass(frozen=True)
class Progress:
    """Sent once per epoch (and at the end). ``losses`` are named series, so a synthesizer without
    a discriminator reports too. ``unit`` names what ``epoch``/``epochs`` count: passes over the
    table ("epoch") for DP-SGD, or "stage" for a run that fits to measurements and never passes
    over the rows (so the epochs asked for do not apply)."""

    epoch: int
    epochs: int
    step: int
    steps: int
    losses: Mapping[str, float]
    epsilon_spent: float
    epsilon_target: float
    rows_per_second: float
    seconds: float
    eta_seconds: float
    unit: str = "epoch"


@dataclass(frozen=True)
class LogMessage:
    """A line for the user's log (what was decided, what was dropped and why)."""

    text: str


Event = Progress | LogMessage
EventCallback = Callable[[Event], None]


def emit(callback: EventCallback | None, event: Event) -> None:
    """Send ``event`` when someone listens."""
    if callback is not None:
        callback(event)


class CancelToken:
    """Thread-safe flag the GUI sets; a run checks it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class RunSummary:
    """A finished run's facts. ``epsilon_spent`` is the plan's bound (it holds whatever the noisy row
    count turned out to be); ``releases`` are this run's (σ, q, count, ε₀) entries, from which
    anyone can recompute the (smaller) ε of this path; ``rows_estimate`` is n̂, the noisy row
    count; ``facts`` are the synthesizer's own (σ, q and steps for DP-SGD). ``seconds`` and
    ``rows_per_second`` are local timings, shown but never stored in a model."""

    synthesizer: str
    epsilon_spent: float
    epsilon_target: float
    delta: float
    accountant: str
    preprocessing_epsilon: float
    preprocessing_sigma: float
    releases: list[tuple[float, ...]]
    epsilon_curve: list[tuple[int, float]]
    rows_estimate: float
    facts: Mapping[str, Any]
    device: str = "cpu"
    seconds: float = 0.0
    rows_per_second: float = 0.0

    LOCAL = ("seconds", "rows_per_second")

    def to_json(self) -> dict[str, Any]:
        """Everything that may be stored with a model (local timings left out)."""
        data = asdict(self)
        for name in self.LOCAL:
            del data[name]
        data["facts"] = dict(self.facts)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RunSummary":
        data = dict(data)
        data["releases"] = [tuple(r) for r in data["releases"]]
        data["epsilon_curve"] = [tuple(p) for p in data["epsilon_curve"]]
        return cls(**data)
