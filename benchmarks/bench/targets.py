"""The benchmark's targets (``benchmarks/targets.yaml``) and the verdicts on a run's results."""

from pathlib import Path

import yaml

TARGETS_FILE = Path(__file__).resolve().parents[1] / "targets.yaml"


def load(path=TARGETS_FILE):
    """``({name: {limit, sense, source}}, {names not comparable in quick mode})``."""
    document = yaml.safe_load(Path(path).read_text())
    for name, target in document["targets"].items():
        if target.get("sense") not in ("ge", "le"):
            raise ValueError(f"{path}: targets.{name}.sense: expected 'ge' or 'le', not {target.get('sense')!r}")
    return document["targets"], set(document["quick_not_comparable"])


TARGETS, QUICK_NOT_COMPARABLE = load()


def judge(value, limit, sense):
    """Whether ``value`` meets a target: True or False, or None when there is no value."""
    if sense not in ("ge", "le"):
        raise ValueError(f"a target's sense is 'ge' or 'le', not {sense!r}")
    if value is None:
        return None
    return value >= limit if sense == "ge" else value <= limit


def verdicts(results, quick=False):
    """{target name: {value, limit, sense, met}} for every target.

    met is None when the value was not measured, and with ``quick`` for the
    targets that the tiny config cannot be compared with.
    """
    judged = {}
    for name, target in TARGETS.items():
        value, limit, sense = results.get(name), target["limit"], target["sense"]
        met = None if quick and name in QUICK_NOT_COMPARABLE else judge(value, limit, sense)
        judged[name] = {"value": value, "limit": limit, "sense": sense, "met": met}
    return judged
