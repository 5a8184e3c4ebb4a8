"""Activation specs from the config, resolved without importing TensorFlow.

The Snakefile parses these at start-up, so this module must stay cheap: the
TensorFlow-backed resolution lives in ``actzoo.models``.
"""

import importlib
import inspect
import os
import re
import sys

# The element-wise activations of keras.activations (Keras 3.15). Kept as a
# literal so that parsing the workflow never imports TensorFlow (~5 s); a test
# checks it against keras.activations. Not listed: glu (halves the width, so
# initial weights could not match across activations) and threshold (needs
# arguments; use the mapping form).
KERAS_ACTIVATIONS = (
    "celu",
    "elu",
    "exponential",
    "gelu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
)
# Activations that exist only with arguments.
KERAS_ACTIVATIONS_WITH_ARGS = ("threshold",)

CUSTOM_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class ActivationError(ValueError):
    """A config activation that cannot be used."""


def normalise(entry):
    """Turn one ``activations`` entry into ``{"name", "label", "kwargs"}``."""
    if isinstance(entry, str):
        entry = {"name": entry}
    name = entry["name"]
    kwargs = {k: v for k, v in entry.items() if k not in ("name", "label")}
    default_label = name.split(":")[-1] if is_custom(name) else name
    return {"name": name, "label": entry.get("label", default_label), "kwargs": kwargs}


def is_custom(name):
    return bool(CUSTOM_PATTERN.match(name))


def import_custom(name, search_dir=None):
    """Import the user function behind ``module:function`` (trusted code).

    The module is looked up on PYTHONPATH and in the working directory.
    """
    module_name, function_name = name.split(":")
    search_dir = str(search_dir or os.getcwd())
    if search_dir not in sys.path:
        sys.path.insert(0, search_dir)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # a missing module, or one that fails while importing
        raise ActivationError(
            f"activation {name!r}: cannot import module {module_name!r} ({type(error).__name__}: {error})".replace(
                "\n", " "
            )
        ) from None
    function = getattr(module, function_name, None)
    if function is None:
        raise ActivationError(f"activation {name!r}: module {module_name!r} has no {function_name!r}")
    if not callable(function):
        raise ActivationError(f"activation {name!r}: {function_name!r} is not callable")
    return function


def check_all(entries, search_dir=None):
    """Normalise every entry and reject what no job could run.

    Returns the normalised specs keyed by label, in config order.
    """
    specs = {}
    for index, entry in enumerate(entries):
        spec = normalise(entry)
        where = f"activations[{index}]"
        name, label = spec["name"], spec["label"]
        if is_custom(name):
            try:
                function = import_custom(name, search_dir)
            except ActivationError as error:
                raise ActivationError(f"{where}: {error}") from None
            _check_kwargs(where, name, function, spec["kwargs"], skip_first=True)
        elif name in KERAS_ACTIVATIONS or name in KERAS_ACTIVATIONS_WITH_ARGS:
            if spec["kwargs"]:
                _check_keras_kwargs(where, name, spec["kwargs"])
            elif name in KERAS_ACTIVATIONS_WITH_ARGS:
                raise ActivationError(f"{where}: {name!r} needs arguments, e.g. threshold and default_value")
        else:
            raise ActivationError(
                f"{where}: unknown activation {name!r}; expected a Keras activation "
                f"name ({', '.join(KERAS_ACTIVATIONS)}) or 'module:function'"
            )
        if not LABEL_PATTERN.match(label):
            raise ActivationError(
                f"{where}.label: {label!r} is not path-safe; expected letters, digits, '_', '.', '+', '-'"
            )
        if label in specs:
            raise ActivationError(f"{where}.label: duplicate label {label!r}; give each entry a unique label")
        specs[label] = spec
    return specs


# Keyword arguments of the Keras activations that take any; a literal for the
# same reason as KERAS_ACTIVATIONS (a test checks it against Keras).
KERAS_ACTIVATION_KWARGS = {
    "celu": ("alpha",),
    "elu": ("alpha",),
    "gelu": ("approximate",),
    "hard_shrink": ("threshold",),
    "leaky_relu": ("negative_slope",),
    "relu": ("negative_slope", "max_value", "threshold"),
    "soft_shrink": ("threshold",),
    "softmax": ("axis",),
    "log_softmax": ("axis",),
    "sparse_plus": (),
    "sparsemax": ("axis",),
    "squareplus": ("b",),
    "threshold": ("threshold", "default_value"),
}


def _check_keras_kwargs(where, name, kwargs):
    allowed = KERAS_ACTIVATION_KWARGS.get(name, ())
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ActivationError(f"{where}: {name!r} takes no argument {unknown[0]!r}; expected one of {list(allowed)}")


def _check_kwargs(where, name, function, kwargs, skip_first):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    parameters = list(signature.parameters.values())[1 if skip_first else 0 :]
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
    names = {p.name for p in parameters}
    unknown = sorted(set(kwargs) - names)
    if unknown and not accepts_any:
        raise ActivationError(f"{where}: {name!r} takes no argument {unknown[0]!r}")
