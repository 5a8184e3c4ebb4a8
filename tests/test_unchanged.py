"""Nothing changes for those who don't ask (issue 20, item 6).

A config without a test split and without an initializer must give the data
sets, the jobs' params, every history and the tables that main gave before
those features existed. The digests below were computed with main's code at
956a153, before any of them was written (``python tests/test_unchanged.py``
prints them). The histories' digest holds on this platform's TensorFlow build:
the suite's own reproducibility tests rely on the same determinism.

If one of these fails, a default changed: either make the new behaviour
opt-in, or, if the change is wanted for everyone, say so and update the digest.
"""

import hashlib
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"

# What main (956a153) produced; see the module docstring.
EXPECTED_DATASETS = "e482512c9c30eb047d1500f81b66a485d070281252a13e6180caf049231c4da4"
EXPECTED_TINY_RUN = {
    "datasets": "07c0694fc2996404ecfb90c22c168319c728a0c57f23839684e67bcbcab8d918",
    "params": "d2e4263f67a4a31d6f72d2af5032fdd84def5eb054d0c8424dbd4e91dceebcc4",
}
# Histories hold only on one kind of CPU: TensorFlow's kernels round
# differently with other vector instructions. The same code (main at 956a153)
# gave these on the machine type the digests were first computed on, and on
# an AMD EPYC with AVX2 only (session 15: 956a153's workflow run with the
# tiny config, digested by this module). A changed default changes both.
EXPECTED_HISTORIES = {
    "b8c98c4380cd0fcc878c4dd045951f0aaf2af843cc39850d0f3346dc992fdd39",  # the first machine type
    "573835b0fc56a54c246c7bf8501c909b3212955c97ed51cdde066b988a2efcb5",  # AMD EPYC, AVX2
}
# The statistics tables changed on purpose since: issue 22 gave comparisons.csv
# the equivalence columns and summary.md a verdict per pair, then summary.md
# and overall.md the robust aggregates (IQM, P(X > Y)) after their tables (the
# data, params and histories above are still main's at 956a153).
# Per kind of CPU, as the histories (on AMD EPYC, AVX2: main at 6aa0e91).
EXPECTED_TINY_TABLES = {
    "841d671f57cf6f973dacab57bcc852b86e25237f352569813f9fd165c661b185",  # the first machine type
    "e9f495b2c68741e55cfce7026774f7e2e39fd55c7e9dbe643f0dcc87735fc921",  # AMD EPYC, AVX2
}

# One data set per kind of split: balanced binary, multiclass, multi-label
# (unstratified), a bundled standardised one, a user's CSV of class numbers.
DATASETS = {
    "circles": {"generator": "circles", "n_samples": 230},
    "blobs": {"generator": "blobs", "n_samples": 230, "validation_fraction": 0.25, "random_state": 3},
    "sensors": {"generator": "sensors", "n_samples": 150},
    "iris": {"generator": "iris", "random_state": 2},
    "csv": {"generator": "csv", "path": str(FIXTURES / "multiclass.csv"), "features": ["x1", "x2"],
            "labels": ["species"]},
}  # fmt: skip


def array_digest(arrays, digest):
    """Names, dtypes, shapes and bytes of a data set's arrays (an npz file's
    own bytes hold zip timestamps)."""
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())


def datasets_digest():
    """The checked specs (what make_dataset's params are) and the arrays made from them."""
    from actzoo.config import check_config
    from actzoo.datasets import from_spec

    config = {
        "seeds": [1],
        "activations": ["relu"],
        "datasets": json.loads(json.dumps(DATASETS)),
        "model": {"hidden_units": [4]},
        "training": {"epochs": 1, "batch_size": 8},
    }
    check_config(config)
    digest = hashlib.sha256()
    for spec in config["datasets"].values():
        spec = {k: v for k, v in spec.items() if k != "model"}  # as generator_params gives it
        printable = {k: (Path(v).name if k == "path" else v) for k, v in spec.items()}
        digest.update(json.dumps(printable, sort_keys=True).encode())
        array_digest(from_spec(spec), digest)
    return digest.hexdigest()


CODE_HASH = re.compile(r"^'[0-9a-f]{64}'$")
# The recorded params that describe the data and the training: all of
# make_dataset's (generator_params) but its code hash, and the train rule's
# mappings (the model, the training settings, the activation). A param the
# train rule gains, such as evaluate_test, is a change of code, which reruns
# the jobs through the code hash anyway.
RULE_PARAMS = {
    "make_dataset": lambda param: not CODE_HASH.match(param),
    "train": lambda param: param.startswith("{"),
}


def tiny_run_digests(directory):
    """Digests of a finished run: its data sets' arrays, the params of the
    data and training jobs as Snakemake recorded them (a changed param reruns
    the job; see RULE_PARAMS) and every history.csv."""
    directory = Path(directory)
    results = directory / "results"
    digests = {}
    digest = hashlib.sha256()
    for path in sorted((results / "datasets").glob("*.npz")):
        with np.load(path) as npz:
            digest.update(path.name.encode())
            array_digest({k: npz[k] for k in npz.files}, digest)
    digests["datasets"] = digest.hexdigest()
    digest = hashlib.sha256()
    records = []
    for path in (directory / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text())
        if record["rule"] in RULE_PARAMS:
            params = [p for p in record.get("params") or [] if RULE_PARAMS[record["rule"]](p)]
            records.append((path.name, record["rule"], params))
    digest.update(json.dumps(sorted(records)).encode())
    digests["params"] = digest.hexdigest()
    digest = hashlib.sha256()
    for path in sorted((results / "runs").rglob("history.csv")):
        digest.update(str(path.relative_to(results)).encode())
        digest.update(path.read_bytes())
    digests["histories"] = digest.hexdigest()
    return digests


# Columns that measure the machine or name the code, not results.
UNSTABLE_COLUMNS = {"train_seconds", "train_seconds_mean", "code_sha256"}


def tables_digest(directory):
    """runs.csv, summary.csv, comparisons.csv and overall.csv (without wall
    times and code hashes), summary.md and overall.md."""
    results = Path(directory) / "results"
    digest = hashlib.sha256()
    for name in ("runs.csv", "summary.csv", "comparisons.csv", "overall.csv"):
        table = pd.read_csv(results / name)
        buffer = io.StringIO()
        table.drop(columns=[c for c in table.columns if c in UNSTABLE_COLUMNS]).to_csv(buffer, index=False)
        digest.update(name.encode() + buffer.getvalue().encode())
    for name in ("summary.md", "overall.md"):
        digest.update(name.encode() + (results / name).read_bytes())
    return digest.hexdigest()


def test_data_sets_are_byte_identical_to_mains():
    """Without test_fraction: the same checked specs and the same arrays."""
    assert datasets_digest() == EXPECTED_DATASETS


def test_a_tiny_runs_data_params_and_histories_are_byte_identical_to_mains(tiny_run):
    """The end-to-end guarantee: data, every job's params (so nothing reruns
    but for the code hash) and every history.csv, byte for byte."""
    digests = tiny_run_digests(tiny_run)
    assert digests.pop("histories") in EXPECTED_HISTORIES, "histories differ from main's on every known CPU type"
    assert digests == EXPECTED_TINY_RUN


def test_a_tiny_runs_tables_are_unchanged(tiny_run):
    """No test split: runs.csv, the statistics and the markdown stay as they were."""
    assert tables_digest(tiny_run) in EXPECTED_TINY_TABLES


if __name__ == "__main__":  # print the digests of the code at hand, and of a finished run
    sys.path.insert(0, str(REPO / "workflow" / "scripts"))
    print("EXPECTED_DATASETS =", repr(datasets_digest()))
    if len(sys.argv) > 1:
        print("EXPECTED_TINY_RUN =", json.dumps(tiny_run_digests(sys.argv[1]), indent=4))
        print("EXPECTED_TINY_TABLES =", repr(tables_digest(sys.argv[1])))
