"""results/explorer.html: training replayed in one offline page (no TensorFlow).

Plotly draws it: heatmaps, the 0.5 contours (computed by plotly.js in the
browser from the same grids), curves, zoom and hover. explorer.js only ties
the page's controls to ``Plotly.react``. The grids travel as 8-bit shades,
deflated and base64-encoded; the browser inflates them with its own
DecompressionStream, so the page needs no network and no extra library.
"""

import base64
import html
import json
import re
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from plotly.offline import get_plotlyjs

from actzoo.datasets import task_of
from actzoo.labels import settings_label
from actzoo.units import layer_weights

# explorer.html and explorer.js next to this file (provenance hashes them too).
ASSETS = Path(__file__)
# The static figures' look: RdBu at alpha 0.6 on white, red crosses for
# label 0, blue open circles for label 1, tab10 for activations.
SHADE_ALPHA = 0.6


def colorscale(levels=11):
    """matplotlib's RdBu as a Plotly colour scale, blended with white as the
    static figures draw it."""
    scale = []
    for value in np.linspace(0, 1, levels):
        rgb = np.array(colormaps["RdBu"](value)[:3]) * SHADE_ALPHA + (1 - SHADE_ALPHA)
        scale.append([round(float(value), 3), colors.to_hex(rgb)])
    return scale


def from_zero(scale):
    """The upper half of a diverging colour ``scale`` (white at 0), stretched
    over [0, 1]: units that never go below 0 use it, so white is 0 in both."""
    return [[round(2 * value - 1, 3), colour] for value, colour in scale if value >= 0.5]


def class_shades(n_classes, alpha=0.3):
    """The static figures' class regions: tab10 at ``alpha`` on white."""
    return [colors.to_hex(np.array(colormaps["tab10"](k % 10)[:3]) * alpha + (1 - alpha)) for k in range(n_classes)]


def activation_colours(labels):
    return {label: colors.to_hex(colormaps["tab10"](i % 10)) for i, label in enumerate(labels)}


def rounded(values, digits=5):
    return [None if not np.isfinite(v) else round(float(v), digits) for v in values]


def band(histories, measure):
    """Per-epoch min and max over every seed, as the static curves draw it."""
    by_epoch = histories.groupby("epoch")[measure]
    return {"epoch": by_epoch.min().index.tolist(), "low": rounded(by_epoch.min()), "high": rounded(by_epoch.max())}


def points(X, y, multiclass=False):
    """The points and their label: 0/1, or a multiclass data set's class index."""
    label = y[:, 0].astype(int) if multiclass else (y[:, 0] > 0.5).astype(int)
    return {"x": rounded(X[:, 0], 4), "y": rounded(X[:, 1], 4), "label": label.tolist()}


SPLITS = (("train", "train"), ("validation", "val"))
# boundary.npz's network view (actzoo.runs.network_view), when it has one.
NETWORK_KEYS = (
    "explorer_hidden_units", "explorer_weights", "explorer_unit_layers", "explorer_unit_x", "explorer_unit_y",
    "explorer_unit_scales", "explorer_unit_shades", "explorer_unit_dead",
)  # fmt: skip


def select(table, **values):
    """The rows of ``table`` with these column values."""
    keep = np.ones(len(table), dtype=bool)
    for column, value in values.items():
        keep &= (table[column] == value).to_numpy()
    return table[keep]


def task_payload(name, data_path, boundaries, histories, runs, seeds, offset, unit_offset):
    """One data set's (or data set and model variant's) part of the page, its
    grids (uint8 planes in run order, one per frame, or for multiclass data
    one per (frame, class)) and its unit grids (per run and frame, one plane
    per pictured unit). ``offset`` and ``unit_offset`` count the planes before
    them. ``histories`` and ``runs`` are its own."""
    with np.load(data_path) as data:
        multiclass = task_of(data)[0] == "multiclass"
        classes = [f"class {value:g}" for value in data["classes"]] if multiclass else ["label 0", "label 1"]
        split = {part: points(data[f"X_{key}"], data[f"y_{key}"], multiclass) for part, key in SPLITS}
    activations = list(dict.fromkeys(runs["activation"]))
    first = boundaries[(activations[0], seeds[0])]
    entries, frames, unit_frames = [], [], []
    for activation in activations:
        for seed in seeds:
            boundary = boundaries[(activation, seed)]
            run = select(runs, activation=activation, seed=seed).iloc[0]
            curve = select(histories, activation=activation, seed=seed)
            entries.append(run_entry(run, curve, boundary, offset + len(frames)))
            for frame in boundary["explorer_probabilities"]:
                frames += list(np.moveaxis(frame, -1, 0)) if multiclass else [frame]
            if "explorer_unit_shades" in boundary:
                entries[-1]["network"] = network_entry(boundary, unit_offset + len(unit_frames))
                unit_frames += [plane for frame in boundary["explorer_unit_shades"] for plane in frame]
    epochs = sorted({e for entry in entries for e in entry["frames"]} | {int(histories["epoch"].max())})
    payload = {
        "name": name,
        "x": rounded(first["xx"][0], 5),
        "y": rounded(first["yy"][:, 0], 5),
        "points": split,
        "multiclass": multiclass,
        "classes": classes,
        "class_shades": class_shades(len(classes)) if multiclass else [],
        "epochs": epochs,
        "activations": activations,
        "seeds": [int(s) for s in seeds],
        "seeds_total": int(histories["seed"].nunique()),
        "runs": entries,
        "bands": {
            activation: {m: band(select(histories, activation=activation), m) for m in ("val_loss", "val_accuracy")}
            for activation in activations
        },
    }
    if unit_frames:  # one thinned grid for every run of a data set
        payload["units"] = {"x": rounded(first["explorer_unit_x"], 5), "y": rounded(first["explorer_unit_y"], 5)}
    if "settings" in runs.columns:
        # Evaluation runs of a tuned config: each activation's chosen settings
        # (one per activation here: its runs share them), shown beside its
        # name. Without tuning the payload stays as it was.
        chosen = runs.drop_duplicates("activation").set_index("activation")["settings"]
        payload["settings"] = {a: settings_label(chosen[a]) if isinstance(chosen[a], str) else "" for a in activations}
    return payload, frames, unit_frames


def network_entry(boundary, offset):
    """A run's network view on the page: units pictured per layer, each
    layer's colour scale, and per frame each unit's incoming weights then
    bias (for the hover) and whether it is dead. Its unit grids start at
    plane ``offset`` of the page's unit planes, frame by frame."""
    layers = boundary["explorer_unit_layers"].tolist()
    hidden_units = boundary["explorer_hidden_units"].tolist()
    n_inputs = boundary["xx"].ndim  # the plane: 2
    weights = []
    for flat in boundary["explorer_weights"]:
        frame = []
        for (kernel, bias), shown in zip(layer_weights(flat, hidden_units, n_inputs), layers):
            frame += [rounded([*kernel[:, j], bias[j]], 4) for j in range(shown)]
        weights.append(frame)
    return {
        "offset": offset,
        "layers": layers,
        "scales": [rounded(scale, 4) for scale in boundary["explorer_unit_scales"]],
        "weights": weights,
        "dead": boundary["explorer_unit_dead"].astype(int).tolist(),
    }


def run_entry(run, curve, boundary, offset):
    """One embedded run on the page: who it is, its frames (the first at
    plane ``offset``), how it ended and its validation curves."""
    return {
        "activation": run["activation"],
        "seed": int(run["seed"]),
        "frames": boundary["explorer_epochs"].tolist(),
        "offset": offset,
        "epochs": int(run["epochs"]),
        "diverged_epoch": None if pd.isna(run["diverged_epoch"]) else int(run["diverged_epoch"]),
        "val_loss": rounded(curve["val_loss"]),
        "val_accuracy": rounded(curve["val_accuracy"]),
    }


def build_explorer(data_paths, boundary_paths, metrics_paths, histories_path, runs_path, seeds, output):
    """Write the explorer of the 2-D data sets in ``data_paths`` ({name: npz}).

    ``boundary_paths`` are the embedded runs' boundary.npz files and
    ``metrics_paths`` their metrics.json files, in the same order; the curves'
    bands come from every run in ``histories_path``. With model variants
    (runs.csv has a ``model`` column), each (data set, variant) is one entry
    of the page's data set menu.
    """
    histories, runs = pd.read_csv(histories_path), pd.read_csv(runs_path)
    keys = ["dataset", "model"] if "model" in runs.columns else ["dataset"]
    boundaries = read_grids(boundary_paths, metrics_paths, keys)
    datasets, frames, unit_frames = [], [], []
    for task in dict.fromkeys(zip(*(runs[k].astype(str) for k in keys))):
        if task[0] not in data_paths:
            continue  # not 2-D
        where = dict(zip(keys, task))
        mine = {(a, s): b for (t, a, s), b in boundaries.items() if t == task}
        payload, grids, unit_grids = task_payload(
            " · ".join(task), data_paths[task[0]], mine, select(histories, **where), select(runs, **where),
            seeds, len(frames), len(unit_frames),
        )  # fmt: skip
        datasets.append(payload)
        frames += grids
        unit_frames += unit_grids
    shape = frames[0].shape if frames else (0, 0)  # one grid_resolution for all
    unit_shape = unit_frames[0].shape if unit_frames else (0, 0)
    blob = up_filtered(frames).tobytes()
    page = {
        "datasets": datasets,
        "grid_shape": list(shape),
        "unit_shape": list(unit_shape),
        "colorscale": colorscale(),
        "unit_colorscales": {"around_zero": colorscale(), "from_zero": from_zero(colorscale())},
        "class_colours": [colors.to_hex(c) for c in colormaps["tab10"].colors],
        "colours": activation_colours(list(dict.fromkeys(runs["activation"]))),
        "runs_embedded": sum(len(d["runs"]) for d in datasets),
        "runs_total": int(len(runs)),
    }
    write_page(output, page, blob, up_filtered(unit_frames).tobytes())
    return page


def up_filtered(planes):
    """Each plane's rows less the row above (mod 256; PNG's "Up" filter):
    smooth grids become mostly small numbers, which deflate better (the
    default config's page: boundary grids 1.81 -> 1.31 MB, unit grids
    1.80 -> 1.18 MB). explorer.js adds the rows back."""
    planes = np.asarray(planes, dtype=np.uint8)
    filtered = planes.copy()
    if planes.ndim == 3:
        filtered[:, 1:] -= planes[:, :-1]
    return filtered


def read_grids(boundary_paths, metrics_paths, keys):
    """The embedded runs' grids by (task, activation, seed), a task being the
    run's values of ``keys``: who a run is, metrics.json says."""
    grids = {}
    for path, metrics in zip(boundary_paths, metrics_paths, strict=True):
        run = json.loads(Path(metrics).read_text())
        task = tuple(str(run[key]) for key in keys)
        with np.load(path) as npz:
            # The network view's arrays when the run pictured its units.
            wanted = ["xx", "yy", "explorer_epochs", "explorer_probabilities", *NETWORK_KEYS]
            grids[(task, run["activation"], int(run["seed"]))] = {k: npz[k] for k in wanted if k in npz.files}
    return grids


def write_page(output, page, blob, unit_blob=b""):
    """explorer.html with its placeholders filled in one pass (plotly.js's own
    text is never searched for them). ``blob`` holds the boundary planes,
    ``unit_blob`` the units'."""
    parts = {
        "plotly": get_plotlyjs(),
        # "<" escaped: the JSON sits in a <script> element, where "</" would end it.
        "payload": json.dumps(page, separators=(",", ":")).replace("<", "\\u003c"),
        "grids": base64.b64encode(zlib.compress(blob, 9)).decode(),
        "units": base64.b64encode(zlib.compress(unit_blob, 9)).decode(),
        "script": ASSETS.with_suffix(".js").read_text(),
        "summary": html.escape(summary_line(page)),
    }
    template = ASSETS.with_suffix(".html").read_text()
    text = re.sub(r"\{\{(\w+)\}\}", lambda match: parts[match.group(1)], template)
    Path(output).write_text(text)
    print(size_note(len(text.encode()), len(parts["units"])), file=sys.stderr)


# The issue-12 budget of the default config's page; a larger network's unit
# pictures pass it (docs/explorer.md has the measured table).
PAGE_BUDGET_MB = 10


def size_note(page_bytes, unit_bytes):
    """The job log's line on the page's size, with what to lower when it
    passes the budget."""
    note = f"explorer.html: {page_bytes / 1e6:.1f} MB, of which unit pictures {unit_bytes / 1e6:.1f} MB"
    if page_bytes > PAGE_BUDGET_MB * 1e6:
        note += (
            f"; over {PAGE_BUDGET_MB} MB: lower figures.explorer_units (the units pictured) or"
            " figures.explorer_seeds (the seeds embedded)"
        )
    return note


def summary_line(page):
    """What the page holds, in words: it says so before any script runs."""
    names = ", ".join(d["name"] for d in page["datasets"]) or "none"
    text = f"{page['runs_embedded']} of the {page['runs_total']} runs (2-D data sets: {names})"
    if any(len(d["seeds"]) < d["seeds_total"] for d in page["datasets"]):
        text += f"; the first {min(len(d['seeds']) for d in page['datasets'])} seeds of each (figures.explorer_seeds)"
    return text
