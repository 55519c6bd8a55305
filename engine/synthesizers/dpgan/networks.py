"""Generator and discriminator of the conditional tabular GAN.

The discriminator is the only network that sees real rows, so it is the one trained with
DP-SGD: plain Linear + LeakyReLU layers (no BatchNorm, no dropout state), all of which Opacus
ghost clipping supports. The generator never touches real data and may use BatchNorm.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from engine.encoding import TableEncoder


class Residual(nn.Module):
    """CTGAN-style block: the layer's output is concatenated to its input."""

    def __init__(self, width_in: int, width_out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(width_in, width_out)
        self.norm = nn.BatchNorm1d(width_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.relu(self.norm(self.linear(x))), x], dim=1)


class Generator(nn.Module):
    """Noise and a condition vector to raw logits/scalars laid out like the encoder's spans."""

    def __init__(self, noise_dim: int, condition_dim: int, data_dim: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = noise_dim + condition_dim
        for size in hidden:
            layers.append(Residual(width, size))
            width += size
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, data_dim)

    def forward(self, noise: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(torch.cat([noise, condition], dim=1)))


class GeneratorEnsemble(nn.Module):
    """Generators kept at several epochs of one run; row i of a batch comes from member i mod K.

    Why: a DP-trained GAN swings from epoch to epoch (on Adult at ε = 3, TSTR AUC moves between
    0.77 and 0.88 from one epoch to the next); drawing rows from the last epochs' generators in
    turn evens the swings out, and it reads no real row, so it costs no ε.
    """

    def __init__(self, members: list[Generator]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one generator")
        self.members = nn.ModuleList(members)

    def forward(self, noise: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        k = len(self.members)
        used = self.members[:max(len(noise), 1)]    # a batch smaller than K leaves the last members idle
        parts = [member(noise[i::k], condition[i::k]) for i, member in enumerate(used)]
        out = noise.new_empty(len(noise), parts[0].shape[1])
        for i, part in enumerate(parts):
            out[i::k] = part
        return out


class Discriminator(nn.Module):
    """Row (plus condition) to one logit: real or synthetic."""

    def __init__(self, input_dim: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = input_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def activate(raw: torch.Tensor, encoder: TableEncoder, tau: float = 0.2, hard: bool = False) -> torch.Tensor:
    """Generator logits to an encoded row: Gumbel-softmax per span (one-hot of the Gumbel-max
    with the soft values' gradient when ``hard``), sigmoid for each ``u``.

    The Gumbel noise of all spans is drawn at once as −log(−log U): on the CPU torch's
    ``exponential_``, which ``F.gumbel_softmax`` draws per span, costs several times as much as
    uniforms and logs, and a DP-SGD run activates two batches per step."""
    uniform = torch.rand(raw.shape, device=raw.device).clamp_(1e-10, 1.0 - 1e-7)
    noisy = (raw - torch.log(-torch.log(uniform))) / tau
    parts = []
    for span in encoder.spans:
        if span.slots > 1:
            soft = torch.softmax(noisy[:, span.start:span.start + span.slots], dim=1)
            if hard:
                one_hot = torch.zeros_like(soft).scatter_(1, soft.argmax(dim=1, keepdim=True), 1.0)
                soft = one_hot - soft.detach() + soft
            parts.append(soft)
        else:
            parts.append(torch.ones_like(raw[:, span.start:span.start + 1]))
        if span.scalar is not None:
            parts.append(torch.sigmoid(raw[:, span.scalar:span.scalar + 1]))
    return torch.cat(parts, dim=1)
