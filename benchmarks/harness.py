"""Helpers shared by the benchmark (``benchmarks/run.py``) and the test suite (``tests/conftest.py``).

Both run Snakemake in a private copy of the workflow and read how many jobs it
ran or planned from its "Job stats" table; keeping one copy of each keeps them
in step when the workflow's layout or Snakemake's output changes.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]

# What a run needs besides the Snakefile. envs/: the rules' conda: directives point
# there, and Snakemake reads those files even without --sdm conda. profiles/default:
# the workflow profile Snakemake loads by itself.
WORKFLOW_FOLDERS = ("workflow", "envs", "profiles/default")


def copy_workflow(destination, config):
    """A private copy of the workflow in ``destination`` (no results, no .snakemake) with ``config``."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "Snakefile", destination)
    for folder in WORKFLOW_FOLDERS:
        shutil.copytree(
            REPO / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
        )
    write_config(destination, config)
    return destination


def write_config(directory, config):
    (Path(directory) / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake_command(*args):
    """Snakemake of this interpreter, so a run never picks up another installation from PATH."""
    return [sys.executable, "-m", "snakemake", *args]


def job_stats(output):
    """``{rule: count}``, ``"total"`` included, from the first "Job stats" table in Snakemake's output.

    Raises ValueError when the output has no such table: Snakemake prints none when it
    has nothing to do or stops early, and a caller counting jobs must not read that as zero.
    """
    if "Job stats:" not in output:
        raise ValueError(f"no 'Job stats:' table in Snakemake's output:\n{output[-3000:]}")
    counts = {}
    for line in output.split("Job stats:", 1)[1].splitlines():
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if match:
            counts[match.group(1)] = int(match.group(2))
        elif counts and not line.strip():
            # The table ends at the first blank line; a dry run prints it a second time at the end.
            break
    return counts


def headless_chromium():
    """A Selenium driver of Debian's headless Chromium (chromium, chromedriver;
    .ci/chromium-up.sh installs them), logging console and network events.
    Raises RuntimeError naming what is missing."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        raise RuntimeError(f"selenium is not installed ({error}); pip install -r requirements-dev.txt") from None
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        raise RuntimeError("no headless Chromium (install as root: bash .ci/chromium-up.sh)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,1400")
    options.add_argument("--force-device-scale-factor=1")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def sacct_seconds(value):
    """sacct's [D-][HH:]MM:SS[.mmm] (Elapsed, TotalCPU, Timelimit) in seconds."""
    days, _, clock = value.rpartition("-")
    seconds = 0.0
    for part in clock.split(":"):
        seconds = seconds * 60 + float(part)
    return int(days or 0) * 86400 + seconds


def slurm_unavailable(partition=None):
    """Why the local SLURM cluster (.ci/slurm-up.sh) cannot run jobs here, or
    None when it can: sbatch, sacct and sinfo on PATH, a usable node (of
    ``partition``, if given) and accounting that answers."""

    def answer(command):
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=15, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, str(error)
        return (result.stdout, None) if result.returncode == 0 else (None, result.stderr.strip())

    for command in ("sbatch", "sacct", "sinfo"):
        if shutil.which(command) is None:
            return f"no {command} on PATH (start the test cluster with: bash .ci/slurm-up.sh)"
    states, error = answer(["sinfo", "-h", "-N", "-o", "%t", *(["-p", partition] if partition else [])])
    if not any(state.rstrip("*") in ("idle", "mix", "alloc") for state in (states or "").split()):
        return f"no usable SLURM node (sinfo: {error or states.strip() or 'nothing'})"
    if answer(["sacct", "-n", "-X", "-S", "now-1minutes"])[0] is None:
        return "SLURM accounting (sacct) does not answer"
    return None
