import numpy as np
import pytest
from sklearn.datasets import make_circles

from actzoo.datasets import (
    BUNDLED_CLASS_SIZES,
    GENERATORS,
    MIN_ROWS_PER_CLASS,
    DatasetError,
    boundary_grid,
    check_bundled_split,
    check_split,
    from_spec,
    generate,
    is_planar,
    make_dataset,
    read_checked_csv,
    split_indices,
    task_of,
)
from conftest import adjacent_test_pair


def test_circles_is_the_lessons_make_circles():
    X, y, task, _ = generate("circles", n_samples=1000, factor=0.2, noise=0.1, random_state=4)
    assert task == "binary"
    X_ref, y_ref = make_circles(n_samples=1000, factor=0.2, noise=0.1, random_state=4)
    np.testing.assert_array_equal(X, X_ref.astype(np.float32))
    np.testing.assert_array_equal(y[:, 0], y_ref)


@pytest.mark.parametrize("generator", ["circles", "moons", "xor", "gauss", "spiral"])
def test_planar_generators_are_seeded_and_balanced(generator):
    params = {"noise": 0.1} if generator != "circles" else {"noise": 0.1, "factor": 0.2}
    X1, y1, *_ = generate(generator, n_samples=400, random_state=1, **params)
    X2, y2, *_ = generate(generator, n_samples=400, random_state=1, **params)
    X3, *_ = generate(generator, n_samples=400, random_state=2, **params)
    assert X1.shape == (400, 2) and y1.shape == (400, 1)
    np.testing.assert_array_equal(X1, X2)
    assert not np.array_equal(X1, X3)
    assert 0.3 < y1.mean() < 0.7


def test_playground_definitions():
    X, y, *_ = generate("xor", n_samples=500, noise=0.0, random_state=0)
    assert np.abs(X).min() >= 0.3, "xor points are pushed 0.3 off the axes"
    assert np.array_equal(y[:, 0] == 1, X[:, 0] * X[:, 1] >= 0)
    X, y, *_ = generate("spiral", n_samples=200, noise=0.0, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[:100], np.arange(100) / 100 * 5, atol=1e-5)
    X, y, *_ = generate("gauss", n_samples=200, noise=0.0, random_state=0)
    np.testing.assert_allclose(X[y[:, 0] == 1].mean(axis=0), [2, 2], atol=0.2)


def test_sensors_are_integer_readings_with_three_labels():
    X, y, task, _ = generate("sensors", n_samples=2000, n_features=20, n_labels=3, max_reading=15, random_state=0)
    assert task == "multilabel"
    assert X.shape == (2000, 20) and y.shape == (2000, 3)
    assert X.min() >= 0 and X.max() <= 15 and np.array_equal(X, np.round(X))
    assert set(np.unique(y)) == {0.0, 1.0}


def test_split_fraction_and_seed():
    data = make_dataset("moons", 0.25, 3, n_samples=200, noise=0.1)
    assert len(data["X_val"]) == 50 and len(data["X_train"]) == 150
    again = make_dataset("moons", 0.25, 3, n_samples=200, noise=0.1)
    np.testing.assert_array_equal(data["X_val"], again["X_val"])


def test_csv_dataset(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n0,1,0\n1,0,1\n2,2,1\n3,1,0\n")
    X, y, task, _ = generate("csv", path=str(path), features=["a", "b"], labels=["label"])
    assert X.shape == (4, 2) and y[:, 0].tolist() == [0, 1, 1, 0] and task == "binary"


def test_a_csv_column_of_class_numbers_is_detected_as_multiclass(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,kind\n0,1,7\n1,0,3\n2,2,5\n3,1,3\n")
    X, y, task, classes = generate("csv", path=str(path), features=["a", "b"], labels=["kind"])
    assert task == "multiclass" and classes.tolist() == [3, 5, 7]
    assert y[:, 0].tolist() == [2, 0, 1, 0], "class indices in the order of the class numbers"
    path.write_text("a,b,kind\n0,1,1\n1,0,0\n2,2,1\n3,1,0\n")
    assert generate("csv", path=str(path), features=["a", "b"], labels=["kind"])[2] == "binary"
    _, y, task, classes = generate("csv", path=str(path), features=["a", "b"], labels=["kind"], task="multiclass")
    assert task == "multiclass" and classes.tolist() == [0, 1], "declared: two classes, softmax"


def test_bundled_data_sets_are_scikit_learns():
    """No download: they ship inside scikit-learn. The class sizes the config
    check uses without loading them are theirs."""
    import sklearn.datasets

    for name, sizes in BUNDLED_CLASS_SIZES.items():
        X_ref, y_ref = getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)
        assert tuple(np.bincount(y_ref)) == sizes, name
        X, y, task, classes = generate(name, random_state=0)
        np.testing.assert_array_equal(X, X_ref.astype(np.float32))
        assert task == ("binary" if len(sizes) == 2 else "multiclass")
        assert y[:, 0].tolist() == y_ref.tolist()


def test_blobs_are_a_seeded_multiclass_task():
    data = make_dataset("blobs", 0.3, 2, n_samples=300, n_classes=4, cluster_std=1.0)
    assert task_of(data) == ("multiclass", 4)
    assert data["X_train"].shape == (210, 2) and sorted(np.unique(data["y_train"])) == [0, 1, 2, 3]
    again = make_dataset("blobs", 0.3, 2, n_samples=300, n_classes=4, cluster_std=1.0)
    np.testing.assert_array_equal(data["X_val"], again["X_val"])


@pytest.mark.parametrize(
    "generator, params",
    [("circles", {"n_samples": 200, "factor": 0.2, "noise": 0.1}), ("iris", {}), ("wine", {}), ("digits", {})],
)
def test_splits_are_stratified(generator, params):
    """Every class keeps its share in both splits (to the row), as
    train_test_split(stratify=...) promises."""
    data = make_dataset(generator, 0.3, 0, **params)
    y = np.concatenate([data["y_train"], data["y_val"]])[:, 0]
    for value in np.unique(y):
        share = np.mean(y == value) * len(data["y_val"])
        assert abs(np.sum(data["y_val"][:, 0] == value) - share) < 1, (value, share)


def test_standardisation_is_fitted_on_the_training_rows_only(tmp_path):
    """The scaler's mean and scale are the training split's; then the
    validation rows are made extreme and the data set rebuilt: the scaler and
    the training rows do not change (no validation row leaks into them)."""
    rng = np.random.default_rng(0)
    table = np.column_stack([rng.normal(5, 2, 60), rng.normal(-3, 10, 60), np.arange(60) % 2])
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "\n".join(",".join(map(str, row)) for row in table) + "\n")
    spec = dict(path=str(path), features=["a", "b"], labels=["y"])
    raw = make_dataset("csv", 0.3, 0, **spec)
    scaled = make_dataset("csv", 0.3, 0, standardize=True, **spec)
    np.testing.assert_allclose(scaled["feature_mean"], raw["X_train"].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scaled["feature_scale"], raw["X_train"].std(axis=0), rtol=1e-5)
    np.testing.assert_allclose(scaled["X_train"].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(
        scaled["X_val"], (raw["X_val"] - scaled["feature_mean"]) / scaled["feature_scale"], rtol=1e-5, atol=1e-6
    )
    validation = np.isin(table[:, 0].astype(np.float32), raw["X_val"][:, 0])
    assert validation.sum() == len(raw["X_val"])
    table[validation, :2] *= 1000
    path.write_text("a,b,y\n" + "\n".join(",".join(map(str, row)) for row in table) + "\n")
    extreme = make_dataset("csv", 0.3, 0, standardize=True, **spec)
    for key in ("feature_mean", "feature_scale", "X_train", "y_train", "y_val"):
        np.testing.assert_array_equal(extreme[key], scaled[key], err_msg=key)
    assert np.abs(extreme["X_val"]).max() > 100, "the extreme rows are in the validation split"


# -- the test split (issue 20) ---------------------------------------------------------

CIRCLES = {"n_samples": 200, "factor": 0.2, "noise": 0.1}


def test_without_a_test_split_the_split_is_train_test_split_as_before():
    """No test_fraction: no test arrays, and exactly the rows a plain
    train_test_split with the fractional size gave before the test split."""
    from sklearn.model_selection import train_test_split

    data = make_dataset("circles", 0.3, 4, **CIRCLES)
    assert set(data) == {"X_train", "y_train", "X_val", "y_val", "task", "classes"}
    X, y, *_ = generate("circles", random_state=4, **CIRCLES)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=4, stratify=y[:, 0])
    for key, expected in {"X_train": X_train, "X_val": X_val, "y_train": y_train, "y_val": y_val}.items():
        assert data[key].tobytes() == expected.tobytes(), key


def test_fractions_are_of_the_whole_data_set_and_round_up():
    """200 rows, validation 0.3, test 0.15: ceil(60) validation, ceil(30)
    test, the rest (110) training; 0.255 of 200 is 51 rows (ceil 51.0)."""
    data = make_dataset("circles", 0.3, 0, test_fraction=0.15, **CIRCLES)
    assert [len(data[k]) for k in ("y_train", "y_val", "y_test")] == [110, 60, 30]
    data = make_dataset("circles", 0.255, 0, test_fraction=0.101, **CIRCLES)
    assert [len(data[k]) for k in ("y_train", "y_val", "y_test")] == [200 - 51 - 21, 51, 21]


def test_the_three_splits_partition_the_rows():
    X, y, *_ = generate("circles", random_state=0, **CIRCLES)
    rows = split_indices(y, 0.3, 0, stratify=True, test_fraction=0.2)
    every = np.concatenate([rows["train"], rows["val"], rows["test"]])
    assert sorted(every.tolist()) == list(range(200)), "each row in exactly one split"
    data = make_dataset("circles", 0.3, 0, test_fraction=0.2, **CIRCLES)
    for key, part in (("train", "X_train"), ("val", "X_val"), ("test", "X_test")):
        assert data[part].tobytes() == X[rows[key]].tobytes(), "split_indices names the data set's rows, in order"


@pytest.mark.parametrize("generator, params", [("circles", CIRCLES), ("iris", {}), ("wine", {}), ("digits", {})])
def test_all_three_splits_are_stratified(generator, params):
    data = make_dataset(generator, 0.3, 0, test_fraction=0.2, **params)
    y = np.concatenate([data["y_train"], data["y_val"], data["y_test"]])[:, 0]
    for part in ("y_train", "y_val", "y_test"):
        for value in np.unique(y):
            share = np.mean(y == value) * len(data[part])
            assert abs(np.sum(data[part][:, 0] == value) - share) < 2, (part, value, share)


def write_table(path, features, labels):
    rows = [",".join(map(str, [*x, label])) for x, label in zip(features, labels)]
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n")


def test_training_and_validation_rows_do_not_depend_on_the_test_rows(tmp_path):
    """The leak test's premise (issue 20, item 8), on a CSV data set: swapping
    the labels of two adjacent test rows of different classes changes the test
    rows' (features, label) pairs but leaves the training and validation arrays byte-identical; so does
    making the test rows' features extreme (the scaler is the training rows')."""
    rng = np.random.default_rng(1)
    features, labels = rng.normal(size=(90, 2)).round(3), np.arange(90) % 3
    path = tmp_path / "d.csv"
    spec = {"path": str(path), "features": ["a", "b"], "labels": ["y"], "standardize": True, "test_fraction": 0.2}
    write_table(path, features, labels)
    before = make_dataset("csv", 0.3, 5, **spec)
    test_rows = split_indices(labels[:, None], 0.3, 5, stratify=True, test_fraction=0.2)["test"]
    first, second = adjacent_test_pair(labels, test_rows)
    swapped = labels.copy()
    swapped[[first, second]] = labels[[second, first]]
    extreme = features.copy()
    extreme[test_rows] *= 1000
    for changed_features, changed_labels in ((features, swapped), (extreme, labels)):
        write_table(path, changed_features, changed_labels)
        after = make_dataset("csv", 0.3, 5, **spec)
        for key in ("X_train", "y_train", "X_val", "y_val", "feature_mean", "feature_scale"):
            assert after[key].tobytes() == before[key].tobytes(), key
    assert not np.array_equal(make_dataset("csv", 0.3, 5, **spec)["X_test"], before["X_test"])
    write_table(path, features, swapped)
    after = make_dataset("csv", 0.3, 5, **spec)

    def test_pairs(data):
        return sorted(map(tuple, np.column_stack([data["X_test"], data["y_test"]]).tolist()))

    # The two rows trade places in the test arrays, so y_test may keep its
    # bytes; what changes is which features carry which label.
    assert test_pairs(after) != test_pairs(before)


def test_the_test_rows_are_scaled_with_the_training_rows_scaler():
    raw = make_dataset("wine", 0.3, 0, test_fraction=0.2)
    scaled = make_dataset("wine", 0.3, 0, standardize=True, test_fraction=0.2)
    np.testing.assert_allclose(scaled["feature_mean"], raw["X_train"].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(
        scaled["X_test"], (raw["X_test"] - scaled["feature_mean"]) / scaled["feature_scale"], rtol=1e-4, atol=1e-5
    )


def class_counts(data, parts, n_classes):
    return [np.bincount(data[part][:, 0].astype(int), minlength=n_classes).tolist() for part in parts]


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
@pytest.mark.parametrize("test_fraction", [0.04, 0.2])
def test_the_bundled_check_sees_the_jobs_class_counts(name, test_fraction):
    """A stratified split's rows per class depend on the class sizes and the
    seed only: labels built from BUNDLED_CLASS_SIZES split like the real data."""
    sizes = BUNDLED_CLASS_SIZES[name]
    labels = np.repeat(np.arange(len(sizes)), sizes)[:, None]
    rows = split_indices(labels, 0.3, 7, stratify=True, test_fraction=test_fraction)
    expected = {part: np.bincount(labels[rows[part], 0], minlength=len(sizes)).tolist() for part in rows}
    data = make_dataset(name, 0.3, 7, test_fraction=test_fraction)
    assert class_counts(data, ("y_train", "y_val", "y_test"), len(sizes)) == list(expected.values())
    check_bundled_split(name, 0.3, 7, test_fraction)  # all >= 2: passes


@pytest.mark.parametrize("test_fraction", [0.03, 0.05, 0.08, 0.1, 0.15])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_csv_check_fails_exactly_when_the_jobs_split_leaves_a_class_short(tmp_path, test_fraction, seed):
    """check_split replicates the two-stage split: it rejects a fraction if
    and only if the data set made with it has a split with fewer than
    MIN_ROWS_PER_CLASS rows of a class, or cannot be made."""
    path = tmp_path / "d.csv"
    write_table(path, np.zeros((60, 2)), np.repeat([3, 5, 7], 20))
    try:
        spec = {"path": str(path), "features": ["a", "b"], "labels": ["y"], "test_fraction": test_fraction}
        data = make_dataset("csv", 0.3, seed, **spec)
        counts = class_counts(data, ("y_train", "y_val", "y_test"), 3)
    except ValueError as error:  # scikit-learn: fewer test rows than classes
        counts = str(error)
    short = isinstance(counts, str) or min(min(c) for c in counts) < MIN_ROWS_PER_CLASS
    try:
        check_split(np.repeat([3, 5, 7], 20), 0.3, seed, "multiclass", test_fraction)
        rejected = False
    except DatasetError:
        rejected = True
    assert rejected == short, counts


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "file not found"),
        ("", "file is empty"),
        ("a,b,label\n", "no data rows"),
        ("a,b,label\nx,1,0\ny,2,1\n", "column 'a' is not numeric"),
        ("a,b,label\n1,1,0\n2,2,2\n", "must hold only 0 and 1"),
        ("a,b,label\n1,,0\n2,2,1\n", "column 'b' has missing"),
        ("a,b,label\n1,1,1\n2,2,1\n", "single class"),
        ("a,label\n1,0\n2,1\n", "no column 'b'"),
    ],
)
def test_bad_csv_files_name_the_file_and_problem(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DatasetError, match=message) as error:
        read_checked_csv(path, ["a", "b"], ["label"])
    assert str(path) in str(error.value)


def test_boundary_grid_covers_points():
    X = np.array([[0, 0], [1, 2]], dtype=np.float32)
    xx, yy = boundary_grid(X, 11)
    assert xx.shape == (11, 11)
    assert xx.min() < 0 and xx.max() > 1 and yy.min() < 0 and yy.max() > 2


@pytest.mark.parametrize("generator", sorted(set(GENERATORS) - {"csv"}))
def test_a_data_set_is_planar_exactly_when_it_has_two_features(generator):
    """is_planar decides from the config which data sets get boundary figures
    and the explorer; the data made from that config must agree."""
    import copy

    from actzoo.config import check_config
    from conftest import TINY_CONFIG

    config = {**copy.deepcopy(TINY_CONFIG), "datasets": {"d": {"generator": generator}}}
    check_config(config)  # fills in the schema's defaults, as the workflow does
    spec = {k: v for k, v in config["datasets"]["d"].items() if k != "model"}
    assert is_planar(spec) == (from_spec(spec)["X_train"].shape[1] == 2)


def test_a_csv_is_planar_when_it_names_two_features():
    assert is_planar({"generator": "csv", "features": ["x1", "x2"]})
    assert not is_planar({"generator": "csv", "features": ["x1", "x2", "x3"]})
