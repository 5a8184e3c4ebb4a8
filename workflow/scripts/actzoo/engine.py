"""Training engines: a compiled whole-epoch loop (default) and stock ``model.fit``.

``model.fit`` spends ~90 ms per epoch on framework machinery for the lesson's
tiny models. The compiled engine keeps the Keras model, loss and optimizer but
runs all epochs of a segment inside one ``tf.function``.
"""

import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from actzoo.datasets import task_of  # noqa: E402
from actzoo.models import get_model, get_optimizer, weights_sha256  # noqa: E402

HISTORY_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]


def configure_threads(threads):
    """Pin TensorFlow's pools: it ignores OMP_NUM_THREADS.

    The inter-op pool gets one thread, so a job never runs more than
    ``threads`` busy threads (the caller of an op helps its intra-op pool).
    """
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()


def build(
    activation, seed, n_features, n_outputs, hidden_units, optimizer, learning_rate, task="binary",
    initializer="glorot_uniform",
):  # fmt: skip
    """Seed, then build the model: every activation starts from the same
    weights, or with another ``initializer`` per activation from the same
    draw, scaled (see actzoo.initializers)."""
    keras.utils.set_random_seed(seed)
    model = get_model(activation, n_features, hidden_units, n_outputs, task, kernel_initializer=initializer)
    return model, get_optimizer(optimizer, learning_rate)


# A task's loss and per-sample accuracy, as model.fit would use them (its
# "accuracy" metric resolves to these): binary cross-entropy and the mean
# over labels of the 0.5-threshold accuracy, or for one-of-K classes sparse
# categorical cross-entropy on the class index and argmax accuracy.
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


# Columns of a run's diagnostics.csv; one row per (epoch, hidden layer).
DIAGNOSTICS_COLUMNS = ["epoch", "layer", "grad_norm", "act_mean", "act_std", "flat_fraction", "dead_units"]
# A derivative is "flat" below this fraction of the activation's peak |f'|,
# which is taken over PEAK_RANGE: a property of the activation, not of the data.
FLAT_THRESHOLD = 0.01
PEAK_RANGE = 5.0


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


# The diagnostics' helpers have no data-dependent Python control flow, so
# autograph need not convert them (nor the Keras code they call): that
# conversion, paid in every job's trace, was most of their cost.
no_autograph = tf.autograph.experimental.do_not_convert


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


class CompiledLoop:
    """All epochs ``[first, last)`` of a training segment in one traced function.

    Per-epoch shuffling draws from a stateless RNG keyed by (seed, epoch), so a
    resumed run needs no RNG state. Epoch metrics follow Keras: training loss
    and accuracy are sample-weighted means over the epoch's batches, computed
    before each batch's update; validation runs once at each epoch end.

    At the end of each of ``snapshot_epochs`` the loop also predicts ``grid``
    (xx, yy), without leaving the traced function: stopping there instead
    would cost ~4 ms per snapshot, ~20% of a run with the explorer's 25.

    With ``diagnostics``, each epoch also yields per hidden layer: the L2 norm
    of the loss gradient w.r.t. the kernel, a plain mean over the epoch's
    batches (each taken before its batch's update, from the gradient the
    update uses), and ``_layer_statistics`` of one forward pass over the
    training set after the epoch's last update (when validation runs).
    ``initial_diagnostics`` gives epoch 0, the initial weights. All of it only
    reads the weights: the trajectory is the same with diagnostics off.
    """

    def __init__(
        self, model, optimizer, data, batch_size, seed, shuffle=True, grid=None, snapshot_epochs=(), diagnostics=False
    ):
        self.model, self.optimizer = model, optimizer
        self.X, self.y = tf.constant(data["X_train"]), tf.constant(data["y_train"])
        self.X_val, self.y_val = tf.constant(data["X_val"]), tf.constant(data["y_val"])
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle
        self.task, n_outputs = task_of(data)
        self.grid_shape = grid[0].shape if grid is not None else (0,)
        if self.task == "multiclass":  # a grid point's probability of every class
            self.grid_shape = (*self.grid_shape, n_outputs)
        self.points = tf.constant(grid_points(grid) if grid is not None else np.zeros((0, self.X.shape[1]), np.float32))
        self.snapshot_epochs = tf.constant(sorted(snapshot_epochs) if grid is not None else [], dtype=tf.int32)
        self.loss_fn = LOSSES[self.task][0]()
        optimizer.build(model.trainable_variables)
        self.diagnostics = diagnostics
        self.hidden = hidden_layers(model)
        variables = [id(v) for v in model.trainable_variables]
        self.kernels = [variables.index(id(dense.kernel)) for dense, _ in self.hidden]
        if diagnostics:  # eager: once per run, and cheaper than tracing it
            self.flat_below = FLAT_THRESHOLD * float(derivative_peak(self.hidden[0][1]))
        self.run = tf.function(self._run, reduce_retracing=True)

    def _accuracy_sum(self, y, p):
        """Sum over samples of each sample's accuracy (see sample_accuracies)."""
        return tf.reduce_sum(sample_accuracies(self.task, y, p))

    def _grid_output(self, p):
        """What a snapshot keeps of the grid's predictions, flat: P(label 1),
        or for multiclass data every class's probability."""
        return tf.reshape(p, [-1]) if self.task == "multiclass" else p[:, 0]

    def _order(self, epoch):
        """The training rows in the order of 0-based ``epoch``."""
        n = tf.shape(self.X)[0]
        if self.shuffle:
            return tf.argsort(tf.random.stateless_uniform([n], seed=tf.stack([self.seed, epoch])))
        return tf.range(n)

    @no_autograph
    def _kernel_norms(self, grads):
        return tf.sqrt(tf.stack([tf.reduce_sum(tf.square(grads[i])) for i in self.kernels]))

    @no_autograph
    def _layer_statistics(self):
        """(layers, 4): mean and std of the outputs, fraction of flat (sample,
        unit) pairs, fraction of units flat on every sample; on the training set.

        "Flat" is |f'(z)| < ``flat_below``, 1% of the activation's peak |f'|
        (``derivative_peak``), with f' from autodiff, so custom activations
        need no formula.
        """
        x, rows = self.X, []
        for dense, activation in self.hidden:
            x, slope = with_derivative(activation, tf.matmul(x, dense.kernel) + dense.bias)
            mean, variance = tf.nn.moments(x, axes=[0, 1])
            flat = tf.cast(tf.abs(slope) < self.flat_below, tf.float32)
            dead = tf.reduce_mean(tf.reduce_min(flat, axis=0))
            rows.append(tf.stack([mean, tf.sqrt(variance), tf.reduce_mean(flat), dead]))
        return tf.stack(rows)

    def initial_diagnostics(self):
        """Epoch 0, before any update: ``_layer_statistics`` of the initial
        weights, and as grad_norm the mean over epoch 1's batches of the
        kernel gradient norms at the initial weights. Eager (tracing it would
        cost more), and without a batch loop: a Dense model's batch gradient
        is the sum over the batch of (layer input) x (loss gradient w.r.t. the
        pre-activation), so one backward pass over the whole set yields every
        batch's. Returns (layers, 5)."""
        order = self._order(0)
        n, size = tf.shape(order)[0], self.batch_size
        n_batches = (n + size - 1) // size
        batch_sizes = tf.minimum(size, n - tf.range(n_batches) * size)
        weights = 1.0 / tf.cast(tf.gather(batch_sizes, tf.range(n) // size), tf.float32)  # a batch's loss is its mean
        output = self.model.layers[-1]
        x, y = tf.gather(self.X, order), tf.gather(self.y, order)
        inputs, zs = [], []
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            for dense, activation in self.hidden + [(output, output.activation)]:
                inputs.append(x)
                zs.append(tf.matmul(x, dense.kernel) + dense.bias)
                tape.watch(zs[-1])
                x = activation(zs[-1])
            total = tf.reduce_sum(weights * sample_losses(self.task, y, x))

        def by_batch(t):  # (n, k) -> (batches, size, k), zero rows after the last sample
            return tf.reshape(tf.pad(t, [[0, n_batches * size - n], [0, 0]]), [n_batches, size, -1])

        norms = [
            tf.reduce_mean(tf.norm(tf.einsum("bsi,bso->bio", by_batch(a), by_batch(d)), axis=[1, 2]))
            for a, d in zip(inputs, tape.gradient(total, zs[:-1]))
        ]
        return tf.concat([tf.stack(norms)[:, None], self._layer_statistics()], axis=1).numpy()

    def _run(self, first, last):
        n = tf.shape(self.X)[0]
        n_batches = (n + self.batch_size - 1) // self.batch_size
        n_float = tf.cast(n, tf.float32)
        rows = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        grids = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[None])
        grid_epochs = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        diagnostics = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[len(self.hidden), 5])
        for epoch in tf.range(first, last):
            order = self._order(epoch)
            loss_sum = tf.constant(0.0)
            hits = tf.constant(0.0)
            norm_sum = tf.zeros([len(self.hidden)])
            for batch in tf.range(n_batches):
                index = order[batch * self.batch_size : tf.minimum((batch + 1) * self.batch_size, n)]
                xb, yb = tf.gather(self.X, index), tf.gather(self.y, index)
                with tf.GradientTape() as tape:
                    p = self.model(xb, training=True)
                    loss = self.loss_fn(yb, p)
                grads = tape.gradient(loss, self.model.trainable_variables)
                if self.diagnostics:
                    norm_sum += self._kernel_norms(grads)
                self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
                loss_sum += loss * tf.cast(tf.shape(index)[0], tf.float32)
                hits += self._accuracy_sum(yb, p)
            p_val = self.model(self.X_val, training=False)
            val_loss = self.loss_fn(self.y_val, p_val)
            val_accuracy = self._accuracy_sum(self.y_val, p_val) / tf.cast(tf.shape(self.X_val)[0], tf.float32)
            loss_mean = loss_sum / n_float
            rows = rows.write(epoch - first, tf.stack([loss_mean, hits / n_float, val_loss, val_accuracy]))
            if tf.reduce_any(tf.equal(self.snapshot_epochs, epoch + 1)):
                grids = grids.write(grids.size(), self._grid_output(self.model(self.points, training=False)))
                grid_epochs = grid_epochs.write(grid_epochs.size(), epoch + 1)
            if self.diagnostics:
                grad_norm = norm_sum / tf.cast(n_batches, tf.float32)
                row = tf.concat([grad_norm[:, None], self._layer_statistics()], axis=1)
                diagnostics = diagnostics.write(epoch - first, row)
            if not (tf.math.is_finite(loss_mean) and tf.math.is_finite(val_loss)):
                break
        return rows.stack(), grid_epochs.stack(), grids.stack(), diagnostics.stack()

    def epochs(self, first, last):
        """Train epochs ``first+1 .. last`` (1-based); returns an (n, 4) array
        of history rows, {epoch: probability grid} of the snapshots taken and
        (n, layers, 5) diagnostics (no rows when off)."""
        rows, grid_epochs, grids, diagnostics = self.run(tf.constant(first), tf.constant(last))
        snapshots = {int(e): g.reshape(self.grid_shape) for e, g in zip(grid_epochs.numpy(), grids.numpy())}
        return rows.numpy(), snapshots, diagnostics.numpy()


def warm_up():
    """Autograph's source transformation of the compiled loop (~0.5 s), done
    once by a warm worker before it forks, so that its children only trace.
    Pure Python: no TensorFlow op runs, so forking afterwards stays safe."""
    for method in (CompiledLoop._run, CompiledLoop._accuracy_sum, CompiledLoop._order, CompiledLoop._grid_output):
        tf.autograph.to_graph(method)


def fit_keras(model, optimizer, data, epochs, batch_size, shuffle, on_epoch_end=None):
    """The lesson's way: ``model.compile`` + ``model.fit``. Returns (n, 4) rows."""
    loss, accuracy = LOSSES[task_of(data)[0]]
    model.compile(optimizer=optimizer, loss=loss(), metrics=[accuracy(name="accuracy")])
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if on_epoch_end is not None:
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch_end(epoch + 1)))
    history = model.fit(
        data["X_train"],
        data["y_train"],
        validation_data=(data["X_val"], data["y_val"]),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        verbose=0,
        callbacks=callbacks,
    )
    h = history.history
    n = len(h["loss"])
    return np.column_stack([h.get(k, [np.nan] * n) for k in HISTORY_COLUMNS[1:]]).astype(np.float32)


def grid_points(grid):
    xx, yy = grid
    return np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)


def predict_grid(model, grid, task="binary"):
    """Probability of label 1 at each grid point (``grid`` is (xx, yy)), or
    for multiclass data of each class (a trailing class axis)."""
    p = keras.ops.convert_to_numpy(model(grid_points(grid), training=False))
    return p.reshape(*grid[0].shape, -1) if task == "multiclass" else p[:, 0].reshape(grid[0].shape)


def segment_ends(epochs, checkpoint_every):
    """Epochs at which the driver stops the compiled loop: checkpoints and the end."""
    ends = {epochs}
    if checkpoint_every:
        ends |= set(range(checkpoint_every, epochs, checkpoint_every))
    return sorted(ends)


def fingerprint(data, grid, **settings):
    """Hash of everything a run's result depends on: data, grid and settings."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for key in sorted(data):
        digest.update(np.ascontiguousarray(data[key]).tobytes())
    for array in grid if grid is not None else ():
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


class Checkpoint:
    """Training state in ``directory``: weights, optimizer, history, snapshots.

    The state is written to a temporary file and renamed, so a kill never
    leaves a half-written checkpoint. It carries the run's ``fingerprint``: a
    checkpoint left by a killed run whose config has changed since is ignored.
    """

    def __init__(self, directory, fingerprint=""):
        self.directory = Path(directory)
        self.path = self.directory / "state.npz"
        self.fingerprint = fingerprint

    def save(self, model, optimizer, rows, snapshots, diagnostics):
        self.directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"w{i}": v.numpy() for i, v in enumerate(model.weights)}
        arrays |= {f"o{i}": v.numpy() for i, v in enumerate(optimizer.variables)}
        arrays["rows"] = np.asarray(rows, dtype=np.float32).reshape(-1, 4)
        arrays["diagnostics"] = np.asarray(diagnostics, dtype=np.float32)
        arrays["snapshot_epochs"] = np.array(sorted(snapshots), dtype=np.int64)
        arrays["snapshots"] = np.array([snapshots[e] for e in sorted(snapshots)], dtype=np.float32)
        arrays["fingerprint"] = np.array(self.fingerprint)
        tmp = self.directory / "state.tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, self.path)

    def load(self, model, optimizer, log=print):
        """Restore into ``model``/``optimizer``; returns (rows, snapshots,
        diagnostics) or None."""
        if not self.path.exists():
            return None
        with np.load(self.path) as state:
            if "fingerprint" not in state.files or str(state["fingerprint"]) != self.fingerprint:
                log(f"ignoring {self.path}: it was saved by a run with other data or settings")
                return None
            for i, v in enumerate(model.weights):
                v.assign(state[f"w{i}"])
            for i, v in enumerate(optimizer.variables):
                v.assign(state[f"o{i}"])
            snapshots = dict(zip(state["snapshot_epochs"].tolist(), state["snapshots"]))
            return state["rows"], snapshots, state["diagnostics"]

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)


def train(
    data,
    activation,
    seed,
    hidden_units,
    epochs,
    batch_size,
    optimizer,
    learning_rate,
    engine="compiled",
    shuffle=True,
    grid=None,
    snapshot_epochs=(),
    checkpoint_dir=None,
    checkpoint_every=0,
    diagnostics=True,
    code="",
    log=print,
    initializer="glorot_uniform",
):
    """Train one seeded model. Returns a dict with the model, history rows,
    diagnostics (epochs 0..n, see CompiledLoop), probability-grid snapshots
    and the facts metrics.json records."""
    task, n_outputs = task_of(data)
    n_features = data["X_train"].shape[1]
    model, opt = build(
        activation, seed, n_features, n_outputs, hidden_units, optimizer, learning_rate, task, initializer
    )
    initial_sha = weights_sha256(model.weights)
    snapshots = {}
    wanted = {e for e in snapshot_epochs if 0 <= e < epochs}  # the caller grids the final model

    def snapshot(epoch):
        if grid is not None and epoch in wanted:
            snapshots[epoch] = predict_grid(model, grid, task)

    diagnosed = np.zeros((0, len(hidden_units), 5), dtype=np.float32)
    if engine == "keras_fit":
        # model.fit hides the gradients; getting them means replacing its
        # train_step, and then it would no longer be the stock reference.
        if diagnostics:
            log("diagnostics need the compiled engine: none recorded with keras_fit")
        snapshot(0)
        rows = fit_keras(model, opt, data, epochs, batch_size, shuffle, on_epoch_end=snapshot)
        resumed_from = 0
    else:
        loop = CompiledLoop(
            model, opt, data, batch_size, seed, shuffle, grid, {e for e in wanted if e > 0}, diagnostics
        )
        checkpoint = None
        if checkpoint_dir and checkpoint_every:
            settings = dict(
                activation=activation, seed=seed, hidden_units=list(hidden_units), epochs=epochs,
                batch_size=batch_size, optimizer=optimizer, learning_rate=learning_rate, shuffle=shuffle,
                snapshot_epochs=sorted(wanted), checkpoint_every=checkpoint_every, diagnostics=diagnostics,
                code=code, initializer=initializer,
            )  # fmt: skip
            # The code hash too: a code edit reruns the job, and the rerun
            # must not resume from weights the old code produced.
            checkpoint = Checkpoint(checkpoint_dir, fingerprint(data, grid, **settings))
        rows = np.zeros((0, 4), dtype=np.float32)
        restored = checkpoint.load(model, opt, log) if checkpoint else None
        if restored is not None:
            rows, snapshots, diagnosed = restored
            log(f"resumed from checkpoint after epoch {len(rows)}")
        else:
            snapshot(0)
            if diagnostics:
                diagnosed = loop.initial_diagnostics()[None]
        resumed_from = len(rows)
        for end in segment_ends(epochs, checkpoint_every):
            start = len(rows)
            if end <= start:
                continue
            new, taken, new_diagnosed = loop.epochs(start, end)
            rows = np.concatenate([rows, new])
            snapshots |= taken
            diagnosed = np.concatenate([diagnosed, new_diagnosed])
            if first_non_finite(rows) is not None:
                # Diverged, possibly in the segment's last epoch: no checkpoint
                # of non-finite weights, and no more training (snapshots from
                # that epoch on are dropped below).
                break
            if checkpoint and end < epochs:
                checkpoint.save(model, opt, rows, snapshots, diagnosed)
        if checkpoint:
            checkpoint.remove()

    diverged_epoch = first_non_finite(rows)
    if diverged_epoch is not None:
        rows = rows[:diverged_epoch]
        diagnosed = diagnosed[: diverged_epoch + 1]  # they start at epoch 0
        snapshots = {e: grid for e, grid in snapshots.items() if e < diverged_epoch}
    return {
        "model": model,
        "rows": rows,
        "diagnostics": diagnosed,
        "snapshots": snapshots,
        "initial_weights_sha256": initial_sha,
        "final_weights_sha256": weights_sha256(model.weights),
        "diverged": diverged_epoch is not None,
        "diverged_epoch": diverged_epoch,
        "resumed_from_epoch": resumed_from,
    }


def first_non_finite(rows):
    """The 1-based epoch of the first history row holding NaN or inf, or None."""
    bad = ~np.isfinite(rows).all(axis=1)
    return int(np.argmax(bad)) + 1 if bad.any() else None


def history_table(rows):
    import pandas as pd

    table = pd.DataFrame(rows, columns=HISTORY_COLUMNS[1:]).astype("float64")
    table.insert(0, "epoch", np.arange(1, len(rows) + 1))
    return table


def diagnostics_table(diagnosed):
    """The tidy diagnostics.csv: one row per (epoch, layer), layers 1-based."""
    import pandas as pd

    n_epochs, n_layers, _ = diagnosed.shape
    table = pd.DataFrame(diagnosed.reshape(-1, 5), columns=DIAGNOSTICS_COLUMNS[2:]).astype("float64")
    table.insert(0, "epoch", np.repeat(np.arange(n_epochs), n_layers))
    table.insert(1, "layer", np.tile(np.arange(1, n_layers + 1), n_epochs))
    return table


def evaluate(model, X, y, task):
    """(loss, accuracy) of ``model`` on the rows ``X``, ``y``, as the compiled
    loop scores the validation rows: the task's loss (LOSSES) and the mean
    per-sample accuracy (sample_accuracies)."""
    p = model(tf.constant(X), training=False)
    loss = LOSSES[task][0]()(tf.constant(y), p)
    accuracy = tf.reduce_sum(sample_accuracies(task, tf.constant(y), p)) / tf.cast(tf.shape(X)[0], tf.float32)
    return float(loss), float(accuracy)


def write_json(path, payload):
    Path(path).write_text(json.dumps(payload, indent=2, sort_keys=True, allow_nan=True) + "\n")


def final_metrics(rows):
    """Final and best values of a history; NaN when training diverged at once."""
    if not len(rows):
        return {"val_loss": math.nan, "val_accuracy": math.nan, "best_epoch": None}
    val_loss = rows[:, 2].astype(float)
    finite = np.isfinite(val_loss)
    best = int(np.argmin(np.where(finite, val_loss, np.inf))) + 1 if finite.any() else None
    return {"val_loss": float(rows[-1, 2]), "val_accuracy": float(rows[-1, 3]), "best_epoch": best}
