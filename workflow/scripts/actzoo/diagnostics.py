"""Diagnostics of the hidden layers, recorded during training (a run's
diagnostics.csv; docs/diagnostics.md): per epoch and hidden layer, the
kernel's gradient norm, the outputs' mean and spread, and how many
(sample, unit) pairs and whole units are flat.

The compiled loop (actzoo.engine) calls these inside its traced function.
They only read the weights: a run's trajectory is the same with them off.
"""

import keras
import tensorflow as tf

from actzoo.losses import sample_losses

# A derivative is "flat" below this fraction of the activation's peak |f'|,
# which is taken over PEAK_RANGE: a property of the activation, not of the data.
FLAT_THRESHOLD = 0.01
PEAK_RANGE = 5.0
# Measures per (epoch, layer), after epoch and layer: DIAGNOSTICS_COLUMNS[2:].
MEASURES = 5

# The diagnostics' helpers have no data-dependent Python control flow, so
# autograph need not convert them (nor the Keras code they call): that
# conversion, paid in every job's trace, was most of their cost.
no_autograph = tf.autograph.experimental.do_not_convert


def hidden_layers(model):
    """(Dense, activation) of each hidden layer, as get_model builds them: the
    activation is the Dense's own, or the ConfiguredActivation layer after it."""
    pairs = []
    for layer in model.layers[:-1]:
        if isinstance(layer, keras.layers.Dense):
            pairs.append((layer, layer.activation))
        else:
            pairs[-1] = (pairs[-1][0], layer)
    return pairs


@no_autograph
def with_derivative(function, z):
    """f(z) and, by autodiff, the gradient of sum f(z) w.r.t. z: f'(z) for an
    elementwise f (softmax-like activations mix units: theirs is not a slope)."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(z)
        value = function(z)
    return value, tape.gradient(value, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)


@no_autograph
def derivative_peak(function):
    """max |f'| over [-PEAK_RANGE, PEAK_RANGE], on a grid that includes 0."""
    z = tf.reshape(tf.linspace(-PEAK_RANGE, PEAK_RANGE, 1001), [-1, 1])
    return tf.reduce_max(tf.abs(with_derivative(function, z)[1]))


def flat_below(hidden):
    """The |f'| under which a unit counts as flat: FLAT_THRESHOLD of the peak
    of the hidden activation's derivative. Eager: once per run, and cheaper
    than tracing it."""
    return FLAT_THRESHOLD * float(derivative_peak(hidden[0][1]))


@no_autograph
def kernel_norms(grads, kernels):
    """The L2 norm of each hidden kernel's gradient; ``kernels`` are their
    positions in the model's trainable variables."""
    return tf.sqrt(tf.stack([tf.reduce_sum(tf.square(grads[i])) for i in kernels]))


@no_autograph
def layer_statistics(hidden, x, flat_below):
    """(layers, 4): mean and std of the outputs, fraction of flat (sample,
    unit) pairs, fraction of units flat on every sample; of one forward pass
    of the rows ``x`` through the ``hidden`` layers.

    "Flat" is |f'(z)| < ``flat_below`` (see that function), with f' from
    autodiff, so custom activations need no formula.
    """
    rows = []
    for dense, activation in hidden:
        x, slope = with_derivative(activation, tf.matmul(x, dense.kernel) + dense.bias)
        mean, variance = tf.nn.moments(x, axes=[0, 1])
        flat = tf.cast(tf.abs(slope) < flat_below, tf.float32)
        dead = tf.reduce_mean(tf.reduce_min(flat, axis=0))
        rows.append(tf.stack([mean, tf.sqrt(variance), tf.reduce_mean(flat), dead]))
    return tf.stack(rows)


def initial_diagnostics(model, hidden, X, y, order, batch_size, task, flat_below):
    """Epoch 0, before any update: ``layer_statistics`` of the initial weights
    on the training rows ``X``, and as grad_norm the mean over epoch 1's
    batches (the rows in ``order``, ``batch_size`` at a time) of the kernel
    gradient norms at the initial weights. Eager (tracing it would cost
    more), and without a batch loop: a Dense model's batch gradient is the sum
    over the batch of (layer input) x (loss gradient w.r.t. the
    pre-activation), so one backward pass over the whole set yields every
    batch's. Returns (layers, MEASURES)."""
    n, size = tf.shape(order)[0], batch_size
    n_batches = (n + size - 1) // size
    batch_sizes = tf.minimum(size, n - tf.range(n_batches) * size)
    weights = 1.0 / tf.cast(tf.gather(batch_sizes, tf.range(n) // size), tf.float32)  # a batch's loss is its mean
    output = model.layers[-1]
    x, y = tf.gather(X, order), tf.gather(y, order)
    inputs, zs = [], []
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        for dense, activation in hidden + [(output, output.activation)]:
            inputs.append(x)
            zs.append(tf.matmul(x, dense.kernel) + dense.bias)
            tape.watch(zs[-1])
            x = activation(zs[-1])
        total = tf.reduce_sum(weights * sample_losses(task, y, x))

    def by_batch(t):  # (n, k) -> (batches, size, k), zero rows after the last sample
        return tf.reshape(tf.pad(t, [[0, n_batches * size - n], [0, 0]]), [n_batches, size, -1])

    norms = [
        tf.reduce_mean(tf.norm(tf.einsum("bsi,bso->bio", by_batch(a), by_batch(d)), axis=[1, 2]))
        for a, d in zip(inputs, tape.gradient(total, zs[:-1]))
    ]
    return tf.concat([tf.stack(norms)[:, None], layer_statistics(hidden, X, flat_below)], axis=1).numpy()
