"""How figures and the explorer name a run's tuned settings (no plotting
here, so the explorer's code hash does not follow the figures')."""

from actzoo.tuning import TUNABLE

# Short names of tuned keys in labels; other keys keep their own.
ABBREVIATIONS = {"learning_rate": "lr", "batch_size": "bs"}
# One order in every label, whatever order a table or metrics.json (its keys
# sorted) holds them in: the grid points' (actzoo.tuning), then any other.
ORDER = tuple(TUNABLE)


def settings_label(tuned):
    """The tuned settings of a run, compactly: {"learning_rate": 0.01,
    "epochs": 50} (metrics.json's ``tuned``) or the same as runs.csv's
    ``settings`` text "learning_rate=0.01,epochs=50" -> "lr=0.01, epochs=50";
    "" for an untuned run (nothing, or empty)."""
    if isinstance(tuned, str):
        tuned = dict(part.partition("=")[::2] for part in tuned.split(",") if part)
    if not tuned:
        return ""
    keys = sorted(tuned, key=lambda key: ORDER.index(key) if key in ORDER else len(ORDER))
    return ", ".join(f"{ABBREVIATIONS.get(key, key)}={format_value(tuned[key])}" for key in keys)


def format_value(value):
    """%g for floats: 0.01 not 0.010000, 0.3 for 0.1 * 3, 1e-05; ints and
    names as they are."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def with_settings(name, tuned, wrap=False):
    """``name`` followed by the tuned settings (``relu · lr=0.01``, or with
    ``wrap`` on a line of their own, for narrow panel titles), or ``name``
    alone without tuning, so untuned figures keep their labels."""
    settings = settings_label(tuned)
    if not settings:
        return name
    return f"{name}\n{settings}" if wrap else f"{name} · {settings}"
