"""Where the work runs: the device, and how many CPU threads torch uses for it.

Small networks on small batches run fastest on one thread, and on a machine that is doing other
work more threads make them far slower (a 2-core laptop with one busy core trained the demo table
at ~100 rows/s on torch's default two threads against ~600 on one). So the thread count is not
guessed: :func:`choose_threads` times the actual step with each candidate count and keeps the
fastest. Imports nothing else of ours.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

import torch

from engine.errors import DoppelInputError

MAX_THREADS = 8


def resolve_device(choice: str) -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is a clear error."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise DoppelInputError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto.")
    if choice not in ("cpu", "cuda"):
        raise DoppelInputError(f"Unknown device '{choice}'; use auto, cpu or cuda.")
    return torch.device(choice)


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity), not all the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:      # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ThreadChoice:
    threads: int
    seconds: dict[int, float]     # median seconds of one probe per candidate count

    def describe(self) -> str:
        if not self.seconds:
            return f"{self.threads} CPU thread{'s' if self.threads != 1 else ''} (fixed: a seeded run reproduces " \
                   "only on the same thread count)"
        timings = ", ".join(f"{n}: {s * 1000:.1f} ms" for n, s in sorted(self.seconds.items()))
        return f"{self.threads} CPU thread{'s' if self.threads != 1 else ''} (measured per step: {timings})"


def choose_threads(probe: Callable[[], object], repeats: int = 3, seeded: bool = False) -> ThreadChoice:
    """Time ``probe`` (one step of the real work, touching no real row and changing nothing) with
    one thread and with every usable CPU, set torch to the faster count and return the choice. A
    seeded run takes one thread without timing: a timed choice would make it irreproducible."""
    if seeded:
        torch.set_num_threads(1)
        return ThreadChoice(1, {})
    candidates = sorted({1, min(usable_cpus(), MAX_THREADS)})
    seconds: dict[int, float] = {}
    for threads in candidates:
        torch.set_num_threads(threads)
        probe()                                  # warm-up: allocations, lazy init
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            probe()
            timings.append(time.perf_counter() - start)
            if seconds and timings[-1] > 2 * seconds[1]:
                break                            # clearly slower (a busy machine): stop paying for it
        seconds[threads] = sorted(timings)[len(timings) // 2]
    best = min(seconds, key=lambda n: (seconds[n] * (1.0 if n == 1 else 1.1), n))  # ties go to one thread
    torch.set_num_threads(best)
    return ThreadChoice(best, seconds)
