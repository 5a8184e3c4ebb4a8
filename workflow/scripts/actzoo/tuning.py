"""Tuning: a grid of training settings per activation, and the choice of one.

Every grid point is trained on the tuning seeds (ordinary training jobs, see
workflow/rules/training.smk); ``write_selection`` reads their metrics.json and
chooses, per (data set[, model variant], activation), the point with the best
mean objective over the tuning seeds. The evaluation runs then train with the
chosen values on the evaluation seeds. No TensorFlow here: the Snakefile
imports this module to name the grid points.

The choice, in order (the first difference decides, so it is deterministic):

1. fewer diverged tuning runs (a setting that sometimes blows up is not "best"
   because its surviving seeds did well);
2. the better mean objective over the finished tuning seeds (lower val_loss,
   or higher val_accuracy);
3. the smaller standard deviation over those seeds (the steadier setting);
4. the earlier grid point, in the grid's order: each key's values as listed,
   the keys in TUNABLE's order, the first varying slowest (list the value you
   prefer first).
"""

import itertools
import math

# Where each tunable key lives in a run's settings: the training block or the model.
TUNABLE = {
    "learning_rate": "training",
    "epochs": "training",
    "batch_size": "training",
    "optimizer": "training",
    "initializer": "model",
}
# Which way is better, per objective.
OBJECTIVES = {"val_loss": "min", "val_accuracy": "max"}


def point_name(values):
    """A grid point's name, as it appears in paths and tables: ``key=value``
    pairs in TUNABLE's order, joined by commas (``learning_rate=0.01,epochs=50``)."""
    return ",".join(f"{key}={values[key]}" for key in TUNABLE if key in values)


def grid_points(grid):
    """{name: {key: value}} of every combination of ``grid``'s values, in grid
    order: the keys in TUNABLE's order (whatever the config's), the first
    varying slowest, each key's values as listed."""
    keys = [key for key in TUNABLE if key in grid]
    points = [dict(zip(keys, combination)) for combination in itertools.product(*(grid[k] for k in keys))]
    return {point_name(point): point for point in points}


def split_settings(values):
    """A grid point's values as (training overrides, model overrides)."""
    training = {k: v for k, v in values.items() if TUNABLE[k] == "training"}
    model = {k: v for k, v in values.items() if TUNABLE[k] == "model"}
    return training, model


def scores_table(metrics, keys):
    """One row per tuning run (its metrics.json records the grid point as
    ``tuned``): the task, activation, point, seed, each tuned value and the
    final validation loss and accuracy (NaN for a diverged run)."""
    import pandas as pd

    variants = any(run.get("model") is not None for run in metrics)
    rows = []
    for run in metrics:
        rows.append(
            {
                "dataset": run["dataset"],
                **({"model": run.get("model")} if variants else {}),
                "activation": run["activation"],
                "point": point_name({k: run["tuned"][k] for k in keys}),
                "seed": run["seed"],
                **{k: run["tuned"][k] for k in keys},
                "val_loss": math.nan if run["diverged"] else run["val_loss"],
                "val_accuracy": math.nan if run["diverged"] else run["val_accuracy"],
                "diverged": bool(run["diverged"]),
            }
        )
    return pd.DataFrame(rows)


def select(scores, objective, points):
    """The chosen point per (task, activation): one row each, with the chosen
    values, the objective's mean and SD over the tuning seeds there, and the
    runner-up (see the module docstring for the rule). ``points`` is the
    grid ({name: values}), whose order breaks the last ties."""
    import pandas as pd

    task = ["dataset", "model"] if "model" in scores.columns else ["dataset"]
    order = {name: i for i, name in enumerate(points)}
    sign = 1.0 if OBJECTIVES[objective] == "min" else -1.0
    rows = []
    for group, table in scores.groupby(task + ["activation"], sort=False):
        ranked = []
        for name, runs in table.groupby("point", sort=False):
            finished = runs.loc[~runs["diverged"], objective].to_numpy(dtype=float)
            mean = float(finished.mean()) if len(finished) else math.nan
            spread = float(finished.std(ddof=1)) if len(finished) > 1 else 0.0
            key = (int(runs["diverged"].sum()), sign * mean if len(finished) else math.inf, spread, order[name])
            ranked.append((key, name, mean, spread, len(runs), int(runs["diverged"].sum())))
        ranked.sort(key=lambda entry: entry[0])
        (_, name, mean, spread, n_seeds, n_diverged), runner_up = ranked[0], ranked[1] if len(ranked) > 1 else None
        rows.append(
            {
                **dict(zip(task + ["activation"], group)),
                "objective": objective,
                "point": name,
                **points[name],
                "objective_mean": mean,
                "objective_std": spread,
                "n_seeds": n_seeds,
                "n_diverged": n_diverged,
                "runner_up": runner_up[1] if runner_up else "",
                "runner_up_mean": runner_up[2] if runner_up else math.nan,
                "at_grid_edge": ",".join(grid_edges(points, points[name])),
            }
        )
    return pd.DataFrame(rows)


def grid_edges(points, values):
    """The numeric keys of ``values`` (a grid point) at the smallest or largest
    value the grid tries: there the best value may lie beyond the grid."""
    edges = []
    for key, value in values.items():
        tried = {point[key] for point in points.values()}
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in tried)
        if numeric and len(tried) > 1 and value in (min(tried), max(tried)):
            edges.append(key)
    return edges


def write_selection(metrics_paths, grid, objective, scores_path, selected_path):
    """results/tuning/scores.csv (every tuning run) and selected.csv (the choice)."""
    from actzoo.aggregate import read_metrics

    points = grid_points(grid)
    scores = scores_table(read_metrics(metrics_paths), [key for key in TUNABLE if key in grid])
    scores.to_csv(scores_path, index=False)
    select(scores, objective, points).to_csv(selected_path, index=False)


def read_selection(path, points):
    """{(dataset, model or None, activation): chosen values} from selected.csv,
    typed as in the grid (the csv module: the Snakefile reads this at every
    start, and pandas would cost it ~0.3 s)."""
    import csv

    with open(path, newline="") as handle:
        return {
            (row["dataset"], row.get("model") or None, row["activation"]): points[row["point"]]
            for row in csv.DictReader(handle)
            if row["point"] in points
        }
