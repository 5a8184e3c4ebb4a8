"""The Snakemake HTML report of the tiny run: every figure and table, captions, description."""

import re
import shutil
import zipfile

import pytest

from conftest import TINY_CONFIG, snakemake

FIGURES = [
    "activations.png",
    "curves_circles.png",
    "curves_sensors.png",
    "boundaries_circles.png",
    "evolution_circles.png",
    "boundaries_seeds_circles.png",
    "diagnostics_circles.png",
    "diagnostics_sensors.png",
    "critical_difference.png",
    "probability_of_improvement.png",
    "performance_profile.png",
]
TABLES = ["summary.csv", "comparisons.csv", "runs.csv", "overall.csv", "robust.csv"]


@pytest.fixture(scope="module")
def report(tiny_run, tmp_path_factory):
    """The report of a private copy of the tiny run, built once for this module."""
    directory = tmp_path_factory.mktemp("report") / "run"
    shutil.copytree(tiny_run, directory, symlinks=True)
    result = snakemake(directory, "--report", "results/report.html")
    html = (directory / "results" / "report.html").read_text()
    return directory, result, html


def test_report_is_self_contained_and_holds_every_figure_and_table(report):
    directory, _, html = report
    assert len(html) > 100_000, "figures are embedded, not linked"
    for name in FIGURES + TABLES:
        assert name in html, f"{name} missing from the report"
    marked = {p.name for p in (directory / "results" / "figures").glob("*.png")}
    assert marked == set(FIGURES), "every PNG figure of the run is a report item (and only those)"
    assert not re.search(r'src="(?:\.\./)?results/figures/', html), "no links to files outside the report"


def test_report_has_categories_captions_and_the_experiment(report):
    _, _, html = report
    for category in ("circles", "sensors", "summary", "activation functions", "explorer"):
        assert category in html
    for caption in (
        "How the decision boundary forms",
        "Run-to-run variability",
        "Learning curves on",
        "The activation zoo",
        "Every pair of activations",
        "Inside the network on",
        "One answer across data sets",
        "The critical-difference diagram",
        "The probability of improvement",
        "The performance profile",
        "Robust aggregates across data sets",
    ):
        assert caption in html, caption
    # The workflow description states the experiment from the config (Jinja).
    assert "actzoo compares hidden-layer" in html
    epochs, batch = TINY_CONFIG["training"]["epochs"], TINY_CONFIG["training"]["batch_size"]
    assert f"{epochs} epochs, batch size {batch}" in html
    assert "Seeds</strong>: 1, 2" in html
    assert re.search(r"Activations</strong> \(hidden layers\): <tt[^>]*>tanh</tt>, <tt[^>]*>relu</tt>", html)
    assert re.search(r"<tt[^>]*>circles</tt> \(circles, 120 samples\)", html)


def test_onsuccess_prints_the_ranked_table(tiny_copy):
    (tiny_copy / "results" / "figures" / "activations.png").unlink()
    result = snakemake(tiny_copy)
    output = result.stdout + result.stderr
    assert "results/summary.md:" in output
    assert "### circles" in output and "| rank | group | activation |" in output
    assert output.index("results/overall.md:") > output.index("results/summary.md:"), "then the overall answer"
    assert "this run has 2: no overall verdict" in output


def test_a_zip_report_holds_the_explorer_as_a_file_of_its_own(tiny_copy):
    """A browser shows the explorer in a zip report; a single-file report
    embeds it as a data: URL, which Chromium refuses above 2 MB."""
    snakemake(tiny_copy, "--report", "results/report.zip")
    with zipfile.ZipFile(tiny_copy / "results" / "report.zip") as archive:
        names = [n for n in archive.namelist() if n.endswith("/explorer.html")]
        assert len(names) == 1, archive.namelist()
        assert archive.read(names[0]) == (tiny_copy / "results" / "explorer.html").read_bytes()
        assert "interactive boundary explorer" in archive.read("report/report.html").decode()
