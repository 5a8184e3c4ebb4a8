"""How figures and the explorer name a run's tuned settings (no plotting
here, so the explorer's code hash does not follow the figures')."""

# Short names of tuned keys in labels; other keys keep their own.
ABBREVIATIONS = {"learning_rate": "lr", "batch_size": "bs"}


def settings_label(tuned):
    """The tuned settings of a run, compactly: {"learning_rate": 0.01,
    "epochs": 50} (metrics.json's ``tuned``, grid order) or the same as
    runs.csv's ``settings`` text "learning_rate=0.01,epochs=50" ->
    "lr=0.01, epochs=50"; "" for an untuned run (nothing, or empty)."""
    if isinstance(tuned, str):
        tuned = dict(part.partition("=")[::2] for part in tuned.split(",") if part)
    if not tuned:
        return ""
    return ", ".join(f"{ABBREVIATIONS.get(key, key)}={format_value(value)}" for key, value in tuned.items())


def format_value(value):
    """%g for floats: 0.01 not 0.010000, 0.3 for 0.1 * 3, 1e-05; ints and
    names as they are."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def with_settings(name, tuned):
    """``name`` followed by the tuned settings (``relu · lr=0.01``), or
    ``name`` alone without tuning, so untuned figures keep their labels."""
    settings = settings_label(tuned)
    return f"{name} · {settings}" if settings else name
