"""Adaptive seeds' plan of looks, as the workflow reads it while it parses:
which seeds each look judges, and a look's decision file. Its own module so
that parsing imports neither scipy nor pandas (actzoo.adaptive decides; it
takes about a second to import).
"""

import itertools
import json


def is_adaptive(seeds):
    """Whether config ``seeds`` is the adaptive mapping rather than a list."""
    return isinstance(seeds, dict)


def plan(seeds):
    """The seeds judged at each look, cumulative: ``start``, then ``add`` more
    at a time (numbered on from the largest start seed) up to ``max``."""
    judged = list(seeds["start"])
    following = itertools.count(max(judged) + 1)
    looks = [judged]
    while len(judged) < seeds["max"]:
        judged = judged + [next(following) for _ in range(min(seeds["add"], seeds["max"] - len(judged)))]
        looks.append(judged)
    return looks


def read_decision(path):
    with open(path) as handle:
        return json.load(handle)
