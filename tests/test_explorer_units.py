"""The explorer's network view: each hidden unit's picture per frame, dead
units marked, weights on hover. In-process (what the page embeds) and in
headless Chromium (what it shows), as tests/test_explorer.py does for the
boundaries."""

import json
from pathlib import Path

import numpy as np
import pytest
from test_explorer import AXIS, Page, browser, make_toy, metrics_of, planes  # noqa: F401 -- fixture

from actzoo.explorer import build_explorer

UNITS = 3


def toy_units(epoch):
    """Known pictures of 3 units on the toy grid: x, y scaled by the epoch,
    and a dead unit (flat 0)."""
    xx, yy = np.meshgrid(AXIS, AXIS)
    grow = (1 + epoch) / 5
    return np.stack([grow * xx, -grow * yy, np.zeros_like(xx)])


def toy_weights(epoch):
    """The flat hidden weights (kernel 2 x 3 row-major, then bias) of a frame."""
    grow = (1 + epoch) / 5
    return np.array([grow, 0, 0, 0, -grow, 0, 0, 0, -5], dtype=np.float32)


def with_network(boundary_path):
    """Give a toy run's boundary.npz the network view actzoo.runs writes."""
    with np.load(boundary_path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    epochs = arrays["explorer_epochs"]
    pictures = np.array([toy_units(e) for e in epochs])
    m = float(np.abs(pictures).max())
    arrays |= {
        "explorer_hidden_units": np.array([UNITS]),
        "explorer_weights": np.array([toy_weights(e) for e in epochs]),
        "explorer_unit_layers": np.array([UNITS]),
        "explorer_unit_x": AXIS,
        "explorer_unit_y": AXIS,
        "explorer_unit_scales": np.array([[-m, m]], dtype=np.float32),
        "explorer_unit_shades": np.rint((pictures + m) / (2 * m) * 255).astype(np.uint8),
        "explorer_unit_dead": np.array([[False, False, True]] * len(epochs)),
    }
    np.savez(boundary_path, **arrays)


def build_network_toy(directory, seeds=(1, 2)):
    boundaries = make_toy(directory, seeds=seeds)
    for path in boundaries:
        with_network(path)
    output = Path(directory) / "explorer.html"
    page = build_explorer(
        {"toy": Path(directory) / "data" / "toy.npz"}, boundaries, metrics_of(boundaries),
        Path(directory) / "histories.csv", Path(directory) / "runs.csv", list(seeds), output,
    )  # fmt: skip
    return output, page


def unit_planes(html, page):
    return planes(html, "units", page["unit_shape"])


# ---------------------------------------------------------------- in-process


def test_the_page_embeds_each_runs_unit_grids_weights_and_deadness(tmp_path):
    output, page = build_network_toy(tmp_path)
    toy = page["datasets"][0]
    assert toy["units"] == {"x": [round(float(v), 5) for v in AXIS], "y": [round(float(v), 5) for v in AXIS]}
    planes = unit_planes(output.read_text(), page)
    for run in toy["runs"]:
        network = run["network"]
        assert network["layers"] == [UNITS] and network["dead"] == [[0, 0, 1]] * len(run["frames"])
        with np.load(tmp_path / "runs" / "toy" / run["activation"] / f"seed{run['seed']}" / "boundary.npz") as npz:
            for frame, epoch in enumerate(run["frames"]):
                for unit in range(UNITS):
                    plane = planes[network["offset"] + frame * UNITS + unit]
                    assert np.array_equal(plane, npz["explorer_unit_shades"][frame, unit])
                w = toy_weights(epoch)
                # Unit 1's incoming weights are the kernel's column 1, then its bias.
                assert network["weights"][frame][1] == pytest.approx([w[1], w[4], w[7]], abs=1e-4)


def test_runs_without_unit_pictures_leave_the_page_as_before(tmp_path):
    from test_explorer import build_toy

    _, page = build_toy(tmp_path)
    assert "units" not in page["datasets"][0]
    assert all("network" not in run for run in page["datasets"][0]["runs"])


def test_default_sized_page_with_units_stays_within_budget(tmp_path):
    """The default config's page: 4 activations x 8 seeds x 26 frames of
    100 x 100 boundaries and of 4 units at 50 x 50 (ReLU ramps over the
    plane, as trained units are): under 10 MB."""
    from actzoo import explorer

    rng = np.random.default_rng(1)
    xx, yy = np.meshgrid(np.linspace(-1, 1, 100), np.linspace(-1, 1, 100))
    ux, uy = xx[::2, ::2], yy[::2, ::2]
    runs = 4 * 8 * 26

    def ramp(scale):
        t = rng.uniform(0, 2 * np.pi)
        return np.maximum(scale * (np.cos(t) * ux + np.sin(t) * uy - rng.uniform(-0.5, 0.5)), 0)

    frames = [
        np.rint(255 / (1 + np.exp(-rng.uniform(1, 30) * (np.cos(t) * xx + np.sin(t) * yy - rng.uniform(-0.5, 0.5)))))
        for t in rng.uniform(0, 2 * np.pi, runs)
    ]
    units = [np.rint(np.clip(ramp(rng.uniform(0.5, 3)) / 3, 0, 1) * 255) for _ in range(runs * 4)]
    output = tmp_path / "page.html"
    blob, unit_blob = np.asarray(frames, np.uint8).tobytes(), np.asarray(units, np.uint8).tobytes()
    explorer.write_page(output, {"datasets": [], "runs_embedded": 0, "runs_total": 0}, blob, unit_blob)
    assert output.stat().st_size < 10e6


def test_the_job_log_names_the_pages_size_and_what_to_lower_past_the_budget(tmp_path, capsys):
    """write_page's line in the job log: the page's and the unit pictures'
    sizes as written; past 10 MB, the two keys that shrink it."""
    from actzoo import explorer

    empty = {"datasets": [], "runs_embedded": 0, "runs_total": 0}
    small, large = tmp_path / "small.html", tmp_path / "large.html"
    explorer.write_page(small, empty, b"", bytes(1000))
    # Random bytes do not deflate: 8 MB of them make a page over 10 MB (base64: x4/3).
    explorer.write_page(large, empty, b"", np.random.default_rng(0).bytes(8_000_000))
    small_note, large_note = capsys.readouterr().err.splitlines()
    assert small_note == f"explorer.html: {small.stat().st_size / 1e6:.1f} MB, of which unit pictures 0.0 MB"
    assert large_note.startswith(f"explorer.html: {large.stat().st_size / 1e6:.1f} MB, of which unit pictures 10.7 MB")
    assert "figures.explorer_units" in large_note and "figures.explorer_seeds" in large_note
    assert "explorer_units" not in small_note


# ---------------------------------------------------------------- in a browser


def network_traces(page):
    return page.js("return document.getElementById('network').data.filter(t => t.meta && t.meta.unit !== undefined)")


def test_unit_panels_show_their_grids(browser, tmp_path):  # noqa: F811
    """Each unit's panel is its grid: blue where the unit's output is
    clearly positive, red where negative (Plotly's own mapping of the point
    to the pixel), and the slider changes it."""
    output, _ = build_network_toy(tmp_path)
    page = Page(browser, output, tmp_path)
    assert page.element("#network-title").text.startswith("a, seed 1, epoch 4")
    picture = page.screenshot("network", "#network")
    checked = 0
    for unit in (0, 1):
        values = toy_units(4)[unit]
        for i, j in [(2, 3), (3, 16), (16, 3), (17, 16), (9, 2), (10, 17)]:
            if abs(values[i, j]) < 0.2:
                continue
            column, row = page.pixel_of(unit + 1, AXIS[j], AXIS[i], "network")
            r, _, b = picture[round(row), round(column)]
            assert (b > r) == (values[i, j] > 0), (unit, i, j, values[i, j], (r, b))
            checked += 1
    assert checked >= 8
    z_last = network_traces(page)[0]["z"]
    page.act(
        lambda: page.js("const s = document.getElementById('frame'); s.value = 0; s.dispatchEvent(new Event('input'))")
    )
    z_first = network_traces(page)[0]["z"]
    np.testing.assert_allclose(np.array(z_first) * 5, np.array(z_last), atol=0.05, err_msg="grow (1 + e) / 5")


def test_dead_units_are_marked_and_hover_names_the_weights(browser, tmp_path):  # noqa: F811
    output, _ = build_network_toy(tmp_path)
    page = Page(browser, output, tmp_path)
    traces = network_traces(page)
    assert [t["meta"]["dead"] for t in traces] == [False, False, True]
    layout = page.js("return document.getElementById('network').layout")
    outlined = [s["xref"] for s in layout["shapes"] if s["type"] == "rect"]
    assert outlined == ["x4 domain"], "the third unit's panel (axis 4) is outlined"
    assert any(a["text"] == "dead" and a["xref"] == "x4 domain" for a in layout["annotations"])
    assert "1 dead (outlined)" in page.element("#network-title").text
    # The hover text: unit 1 (the second) at epoch 4 has w = (0, -1), b = 0.
    assert "w = [0.000, -1.000]<br>b = 0.000" in traces[1]["hovertemplate"]
    assert "layer 1, unit 2" in traces[1]["hovertemplate"]


def test_a_dead_unit_of_a_trained_run_is_marked(browser, circles, tmp_path):  # noqa: F811
    """A real run whose ReLU units die (a large learning rate): the panels
    outlined at each frame are exactly the units boundary.npz calls dead."""
    from actzoo import engine, runs
    from actzoo.activations import normalise
    from actzoo.spec import TrainSpec

    spec = TrainSpec(
        activation=normalise("relu"), seed=1, hidden_units=(8,), epochs=20, batch_size=32, optimizer="adam",
        learning_rate=0.5, grid_resolution=30, explorer_frames=4, explorer_units=64,
    )  # fmt: skip
    (tmp_path / "runs" / "relu").mkdir(parents=True)
    run_dir = tmp_path / "runs" / "relu"
    result = engine.train(circles, spec)
    runs.write_boundary(run_dir / "boundary.npz", spec, result, circles)
    (run_dir / "metrics.json").write_text(json.dumps({"dataset": "circles", "activation": "relu", "seed": 1}))
    np.savez(tmp_path / "circles.npz", **circles)
    rows = result["rows"]
    (tmp_path / "histories.csv").write_text(
        "dataset,activation,seed,epoch,loss,accuracy,val_loss,val_accuracy\n"
        + "".join(f"circles,relu,1,{e + 1},{','.join(map(str, r))}\n" for e, r in enumerate(rows))
    )
    (tmp_path / "runs.csv").write_text(
        f"dataset,activation,seed,epochs,diverged,diverged_epoch\ncircles,relu,1,{len(rows)},False,\n"
    )
    output = tmp_path / "explorer.html"
    build_explorer(
        {"circles": tmp_path / "circles.npz"}, [run_dir / "boundary.npz"], [run_dir / "metrics.json"],
        tmp_path / "histories.csv", tmp_path / "runs.csv", [1], output,
    )  # fmt: skip
    with np.load(run_dir / "boundary.npz") as npz:
        dead = npz["explorer_unit_dead"]
    assert dead[-1].any() and not dead[-1].all(), "some units die and some live (else the test shows nothing)"
    page = Page(browser, output, tmp_path)
    for frame in (len(dead) - 1, 0):
        page.act(lambda: page.js(
            "const s = document.getElementById('frame'); s.value = arguments[0]; s.dispatchEvent(new Event('input'))", frame
        ))  # fmt: skip
        assert [t["meta"]["dead"] for t in network_traces(page)] == dead[frame].tolist(), frame
        shapes = page.js(
            "return document.getElementById('network').layout.shapes.filter(s => s.type === 'rect').length"
        )
        assert shapes == dead[frame].sum()


def test_units_of_another_activation_and_no_console_errors(browser, tmp_path):  # noqa: F811
    output, _ = build_network_toy(tmp_path)
    page = Page(browser, output, tmp_path)
    page.act(lambda: page.element("#units-of option[value='c']").click())
    assert page.element("#network-title").text.startswith("c, seed 1")
    assert page.js("return window.explorer.state.unitsOf") == "c"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == [], errors


def test_a_links_units_open_that_runs_network(browser, tmp_path):  # noqa: F811
    output, _ = build_network_toy(tmp_path)
    page = Page(browser, output, tmp_path, fragment="#seed=2&units=b")
    assert page.element("#network-title").text.startswith("b, seed 2")
    assert page.element("#units-of").get_attribute("value") == "b"
    page.act(lambda: page.element("#units-of option[value='c']").click())
    assert "units=c" in page.js("return location.hash"), "changing it updates the link"
    page = Page(browser, output, tmp_path, fragment="#units=nope")
    assert page.element("#network-title").text.startswith("a, seed 1"), "a bad link: the default view"
    assert 'no activation "nope"' in page.element("#fragment-note").text
