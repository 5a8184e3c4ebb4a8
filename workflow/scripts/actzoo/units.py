"""The explorer's network view: what each hidden unit computes over the plane.

A 2-D run's snapshots keep the hidden layers' weights at the explorer's
epochs (actzoo.engine.hidden_weights). After training, ``unit_pictures``
replays them through the model's own hidden activations (so custom ones need
nothing more): each pictured unit's output over the boundary grid, thinned to
at most UNIT_GRID points a side (a unit's panel is about 100 pixels wide), as
8-bit shades of its layer's scale, and whether the unit is dead at that
epoch: flat on every training sample, the diagnostics' definition
(actzoo.diagnostics). It only reads saved weights: training is unchanged.

TensorFlow is imported where it is used: the explorer's page builder reads
the weights' layout (``layer_weights``) without it.
"""

import math

import numpy as np

UNIT_GRID = 50


def pictured_units(hidden_units, cap):
    """How many units of each hidden layer are pictured: every layer from the
    first while their total stays within ``cap``, and at least the first
    layer's first ``cap`` units. ``cap`` 0 pictures none."""
    shown = []
    for units in hidden_units:
        if sum(shown) + units > cap:
            break
        shown.append(units)
    if not shown and cap and hidden_units:
        shown = [min(hidden_units[0], cap)]
    return shown


def layer_weights(flat, hidden_units, n_inputs):
    """(kernel, bias) of each hidden layer from a flat ``hidden_weights`` vector."""
    layers, start, fan_in = [], 0, n_inputs
    for units in hidden_units:
        kernel = np.asarray(flat[start : start + fan_in * units]).reshape(fan_in, units)
        start += fan_in * units
        layers.append((kernel, np.asarray(flat[start : start + units])))
        start += units
        fan_in = units
    return layers


def thinned(grid):
    """Every k-th point of the boundary grid (xx, yy), at most UNIT_GRID a side."""
    xx, yy = grid
    stride = math.ceil(xx.shape[0] / UNIT_GRID)
    return xx[::stride, ::stride], yy[::stride, ::stride]


def symmetric(activation):
    """Whether the activation's outputs go below 0 (tanh-like: a scale
    symmetric around 0) or not (ReLU- and sigmoid-like: a scale from 0);
    a property of the function, so every seed's panels share it."""
    import tensorflow as tf

    from actzoo.diagnostics import PEAK_RANGE

    z = tf.linspace(-PEAK_RANGE, PEAK_RANGE, 1001)[:, None]
    return bool(tf.reduce_min(activation(z)) < -1e-6)


def scale(values, around_zero):
    """A layer's colour scale (low, high) over all its frames: [-m, m] or
    [0, m], m the largest magnitude (1 when every output is 0)."""
    finite = values[np.isfinite(values)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    m = m if m > 0 else 1.0
    return (-m, m) if around_zero else (0.0, m)


def unit_pictures(model, grid, weights, X, cap):
    """The network view of one run: ``weights`` are its flat hidden weights
    per explorer frame, ``grid`` the boundary grid, ``X`` the training rows
    (for deadness), ``cap`` the most units pictured (``pictured_units``).

    Returns boundary.npz's ``explorer_unit_*`` arrays, empty when nothing is
    pictured: ``layers`` (units pictured per layer), ``x`` and ``y`` (the
    thinned grid's axes), ``scales`` ((layers, 2): each layer's low and high),
    ``shades`` ((frames, units, rows, columns) uint8: round(255 (v - low) /
    (high - low)), units layer by layer) and ``dead`` ((frames, units) bool).
    """
    import tensorflow as tf

    from actzoo.diagnostics import flat_below, hidden_layers, with_derivative

    hidden = hidden_layers(model)
    hidden_units = [dense.units for dense, _ in hidden]
    shown = pictured_units(hidden_units, cap)
    if not shown or not len(weights):
        return {}
    xx, yy = thinned(grid)
    points = tf.constant(np.column_stack([xx.ravel(), yy.ravel()]), tf.float32)
    threshold = flat_below(hidden)
    outputs = [[] for _ in shown]  # per layer: (frames, units, points)
    dead = []
    for flat in weights:
        on_grid, on_train, frame_dead = points, tf.constant(X, tf.float32), []
        for layer, (n, (_, activation), (kernel, bias)) in enumerate(
            zip(shown, hidden, layer_weights(flat, hidden_units, X.shape[1]))
        ):
            on_grid = activation(tf.matmul(on_grid, kernel) + bias)
            on_train, slope = with_derivative(activation, tf.matmul(on_train, kernel) + bias)
            outputs[layer].append(on_grid.numpy()[:, :n].T)
            frame_dead.append(np.all(np.abs(slope.numpy()[:, :n]) < threshold, axis=0))
        dead.append(np.concatenate(frame_dead))
    around_zero = symmetric(hidden[0][1])
    scales = np.array([scale(np.asarray(values), around_zero) for values in outputs], dtype=np.float32)
    shades = np.concatenate(
        [
            np.rint(np.clip((np.nan_to_num(np.asarray(values)) - low) / (high - low), 0, 1) * 255)
            for values, (low, high) in zip(outputs, scales)
        ],
        axis=1,
    ).astype(np.uint8)
    return {
        "layers": np.array(shown, dtype=np.int64),
        "x": xx[0].astype(np.float32),
        "y": yy[:, 0].astype(np.float32),
        "scales": scales,
        "shades": shades.reshape(len(weights), sum(shown), *xx.shape),
        "dead": np.array(dead, dtype=bool),
    }
