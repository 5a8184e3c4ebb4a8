"""Training engines: a compiled whole-epoch loop (default) and stock ``model.fit``.

``model.fit`` spends ~90 ms per epoch on framework machinery for the lesson's
tiny models. The compiled engine keeps the Keras model, loss and optimizer but
runs all epochs of a segment inside one ``tf.function``.

``train(data, spec)`` runs one TrainSpec (actzoo.spec); checkpoints are
actzoo.checkpoints, the hidden layers' diagnostics actzoo.diagnostics, and
actzoo.runs writes a run's files.
"""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from actzoo.checkpoints import Checkpoint, segment_ends  # noqa: E402
from actzoo.columns import HISTORY_COLUMNS  # noqa: E402
from actzoo.datasets import boundary_grid, task_of  # noqa: E402
from actzoo.diagnostics import (  # noqa: E402
    MEASURES,
    flat_below,
    hidden_layers,
    initial_diagnostics,
    kernel_norms,
    layer_statistics,
)
from actzoo.losses import LOSSES, sample_accuracies  # noqa: E402
from actzoo.models import get_model, get_optimizer, weights_sha256  # noqa: E402


def configure_threads():
    """Pin TensorFlow's pools to one thread each (it ignores OMP_NUM_THREADS),
    whatever the job's ``threads``.

    A second intra-op thread changes how TensorFlow splits a wide layer's
    sums on some CPUs: on AMD EPYC (AVX2), tests/test_threads.py's
    [256, 256] model trained to other histories with 2 threads than with 1,
    which breaks the guarantee that results do not depend on the thread
    count (docs/reproducibility.md). One thread per job keeps it; more
    cores go to more jobs at once (``--cores``). With one inter-op thread
    too, a job never runs more than one busy thread.
    """
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()


def build(spec, data):
    """Seed, then build ``spec``'s model for ``data`` and its optimizer: every
    activation starts from the same weights, or with another initializer per
    activation from the same draw, scaled (see actzoo.initializers)."""
    task, n_outputs = task_of(data)
    keras.utils.set_random_seed(spec.seed)
    model = get_model(
        spec.activation, data["X_train"].shape[1], spec.hidden_units, n_outputs, task,
        kernel_initializer=spec.initializer,
    )  # fmt: skip
    return model, get_optimizer(spec.optimizer, spec.learning_rate)


class CompiledLoop:
    """All epochs ``[first, last)`` of a training segment in one traced function.

    Per-epoch shuffling draws from a stateless RNG keyed by (seed, epoch), so a
    resumed run needs no RNG state. Epoch metrics follow Keras: training loss
    and accuracy are sample-weighted means over the epoch's batches, computed
    before each batch's update; validation runs once at each epoch end.

    With a ``grid`` (xx, yy), at the end of each of the spec's grid epochs
    before its last the loop also takes a ``snapshot`` (the grid's
    predictions and the hidden weights), without leaving the traced function: stopping there instead would cost ~4 ms per snapshot,
    ~20% of a run with the explorer's 25.

    With ``spec.diagnostics``, each epoch also yields per hidden layer: the L2
    norm of the loss gradient w.r.t. the kernel, a plain mean over the
    epoch's batches (each taken before its batch's update, from the gradient
    the update uses), and ``layer_statistics`` of one forward pass over the
    training set after the epoch's last update (when validation runs).
    ``initial_diagnostics`` gives epoch 0, the initial weights. All of it only
    reads the weights: the trajectory is the same with diagnostics off.
    """

    def __init__(self, model, optimizer, data, spec, grid=None):
        self.model, self.optimizer = model, optimizer
        self.X, self.y = tf.constant(data["X_train"]), tf.constant(data["y_train"])
        self.X_val, self.y_val = tf.constant(data["X_val"]), tf.constant(data["y_val"])
        self.batch_size, self.seed, self.shuffle = spec.batch_size, spec.seed, spec.shuffle
        self.task = task_of(data)[0]
        self.points = tf.constant(grid_points(grid) if grid is not None else np.zeros((0, self.X.shape[1]), np.float32))
        snapshot_epochs = sorted(e for e in spec.grid_epochs if 0 < e < spec.epochs) if grid is not None else []
        self.snapshot_epochs = tf.constant(snapshot_epochs, dtype=tf.int32)
        self.loss_fn = LOSSES[self.task][0]()
        optimizer.build(model.trainable_variables)
        self.diagnostics = spec.diagnostics
        self.hidden = hidden_layers(model)
        variables = [id(v) for v in model.trainable_variables]
        self.kernels = [variables.index(id(dense.kernel)) for dense, _ in self.hidden]
        if self.diagnostics:
            self.flat_below = flat_below(self.hidden)
        self.run = tf.function(self._run, reduce_retracing=True)

    def _accuracy_sum(self, y, p):
        """Sum over samples of each sample's accuracy (see sample_accuracies)."""
        return tf.reduce_sum(sample_accuracies(self.task, y, p))

    def _snapshot(self):
        return snapshot(self.model, self.hidden, self.points, self.task)

    def _order(self, epoch):
        """The training rows in the order of 0-based ``epoch``."""
        n = tf.shape(self.X)[0]
        if self.shuffle:
            return tf.argsort(tf.random.stateless_uniform([n], seed=tf.stack([self.seed, epoch])))
        return tf.range(n)

    def initial_diagnostics(self):
        """Epoch 0's diagnostics, (layers, MEASURES): see actzoo.diagnostics."""
        return initial_diagnostics(
            self.model, self.hidden, self.X, self.y, self._order(0), self.batch_size, self.task, self.flat_below
        )

    def _run(self, first, last):
        n = tf.shape(self.X)[0]
        n_batches = (n + self.batch_size - 1) // self.batch_size
        n_float = tf.cast(n, tf.float32)
        rows = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        grids = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[None])
        grid_epochs = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        diagnostics = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[len(self.hidden), MEASURES])
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
                    norm_sum += kernel_norms(grads, self.kernels)
                self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
                loss_sum += loss * tf.cast(tf.shape(index)[0], tf.float32)
                hits += self._accuracy_sum(yb, p)
            p_val = self.model(self.X_val, training=False)
            val_loss = self.loss_fn(self.y_val, p_val)
            val_accuracy = self._accuracy_sum(self.y_val, p_val) / tf.cast(tf.shape(self.X_val)[0], tf.float32)
            loss_mean = loss_sum / n_float
            rows = rows.write(epoch - first, tf.stack([loss_mean, hits / n_float, val_loss, val_accuracy]))
            if tf.reduce_any(tf.equal(self.snapshot_epochs, epoch + 1)):
                grids = grids.write(grids.size(), self._snapshot())
                grid_epochs = grid_epochs.write(grid_epochs.size(), epoch + 1)
            if self.diagnostics:
                grad_norm = norm_sum / tf.cast(n_batches, tf.float32)
                row = tf.concat([grad_norm[:, None], layer_statistics(self.hidden, self.X, self.flat_below)], axis=1)
                diagnostics = diagnostics.write(epoch - first, row)
            if not (tf.math.is_finite(loss_mean) and tf.math.is_finite(val_loss)):
                break
        return rows.stack(), grid_epochs.stack(), grids.stack(), diagnostics.stack()

    def epochs(self, first, last):
        """Train epochs ``first+1 .. last`` (1-based); returns an (n, 4) array
        of history rows, {epoch: flat snapshot} of the snapshots taken (see
        ``snapshot``) and (n, layers, MEASURES) diagnostics (no rows when off)."""
        rows, grid_epochs, grids, diagnostics = self.run(tf.constant(first), tf.constant(last))
        snapshots = dict(zip(grid_epochs.numpy().tolist(), grids.numpy()))
        return rows.numpy(), snapshots, diagnostics.numpy()


def warm_up():
    """Autograph's source transformation of the compiled loop (~0.5 s), done
    once by a warm worker before it forks, so that its children only trace.
    Pure Python: no TensorFlow op runs, so forking afterwards stays safe."""
    for method in (CompiledLoop._run, CompiledLoop._accuracy_sum, CompiledLoop._order, CompiledLoop._snapshot):
        tf.autograph.to_graph(method)


def fit_keras(model, optimizer, data, spec, on_epoch_end=None):
    """The lesson's way: ``model.compile`` + ``model.fit`` with the task's
    loss and accuracy (actzoo.losses), for ``spec.epochs`` epochs. Returns
    (n, 4) history rows; ``on_epoch_end(epoch)`` is called with 1-based epochs."""
    loss, accuracy = LOSSES[task_of(data)[0]]
    model.compile(optimizer=optimizer, loss=loss(), metrics=[accuracy(name="accuracy")])
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if on_epoch_end is not None:
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch_end(epoch + 1)))
    history = model.fit(
        data["X_train"],
        data["y_train"],
        validation_data=(data["X_val"], data["y_val"]),
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        shuffle=spec.shuffle,
        verbose=0,
        callbacks=callbacks,
    )
    h = history.history
    n = len(h["loss"])
    return np.column_stack([h.get(k, [np.nan] * n) for k in HISTORY_COLUMNS[1:]]).astype(np.float32)


def snapshot(model, hidden, points, task):
    """A snapshot as one flat float32 vector (a TensorArray's element, a
    checkpoint's row): the predictions at the grid ``points`` (P(label 1), or
    for multiclass data every class's probability), then ``hidden_weights``.
    Traced in the compiled loop, eager elsewhere; ``split_snapshot`` parts it."""
    p = model(points, training=False)
    grid_output = tf.reshape(p, [-1]) if task == "multiclass" else p[:, 0]
    return tf.concat([grid_output, hidden_weights(hidden)], axis=0)


def hidden_weights(hidden):
    """Every hidden layer's kernel (fan-in x units, row-major) then its bias,
    flat: what the explorer's network view replays (actzoo.units)."""
    return tf.concat([tf.reshape(v, [-1]) for dense, _ in hidden for v in (dense.kernel, dense.bias)], axis=0)


def split_snapshot(flat, grid_shape):
    """(probability grid of ``grid_shape``, hidden weights) of a flat snapshot."""
    size = int(np.prod(grid_shape))
    return flat[:size].reshape(grid_shape), flat[size:]


def grid_points(grid):
    xx, yy = grid
    return np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)


def predict_grid(model, grid, task="binary"):
    """Probability of label 1 at each grid point (``grid`` is (xx, yy)), or
    for multiclass data of each class (a trailing class axis)."""
    p = keras.ops.convert_to_numpy(model(grid_points(grid), training=False))
    return p.reshape(*grid[0].shape, -1) if task == "multiclass" else p[:, 0].reshape(grid[0].shape)


def train(data, spec, *, checkpoint_dir=None, checkpoint_every=0, log=print):
    """Train one seeded model as ``spec`` (a TrainSpec) says. Returns a dict
    with the model, history rows, diagnostics (epochs 0..n, see
    CompiledLoop), the boundary ``grid`` (None without one) and its
    probability snapshots (not of the final epoch: the caller grids the final
    model), the hidden weights at the same epochs (``snapshot_weights``, see
    ``hidden_weights``) and the facts metrics.json records.

    The rest is how the run is executed, and changes no result: the compiled
    engine checkpoints into ``checkpoint_dir`` every ``checkpoint_every``
    epochs and resumes a checkpoint of the same spec and data; messages go to
    ``log``; threads are the process's (configure_threads: one).
    """
    model, optimizer = build(spec, data)
    initial_sha = weights_sha256(model.weights)
    grid = None
    if spec.grid_resolution is not None:
        grid = boundary_grid(np.concatenate([data["X_train"], data["X_val"]]), spec.grid_resolution)
    snapshots = Snapshots(model, grid, spec, *task_of(data))
    if spec.engine == "keras_fit":
        rows, diagnosed, resumed_from = train_keras_fit(model, optimizer, data, spec, snapshots, log)
    else:
        checkpoint = Checkpoint(checkpoint_dir, spec, data) if checkpoint_dir and checkpoint_every else None
        loop = CompiledLoop(model, optimizer, data, spec, grid)
        rows, diagnosed, resumed_from = train_compiled(loop, spec, snapshots, checkpoint, checkpoint_every, log)
    diverged_epoch = first_non_finite(rows)
    if diverged_epoch is not None:
        rows = rows[:diverged_epoch]
        diagnosed = diagnosed[: diverged_epoch + 1]  # they start at epoch 0
        snapshots.taken = {e: flat for e, flat in snapshots.taken.items() if e < diverged_epoch}
    taken = {e: split_snapshot(flat, snapshots.grid_shape) for e, flat in sorted(snapshots.taken.items())}
    return {
        "model": model,
        "rows": rows,
        "diagnostics": diagnosed,
        "grid": grid,
        "snapshots": {e: grid for e, (grid, _) in taken.items()},
        "snapshot_weights": {e: weights for e, (_, weights) in taken.items()},
        "initial_weights_sha256": initial_sha,
        "final_weights_sha256": weights_sha256(model.weights),
        "diverged": diverged_epoch is not None,
        "diverged_epoch": diverged_epoch,
        "resumed_from_epoch": resumed_from,
    }


class Snapshots:
    """The flat snapshots (see ``snapshot``) at the spec's grid epochs before
    its last: the compiled loop's, and those taken here outside it (epoch 0,
    and every epoch with keras_fit)."""

    def __init__(self, model, grid, spec, task, n_outputs):
        self.model, self.grid, self.task = model, grid, task
        self.wanted = {e for e in spec.grid_epochs if 0 <= e < spec.epochs}
        self.grid_shape = grid[0].shape if grid is not None else (0,)
        if task == "multiclass":  # a grid point's probability of every class
            self.grid_shape = (*self.grid_shape, n_outputs)
        self.taken = {}

    def __call__(self, epoch):
        if self.grid is not None and epoch in self.wanted:
            flat = snapshot(self.model, hidden_layers(self.model), grid_points(self.grid), self.task)
            self.taken[epoch] = flat.numpy()


def no_diagnostics(spec):
    return np.zeros((0, len(spec.hidden_units), MEASURES), dtype=np.float32)


def train_keras_fit(model, optimizer, data, spec, snapshots, log):
    """Stock model.fit; returns (rows, diagnostics, resumed-from epoch)."""
    # model.fit hides the gradients; getting them means replacing its
    # train_step, and then it would no longer be the stock reference.
    if spec.diagnostics:
        log("diagnostics need the compiled engine: none recorded with keras_fit")
    snapshots(0)
    return fit_keras(model, optimizer, data, spec, on_epoch_end=snapshots), no_diagnostics(spec), 0


def train_compiled(loop, spec, snapshots, checkpoint, checkpoint_every, log):
    """The compiled loop, segment by segment, resuming ``checkpoint`` (or
    None) if it matches; returns (rows, diagnostics, resumed-from epoch)."""
    rows, diagnosed = np.zeros((0, len(HISTORY_COLUMNS) - 1), dtype=np.float32), no_diagnostics(spec)
    restored = checkpoint.load(loop.model, loop.optimizer, log) if checkpoint else None
    if restored is not None:
        rows, snapshots.taken, diagnosed = restored
        log(f"resumed from checkpoint after epoch {len(rows)}")
    else:
        snapshots(0)
        if spec.diagnostics:
            diagnosed = loop.initial_diagnostics()[None]
    resumed_from = len(rows)
    for end in segment_ends(spec.epochs, checkpoint_every):
        start = len(rows)
        if end <= start:
            continue
        new, taken, new_diagnosed = loop.epochs(start, end)
        rows = np.concatenate([rows, new])
        snapshots.taken |= taken
        diagnosed = np.concatenate([diagnosed, new_diagnosed])
        if first_non_finite(rows) is not None:
            # Diverged, possibly in the segment's last epoch: no checkpoint
            # of non-finite weights, and no more training (snapshots from
            # that epoch on are dropped by train).
            break
        if checkpoint and end < spec.epochs:
            checkpoint.save(loop.model, loop.optimizer, rows, snapshots.taken, diagnosed)
    if checkpoint:
        checkpoint.remove()
    return rows, diagnosed, resumed_from


def first_non_finite(rows):
    """The 1-based epoch of the first history row holding NaN or inf, or None."""
    bad = ~np.isfinite(rows).all(axis=1)
    return int(np.argmax(bad)) + 1 if bad.any() else None


def evaluate(model, X, y, task):
    """(loss, accuracy) of ``model`` on the rows ``X``, ``y``, as the compiled
    loop scores the validation rows: the task's loss (LOSSES) and the mean
    per-sample accuracy (sample_accuracies)."""
    p = model(tf.constant(X), training=False)
    loss = LOSSES[task][0]()(tf.constant(y), p)
    accuracy = tf.reduce_sum(sample_accuracies(task, tf.constant(y), p)) / tf.cast(tf.shape(X)[0], tf.float32)
    return float(loss), float(accuracy)
