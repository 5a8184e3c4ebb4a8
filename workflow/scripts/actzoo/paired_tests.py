"""Paired tests between two activations over the seeds both finished, and
their power: the difference test (paired t or Wilcoxon signed-rank, Cohen's
d_z), Holm's correction, the equivalence test (paired TOST within
+-smallest_effect), the three-way verdict, the seeds either test would need,
and the t-based interval of a mean (scipy.stats, statsmodels;
docs/statistics.md)."""

import warnings

import numpy as np
from scipy import stats

NOT_COMPUTED = "not computed (fewer than 2 paired seeds)"
# With n pairs, the two-sided exact Wilcoxon signed-rank test cannot give a
# p-value below 2 / 2**n (n = 5: 0.0625). Holm multiplies the smallest p-value by
# the number of comparisons m, so Wilcoxon is only used when it can reach
# significance: m * 2 / 2**n < alpha; otherwise the paired t-test is used.
WILCOXON_MIN_PAIRS = 6


def wilcoxon_min_pairs(n_comparisons=1, alpha=0.05):
    """Fewest pairs for which Holm-corrected Wilcoxon can be significant (>= 6)."""
    n = WILCOXON_MIN_PAIRS
    while max(n_comparisons, 1) * 2.0 ** (1 - n) >= alpha:
        n += 1
    return n


def confidence_interval(values, level=0.95):
    """t-based interval of the mean (scipy.stats.t); NaN when fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.nan, np.nan
    mean, sem = values.mean(), stats.sem(values)
    if sem == 0:
        return mean, mean
    low, high = stats.t.interval(level, len(values) - 1, loc=mean, scale=sem)
    return float(low), float(high)


def holm(p_values):
    """Holm-Bonferroni adjusted p-values; NaN (untested) entries stay NaN and
    do not count as comparisons. scipy.stats only has Benjamini-Hochberg/Yekutieli
    (``false_discovery_control``), so this step-down is written out."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = len(order)
    running = 0.0
    for i, index in enumerate(order):
        running = max(running, (m - i) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def paired_test(a, b, wilcoxon_from=WILCOXON_MIN_PAIRS):
    """Paired test of a vs b over the same seeds: (test name, p-value, effect size).

    Wilcoxon signed-rank from ``wilcoxon_from`` pairs on, the paired t-test
    below. Effect size is Cohen's d_z: mean difference / SD of the differences
    (+-inf when every difference is the same non-zero value).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    difference = a - b
    n = len(difference)
    test = "wilcoxon signed-rank" if n >= wilcoxon_from else "paired t"
    if n < 2:
        return NOT_COMPUTED, np.nan, np.nan
    if np.all(difference == 0):
        # Both scipy tests are undefined (NaN) here; there is no difference at all.
        return f"{test} (all differences zero)", 1.0, 0.0
    sd = difference.std(ddof=1)
    effect = difference.mean() / sd if sd > 0 else np.copysign(np.inf, difference.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "nearly identical data" precision note
        if test == "paired t":
            p = stats.ttest_rel(a, b).pvalue
        else:
            p = stats.wilcoxon(a, b).pvalue
    return test, float(p), float(effect)


# Below this |d_z| a difference is negligible (Cohen's "small" is 0.2): no
# number of seeds is advised for it, as it would be huge and meaningless.
NEGLIGIBLE_DZ = 0.2
HUGE_DZ = 1000.0
MAX_SEEDS_SEARCHED = 10_000
TARGET_POWER = 0.8


def seeds_needed(effect, n_comparisons, alpha=0.05, power=TARGET_POWER):
    """Seeds a paired test would need to separate a difference of size ``effect``
    (Cohen's d_z) with ``power``, at the corrected level alpha / n_comparisons
    (Holm's first step, so for every pair a conservative level).

    statsmodels' power of the paired t-test; where that many seeds would use
    Wilcoxon (see paired_test), scaled by Wilcoxon's asymptotic relative
    efficiency for normal differences, 3/pi. None when the effect is
    negligible (|d_z| < NEGLIGIBLE_DZ), not finite or not computed.
    """
    from statsmodels.stats.power import TTestPower

    if not np.isfinite(effect) or abs(effect) < NEGLIGIBLE_DZ:
        return None
    level = alpha / max(n_comparisons, 1)
    # The smallest whole n with enough power (solve_power's root finder
    # returns NaN where that n is below 2, i.e. for very large effects).
    # power() is NaN at n = 2 (one degree of freedom), which must not count
    # as enough: with 2 seeds the Holm-corrected test rarely separates even
    # d_z = 15 (41% in simulation), so `not >=` rather than `<`.
    # Huge effects (near-constant differences give d_z ~ 1e15) make
    # statsmodels' noncentral t NaN at every n; from d_z = 1000 on, the
    # fewest seeds have full power anyway.
    effect = min(abs(effect), HUGE_DZ)
    calculator, n = TTestPower(), 2
    while not calculator.power(effect_size=effect, nobs=n, alpha=level, alternative="two-sided") >= power:
        n += 1
        if n > MAX_SEEDS_SEARCHED:  # |d_z| >= 0.2 needs a few hundred at most
            return None
    if n >= wilcoxon_min_pairs(n_comparisons, alpha):
        n = int(np.ceil(n * np.pi / 3))
    return max(n, 2)


# statistics.smallest_effect's default, in the ranked metric's units
# (cross-entropy, in nats): exp(-loss) is the geometric mean of the
# probability a model gives the true labels, so a loss difference of 0.01
# means the two give the true labels about 1% (e**0.01) more or less
# probability; see docs/statistics.md.
DEFAULT_SMALLEST_EFFECT = 0.01


def equivalence_test(a, b, smallest_effect):
    """p-value of the paired TOST (two one-sided t-tests) that the mean of
    a - b lies within +-smallest_effect (statsmodels' ``ttost_paired``);
    NaN with fewer than two pairs.

    Differences without spread (every one the same value c, e.g. an
    activation against itself: c = 0) make statsmodels divide by a zero
    standard error (a warning, and NaN at |c| = smallest_effect). The test's
    limit is certain there: 0 if |c| < smallest_effect, else 1, so identical
    scores always come out equivalent.
    """
    from statsmodels.stats.weightstats import ttost_paired

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    difference = a - b
    if len(difference) < 2:
        return np.nan
    if np.all(difference == difference[0]):
        return 0.0 if abs(difference[0]) < smallest_effect else 1.0
    p, _, _ = ttost_paired(a, b, -smallest_effect, smallest_effect)
    return float(p)


def seeds_needed_equivalence(mean_difference, sd, smallest_effect, n_comparisons, alpha=0.05, power=TARGET_POWER):
    """Seeds the paired TOST would need to show equivalence within
    +-smallest_effect with ``power``, if the true mean difference and its SD
    are the observed ones, at the corrected level alpha / n_comparisons (as
    seeds_needed).

    statsmodels has no power function for a TOST of means, so this uses its
    one-sided t-test power for the two one-sided tests, P_low and P_upp, and
    the Bonferroni bound P(both reject) >= P_low + P_upp - 1: a lower bound on
    the power, so a conservative (high) number of seeds. None when the
    observed difference is not inside the bounds (equivalence is then not
    expected), the SD is zero or not finite, or the margin to the nearer
    bound is negligible ((smallest_effect - |mean|) / sd < NEGLIGIBLE_DZ).
    """
    from statsmodels.stats.power import TTestPower

    if not (np.isfinite(mean_difference) and np.isfinite(sd)) or sd <= 0:
        return None
    near = (smallest_effect - abs(mean_difference)) / sd
    far = (smallest_effect + abs(mean_difference)) / sd
    if near < NEGLIGIBLE_DZ:
        return None
    near, far = min(near, HUGE_DZ), min(far, HUGE_DZ)  # statsmodels' noncentral t is NaN beyond
    level = alpha / max(n_comparisons, 1)
    calculator, n = TTestPower(), 2

    def bound(nobs):
        one_sided = [calculator.power(effect_size=e, nobs=nobs, alpha=level, alternative="larger") for e in (near, far)]
        return sum(one_sided) - 1

    while not bound(n) >= power:  # `not >=`: a NaN power is not enough
        n += 1
        if n > MAX_SEEDS_SEARCHED:
            return None
    return n


DIFFERENT, EQUIVALENT, UNDECIDED = "different", "equivalent", "undecided"


def verdict(different, equivalent):
    """different (the Holm-corrected difference test rejects; it wins, as the
    ranks follow it), else equivalent (the Holm-corrected TOST rejects), else
    undecided. Untested pairs are neither, so undecided."""
    return DIFFERENT if different else EQUIVALENT if equivalent else UNDECIDED
