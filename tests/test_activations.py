import inspect

import pytest

from actzoo.activations import (
    KERAS_ACTIVATION_KWARGS,
    KERAS_ACTIVATIONS,
    KERAS_ACTIVATIONS_WITH_ARGS,
    ActivationError,
    check_all,
    normalise,
)


def test_literal_name_list_matches_keras():
    import keras

    public = {n for n in dir(keras.activations) if not n.startswith("_")} - {"get", "serialize", "deserialize"}
    assert set(KERAS_ACTIVATIONS) | set(KERAS_ACTIVATIONS_WITH_ARGS) | {"glu"} == public


def test_literal_keyword_lists_match_keras():
    import keras

    for name, kwargs in KERAS_ACTIVATION_KWARGS.items():
        parameters = list(inspect.signature(getattr(keras.activations, name)).parameters)[1:]
        assert set(kwargs) == set(parameters), name


def test_lesson_names_and_aliases_are_accepted():
    names = [
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "swish",
        "softplus",
        "softsign",
        "mish",
        "relu6",
        "hard_sigmoid",
        "linear",
    ]
    assert list(check_all(names)) == names


def test_normalise_mapping():
    spec = normalise({"name": "leaky_relu", "label": "leaky_relu_0.1", "negative_slope": 0.1})
    assert spec == {"name": "leaky_relu", "label": "leaky_relu_0.1", "kwargs": {"negative_slope": 0.1}}
    assert normalise("tanh") == {"name": "tanh", "label": "tanh", "kwargs": {}}


@pytest.mark.parametrize(
    "entries, message",
    [
        (["relux"], "unknown activation 'relux'"),
        (["relu", "relu"], "duplicate label 'relu'"),
        ([{"name": "relu", "label": "a/b"}], "not path-safe"),
        ([{"name": "leaky_relu", "slope": 0.1}], "takes no argument 'slope'"),
        (["threshold"], "needs arguments"),
        (["no_such_module_xyz:f"], "cannot import module"),
        (["math:no_such_function"], "has no 'no_such_function'"),
        (["math:pi"], "is not callable"),
    ],
)
def test_bad_activations_are_rejected(entries, message):
    with pytest.raises(ActivationError, match=message):
        check_all(entries)


def test_custom_function_label_defaults_to_function_name():
    assert list(check_all(["math:tanh"])) == ["tanh"]
