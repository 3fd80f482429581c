"""Reproducible random samples for spot checks: pure functions, no database.

The population is the sorted list of case primary keys; the sample is
`random.Random(seed).sample(population, k)`. The same seed and the same population give the
same sample, in the same order, on any machine (Python's Mersenne Twister and `sample` are
stable across versions for integer seeds). The population's SHA-256 digest is kept with the
check, so a later redraw can show whether the population is still the one drawn from.
"""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from collections.abc import Sequence
from decimal import Decimal

MAX_SEED = 2**63 - 1


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED) + 1


def population_digest(pks: Sequence[int]) -> str:
    return hashlib.sha256(",".join(str(pk) for pk in sorted(pks)).encode()).hexdigest()


def size_for(population: int, *, size: int | None = None,
             percent: Decimal | None = None) -> int:
    """The number of cases to draw: `size`, or `percent` of the population rounded up."""
    if size is not None:
        return size
    if percent is None:
        raise ValueError("size or percent is required")
    return math.ceil(population * Decimal(percent) / 100)


def draw(pks: Sequence[int], k: int, seed: int) -> list[int]:
    """`k` primary keys drawn from the population, in draw order."""
    population = sorted(pks)
    return random.Random(seed).sample(population, k)
