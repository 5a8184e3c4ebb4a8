"""What decides a training's result, in one frozen value: ``TrainSpec``.

A training job builds it once from its params (``TrainSpec.from_params``) and
hands it to ``engine.train``. Everything outside it is how the run is
executed: threads, how often and where to checkpoint, where messages go; a
resumed or differently threaded run is byte-identical. The checkpoint
fingerprint hashes every field (actzoo.checkpoints), so a field added here is
in it with no other change. No TensorFlow here.
"""

import dataclasses

from actzoo import initializers
from actzoo.datasets import explorer_epochs

# Training settings that change no result: a job's threads, and how often it
# saves the checkpoint it would resume from. Neither is a field below; the
# train rule does not track them (workflow/rules/common.smk).
EXECUTION_ONLY = ("threads", "checkpoint_every")


@dataclasses.dataclass(frozen=True)
class TrainSpec:
    """One run's training: the model, the optimisation, what it records.

    The data set is not in it: the task and the output layer's width are the
    data's (actzoo.datasets.task_of), and the checkpoint fingerprint hashes the
    data's arrays beside these fields.
    """

    activation: dict  # a normalised activation spec (actzoo.activations.normalise)
    seed: int
    hidden_units: tuple  # units per hidden layer
    epochs: int
    batch_size: int
    optimizer: str  # a Keras optimizer's name
    learning_rate: float
    initializer: str = initializers.DEFAULT  # the hidden kernels' Keras initializer, resolved
    shuffle: bool = True
    engine: str = "compiled"  # or "keras_fit": stock model.fit
    diagnostics: bool = True  # record diagnostics.csv (the compiled engine only)
    grid_resolution: int | None = None  # the boundary grid's, for 2-D data; None: no grid
    snapshot_epochs: tuple = ()  # the boundary figures' epochs (with a grid)
    explorer_frames: int = 0  # the explorer's evenly spaced grids (with a grid)
    explorer_units: int = 0  # the most hidden units the explorer pictures at its frames (actzoo.units)
    evaluate_test: bool = False  # score the final model on the data's test split
    code: str = ""  # hash of the training code: a rerun after an edit must not resume old weights

    def __post_init__(self):
        # Lists from a config or JSON become tuples; snapshot epochs a sorted set.
        object.__setattr__(self, "hidden_units", tuple(self.hidden_units))
        object.__setattr__(self, "snapshot_epochs", tuple(sorted(set(self.snapshot_epochs))))

    @classmethod
    def from_params(
        cls, activation, seed, model, training, planar=False, grid_resolution=None, explorer_frames=None, code="",
        evaluate_test=False, explorer_units=None,
    ):  # fmt: skip
        """The spec of a train rule's job, from its params: ``model`` and
        ``training`` as the config resolves them (EXECUTION_ONLY keys are
        left out, ``model.initializer`` is resolved for the activation); the
        grid, its snapshots and the explorer's frames only for ``planar`` (2-D)
        data. A key with no field here is an error, not ignored."""
        model = dict(model)
        initializer = initializers.resolve(model.pop("initializer", None), activation)
        training = {k: v for k, v in training.items() if k not in EXECUTION_ONLY}
        if not planar:
            training["snapshot_epochs"] = ()
        unknown = sorted((set(model) | set(training)) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise TypeError(f"TrainSpec has no field for {', '.join(unknown)}: add one (see actzoo/spec.py)")
        return cls(
            activation=activation, seed=seed, initializer=initializer, **model, **training,
            grid_resolution=grid_resolution if planar else None,
            explorer_frames=(explorer_frames or 0) if planar else 0,
            explorer_units=(explorer_units or 0) if planar else 0, code=code, evaluate_test=evaluate_test,
        )  # fmt: skip

    @property
    def explorer_epochs(self):
        """The explorer slider's epochs (0 and ``explorer_frames`` evenly spaced), with a grid."""
        if self.grid_resolution is None or not self.explorer_frames:
            return ()
        return tuple(explorer_epochs(self.epochs, self.explorer_frames))

    @property
    def grid_epochs(self):
        """Every epoch whose boundary grid the run keeps: figures' and explorer's."""
        if self.grid_resolution is None:
            return ()
        return tuple(sorted(set(self.snapshot_epochs) | set(self.explorer_epochs)))
