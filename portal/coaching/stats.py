"""95% confidence intervals for the coaching figures, written out so they need no scipy.

A share (a rate of reopens, of replies with a move) gets Wilson's interval: it stays inside
0..1 and behaves at small samples and at 0% or 100%, where the textbook p ± z·se does not.
A mean (mood change, rating, seconds to reply) gets Student's t interval, computed from the
three sums SQL can aggregate (n, Σx, Σx²), so the database never ships the rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the normal distribution's 97.5th percentile
# Student's t 97.5th percentiles for 1..30 degrees of freedom (to 9 decimals).
T95 = (12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135,
       2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656, 2.144786688, 2.131449546, 2.119905299,
       2.109815578, 2.100922040, 2.093024054, 2.085963447, 2.079613845, 2.073873068, 2.068657610, 2.063898562,
       2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456)


@dataclass(frozen=True)
class Figure:
    """One measured number, how many it stands on, and its 95% interval (None when n is too small)."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def measured(self) -> bool:
        return self.value is not None


def t_quantile_975(df: int) -> float:
    """Beyond the table, the Cornish-Fisher expansion of t around the normal: off by under 3e-8 from df 31."""
    if df < 1:
        raise ValueError("a t interval needs at least one degree of freedom")
    if df <= len(T95):
        return T95[df - 1]
    z, v = Z95, float(df)
    return (z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3)
            + (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / (92160 * v ** 4))


def wilson(successes: int, n: int) -> Figure:
    """The share successes/n with Wilson's score interval."""
    if n <= 0:
        return Figure(None, 0)
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Figure(p, n, low, high)


def mean_interval(n: int, total: float, total_of_squares: float) -> Figure:
    """The mean of n values from their sum and sum of squares, with Student's t interval
    (none for a single value: one number says nothing about its spread)."""
    if n <= 0:
        return Figure(None, 0)
    mean = total / n
    if n == 1:
        return Figure(mean, 1)
    variance = max(0.0, (total_of_squares - total * total / n) / (n - 1))
    half = t_quantile_975(n - 1) * math.sqrt(variance / n)
    return Figure(mean, n, mean - half, mean + half)


def mean_of(values: list[float]) -> Figure:
    return mean_interval(len(values), sum(values), sum(v * v for v in values))
