"""results/explorer.html: what it embeds (in-process) and what a real browser
shows (headless Chromium via Selenium; skipped only where Chromium is missing
and cannot be installed)."""

import base64
import io
import json
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from actzoo.datasets import explorer_epochs, shades
from actzoo.explorer import build_explorer
from conftest import harness

REPO = Path(__file__).resolve().parents[1]
RES = 20
AXIS = np.linspace(-1, 1, RES, dtype=np.float32)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def toy_grid(activation, epoch, shift=0.0):
    """Known pictures: "a" is a vertical boundary that moves right with the
    epoch (and by ``shift``); "b" a horizontal one; "c" a vertical one, flipped."""
    xx, yy = np.meshgrid(AXIS, AXIS)
    if activation == "a":
        return sigmoid(30 * (xx - (-0.5 + 0.25 * epoch + shift)))
    if activation == "b":
        return sigmoid(30 * yy)
    return sigmoid(-30 * xx)


def write_metrics(run_dir, dataset, activation, seed):
    """The identity a run's metrics.json records (the explorer reads it there)."""
    (run_dir / "metrics.json").write_text(json.dumps({"dataset": dataset, "activation": activation, "seed": seed}))


def metrics_of(boundaries):
    return [path.parent / "metrics.json" for path in boundaries]


def make_toy(
    directory, seeds=(1, 2, 3), diverged=None, epochs=4, frames=2, settings=None, spread=0.0, diverging_seeds=None
):
    """The files build_explorer reads, for a data set "toy" with activations
    a, b, c; run (c, any seed, or only ``diverging_seeds``) diverges at
    ``diverged`` (an epoch) if given.
    With ``settings`` ({activation: text}), runs.csv has the ``settings``
    column of a tuned config. With ``spread``, a's boundary of seed s lies
    ``spread * (s - 2)`` to the right of seed 2's: the seeds disagree."""
    directory = Path(directory)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (60, 2)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    (directory / "data").mkdir(parents=True)
    np.savez(directory / "data" / "toy.npz", X_train=X[:40], y_train=y[:40], X_val=X[40:], y_val=y[40:])
    xx, yy = np.meshgrid(AXIS, AXIS)
    histories, runs, boundaries = [], [], []
    for activation in ("a", "b", "c"):
        for seed in seeds:
            diverged_here = activation == "c" and bool(diverged) and seed in (diverging_seeds or seeds)
            last = epochs if not diverged_here else diverged - 1
            replay = [e for e in explorer_epochs(epochs, frames) if e <= last]
            path = directory / "runs" / "toy" / activation / f"seed{seed}" / "boundary.npz"
            path.parent.mkdir(parents=True)
            grids = shades([toy_grid(activation, e, spread * (seed - 2)) for e in replay])
            np.savez(path, xx=xx, yy=yy, explorer_epochs=np.array(replay), explorer_probabilities=grids)
            write_metrics(path.parent, "toy", activation, seed)
            boundaries.append(path)
            for epoch in range(1, last + 1):
                loss = 1 / (epoch + seed) + (0.1 if activation == "b" else 0)
                histories.append(("toy", activation, seed, epoch, loss, 0.5, loss, 1 - loss))
            runs.append(("toy", activation, seed, last, diverged_here, diverged if diverged_here else None))
    columns = ["dataset", "activation", "seed", "epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    pd.DataFrame(histories, columns=columns).to_csv(directory / "histories.csv", index=False)
    runs = pd.DataFrame(runs, columns=["dataset", "activation", "seed", "epochs", "diverged", "diverged_epoch"])
    if settings:
        runs["settings"] = runs["activation"].map(settings)
    runs.to_csv(directory / "runs.csv", index=False)
    return boundaries


def build_toy(directory, embedded=(1, 2), **kwargs):
    boundaries = make_toy(directory, **kwargs)
    chosen = [p for p in boundaries if int(p.parent.name.removeprefix("seed")) in embedded]
    output = Path(directory) / "explorer.html"
    page = build_explorer(
        {"toy": Path(directory) / "data" / "toy.npz"},
        chosen,
        metrics_of(chosen),
        Path(directory) / "histories.csv",
        Path(directory) / "runs.csv",
        list(embedded),
        output,
    )
    return output, page


def embedded(html, element):
    return re.search(rf'<script type="application/[\w-]+" id="{element}">(.*?)</script>', html, re.S).group(1)


def planes(html, element, shape):
    """The page's 8-bit planes in ``element`` ("grids" or "units"), inflated
    and with explorer.py's Up filter undone (each row plus the rows above)."""
    filtered = np.frombuffer(zlib.decompress(base64.b64decode(embedded(html, element))), np.uint8)
    return (np.cumsum(filtered.reshape(-1, *shape).astype(np.int64), axis=1) % 256).astype(np.uint8)


# ---------------------------------------------------------------- in-process


def test_explorer_epochs_are_evenly_spaced_from_zero():
    assert explorer_epochs(100, 25) == list(range(0, 101, 4))
    assert explorer_epochs(6, 25) == list(range(7)), "never more stops than epochs"
    assert explorer_epochs(10, 3) == [0, 3, 7, 10]


def test_shades_lose_at_most_half_a_step():
    p = np.linspace(0, 1, 10001, dtype=np.float32)
    assert np.abs(shades(p) / 255 - p).max() <= 0.5 / 255 + 1e-7
    assert shades([0.0, 1.0]).tolist() == [0, 255]


def test_page_embeds_the_chosen_seeds_and_bands_over_all(tmp_path):
    output, page = build_toy(tmp_path, embedded=(1, 2))
    html = output.read_text()
    assert (page["runs_embedded"], page["runs_total"]) == (6, 9)
    assert "holds 6 of the 9 runs" in html and "first 2 seeds" in html, "the page says what it holds"
    toy = page["datasets"][0]
    assert toy["seeds"] == [1, 2] and toy["seeds_total"] == 3
    assert {(r["activation"], r["seed"]) for r in toy["runs"]} == {(a, s) for a in "abc" for s in (1, 2)}
    # The band covers seed 3 too: its loss 1/(1+3) at epoch 1 is the minimum.
    assert toy["bands"]["a"]["val_loss"]["low"][0] == pytest.approx(0.25)
    assert toy["bands"]["a"]["val_loss"]["high"][0] == pytest.approx(0.5)
    # The grids decode to exactly the shades of each run and frame.
    grids = planes(html, "grids", (RES, RES))
    for run in toy["runs"]:
        for k, epoch in enumerate(run["frames"]):
            assert np.array_equal(grids[run["offset"] + k], shades(toy_grid(run["activation"], epoch)))
    assert json.loads(embedded(html, "payload")) == json.loads(json.dumps(page))


def test_a_diverged_run_has_no_frames_from_its_divergence_on(tmp_path):
    _, page = build_toy(tmp_path, diverged=3)
    run = next(r for r in page["datasets"][0]["runs"] if r["activation"] == "c")
    assert run["diverged_epoch"] == 3 and run["frames"] == [0, 2] and len(run["val_loss"]) == 2


def test_a_runs_identity_comes_from_its_metrics_json(tmp_path):
    """Run files wherever they are (here in numbered directories that say
    nothing): the page is the one built from results/runs-style paths."""
    _, expected = build_toy(tmp_path / "named")
    boundaries = [p for p in make_toy(tmp_path / "numbered") if p.parent.name != "seed3"]
    moved = []
    for number, path in enumerate(reversed(boundaries)):
        target = tmp_path / "numbered" / "flat" / str(number)
        shutil.copytree(path.parent, target)
        moved.append(target / "boundary.npz")
    page = build_explorer(
        {"toy": tmp_path / "numbered" / "data" / "toy.npz"}, moved, metrics_of(moved),
        tmp_path / "numbered" / "histories.csv", tmp_path / "numbered" / "runs.csv", [1, 2], tmp_path / "e.html",
    )  # fmt: skip
    assert page["runs_embedded"] == 6
    assert page == expected


def test_without_2d_data_the_page_says_so(tmp_path):
    make_toy(tmp_path)
    page = build_explorer({}, [], [], tmp_path / "histories.csv", tmp_path / "runs.csv", [1], tmp_path / "e.html")
    assert page["datasets"] == [] and page["runs_embedded"] == 0
    assert "holds 0 of the 9 runs (2-D data sets: none)" in (tmp_path / "e.html").read_text()


# runs.csv's settings column of a tuned config: the chosen values per
# activation (keys sorted, as metrics.json holds them).
SETTINGS = {"a": "learning_rate=0.01", "b": "batch_size=16,learning_rate=0.1", "c": "optimizer=sgd"}
SETTINGS_SHOWN = {"a": "lr=0.01", "b": "lr=0.1, bs=16", "c": "optimizer=sgd"}


def test_tuned_runs_carry_their_settings_to_the_page(tmp_path):
    _, tuned = build_toy(tmp_path / "tuned", settings=SETTINGS)
    _, plain = build_toy(tmp_path / "plain")
    assert tuned["datasets"][0]["settings"] == SETTINGS_SHOWN
    assert "settings" not in plain["datasets"][0], "untuned: the payload as before"
    assert {k: v for k, v in tuned["datasets"][0].items() if k != "settings"} == plain["datasets"][0]


def test_page_is_self_contained(tmp_path):
    output, _ = build_toy(tmp_path)
    html = output.read_text()
    assert "default-src 'none'" in html, "a Content-Security-Policy forbids every load"
    assert not re.search(r"<(?:script|img|iframe)[^>]+src=|<link\b", html), "nothing is loaded from elsewhere"
    assert "{{" not in html.replace(embedded(html, "grids"), "").split("<script>", 1)[0]


def test_default_sized_page_stays_within_budget(tmp_path):
    """The default config's size: 4 activations x 8 seeds x 26 frames of
    100 x 100 (smooth boundaries, as trained models give)."""
    from actzoo import explorer

    rng = np.random.default_rng(1)
    axis = np.linspace(-1, 1, 100)
    xx, yy = np.meshgrid(axis, axis)
    frames = [
        shades(sigmoid(rng.uniform(1, 30) * (np.cos(t) * xx + np.sin(t) * yy - rng.uniform(-0.5, 0.5))))
        for t in rng.uniform(0, 2 * np.pi, 4 * 8 * 26)
    ]
    output = tmp_path / "page.html"
    explorer.write_page(output, {"datasets": [], "runs_embedded": 0, "runs_total": 0}, np.asarray(frames).tobytes())
    assert output.stat().st_size < 10e6


def test_the_tiny_runs_grids_replay_training(tiny_run):
    """Saved while training (inside the compiled loop), the explorer's frames
    agree with the static snapshots and the final grid of the same run."""
    for activation in ("tanh", "relu"):
        with np.load(tiny_run / "results" / "runs" / "circles" / activation / "seed1" / "boundary.npz") as b:
            assert b["explorer_epochs"].tolist() == list(range(7)), "6 epochs: every epoch, and epoch 0"
            assert b["explorer_probabilities"].dtype == np.uint8
            static = dict(zip(b["epochs"].tolist(), b["probabilities"]))
            assert sorted(static) == [1, 3, 6]
            for epoch, grid in static.items():
                assert np.array_equal(b["explorer_probabilities"][epoch], shades(grid)), epoch
    assert (tiny_run / "results" / "explorer.html").stat().st_size < 10e6


# ---------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium. In CI (CI=true, root) a missing one is installed, and
    failing that is a failure; elsewhere the browser tests skip with a reason."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.environ.get("CI") == "true" and os.geteuid() == 0:
            subprocess.run(["bash", str(REPO / ".ci" / "chromium-up.sh")], check=True)
        else:
            pytest.skip("no headless Chromium (install as root: bash .ci/chromium-up.sh)")
    driver = harness.headless_chromium()
    yield driver
    driver.quit()


class Page:
    """The explorer open in the browser, with waits on its render counter."""

    def __init__(self, driver, path, shots, fragment=""):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.shots, self.wait = driver, shots, WebDriverWait(driver, 60)
        # Away first: from the same file, a URL differing only in its fragment
        # would not load the page afresh.
        driver.get("about:blank")
        driver.get_log("browser"), driver.get_log("performance")  # drop earlier pages' entries
        driver.get(Path(path).as_uri() + fragment)
        self.wait.until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def rendered(self):
        return int(self.js("return Number(document.body.dataset.rendered || 0)"))

    def act(self, action):
        """Do ``action`` (a user's input) and wait until the page has redrawn."""
        before = self.rendered()
        action()
        self.wait.until(lambda d: self.rendered() > before)

    def element(self, selector):
        return self.driver.find_element("css selector", selector)

    def screenshot(self, name, selector="#boundaries"):
        """The boundary panels (or another element) as an RGB array; also
        saved under the test's tmp dir."""
        from PIL import Image

        png = self.element(selector).screenshot_as_png
        (self.shots / f"{name}.png").write_bytes(png)
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    def pixel_of(self, panel, x, y, element="boundaries"):
        """Pixel (column, row) of data point (x, y) in ``panel`` (0-based) of
        the plot ``element``, relative to it, from Plotly's own axis mapping."""
        return self.js(
            """const gd = document.getElementById(arguments[3]), s = arguments[0] ? String(arguments[0] + 1) : '';
               const xa = gd._fullLayout['xaxis' + s], ya = gd._fullLayout['yaxis' + s];
               return [xa._offset + xa.d2p(arguments[1]), ya._offset + ya.d2p(arguments[2])];""",
            panel,
            float(x),
            float(y),
            element,
        )


def test_the_page_loads_offline_without_errors(browser, tmp_path):
    """Plain, and with a view in its fragment that the page restores and then
    updates (replaceState: no request either)."""
    output, _ = build_toy(tmp_path)
    for fragment in ("", "#seed=2&epoch=2&overlay=agreement"):
        page = Page(browser, output, tmp_path, fragment)
        assert "holds 6 of the 9 runs" in page.element("#holds").text
        if fragment:
            assert page.js("return window.explorer.state.overlay") == "agreement"
            page.act(lambda: page.element("#points option[value='none']").click())
            shared = "#dataset=toy&seed=2&activations=a,b,c&epoch=2&points=none&overlay=agreement"
            assert page.js("return location.hash") == shared
        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert errors == [], errors
        requested = {
            json.loads(entry["message"])["message"]["params"]["request"]["url"].split("#")[0]
            for entry in browser.get_log("performance")
            if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
        }
        outside = {url for url in requested if url != output.as_uri() and not url.startswith(("data:", "blob:"))}
        assert outside == set(), "no network request: only the file itself and in-page data"
        assert output.as_uri() in requested


def test_slider_activations_points_overlay_and_play(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    output, _ = build_toy(tmp_path)
    page = Page(browser, output, tmp_path)
    slider = page.element("#frame")
    assert page.element("#epoch").text == "epoch 4 of 4", "opens at the last epoch"
    last = page.screenshot("epoch4")
    page.act(lambda: slider.send_keys(Keys.HOME))
    assert page.element("#epoch").text == "epoch 0 of 4"
    first = page.screenshot("epoch0")
    assert last.shape == first.shape and np.mean(np.any(last != first, axis=-1)) > 0.05, "the slider moves the boundary"
    assert page.element("#curves").text.count("seed 1") >= 3, "curves of the shown seed, one per activation"

    page.act(lambda: page.element("#activations input[value='a']").click())
    without_a = page.screenshot("without_a")
    assert page.js("return window.explorer.state.activations") == ["b", "c"]
    assert without_a.shape != first.shape or np.mean(np.any(without_a != first, axis=-1)) > 0.05

    contours = "return document.getElementById('boundaries').data.filter(t => t.type === 'contour').length"
    assert page.js(contours) == 2
    page.act(lambda: page.element("#overlay option[value='seeds']").click())
    assert page.js(contours) == 2 + 2 * 2, "plus one contour per embedded seed and panel"
    scatter = "return document.getElementById('boundaries').data.filter(t => t.type === 'scatter').length"
    page.act(lambda: page.element("#points option[value='none']").click())
    assert page.js(scatter) == 0

    page.act(lambda: page.element("#play").click())
    page.wait.until(lambda d: page.element("#play").text == "Play")
    assert page.element("#epoch").text == "epoch 4 of 4", "Play runs to the last epoch, then stops"


def test_tuned_settings_show_beside_each_activation(browser, tmp_path):
    for settings, shown in ((SETTINGS, SETTINGS_SHOWN), (None, {a: "" for a in "abc"})):
        output, _ = build_toy(tmp_path / str(bool(settings)), settings=settings)
        page = Page(browser, output, tmp_path)
        named = {a: f"{a} · {text}" if text else a for a, text in shown.items()}
        boxes = [label.text for label in browser.find_elements("css selector", "#activations label")]
        assert boxes == list(named.values())
        titles = page.js("return document.getElementById('boundaries').layout.annotations.map(a => a.text)")
        assert [title.split(" · seed")[0] for title in titles] == [f"<b>{n}</b>" for n in named.values()]
        legend = page.js("return document.getElementById('curves').data.map(t => t.name).filter(n => n)")
        assert f"{named['b']}, seed 1" in legend and f"{named['b']}: all 3 seeds (min-max)" in legend


def test_colours_follow_the_probabilities(browser, tmp_path):
    """At grid points where p is near 0 the page is red, near 1 blue: read
    from the screenshot at Plotly's own mapping of the point."""
    output, _ = build_toy(tmp_path)
    page = Page(browser, output, tmp_path)
    page.act(lambda: page.element("#points option[value='none']").click())
    picture = page.screenshot("colours")
    grid = toy_grid("b", 4)  # panel 1: p ~ 0 below y = 0, ~1 above
    for i, j in [(2, 5), (3, 14), (16, 5), (17, 14)]:
        column, row = page.pixel_of(1, AXIS[j], AXIS[i])
        r, _, b = picture[round(row), round(column)]
        assert (b > r) == (grid[i, j] > 0.5), (i, j, grid[i, j], (r, b))


def test_a_diverged_run_is_labelled_and_not_drawn(browser, tmp_path):
    output, _ = build_toy(tmp_path, diverged=3)
    page = Page(browser, output, tmp_path)
    heatmaps = "return document.getElementById('boundaries').data.filter(t => t.type === 'heatmap').length"
    assert page.js(heatmaps) == 2, "at epoch 4, c has diverged: no heatmap for it"
    assert "diverged at epoch 3" in page.element("#notes").text
    assert "non-finite weights, no boundary" in page.element("#boundaries").text
    page.act(
        lambda: page.js("const s = document.getElementById('frame'); s.value = 1; s.dispatchEvent(new Event('input'))")
    )
    assert page.element("#epoch").text == "epoch 2 of 4"
    assert page.js(heatmaps) == 3, "before its divergence c is drawn, and labelled"
    assert "(diverged at epoch 3)" in page.element("#boundaries").text


def test_the_final_view_agrees_with_boundary_npz(browser, tiny_run, tmp_path):
    """The real tiny run: in every activation's panel, the colour at grid
    points where the final model is clearly on one side (|p - 0.5| > 0.1,
    and so are the neighbours, away from the drawn 0.5 contour) is red below
    0.5 and blue above."""
    page = Page(browser, tiny_run / "results" / "explorer.html", tmp_path)
    page.act(lambda: page.element("#points option[value='none']").click())
    picture = page.screenshot("tiny_final")
    checked = 0
    for panel, activation in enumerate(("tanh", "relu")):
        with np.load(tiny_run / "results" / "runs" / "circles" / activation / "seed1" / "boundary.npz") as b:
            xx, yy, final = b["xx"], b["yy"], b["probabilities"][-1]
        side = final > 0.5
        for i, j in zip(*np.nonzero(np.abs(final - 0.5) > 0.1)):
            if not (1 <= i < final.shape[0] - 1 and 1 <= j < final.shape[1] - 1):
                continue  # edge cells may lie under the axis frame
            if len(np.unique(side[i - 1 : i + 2, j - 1 : j + 2])) > 1:
                continue
            column, row = page.pixel_of(panel, xx[i, j], yy[i, j])
            r, _, blue = picture[round(row), round(column)]
            assert (blue > r) == (final[i, j] > 0.5), (activation, i, j, final[i, j], (r, blue))
            checked += 1
    assert checked >= 10, "enough confident grid points to check"


def test_editing_the_pages_script_or_template_rebuilds_it(tmp_path):
    """explorer.js and explorer.html are code of the build_explorer rule: its
    code hash covers them, so an edit reruns it."""
    from actzoo.provenance import code_hash, local_modules

    scripts = tmp_path / "scripts"
    shutil.copytree(REPO / "workflow" / "scripts", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    entry = scripts / "build_explorer.py"
    names = {p.name for p in local_modules(entry)}
    assert {"build_explorer.py", "explorer.py", "explorer.js", "explorer.html"} <= names
    before = code_hash(entry)
    for asset in ("explorer.js", "explorer.html"):
        (scripts / "actzoo" / asset).write_text((scripts / "actzoo" / asset).read_text() + "\n")
        assert code_hash(entry) != before, asset
        before = code_hash(entry)


# ---------------------------------------------------------------- multiclass


def toy_classes(epoch, shift=0.0):
    """Three classes in vertical bands (left, middle, right) whose borders
    sharpen with the epoch: softmax of -a|x + 0.6|, -a|x|, -a|x - 0.6|, all
    moved right by ``shift``."""
    xx, _ = np.meshgrid(AXIS, AXIS)
    logits = np.stack([-(4 + 4 * epoch) * np.abs(xx - c - shift) for c in (-0.6, 0.0, 0.6)], axis=-1)
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def make_classes_toy(directory, seeds=(1, 2), epochs=4, frames=2, name="bands", spread=0.0):
    """build_explorer's files for a 3-class data set ``name``, activations a
    and b; with ``spread``, seed s's bands lie ``spread * (s - 2)`` to the
    right of seed 2's. Returns the boundary files."""
    directory = Path(directory)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (90, 2)).astype(np.float32)
    y = np.digitize(X[:, :1], [-0.3, 0.3]).astype(np.float32)
    (directory / "data").mkdir(parents=True)
    np.savez(
        directory / "data" / f"{name}.npz", X_train=X[:60], y_train=y[:60], X_val=X[60:], y_val=y[60:],
        task=np.array("multiclass"), classes=np.array([0, 1, 2]),
    )  # fmt: skip
    xx, yy = np.meshgrid(AXIS, AXIS)
    histories, runs, boundaries = [], [], []
    for activation in ("a", "b"):
        for seed in seeds:
            replay = explorer_epochs(epochs, frames)
            path = directory / "runs" / name / activation / f"seed{seed}" / "boundary.npz"
            path.parent.mkdir(parents=True)
            grids = shades([toy_classes(e, spread * (seed - 2)) for e in replay])
            np.savez(path, xx=xx, yy=yy, explorer_epochs=np.array(replay), explorer_probabilities=grids)
            write_metrics(path.parent, name, activation, seed)
            boundaries.append(path)
            histories += [(name, activation, seed, e, 1 / e, 0.5, 1 / e, 1 - 1 / e) for e in range(1, epochs + 1)]
            runs.append((name, activation, seed, epochs, False, None))
    columns = ["dataset", "activation", "seed", "epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    pd.DataFrame(histories, columns=columns).to_csv(directory / "histories.csv", index=False)
    pd.DataFrame(runs, columns=["dataset", "activation", "seed", "epochs", "diverged", "diverged_epoch"]).to_csv(
        directory / "runs.csv", index=False
    )
    return boundaries


def build_classes_toy(directory, seeds=(1, 2), **kwargs):
    """The explorer of make_classes_toy's "bands", every seed embedded."""
    directory = Path(directory)
    boundaries = make_classes_toy(directory, seeds, **kwargs)
    output = directory / "explorer.html"
    page = build_explorer(
        {"bands": directory / "data" / "bands.npz"}, boundaries, metrics_of(boundaries), directory / "histories.csv",
        directory / "runs.csv", list(seeds), output,
    )  # fmt: skip
    return output, page


def test_multiclass_grids_travel_as_one_plane_per_class(tmp_path):
    output, page = build_classes_toy(tmp_path)
    bands = page["datasets"][0]
    assert bands["multiclass"] and bands["classes"] == ["class 0", "class 1", "class 2"]
    assert len(bands["class_shades"]) == 3
    assert sorted(set(bands["points"]["train"]["label"])) == [0, 1, 2], "points carry their class index"
    html = output.read_text()
    grids = planes(html, "grids", (RES, RES))
    for run in bands["runs"]:
        for k, epoch in enumerate(run["frames"]):
            for c in range(3):
                assert np.array_equal(grids[run["offset"] + 3 * k + c], shades(toy_classes(epoch)[..., c]))


def test_multiclass_regions_are_coloured_by_their_argmax_class(browser, tmp_path):
    """At confident grid points the pixel is the shade of the argmax class
    (nearest of the three); one boundary line per class that borders another."""
    output, page_data = build_classes_toy(tmp_path)
    page = Page(browser, output, tmp_path)
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == [], errors
    page.act(lambda: page.element("#points option[value='none']").click())
    picture = page.screenshot("classes")
    shades_rgb = np.array(
        [[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in page_data["datasets"][0]["class_shades"]]
    )
    p = toy_classes(4)
    checked = 0
    for i in range(2, RES - 2, 3):
        for j in range(1, RES - 1):
            if p[i, j].max() < 0.9 or len(set(p[i, j - 1 : j + 2].argmax(axis=-1))) > 1:
                continue
            column, row = page.pixel_of(0, AXIS[j], AXIS[i])
            colour = picture[round(row), round(column)]
            assert np.abs(shades_rgb - colour).sum(axis=1).argmin() == p[i, j].argmax(), (i, j, colour)
            checked += 1
    assert checked >= 20
    contours = "return document.getElementById('boundaries').data.filter(t => t.type === 'contour').length"
    assert page.js(contours) == 2 * 3, "each panel: a boundary line for each of the 3 classes"
    page.act(lambda: page.element("#overlay option[value='seeds']").click())
    assert page.js(contours) == 2 * 3 + 2 * 2 * 3, "plus every embedded seed's"


# ---------------------------------------------------------------- seed agreement

HEATMAPS = "return document.getElementById('boundaries').data.filter(t => t.type === 'heatmap')"
TITLES = "return document.getElementById('boundaries').layout.annotations.map(a => a.text)"


def shades_at(boundary, epoch):
    """A run's stored 8-bit plane(s) at ``epoch``, as boundary.npz holds them."""
    with np.load(boundary) as b:
        return b["explorer_probabilities"][b["explorer_epochs"].tolist().index(epoch)]


def test_seed_agreement_is_the_fraction_of_seeds_predicting_label_1(browser, tmp_path):
    """Seeds 1-3 put a's boundary in three places: between them the agreement
    is 1/3 or 2/3, as numpy counts shades >= 128 (p >= 0.5) in boundary.npz.
    At epoch 2 seed 3's boundary lies on grid column 11, where p = 0.5 is
    stored as 128: the threshold itself is checked."""
    output, _ = build_toy(tmp_path, embedded=(1, 2, 3), spread=float(AXIS[11]))
    assert 128 in shades_at(tmp_path / "runs" / "toy" / "a" / "seed3" / "boundary.npz", 2)[:, 11]
    page = Page(browser, output, tmp_path)
    page.act(lambda: page.element("#points option[value='none']").click())
    page.act(lambda: page.element("#overlay option[value='agreement']").click())
    for epoch in (4, 2):
        if epoch == 2:
            page.act(
                lambda: page.js(
                    "const s = document.getElementById('frame'); s.value = 1; s.dispatchEvent(new Event('input'))"
                )
            )
        heatmaps = page.js(HEATMAPS)
        for panel, activation in enumerate("abc"):
            seeds = [
                shades_at(tmp_path / "runs" / "toy" / activation / f"seed{s}" / "boundary.npz", epoch)
                for s in (1, 2, 3)
            ]
            expected = (np.array(seeds) >= 128).mean(axis=0)
            assert np.allclose(heatmaps[panel]["z"], expected), (epoch, activation)
            assert (heatmaps[panel]["zmin"], heatmaps[panel]["zmax"]) == (0, 1)
            if activation == "a":
                assert set(np.round(3 * expected).astype(int).ravel()) == {0, 1, 2, 3}, "the seeds disagree somewhere"
                for i, j in [(0, 0), (5, 13), (5, 15), (5, 19)]:
                    votes = round(3 * expected[i, j])
                    assert heatmaps[panel]["text"][i][j] == f"{votes} of 3 seeds predict label 1", (i, j)
        titles = page.js(TITLES)
        assert all(f"seed agreement over 3 seeds · epoch {epoch}" in title for title in titles), titles
    assert page.js("return document.getElementById('boundaries').data.filter(t => t.type === 'contour').length") == 3
    colourbar = page.js(HEATMAPS + "[0].colorbar.title.text")
    assert colourbar == "fraction of seeds predicting label 1"

    # On screen, at epoch 2: red where no seed predicts label 1, blue where all do.
    picture = page.screenshot("agreement")
    seeds = [shades_at(tmp_path / "runs" / "toy" / "a" / f"seed{s}" / "boundary.npz", 2) for s in (1, 2, 3)]
    fraction = (np.array(seeds) >= 128).mean(axis=0)
    checked = 0
    for i in range(2, RES - 2, 4):
        for j in range(1, RES - 1):
            if fraction[i, j] not in (0, 1) or len(np.unique(fraction[i, j - 1 : j + 2])) > 1:
                continue
            column, row = page.pixel_of(0, AXIS[j], AXIS[i])
            r, _, b = picture[round(row), round(column)]
            assert (b > r) == (fraction[i, j] == 1), (i, j, fraction[i, j], (r, b))
            checked += 1
    assert checked >= 10


def test_seed_agreement_counts_only_seeds_with_a_boundary(browser, tmp_path):
    """c's seed 2 diverges at epoch 3: at epoch 4 c's agreement counts seeds 1
    and 3 and says so, also when seed 2 is the one shown; when every seed has
    diverged the panel says that instead."""
    output, _ = build_toy(tmp_path, embedded=(1, 2, 3), diverged=3, diverging_seeds=(2,))
    page = Page(browser, output, tmp_path, "#overlay=agreement&points=none")
    for shown in (1, 2):
        if shown == 2:
            page.act(lambda: page.element("#seed option[value='2']").click())
        c = page.js(HEATMAPS)[2]
        seeds = [shades_at(tmp_path / "runs" / "toy" / "c" / f"seed{s}" / "boundary.npz", 4) for s in (1, 3)]
        assert np.allclose(c["z"], (np.array(seeds) >= 128).mean(axis=0))
        assert c["text"][0][0] == "2 of 2 seeds predict label 1 (2 of 3 seeds have a boundary at this epoch)"
        assert "seed agreement over 2 seeds · epoch 4" in page.js(TITLES)[2]
        assert "c: 2 of 3 seeds have a boundary at epoch 4" in page.element("#notes").text
        contours = page.js("return document.getElementById('boundaries').data.filter(t => t.type === 'contour').length")
        assert contours == (3 if shown == 1 else 2), "the shown seed's boundary, where it has one"

    output, _ = build_toy(tmp_path / "all", diverged=3)
    page = Page(browser, output, tmp_path, "#overlay=agreement")
    assert len(page.js(HEATMAPS)) == 2, "no seed of c has a boundary at epoch 4"
    assert "non-finite weights, no boundary" in page.element("#boundaries").text


def test_multiclass_seed_agreement_is_the_majority_classs_share(browser, tmp_path):
    """Four seeds' bands in four places: the agreement is the share of seeds
    whose argmax is the most frequent one (ties: the lowest class), as numpy
    counts it from boundary.npz."""
    output, page_data = build_classes_toy(tmp_path, seeds=(1, 2, 3, 4), spread=0.15)
    classes = page_data["datasets"][0]["classes"]
    page = Page(browser, output, tmp_path, "#overlay=agreement&points=none")
    heatmaps, picture = page.js(HEATMAPS), page.screenshot("multiclass_agreement")
    for panel, activation in enumerate("ab"):
        argmax = np.array(
            [shades_at(tmp_path / "runs" / "bands" / activation / f"seed{s}" / "boundary.npz", 4) for s in (1, 2, 3, 4)]
        ).argmax(axis=-1)
        votes = np.stack([(argmax == k).sum(axis=0) for k in range(3)])
        majority, fraction = votes.argmax(axis=0), votes.max(axis=0) / 4
        assert np.allclose(heatmaps[panel]["z"], fraction), activation
        assert set(fraction.ravel()) == {0.5, 0.75, 1.0}, "the seeds disagree, and tie"
        ties = np.argwhere((votes == votes.max(axis=0)).sum(axis=0) > 1)
        for i, j in [*ties[:3], (0, 0), (10, 19)]:
            expected = f"majority {classes[majority[i, j]]}: {votes.max(axis=0)[i, j]} of 4 seeds"
            assert heatmaps[panel]["text"][i][j].startswith(expected), (i, j, heatmaps[panel]["text"][i][j])
        # On screen, at each grid point's cell centre (the median: a boundary
        # line may cross one): the more seeds agree, the darker the grey.
        brightness = {}
        for i in range(2, RES - 2, 4):
            for j in range(1, RES - 1):
                column, row = page.pixel_of(panel, AXIS[j], AXIS[i])
                brightness.setdefault(fraction[i, j], []).append(picture[round(row), round(column)].sum())
        median = [np.median(brightness[f]) for f in (1.0, 0.75, 0.5)]
        assert median[0] < median[1] < median[2], median


# ---------------------------------------------------------------- shareable views

CONTROLS = """return [document.getElementById('dataset').value, document.getElementById('seed').value,
    [...document.querySelectorAll('#activations input:checked')].map(i => i.value),
    document.getElementById('frame').value, document.getElementById('points').value,
    document.getElementById('overlay').value, document.getElementById('epoch').textContent]"""
TWO_SETS = "bands · wide & 2"  # a data set name a link must escape


def build_two_datasets(directory):
    """A page with two data sets: make_toy's "toy" and a multiclass one."""
    toy = make_toy(directory / "toy")
    classes = make_classes_toy(directory / "classes", seeds=(1, 2, 3), name=TWO_SETS)
    for table in ("histories.csv", "runs.csv"):
        both = [pd.read_csv(directory / part / table) for part in ("toy", "classes")]
        pd.concat(both).to_csv(directory / table, index=False)
    chosen = [path for path in toy + classes if path.parent.name != "seed3"]
    output = directory / "explorer.html"
    data = {"toy": directory / "toy" / "data" / "toy.npz", TWO_SETS: directory / "classes" / "data" / f"{TWO_SETS}.npz"}
    build_explorer(
        data, chosen, metrics_of(chosen), directory / "histories.csv", directory / "runs.csv", [1, 2], output
    )
    return output


def test_a_views_fragment_opens_the_same_view(browser, tmp_path):
    output = build_two_datasets(tmp_path)
    page = Page(browser, output, tmp_path)
    assert page.js("return location.hash") == "", "opening the page does not rewrite its link"
    page.act(lambda: page.element("#dataset option[value='1']").click())
    page.act(lambda: page.element("#seed option[value='2']").click())
    page.act(lambda: page.element("#activations input[value='a']").click())
    page.act(
        lambda: page.js("const s = document.getElementById('frame'); s.value = 1; s.dispatchEvent(new Event('input'))")
    )
    page.act(lambda: page.element("#points option[value='validation']").click())
    page.act(lambda: page.element("#overlay option[value='agreement']").click())
    state, controls, link = page.js("return window.explorer.state"), page.js(CONTROLS), page.js("return location.hash")
    assert link == "#dataset=bands+%C2%B7+wide+%26+2&seed=2&activations=b&epoch=2&points=validation&overlay=agreement"
    assert state == {
        "dataset": 1, "seed": 2, "activations": ["b"], "points": "validation", "overlay": "agreement", "frame": 1,
        "unitsOf": "a",
    }  # fmt: skip
    assert controls == ["1", "2", ["b"], "1", "validation", "agreement", "epoch 2 of 4"]

    fresh = Page(browser, output, tmp_path, link)
    assert fresh.js("return window.explorer.state") == state
    assert fresh.js(CONTROLS) == controls
    assert not fresh.element("#fragment-note").is_displayed()
    assert "seed agreement over 2 seeds · epoch 2" in fresh.js(TITLES)[0]

    # Pasted into the open page (hashchange), and back to the default view.
    default = Page(browser, output, tmp_path)
    first = default.js("return window.explorer.state")
    default.act(lambda: default.js("location.hash = arguments[0]", link))
    assert default.js("return window.explorer.state") == state
    default.act(lambda: default.js("location.hash = ''"))
    assert default.js("return window.explorer.state") == first

    # units: understood, but these runs have no unit pictures, so the link
    # does not carry it on (test_explorer_units.py: pages that have them).
    units = Page(browser, output, tmp_path, "#units=b")
    assert units.js("return window.explorer.state.unitsOf") == "b"
    units.act(lambda: units.element("#points option[value='none']").click())
    assert units.js("return location.hash").endswith("&overlay=none")


# Fragments the page must not half-understand, and a word of what its note says.
BAD_FRAGMENTS = {
    "#dataset=circles": 'no data set "circles"',
    "#seed=2&epoch=3": 'epoch "3" is not on toy\'s slider',
    "#%E0%A4%A": "not valid percent-encoding",
    "#seed=3": 'seed "3" is not embedded',
    "#activations=a,z": 'no activation "z"',
    "#points=all": 'points "all"',
    "#overlay=yes": 'overlay "yes"',
    "#colour=red": 'unknown key "colour"',
    "#seed=1&seed=2": '"seed" given twice',
    "#units=z": 'no activation "z"',
}


def test_a_fragment_not_understood_shows_the_default_view_and_says_why(browser, tmp_path):
    output, _ = build_toy(tmp_path)
    page = Page(browser, output, tmp_path, "#")
    default = page.js("return window.explorer.state")
    assert default["seed"] == 1 and default["frame"] == 2 and default["overlay"] == "none"
    assert not page.element("#fragment-note").is_displayed(), "an empty fragment: no note"
    for fragment, problem in BAD_FRAGMENTS.items():
        page = Page(browser, output, tmp_path, fragment)
        assert page.js("return window.explorer.state") == default, fragment
        note = page.element("#fragment-note")
        assert note.is_displayed() and problem in note.text, (fragment, note.text)
        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert errors == [], (fragment, errors)
    page.act(lambda: page.element("#points option[value='none']").click())
    assert not page.element("#fragment-note").is_displayed(), "a change makes the link the view again"
