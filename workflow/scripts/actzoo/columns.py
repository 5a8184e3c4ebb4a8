"""The columns of a run's history.csv and diagnostics.csv: the training job
writes them (actzoo.runs) and the merge stacks them (actzoo.aggregate), keyed
by run. No TensorFlow here."""

# One row per epoch; the measures are the compiled loop's (and model.fit's) history.
HISTORY_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
# One row per (epoch, hidden layer); see actzoo.diagnostics.
DIAGNOSTICS_COLUMNS = ["epoch", "layer", "grad_norm", "act_mean", "act_std", "flat_fraction", "dead_units"]
