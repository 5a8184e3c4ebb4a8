"""Seeded toy data sets and scikit-learn's bundled real ones, split into
train and validation sets.

A data set's task is ``binary``, ``multilabel`` or ``multiclass``. ``generate`` returns ``X`` (float32, n x d)
and ``y`` (float32): n x 1 with 0/1 labels for ``binary``, n x k with 0/1
labels for ``multilabel``, n x 1 holding class indices 0..K-1 for
``multiclass``.
"""

import math

import numpy as np

# scikit-learn is imported inside the functions that use it: the Snakefile
# imports this module at start-up, and a no-op rerun should not pay ~1.3 s.

PLAYGROUND_RADIUS = 5.0  # TensorFlow Playground draws its data on [-5, 5]^2
XOR_PADDING = 0.3  # Playground pushes xor points this far off the axes


class DatasetError(ValueError):
    """Data that no model can be trained on."""


def circles(n_samples, factor, noise, random_state):
    """The lesson's dots: an inner disc (label 1) inside a ring (label 0)."""
    from sklearn.datasets import make_circles

    return make_circles(n_samples=n_samples, factor=factor, noise=noise, random_state=random_state)


def moons(n_samples, noise, random_state):
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n_samples, noise=noise, random_state=random_state)


def xor(n_samples, noise, random_state):
    """Playground's XOR: uniform points off the axes, label = sign(x*y) of the noisy point."""
    rng = np.random.default_rng(random_state)
    points = rng.uniform(-PLAYGROUND_RADIUS, PLAYGROUND_RADIUS, size=(n_samples, 2))
    points += np.where(points > 0, XOR_PADDING, -XOR_PADDING)
    points += rng.uniform(-PLAYGROUND_RADIUS, PLAYGROUND_RADIUS, size=(n_samples, 2)) * noise
    labels = (points[:, 0] * points[:, 1] >= 0).astype(int)
    return points, labels


def gauss(n_samples, noise, random_state):
    """Playground's two Gaussians at (2, 2) and (-2, -2); noise widens them."""
    rng = np.random.default_rng(random_state)
    variance = 0.5 + (4.0 - 0.5) * noise
    half = n_samples // 2
    sizes = (half, n_samples - half)
    centres = ((2.0, 2.0), (-2.0, -2.0))
    points = np.concatenate(
        [rng.normal(centre, np.sqrt(variance), size=(size, 2)) for centre, size in zip(centres, sizes)]
    )
    labels = np.repeat([1, 0], sizes)
    return points, labels


def spiral(n_samples, noise, random_state):
    """Playground's two spirals: r = 5i/n, t = 1.75*2*pi*i/n (+pi for class 0)."""
    rng = np.random.default_rng(random_state)
    half = n_samples // 2
    arms = []
    for size, delta, label in ((half, 0.0, 1), (n_samples - half, np.pi, 0)):
        i = np.arange(size)
        r = i / size * PLAYGROUND_RADIUS
        t = 1.75 * i / size * 2 * np.pi + delta
        xy = np.column_stack([r * np.sin(t), r * np.cos(t)])
        xy += rng.uniform(-1, 1, size=(size, 2)) * noise
        arms.append((xy, np.full(size, label)))
    return np.concatenate([a[0] for a in arms]), np.concatenate([a[1] for a in arms])


def blobs(n_samples, n_classes, cluster_std, random_state):
    """Gaussian blobs in the plane, one class each: the simplest multiclass task."""
    from sklearn.datasets import make_blobs

    return make_blobs(
        n_samples=n_samples, centers=n_classes, n_features=2, cluster_std=cluster_std, random_state=random_state
    )


def bundled(name):
    """A real data set that ships inside scikit-learn (no download)."""

    def load(random_state=None):  # fixed data: the seed only splits it
        import sklearn.datasets

        return getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)

    load.__name__ = name
    return load


def sensors(n_samples, n_features, n_labels, max_reading, random_state):
    """The lesson's irrigation machine: integer sensor readings, several on/off outputs."""
    from sklearn.datasets import make_multilabel_classification

    X, y = make_multilabel_classification(
        n_samples=n_samples, n_features=n_features, n_classes=n_labels, random_state=random_state
    )
    return np.clip(X, 0, max_reading), y


def from_csv(path, features, labels, task=None):
    """A user table: numeric feature columns, and 0/1 label columns or one
    column of integer class numbers (see ``csv_task``)."""
    table = read_checked_csv(path, features, labels, task)
    return table[features].to_numpy(), table[labels].to_numpy()


def csv_task(labels, declared=None):
    """The task of a CSV's label columns (an n x k array): ``declared``, or
    detected. One column of integers with more than two values is
    multiclass, several columns multilabel, else binary. Raises DatasetError
    (without the path)."""
    labels = np.asarray(labels)
    if declared is None:
        if labels.shape[1] > 1:
            return "multilabel"
        values = np.unique(labels)
        return "multiclass" if len(values) > 2 and np.all(values == np.round(values)) else "binary"
    if declared == "multiclass" and labels.shape[1] > 1:
        raise DatasetError(f"task multiclass takes one label column of class numbers; {labels.shape[1]} are given")
    if declared == "multilabel" and labels.shape[1] < 2:
        raise DatasetError("task multilabel takes two or more 0/1 label columns; one is given (it is binary)")
    return declared


def read_checked_csv(path, features, labels, task=None):
    """Read a CSV and raise DatasetError naming the file and the problem."""
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path}: file is empty; expected a header and rows") from None
    if table.empty:
        raise DatasetError(f"{path}: no data rows; expected a header and rows")
    missing = [c for c in list(features) + list(labels) if c not in table.columns]
    if missing:
        raise DatasetError(f"{path}: no column {missing[0]!r}; columns are {list(table.columns)}")
    for column in list(features) + list(labels):
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise DatasetError(f"{path}: column {column!r} is not numeric")
        if table[column].isna().any():
            raise DatasetError(f"{path}: column {column!r} has missing (NaN) values")
    try:
        task = csv_task(table[labels].to_numpy(), task)
    except DatasetError as error:
        raise DatasetError(f"{path}: {error}") from None
    if task == "multiclass":
        values = np.unique(table[labels[0]])
        odd = values[values != np.round(values)]
        if len(odd):
            raise DatasetError(f"{path}: label column {labels[0]!r} must hold integer class numbers, found {odd[0]}")
        if len(values) < 2:
            raise DatasetError(f"{path}: label column {labels[0]!r} has a single class; expected two or more")
        return table
    for column in labels:
        values = set(np.unique(table[column]).tolist())
        if not values <= {0, 1}:
            integral = all(float(v).is_integer() for v in values)
            hint = " (class numbers need task: multiclass)" if integral and len(labels) == 1 else ""
            raise DatasetError(f"{path}: label column {column!r} must hold only 0 and 1, found {sorted(values)}{hint}")
        if len(values) < 2:
            raise DatasetError(f"{path}: label column {column!r} has a single class; expected both 0 and 1")
    return table


# Each generator and the task its labels pose (a CSV's is declared or detected).
GENERATORS = {
    "circles": (circles, "binary"),
    "moons": (moons, "binary"),
    "xor": (xor, "binary"),
    "gauss": (gauss, "binary"),
    "spiral": (spiral, "binary"),
    "blobs": (blobs, "multiclass"),
    "sensors": (sensors, "multilabel"),
    "iris": (bundled("iris"), "multiclass"),
    "wine": (bundled("wine"), "multiclass"),
    "breast_cancer": (bundled("breast_cancer"), "binary"),
    "digits": (bundled("digits"), "multiclass"),
    "csv": (from_csv, None),
}
# The rows per class of the real data sets (tests/test_datasets.py checks
# them against scikit-learn), so that a config is checked without loading them.
BUNDLED_CLASS_SIZES = {
    "iris": (50, 50, 50),
    "wine": (59, 71, 48),
    "breast_cancer": (212, 357),
    "digits": (178, 182, 177, 183, 181, 182, 181, 179, 174, 180),
}


def generate(generator, task=None, **params):
    """``(X, y, task, classes)``: float32 arrays with 2-D ``y`` as the module
    docstring says, the task, and for multiclass data the original class
    values (``y`` holds their indices), else an empty array."""
    function, task = GENERATORS[generator][0], task or GENERATORS[generator][1]
    X, y = function(**params, **({"task": task} if generator == "csv" else {}))
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if task is None:  # a CSV's, checked already by read_checked_csv
        task = csv_task(y)
    classes = np.zeros(0)
    if task == "multiclass":
        classes, y = np.unique(y.ravel(), return_inverse=True)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        y = y[:, None]
    return X, y, task, classes


def split_sizes(n_samples, validation_fraction, test_fraction=None):
    """(training, validation, test) row counts of ``n_samples`` rows.

    Both fractions are of the whole data set and round up, as
    ``train_test_split`` rounds a fractional ``test_size`` (so without a test
    split the sizes are exactly today's); training gets the rest.
    """
    n_test = math.ceil(test_fraction * n_samples) if test_fraction else 0
    n_val = math.ceil(validation_fraction * n_samples)
    return n_samples - n_val - n_test, n_val, n_test


def split_indices(y, validation_fraction, random_state, stratify=False, test_fraction=None):
    """The row indices of each split, ``{"train", "val", "test"}``, in the
    order ``split`` stores the rows (``test`` is empty without a test split).

    With a test split the test rows are drawn first, then the rest is split
    into training and validation rows; both stages are ``train_test_split``
    with integer sizes from ``split_sizes`` and the same ``random_state``,
    stratified on the first label column when ``stratify``. Stage two sees
    only the rest's labels, so the training and validation rows do not depend
    on the test rows' labels beyond the class counts; e.g. swapping the labels
    of two test rows of different classes with adjacent indices keeps every
    class's list of row positions, hence scikit-learn's draw, and so the
    training and validation rows. The split depends on the labels, the row
    count and ``random_state`` only, never on the features.
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    rows = np.arange(len(y))
    labels = y[:, 0] if stratify else None
    _, n_val, n_test = split_sizes(len(y), validation_fraction, test_fraction)
    test = rows[:0]
    if n_test:
        rows, test = train_test_split(rows, test_size=n_test, random_state=random_state, stratify=labels)
        labels = labels[rows] if stratify else None
    train, val = train_test_split(rows, test_size=n_val, random_state=random_state, stratify=labels)
    return {"train": train, "val": val, "test": test}


def split(X, y, validation_fraction, random_state, stratify=False, test_fraction=None):
    """Train and validation rows, and test rows when ``test_fraction`` is
    given (see ``split_indices``); ``stratify`` keeps each class's share in
    every split (binary and multiclass data; scikit-learn cannot for
    multilabel)."""
    rows = split_indices(y, validation_fraction, random_state, stratify, test_fraction)
    data = {"X_train": X[rows["train"]], "y_train": y[rows["train"]], "X_val": X[rows["val"]], "y_val": y[rows["val"]]}
    if test_fraction:
        data |= {"X_test": X[rows["test"]], "y_test": y[rows["test"]]}
    return data


# The splits' names in messages, in the order of split_indices.
SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


def standardize_features(data):
    """Scale features to mean 0, SD 1 with a scaler fitted on the training
    rows only (the validation and test rows must not leak into it); returns
    the scaler's mean and scale, which the data set stores."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(data["X_train"])
    for key in ("X_train", "X_val", "X_test"):
        if key in data:
            data[key] = scaler.transform(data[key]).astype(np.float32)
    return {"feature_mean": scaler.mean_.astype(np.float32), "feature_scale": scaler.scale_.astype(np.float32)}


MIN_ROWS_PER_CLASS = 2
MIN_ROWS_PER_SPLIT = 10


def _fractions(validation_fraction, test_fraction):
    """The fractions as messages name them."""
    text = f"validation_fraction {validation_fraction}"
    return f"{text} and test_fraction {test_fraction}" if test_fraction else text


def check_fractions(validation_fraction, test_fraction=None):
    """Raise DatasetError unless the two fractions leave rows for training."""
    if test_fraction and validation_fraction + test_fraction >= 1:
        raise DatasetError(
            f"{_fractions(validation_fraction, test_fraction)} add up to {validation_fraction + test_fraction:g}, "
            "leaving no training rows; expected validation_fraction + test_fraction < 1"
        )


def check_split_sizes(n_samples, validation_fraction, test_fraction=None):
    """Raise DatasetError unless every split gets MIN_ROWS_PER_SPLIT rows.

    The cheap check for generated data (balanced by construction), done
    without generating it; a user's CSV gets the exact per-class check_split.
    """
    check_fractions(validation_fraction, test_fraction)
    sizes = split_sizes(n_samples, validation_fraction, test_fraction)
    n_train, n_val, n_test = sizes
    if min(sizes[: 3 if test_fraction else 2]) < MIN_ROWS_PER_SPLIT:
        if test_fraction:
            rows = f"{n_train} training, {n_val} validation and {n_test} test"
        else:
            rows = f"{n_train} training and {n_val} validation"
        raise DatasetError(
            f"{n_samples} rows with {_fractions(validation_fraction, test_fraction)} leave {rows} rows; "
            f"expected at least {MIN_ROWS_PER_SPLIT} rows in each split (use more rows)"
        )


def check_bundled_split(name, validation_fraction, random_state=0, test_fraction=None):
    """Raise DatasetError unless a stratified split of real data set ``name``
    surely leaves MIN_ROWS_PER_CLASS rows of each class in each split.

    Without a test split, a bound from the class sizes (no scikit-learn
    import at start-up). With one, the exact check: a stratified split's rows
    per class depend only on the class sizes and ``random_state``, so
    ``check_split`` of labels with BUNDLED_CLASS_SIZES gives the job's counts
    without loading the data.
    """
    if test_fraction:
        check_fractions(validation_fraction, test_fraction)
        sizes = BUNDLED_CLASS_SIZES[name]
        labels = np.repeat(np.arange(len(sizes)), sizes)
        try:
            check_split(labels, validation_fraction, random_state, "multiclass", test_fraction)
        except DatasetError as error:
            raise DatasetError(f"{name} (classes of {', '.join(map(str, sizes))} rows): {error}") from None
        return
    smallest = min(BUNDLED_CLASS_SIZES[name])
    rows = min(math.floor(validation_fraction * smallest), math.floor((1 - validation_fraction) * smallest))
    if rows < MIN_ROWS_PER_CLASS:
        raise DatasetError(
            f"{validation_fraction} leaves {rows} row(s) of the smallest class of {name} ({smallest} rows) in one "
            f"split; expected at least {MIN_ROWS_PER_CLASS} of each class in each split"
        )


def check_split(y, validation_fraction, random_state, task, test_fraction=None):
    """Raise DatasetError unless every split holds >= 2 rows of each class of each label.

    ``split_indices`` is the job's split: it depends on the labels, the row
    count and ``random_state`` alone, so splitting the labels here gives
    exactly the split of the job, both stages of it with a test split.
    """
    check_fractions(validation_fraction, test_fraction)
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    stratify = task != "multilabel"
    n_splits = 3 if test_fraction else 2
    if stratify:
        values, counts = np.unique(y[:, 0], return_counts=True)
        if counts.min() < n_splits * MIN_ROWS_PER_CLASS:
            rows = counts.min()
            raise DatasetError(
                f"class {values[counts.argmin()]:g} has {rows} row{'s' if rows > 1 else ''}; a stratified split "
                f"needs at least {n_splits * MIN_ROWS_PER_CLASS} ({MIN_ROWS_PER_CLASS} in each split)"
            )
    try:
        parts = split_indices(y, validation_fraction, random_state, stratify, test_fraction)
    except ValueError as error:
        raise DatasetError(
            f"{len(y)} rows cannot be split with {_fractions(validation_fraction, test_fraction)} "
            f"({' '.join(str(error).split())}); use more rows or other fractions"
        ) from None
    values = {label: np.unique(y[:, label]) for label in range(y.shape[1])}
    for part, rows in list(parts.items())[:n_splits]:
        for label in range(y.shape[1]):
            for value in values[label] if task == "multiclass" else (0, 1):
                count = int(np.sum(y[rows, label] == value))
                if count < MIN_ROWS_PER_CLASS:
                    which = f"label {label} = {value}" if y.shape[1] > 1 else f"class {value:g}"
                    raise DatasetError(
                        f"{len(y)} rows with {_fractions(validation_fraction, test_fraction)} leave {count} "
                        f"row(s) of {which} in the {SPLIT_NAMES[part]} split; expected at least "
                        f"{MIN_ROWS_PER_CLASS} of each class in each split (use more rows)"
                    )


def make_dataset(generator, validation_fraction, random_state, standardize=False, test_fraction=None, **params):
    """Generate, split and (``standardize``) scale one data set; ``params``
    are the generator's own. Returns the arrays a training job reads: the
    splits (``X_test``/``y_test`` only with a ``test_fraction``), ``task``,
    ``classes`` (see ``generate``) and, when standardised, the training
    split's ``feature_mean`` and ``feature_scale``."""
    if generator != "csv":
        params["random_state"] = random_state
    X, y, task, classes = generate(generator, **params)
    data = split(X, y, validation_fraction, random_state, stratify=task != "multilabel", test_fraction=test_fraction)
    if standardize:
        data |= standardize_features(data)
    return data | {"task": np.array(task), "classes": classes}


def from_spec(spec):
    """make_dataset for a checked config entry (``datasets.<name>``, defaults
    filled in); its ``model`` override is not about the data and is left out."""
    params = {k: v for k, v in spec.items() if k not in ("generator", "validation_fraction", "random_state", "model")}
    return make_dataset(spec["generator"], spec["validation_fraction"], spec["random_state"], **params)


def write_dataset(spec, path):
    """Make the dataset ``spec`` describes (a config entry) and save it as .npz."""
    np.savez(path, **from_spec(spec))


# Generators whose points lie in the plane: these data sets get decision
# boundaries, their evolution and the explorer.
PLANAR_GENERATORS = {"circles", "moons", "xor", "gauss", "spiral", "blobs"}


def is_planar(spec):
    """Whether a data-set config entry has two features (a CSV: two ``features``)."""
    if spec["generator"] == "csv":
        return len(spec["features"]) == 2
    return spec["generator"] in PLANAR_GENERATORS


def task_of(data):
    """(task, number of output units) of a data set as ``make_dataset`` returns it."""
    task = str(data["task"]) if "task" in data else ("binary" if data["y_train"].shape[1] == 1 else "multilabel")
    return task, len(data["classes"]) if task == "multiclass" else data["y_train"].shape[1]


def boundary_grid(X, resolution, margin=0.1):
    """A square grid covering the 2-D points ``X`` with a relative margin."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = (high - low) * margin
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution, dtype=np.float32)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution, dtype=np.float32)
    return np.meshgrid(xs, ys)


def explorer_epochs(epochs, frames):
    """Epoch 0 (the initial weights) and ``frames`` evenly spaced epochs up to
    the last: the explorer slider's stops."""
    return sorted({round(epochs * i / frames) for i in range(frames + 1)})


def shades(probabilities):
    """Probabilities as 8-bit shades (p * 255, rounded): a quarter of float32's
    bytes, and 255 steps are finer than a colour scale shows."""
    return np.rint(np.asarray(probabilities, dtype=np.float32) * 255).astype(np.uint8)
