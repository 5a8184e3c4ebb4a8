"""The lesson's model: ``get_model(act_function)`` and its activation layer."""

import hashlib

import keras
from keras import layers

from actzoo.activations import import_custom, is_custom


@keras.saving.register_keras_serializable(package="actzoo")
class ConfiguredActivation(layers.Layer):
    """A Keras activation with arguments, or a trusted ``module:function``.

    Saved models store only the name and arguments, so they load with
    ``safe_mode=True``.
    """

    def __init__(self, activation, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.activation = activation
        self.arguments = dict(arguments or {})
        if is_custom(activation):
            self.function = import_custom(activation)
        else:
            self.function = keras.activations.get(activation)

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation, "arguments": self.arguments}


def get_model(act_function, n_features, hidden_units, n_outputs, task="binary", kernel_initializer="glorot_uniform"):
    """Dense hidden layers with ``act_function``, then one sigmoid per label,
    or for a ``multiclass`` task a softmax over ``n_outputs`` classes.

    ``kernel_initializer`` (a Keras name) draws the hidden kernels; the
    default is Keras' own. The output layer keeps Keras' default whatever it
    is: every Keras initializer takes one seed from the global generator when
    made, so the output kernel's draw stays the same for all of them.

    ``act_function`` is a normalised activation spec (see actzoo.activations).
    Plain Keras names go straight into ``Dense`` as in the lesson; the rest get
    a weightless activation layer, so initial weights stay the same either way.
    """
    plain = not act_function["kwargs"] and not is_custom(act_function["name"])
    model = keras.Sequential([keras.Input((n_features,))])
    for units in hidden_units:
        if plain:
            model.add(layers.Dense(units, activation=act_function["name"], kernel_initializer=kernel_initializer))
        else:
            model.add(layers.Dense(units, kernel_initializer=kernel_initializer))
            model.add(ConfiguredActivation(act_function["name"], act_function["kwargs"]))
    model.add(layers.Dense(n_outputs, activation="softmax" if task == "multiclass" else "sigmoid"))
    return model


def get_optimizer(name, learning_rate):
    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": learning_rate}})


def weights_sha256(weights):
    """Hash of the weight arrays, in layer order, as raw float32 bytes."""
    digest = hashlib.sha256()
    for array in weights:
        digest.update(keras.ops.convert_to_numpy(array).astype("float32").tobytes())
    return digest.hexdigest()


def activation_function(act_function):
    """The callable behind a normalised activation spec."""
    if not act_function["kwargs"] and not is_custom(act_function["name"]):
        return keras.activations.get(act_function["name"])
    return ConfiguredActivation(act_function["name"], act_function["kwargs"])


def tabulate(specs, x_range, n_points=401):
    """Values and derivatives of each activation on [-x_range, x_range].

    Derivatives come from autodiff, so custom activations need no formula.
    """
    import tensorflow as tf

    x = tf.linspace(-float(x_range), float(x_range), n_points)
    table = {"x": x.numpy()}
    for label, spec in specs.items():
        function = activation_function(spec)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = function(x[:, None])[:, 0]
        table[f"{label}.value"] = y.numpy()
        table[f"{label}.derivative"] = tape.gradient(y, x).numpy()
    return table


def write_tabulation(activations, x_range, path):
    import numpy as np

    np.savez(path, **tabulate(activations, x_range))
