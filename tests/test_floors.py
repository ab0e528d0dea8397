"""Proven floors (bounds.floors) against independent oracles: closed forms for the counting and
no-positive-sample events, a seeded Monte-Carlo of the union event, and brute force on tiny m."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from bounds_oracles import pensia_samples
from scipy.stats import binom

from bounds.floors import failure_lower_bound, m_floor
from subsetsum import sup_error


def union_event(samples, eps):
    """The floor's event on drawn samples: too few nonzero samples, or an edge short of 1 - eps."""
    k = np.count_nonzero(samples, axis=1)
    pos = np.where(samples > 0, samples, 0).sum(axis=1)
    neg = np.where(samples < 0, samples, 0).sum(axis=1)
    return (k < math.log2(1 / eps)) | (pos < 1 - eps) | (neg > -1 + eps)


@pytest.mark.parametrize("m, eps", [(10, 0.1), (30, 0.01), (60, 0.01), (45, 1e-6)])
def test_lower_bound_against_closed_forms_and_monte_carlo(m, eps):
    low = failure_lower_bound(m, eps)
    # closed forms of sub-events: fewer than log2(1/eps) nonzero samples; no positive sample
    assert low >= binom.cdf(math.ceil(math.log2(1 / eps)) - 1, m, 0.5) * (1 - 1e-8)
    assert low >= 0.75**m * (1 - 1e-8)
    # the event itself, seeded Monte-Carlo (200,000 draws): the bound is not above it (6 sigma) and,
    # its only slack being the 2^-10 rounding of the magnitudes, not far below it either
    rng = np.random.default_rng(11)
    n = 200_000
    hits = int(sum(union_event(pensia_samples(rng, (n // 4, m)), eps).sum() for _ in range(4)))
    assert low <= (hits + 6 * math.sqrt(hits + 1)) / n
    assert low >= 0.9 * (hits - 6 * math.sqrt(hits)) / n


def test_union_event_implies_failure():
    """The floor's events really make the sup-error exceed eps (brute force on short rows)."""
    rng = np.random.default_rng(2)
    samples = pensia_samples(rng, (400, 12))
    eps = 0.05
    event = union_event(samples, eps)
    assert event.any() and np.all(sup_error(samples[event]) > eps)


def test_floor_is_the_first_m_not_ruled_out():
    for eps, delta in ((0.01, 1e-3), (1e-6, 1e-6), (0.3, 0.3)):
        f = m_floor(eps, delta)
        assert failure_lower_bound(f, eps) <= delta
        assert f == 1 or failure_lower_bound(f - 1, eps) > delta
        assert f >= math.log2(1 / eps) and f >= math.log(1 / delta) / math.log(4 / 3) - 1


def test_floor_is_monotone():
    assert m_floor(1e-3, 1e-3) <= m_floor(1e-4, 1e-3) <= m_floor(1e-4, 1e-5)


@pytest.mark.parametrize(
    "args, message", [((0, 0.1), "m must be an integer >= 1, got 0"), ((5, 1.5), "eps must be in (0, 1), got 1.5")]
)
def test_bad_input(args, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        failure_lower_bound(*args)
    with pytest.raises(ValueError, match="delta'' must be in"):
        m_floor(0.1, 0.0)
