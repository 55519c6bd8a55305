"""Condition vectors of the conditional GAN (CTGAN's idea, made private).

A real row's condition is taken from the row itself (one of its categorical columns, chosen at
random); a fake row's condition is drawn from the DP shares the encoder released. Never CTGAN's
"sample a real row matching a condition": that breaks uniform sampling and the accounting.
The same draw serves training and generation.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from engine.encoding import TableEncoder


class Conditions:
    """The condition columns of an encoder and how to draw conditions for real and fake rows."""

    def __init__(self, encoder: TableEncoder, device: torch.device) -> None:
        self.columns = encoder.condition_columns
        spans = [encoder.spans[i] for i in self.columns]
        self.slots = [s.slots for s in spans]
        self.data_starts = [s.start for s in spans]
        self.dims = torch.tensor([d for s in spans for d in range(s.start, s.start + s.slots)],
                                 dtype=torch.long, device=device)
        self.width = len(self.dims)
        offsets = [sum(self.slots[:k]) for k in range(len(spans))]
        self.offsets = torch.tensor(offsets, dtype=torch.long, device=device)
        self.mask = torch.zeros(len(spans), self.width, device=device)
        for k, (offset, slots) in enumerate(zip(offsets, self.slots)):
            self.mask[k, offset:offset + slots] = 1.0
        self.probs = torch.zeros(len(spans), max(self.slots, default=1), device=device)
        for k, p in enumerate(encoder.condition_probabilities()):
            self.probs[k, :len(p)] = torch.as_tensor(p, dtype=torch.float32)
        self.device = device

    def for_real(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Each real row's own one-hot values of one randomly chosen condition column."""
        if not self.width:
            return rows.new_zeros(len(rows), 0)
        choice = torch.randint(len(self.columns), (len(rows),), device=self.device, generator=generator)
        return rows[:, self.dims] * self.mask[choice]

    def for_fake(self, count: int, generator: torch.Generator | None = None,
                 given: tuple[int, int] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Condition vectors for ``count`` fake rows, with the chosen column (index into
        ``columns``) and slot of each. ``given`` = (encoder column index, slot) fixes them all."""
        cond = torch.zeros(count, self.width, device=self.device)
        if not self.width:
            empty = torch.zeros(count, dtype=torch.long, device=self.device)
            return cond, empty, empty
        if given is not None and given[0] in self.columns:
            choice = torch.full((count,), self.columns.index(given[0]), dtype=torch.long, device=self.device)
            slot = torch.full((count,), given[1], dtype=torch.long, device=self.device)
        else:
            choice = torch.randint(len(self.columns), (count,), device=self.device, generator=generator)
            slot = torch.multinomial(self.probs[choice], 1, generator=generator).squeeze(1)
        cond[torch.arange(count, device=self.device), self.offsets[choice] + slot] = 1.0
        return cond, choice, slot

    def loss(self, raw: torch.Tensor, choice: torch.Tensor, slot: torch.Tensor) -> torch.Tensor:
        """Cross-entropy that teaches the generator to honour its condition (CTGAN)."""
        total = raw.new_zeros(())
        for k in range(len(self.columns)):
            rows = choice == k
            logits = raw[rows, self.data_starts[k]:self.data_starts[k] + self.slots[k]]
            total = total + F.cross_entropy(logits, slot[rows], reduction="sum")
        return total / max(len(raw), 1)
