"""The hidden layers' kernel initializer, resolved without importing TensorFlow.

The Snakefile validates the config at start-up, so this module stays cheap;
``actzoo.models`` hands the resolved name to Keras. docs/initializers.md
explains the ``matched`` rule and its sources.
"""

# Keras' built-in initializers that take no required argument (Keras 3.15),
# by their snake_case names; a test checks them against keras.initializers.
# Not listed: the aliases (normal, uniform, one, zero), constant (the same as
# zeros without a value) and stft (a signal-processing kernel).
KERAS_INITIALIZERS = (
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "zeros",
)
MATCHED = "matched"
# Keras' own default for a Dense kernel: no initializer key changes nothing.
DEFAULT = "glorot_uniform"

# ``matched``: each activation's recommended initializer, all three Keras
# VarianceScaling with a truncated normal, so that for one seed every
# activation draws the same numbers, scaled (std = sqrt(scale / fan)):
# He et al. 2015 (scale 2, fan_in) for rectifier-like activations, which are
# ~0 for negative inputs and ~x for positive ones; Klambauer et al. 2017
# (LeCun normal: scale 1, fan_in) for SELU, whose self-normalisation assumes
# it; Glorot & Bengio 2010 (scale 1, fan_avg) for the rest: sigmoid, tanh and
# other saturating or odd activations, and every custom function.
RECTIFIERS = (
    "celu",
    "elu",
    "gelu",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "mish",
    "relu",
    "relu6",
    "silu",
    "softplus",
    "sparse_plus",
    "squareplus",
    "swish",
)
MATCHED_RULE = {"rectifier": "he_normal", "selu": "lecun_normal", "other": "glorot_normal"}


def matched(activation_name):
    """The initializer ``matched`` picks for the activation named ``activation_name``."""
    if activation_name == "selu":
        return MATCHED_RULE["selu"]
    return MATCHED_RULE["rectifier" if activation_name in RECTIFIERS else "other"]


def resolve(initializer, activation):
    """The Keras name of the hidden kernels' initializer: ``initializer``
    (the config's ``model.initializer``, None when not set), with ``matched``
    resolved for ``activation`` (a normalised spec; see actzoo.activations)."""
    if initializer is None:
        return DEFAULT
    return matched(activation["name"]) if initializer == MATCHED else initializer
