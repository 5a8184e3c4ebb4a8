"""A task's loss and per-sample accuracy, as ``model.fit`` would use them (its
"accuracy" metric resolves to these): binary cross-entropy and the mean over
labels of the 0.5-threshold accuracy, or for one-of-K classes sparse
categorical cross-entropy on the class index and argmax accuracy."""

import keras
import tensorflow as tf

# task -> (loss, accuracy metric), the classes model.compile would be given.
LOSSES = {
    "binary": (keras.losses.BinaryCrossentropy, keras.metrics.BinaryAccuracy),
    "multilabel": (keras.losses.BinaryCrossentropy, keras.metrics.BinaryAccuracy),
    "multiclass": (keras.losses.SparseCategoricalCrossentropy, keras.metrics.SparseCategoricalAccuracy),
}


def sample_losses(task, y, p):
    """Each sample's loss (its mean over labels for multi-label data)."""
    if task == "multiclass":
        return keras.losses.sparse_categorical_crossentropy(y, p)
    return keras.losses.binary_crossentropy(y, p)


def sample_accuracies(task, y, p):
    if task == "multiclass":
        return keras.metrics.sparse_categorical_accuracy(y, p)
    return tf.reduce_mean(keras.metrics.binary_accuracy(y, p), axis=-1)
