"""Confidence intervals for proportions and for the difference of two proportions. Pure functions.

- Wilson score interval for one proportion (Wilson 1927; recommended by Brown, Cai & DasGupta 2001,
  "Interval Estimation for a Binomial Proportion", Statistical Science 16(2)).
- Newcombe's hybrid score interval for p1 - p2 from two independent samples (Newcombe 1998,
  "Interval estimation for the difference between independent proportions", Statistics in Medicine 17,
  method 10): it combines the two Wilson intervals and, unlike the normal (Wald) approximation, stays
  inside [-1, 1] and behaves with small samples and rates near 0 or 1.
"""

from __future__ import annotations

from math import sqrt

Z95 = 1.959963984540054  # two-sided 95%


def wilson_interval(successes: int, n: int, *, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of successes / n; None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(
    x1: int, n1: int, x2: int, n2: int, *, z: float = Z95
) -> tuple[float, float, float] | None:
    """(p1 - p2, lower, upper) by Newcombe's hybrid score method; None when a sample is empty."""
    first, second = wilson_interval(x1, n1, z=z), wilson_interval(x2, n2, z=z)
    if first is None or second is None:
        return None
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = first, second
    difference = p1 - p2
    lower = difference - sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, lower, upper
