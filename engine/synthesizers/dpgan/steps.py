"""One discriminator step under DP-SGD and one generator step, apart from the loop's bookkeeping.

One discriminator step = Poisson-sample real rows at rate q on the device tensor, draw as many
fake rows, one forward and one backward of ``[real; fake]`` through Opacus ghost clipping, one
noised step. The generator step follows with the discriminator's hooks off (post-processing).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Any, Iterator

import torch
from opacus.grad_sample import GradSampleModuleFastGradientClipping
from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping
from torch import nn

from engine.encoding import TableEncoder
from engine.privacy.dpsgd import NoisedOptimizer
from engine.privacy.randomness import NoiseSource
from engine.synthesizers.dpgan.conditions import Conditions
from engine.synthesizers.dpgan.marginals import MarginalFit
from engine.synthesizers.dpgan.networks import Discriminator, Generator, GeneratorEnsemble, activate
from engine.synthesizers.dpgan.settings import DPGANSettings


class GanSteps:
    """The networks, optimizers and the two kinds of step.

    With ``private=True`` (always, in training) the discriminator is wrapped for Opacus ghost
    clipping and its optimizer adds noise σ·C drawn from ``noise`` (which also draws the Poisson
    sample); ``init`` draws everything else. ``private=False`` exists so the speed benchmark can
    time the very same step without DP. ``batch`` is the number of fake rows per step (the
    expected number of real ones, q·n̂).
    """

    def __init__(self, encoder: TableEncoder, data: torch.Tensor, settings: DPGANSettings, batch: int,
                 sigma: float, noise: NoiseSource, init: torch.Generator | None = None, *, rate: float | None = None,
                 private: bool = True) -> None:
        self.encoder, self.data, self.settings, self.batch = encoder, data, settings, batch
        self.device, self.noise, self.init = data.device, noise, init
        self.q = rate if rate is not None else batch / len(data)
        self.conditions = Conditions(encoder, self.device)
        self.generator = Generator(settings.noise_dim, self.conditions.width, encoder.width,
                                   settings.generator_hidden).to(self.device)
        network = Discriminator(encoder.width + self.conditions.width, settings.discriminator_hidden).to(self.device)
        adam = torch.optim.Adam(network.parameters(), lr=settings.discriminator_lr, betas=(0.5, 0.9))
        self.criterion = nn.BCEWithLogitsLoss(reduction="mean")
        self.private = private
        if private:
            self.discriminator = GradSampleModuleFastGradientClipping(
                network, max_grad_norm=settings.max_grad_norm, use_ghost_clipping=True, loss_reduction="mean")
            self.d_optimizer = NoisedOptimizer(
                adam, noise=noise, noise_multiplier=sigma, max_grad_norm=settings.max_grad_norm,
                expected_batch_size=2 * batch, loss_reduction="mean")
            self.d_loss = DPLossFastGradientClipping(self.discriminator, self.d_optimizer, self.criterion, "mean")
        else:
            self.discriminator, self.d_optimizer, self.d_loss = network, adam, self.criterion
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=settings.generator_lr, betas=(0.5, 0.9))
        self.ones = torch.ones(batch, device=self.device)
        self.snapshots: list[dict[str, torch.Tensor]] = []
        self.initial = {k: v.detach().clone() for k, v in self.generator.state_dict().items()}
        self.fit: MarginalFit | None = None      # the measured marginals the generator is pulled to

    def keep_snapshot(self) -> None:
        """Add the generator's current weights to the ensemble the model will sample from, with every
        weight training never moved set to zero: an untouched weight is its random initial value,
        which carries nothing learned and would only tell how initialisation was seeded."""
        snapshot = {}
        for key, value in self.generator.state_dict().items():
            value = value.detach().clone()
            if value.is_floating_point():
                value[value == self.initial[key]] = 0.0
            snapshot[key] = value
        self.snapshots.append(snapshot)

    def ensemble(self) -> GeneratorEnsemble:
        """The kept snapshots as one model on the CPU (the live generator if none was kept)."""
        if not self.snapshots:
            self.keep_snapshot()
        members = []
        for state in self.snapshots:
            member = Generator(self.settings.noise_dim, self.conditions.width, self.encoder.width,
                               self.settings.generator_hidden)
            member.load_state_dict({k: v.cpu() for k, v in state.items()})
            members.append(member)
        return GeneratorEnsemble(members).eval()

    def _fake(self, count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        cond, choice, slot = self.conditions.for_fake(count, self.init)
        latent = torch.randn(count, self.settings.noise_dim, device=self.device, generator=self.init)
        return self.generator(latent, cond), cond, choice, slot

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One discriminator step, then one generator step on the same fake batch (drawn once, as
        most GAN loops do: the generator's forward pass and the Gumbel noise are not paid twice)."""
        raw, cond, choice, slot = self._fake(self.batch)
        fake = activate(raw, self.encoder)
        self.discriminator_step(fake.detach(), cond)
        return self.generator_step((raw, fake, cond, choice, slot))

    def discriminator_step(self, fake: torch.Tensor | None = None, fake_cond: torch.Tensor | None = None) -> None:
        """Poisson-sample real rows at rate q; one forward/backward over [real; fake]; one noised step.
        Without ``fake`` (timing probes, tests) the fake rows are drawn here.

        Its loss is not returned: it is computed on real rows before the noise, so showing it would
        release a statistic of the table outside the DP step."""
        real = self.data[self.noise.sample_rows(len(self.data), self.q, self.device)]
        if fake is None or fake_cond is None:
            with torch.no_grad():
                raw, fake_cond, _, _ = self._fake(self.batch)
                fake = activate(raw, self.encoder)
        inputs = torch.cat([torch.cat([real, self.conditions.for_real(real, self.init)], dim=1),
                            torch.cat([fake, fake_cond], dim=1)])
        labels = torch.cat([torch.ones(len(real), device=self.device), torch.zeros(self.batch, device=self.device)])
        self.d_optimizer.zero_grad()
        loss = self.d_loss(self.discriminator(inputs), labels)
        loss.backward()
        self.d_optimizer.step()

    def sample_raw(self, count: int) -> torch.Tensor:
        """Generator outputs for ``count`` fake rows, without gradients (to score candidate pairs)."""
        with torch.no_grad():
            return self._fake(count)[0]

    def marginal_step(self, batch: int) -> torch.Tensor:
        """One step of the generator towards the measured marginals alone (post-processing)."""
        assert self.fit is not None
        self.g_optimizer.zero_grad()
        raw, _, choice, slot = self._fake(batch)
        loss = self.fit.loss(raw) + self.conditions.loss(raw, choice, slot)
        loss.backward()
        self.g_optimizer.step()
        return loss.detach()

    def generator_step(self, drawn: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        """Post-processing of the private discriminator: its hooks are off and its weights frozen.
        ``drawn``: the step's fake batch, drawn with gradients (raw, activated, condition, choice, slot).

        Returns the generator's loss and the discriminator's mean score of the fake rows (the
        probability it gives them of being real): both read no real row."""
        if self.private:
            self.discriminator.disable_hooks()
        for p in self.discriminator.parameters():
            p.requires_grad_(False)
        raw, fake, cond, choice, slot = drawn
        self.g_optimizer.zero_grad()
        logits = self.discriminator(torch.cat([fake, cond], dim=1))
        loss = self.criterion(logits, self.ones) + self.conditions.loss(raw, choice, slot)
        if self.fit is not None:
            loss = loss + self.settings.marginal_weight * self.fit.loss(raw)
        loss.backward()
        self.g_optimizer.step()
        for p in self.discriminator.parameters():
            p.requires_grad_(True)
        if self.private:
            self.discriminator.enable_hooks()
        return loss.detach(), torch.sigmoid(logits.detach()).mean()

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """Steps taken inside (timing probes) leave no trace: the generator, its optimizer and the
        ``init`` stream are put back as they were, so the run is the same however many were taken."""
        generator = {k: v.clone() for k, v in self.generator.state_dict().items()}
        optimizer = copy.deepcopy(self.g_optimizer.state_dict())
        stream = self.init.get_state() if self.init is not None else None
        try:
            yield
        finally:
            self.generator.load_state_dict(generator)
            self.g_optimizer.load_state_dict(optimizer)
            if self.init is not None and stream is not None:
                self.init.set_state(stream)

    # ------------------------------------------------------------------ checkpoint state

    def _parts(self) -> Iterator[tuple[str, Any]]:
        yield "generator", self.generator
        yield "discriminator", self.discriminator
        yield "g_optimizer", self.g_optimizer
        yield "d_optimizer", self.d_optimizer

    def capture(self) -> dict[str, torch.Tensor]:
        """Weights, Adam moments and snapshots as flat named CPU tensors (``part/key``, ``part/index/slot``)."""
        out: dict[str, torch.Tensor] = {}
        for part, obj in self._parts():
            if isinstance(obj, nn.Module):
                items = obj.state_dict().items()
            else:
                items = ((f"{index}/{slot}", value) for index, slots in obj.state_dict()["state"].items()
                         for slot, value in slots.items())
            for key, value in items:
                out[f"{part}/{key}"] = torch.as_tensor(value).detach().to("cpu", copy=True).contiguous()
        for i, state in enumerate(self.snapshots):
            for key, value in state.items():
                out[f"snapshot/{i}/{key}"] = value.detach().to("cpu", copy=True).contiguous()
        return out

    def restore(self, tensors: dict[str, torch.Tensor]) -> None:
        """Load what :meth:`capture` took into these freshly built networks and optimizers."""
        for part, obj in self._parts():
            mine = {key[len(part) + 1:]: value for key, value in tensors.items() if key.startswith(part + "/")}
            if isinstance(obj, nn.Module):
                obj.load_state_dict(mine)
                continue
            state: dict[int, dict[str, torch.Tensor]] = {}
            for key, value in mine.items():
                index, slot = key.split("/")
                state.setdefault(int(index), {})[slot] = value
            obj.load_state_dict({"state": state, "param_groups": obj.state_dict()["param_groups"]})
        snapshots: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith("snapshot/"):
                _, index, name = key.split("/", 2)
                snapshots.setdefault(int(index), {})[name] = value.to(self.device)
        keys = set(self.generator.state_dict())
        for index in sorted(snapshots):
            if set(snapshots[index]) != keys:
                raise KeyError(f"snapshot/{index}")
        self.snapshots = [snapshots[i] for i in sorted(snapshots)]
