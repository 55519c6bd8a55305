"""The synthesizer protocol: what any model that learns a table under DP must do, and the registry.

A synthesizer first plans the releases it will make for a table of a given size class, so that
with preprocessing they spend the budget (:meth:`Synthesizer.plan`, called before any row is
read, for every size class). It is then built with the plan of the class the noisy row count
falls in, receives the encoded real rows (built from DP releases only) and learns
(:meth:`Synthesizer.fit`), checking the budget before every release, reporting progress and
stopping on cancel through a :class:`FitContext`. Afterwards it samples encoded rows and hands its state to storage. A new
synthesizer is one package with a class registered here (:func:`register`); nothing else in the
stack changes.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, TypeVar

import numpy as np
import torch

from engine.encoding import TableEncoder
from engine.errors import DoppelInputError, TrainingCancelled
from engine.privacy.accountant import PrivacyAccountant
from engine.privacy.plan import Budget, SynthesizerPlan
from engine.privacy.randomness import NoiseSource
from engine.run import CancelToken, EventCallback, LogMessage, Progress, emit

S = TypeVar("S", bound=type["Synthesizer"])
_REGISTRY: dict[str, type["Synthesizer"]] = {}


def register(cls: S) -> S:
    """Class decorator: make a synthesizer available under its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def synthesizer_class(name: str) -> type["Synthesizer"]:
    """The registered synthesizer called ``name`` (a clear error for an unknown one)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DoppelInputError(f"Unknown synthesizer '{name}'; use one of {', '.join(sorted(_REGISTRY))}.") from None


def registered() -> list[str]:
    return sorted(_REGISTRY)


def settings_from(cls: type, overrides: Mapping[str, Any]) -> Any:
    """A settings dataclass from its defaults and the user's overrides (JSON lists become tuples)."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise DoppelInputError(f"Unknown setting(s) {', '.join(unknown)} for this synthesizer; "
                               f"use {', '.join(sorted(known))}.")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()})


@dataclass
class FitContext:
    """What a synthesizer's ``fit`` may use besides the data: the budget, the caller's ears and the
    randomness.

    ``noise`` draws everything a privacy argument relies on (DP noise, Poisson sampling), from 128
    bits of entropy; ``init`` draws everything else (initial weights, latent noise for fake rows).
    ``rows`` is n̂, the noisy row count (public). ``checkpoint(progress, ε spent)``
    is called by the synthesizer after a round or an epoch; the caller decides whether to write one.
    """

    accountant: PrivacyAccountant
    epsilon_target: float
    device: torch.device
    noise: NoiseSource
    init: torch.Generator
    rows: float
    one_way_sigma: float = 0.0      # the noise of the columns' 1-way measurements
    on_event: EventCallback | None = None
    cancel: CancelToken | None = None
    checkpoint: Callable[[int, float], None] | None = None
    seconds_before: float = 0.0
    started: float = field(default_factory=time.perf_counter)
    seeded: bool = False            # a test run with a fixed seed: keep it reproducible (one thread)

    def log(self, text: str) -> None:
        emit(self.on_event, LogMessage(text))

    def progress(self, event: Progress) -> None:
        emit(self.on_event, event)

    def stop_if_cancelled(self, step: int, stages: int | None = None) -> None:
        """Once the user cancelled: record the ``step`` steps taken and raise
        :class:`TrainingCancelled` with the ε they and preprocessing spent (a run that counts in
        stages, not steps, says how many ``stages`` it had reported)."""
        if self.cancel is not None and self.cancel.cancelled:
            self.accountant.finish_steps(step)
            spent = self.accountant.epsilon_after(step)
            done = f"{stages} stages" if stages is not None else f"{step} steps"
            raise TrainingCancelled(f"Training cancelled after {done}; ε = {spent:.3f} was spent.",
                                    spent, self.accountant.delta)


class Synthesizer(ABC):
    """A model of the encoded table learned under DP; see the module docstring for the life cycle."""

    name: ClassVar[str]
    settings_class: ClassVar[type]

    def __init__(self, encoder: TableEncoder, settings: Any, plan: SynthesizerPlan | None = None) -> None:
        self.encoder = encoder
        self.settings = settings
        self.plan_ = plan

    # ------------------------------------------------------------------ learning
    @classmethod
    def preprocessing_share(cls, settings: Any, rows: int) -> float:
        """The share of ε (of what the row count leaves) the surveys and 1-way measurements may spend
        in a size class."""
        return 0.2

    @classmethod
    @abstractmethod
    def plan(cls, settings: Any, rows: int, epochs: int, budget: Budget, columns: int) -> SynthesizerPlan:
        """The releases (and their facts) for a table of about ``rows`` rows (the smallest of a size
        class) with ``columns`` learned columns that, added to preprocessing, spend ``budget``;
        reads no data."""

    @abstractmethod
    def fit(self, data: torch.Tensor, context: FitContext) -> None:
        """Learn from the encoded real rows, making the planned releases (each charged before it is
        made), until the plan is done; raise :class:`TrainingCancelled` when cancelled."""

    @abstractmethod
    def facts(self) -> dict[str, Any]:
        """The plan's public facts for the run summary (e.g. σ, q, steps)."""

    @abstractmethod
    def losses_description(self) -> str:
        """One line saying what the named loss series of :class:`~engine.run.Progress` are."""

    # ------------------------------------------------------------------ sampling
    @abstractmethod
    def sample(self, count: int, given: tuple[int, int] | None, generator: torch.Generator) -> np.ndarray:
        """``count`` encoded rows with one slot drawn per span. ``given`` = (column index, slot)
        asks for rows with that category when the synthesizer can steer towards it (a hint:
        callers still check every row)."""

    # ------------------------------------------------------------------ storage
    @abstractmethod
    def model_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """What a saved model needs to sample: tensors and JSON metadata (architecture only)."""

    @classmethod
    @abstractmethod
    def from_model_state(cls, encoder: TableEncoder, tensors: dict[str, torch.Tensor],
                         meta: dict[str, Any]) -> "Synthesizer":
        """Rebuild a sampling-ready synthesizer from :meth:`model_state`."""

    @abstractmethod
    def training_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Everything needed to continue ``fit`` after the last finished step (no random state)."""

    @abstractmethod
    def restore_training_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                               accountant: PrivacyAccountant) -> None:
        """Continue the plan recorded in :meth:`training_state` (nothing is planned or paid again)."""
