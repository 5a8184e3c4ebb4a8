import numpy as np
import pytest
from sklearn.datasets import make_circles

from actzoo.datasets import DatasetError, boundary_grid, generate, make_dataset, read_checked_csv


def test_circles_is_the_lessons_make_circles():
    X, y = generate("circles", n_samples=1000, factor=0.2, noise=0.1, random_state=4)
    X_ref, y_ref = make_circles(n_samples=1000, factor=0.2, noise=0.1, random_state=4)
    np.testing.assert_array_equal(X, X_ref.astype(np.float32))
    np.testing.assert_array_equal(y[:, 0], y_ref)


@pytest.mark.parametrize("generator", ["circles", "moons", "xor", "gauss", "spiral"])
def test_planar_generators_are_seeded_and_balanced(generator):
    params = {"noise": 0.1} if generator != "circles" else {"noise": 0.1, "factor": 0.2}
    X1, y1 = generate(generator, n_samples=400, random_state=1, **params)
    X2, y2 = generate(generator, n_samples=400, random_state=1, **params)
    X3, _ = generate(generator, n_samples=400, random_state=2, **params)
    assert X1.shape == (400, 2) and y1.shape == (400, 1)
    np.testing.assert_array_equal(X1, X2)
    assert not np.array_equal(X1, X3)
    assert 0.3 < y1.mean() < 0.7


def test_playground_definitions():
    X, y = generate("xor", n_samples=500, noise=0.0, random_state=0)
    assert np.abs(X).min() >= 0.3, "xor points are pushed 0.3 off the axes"
    assert np.array_equal(y[:, 0] == 1, X[:, 0] * X[:, 1] >= 0)
    X, y = generate("spiral", n_samples=200, noise=0.0, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[:100], np.arange(100) / 100 * 5, atol=1e-5)
    X, y = generate("gauss", n_samples=200, noise=0.0, random_state=0)
    np.testing.assert_allclose(X[y[:, 0] == 1].mean(axis=0), [2, 2], atol=0.2)


def test_sensors_are_integer_readings_with_three_labels():
    X, y = generate("sensors", n_samples=2000, n_features=20, n_labels=3, max_reading=15, random_state=0)
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
    X, y = generate("csv", path=str(path), features=["a", "b"], labels=["label"])
    assert X.shape == (4, 2) and y[:, 0].tolist() == [0, 1, 1, 0]


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
