"""The configs the benchmark runs, written out here so that an edit of config.yaml
cannot change what is compared with the issues' numbers."""

import copy
import sys

from harness import REPO

sys.path.insert(0, str(REPO / "workflow" / "scripts"))

SWEEP_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "softsign"]
SWEEP_DATASETS = {
    "circles": {"generator": "circles"},
    "sensors": {"generator": "sensors", "model": {"hidden_units": [64]}},
    "moons": {"generator": "moons"},
    "xor": {"generator": "xor"},
}

QUICK_CONFIG = {
    "seeds": [1],
    "activations": ["tanh", "relu"],
    "datasets": {"circles": {"generator": "circles", "n_samples": 200}},
    "model": {"hidden_units": [4]},
    "training": {"epochs": 5, "batch_size": 32, "checkpoint_every": 0, "snapshot_epochs": [1]},
    "figures": {"grid_resolution": 20},
}

# Issue 11's training sweep: the default config's circles data set, activations x
# seeds at these epochs; the default training settings otherwise.
TRAINING_SWEEP_DATASETS = {
    "circles": {
        "generator": "circles",
        "n_samples": 1000,
        "factor": 0.2,
        "noise": 0.1,
        "validation_fraction": 0.3,
        "random_state": 0,
    }
}
TRAINING_SWEEP = {"activations": ["sigmoid", "tanh", "relu", "leaky_relu"], "seeds": 12, "epochs": 100}
QUICK_TRAINING_SWEEP = {
    "activations": ["sigmoid", "tanh"],
    "seeds": 3,  # 6 jobs: the median overhead is not one of the (up to 2) jobs that waited for the worker to start
    "epochs": 5,
    # A model setting other than the default, so that the smoke test's check that
    # the proxy trained the sweep's very models (same final weights) covers it.
    "overrides": {"figures": {"grid_resolution": 20}, "model": {"initializer": "he_normal"}},
}


def resolve(config):
    """The config with the schema's defaults filled in, as the workflow sees it."""
    from snakemake.utils import validate

    config = copy.deepcopy(config)
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return config


def sweep_config(n_activations, n_seeds, datasets):
    """The dry run's generated sweep: the first ``n_activations`` of SWEEP_ACTIVATIONS x seeds x data sets."""
    return {
        "seeds": list(range(1, n_seeds + 1)),
        "activations": SWEEP_ACTIVATIONS[:n_activations],
        "datasets": {name: SWEEP_DATASETS[name] for name in datasets},
    }


def activation_label(activation):
    """The run directory name of an activations entry (a name, or a mapping with name and optional label)."""
    return activation if isinstance(activation, str) else activation.get("label", activation["name"])


def training_sweep_config(base_config, sweep):
    """Issue 11's sweep as a resolved config: ``base_config`` (config.yaml) with the
    sweep's data set, activations, seeds and epochs, and its ``overrides`` per section."""
    config = {key: copy.deepcopy(value) for key, value in base_config.items()}
    config["datasets"] = copy.deepcopy(TRAINING_SWEEP_DATASETS)
    config["activations"] = list(sweep["activations"])
    config["seeds"] = list(range(1, sweep["seeds"] + 1))
    config.setdefault("training", {})["epochs"] = sweep["epochs"]
    for section, values in sweep.get("overrides", {}).items():
        config.setdefault(section, {}).update(values)
    return resolve(config)
