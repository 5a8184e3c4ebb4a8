// actzoo explorer: ties the page's controls to Plotly.react. Plotly draws
// everything (heatmaps, the contours it computes from the same grids,
// curves); this file only picks which grids and curves to show. Multiclass
// data sets show the argmax class regions and the boundaries between them.
"use strict";

(async function () {
  const $ = (id) => document.getElementById(id);
  const page = JSON.parse($("payload").textContent);
  const [rows, columns] = page.grid_shape;
  const grids = unfiltered(await inflate($("grids").textContent.trim()), rows, columns);
  const unitGrids = unfiltered(await inflate($("units").textContent.trim()), ...page.unit_shape);
  const state = { dataset: 0, seed: null, activations: [], points: "train", overlay: "none", frame: 0, unitsOf: null };
  let playing = null;

  // The grids: 8-bit shades, deflated by Python's zlib; the browser's own
  // DecompressionStream inflates them (a local stream, not a request).
  async function inflate(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // explorer.py sends each plane's rows less the row above (PNG's "Up"
  // filter, for a smaller page): add them back, in place (mod 256).
  function unfiltered(bytes, planeRows, planeColumns) {
    const size = planeRows * planeColumns;
    if (!size) return bytes;  // a page without unit pictures
    for (let start = 0; start + size <= bytes.length; start += size) {
      for (let k = start + planeColumns; k < start + size; k++) bytes[k] += bytes[k - planeColumns];
    }
    return bytes;
  }

  const dataset = () => page.datasets[state.dataset];
  const epoch = () => dataset().epochs[state.frame];
  const run = (activation, seed) => dataset().runs.find((r) => r.activation === activation && r.seed === seed);
  const diverged = (r, e) => r.diverged_epoch !== null && e >= r.diverged_epoch;
  // An activation as the page names it: with its tuned settings when the
  // runs were tuned ("relu · lr=0.01"), else just its name.
  const named = (activation) => {
    const settings = (dataset().settings || {})[activation];
    return settings ? `${activation} · ${settings}` : activation;
  };

  // The probability plane ``k`` (a class; 0 for binary data) of run ``r``
  // at epoch ``e`` as rows of floats, or null where the run has none (it
  // diverged before ``e``).
  function plane(r, e, k) {
    const index = r.frames.indexOf(e);
    if (index < 0 || diverged(r, e)) return null;
    const start = (r.offset + index * planes() + k) * rows * columns;
    const z = [];
    for (let i = 0; i < rows; i++) {
      const row = new Array(columns);
      for (let j = 0; j < columns; j++) row[j] = grids[start + i * columns + j] / 255;
      z.push(row);
    }
    return z;
  }
  const planes = () => (dataset().multiclass ? dataset().classes.length : 1);
  const grid = (r, e) => plane(r, e, 0);

  // Every class's plane of run ``r`` at epoch ``e``, decoded once for both
  // the regions and the boundaries, or null where the run has none.
  function classPlanes(r, e) {
    const p = [...Array(planes()).keys()].map((k) => plane(r, e, k));
    return p[0] === null ? null : p;
  }

  // Per class k: p_k minus the largest other class's probability. Its zero
  // contours are the boundaries between the argmax regions (as the static
  // figures draw them).
  function margins(p) {
    return p.map((zk, k) => zk.map((row, i) => row.map((v, j) =>
      v - Math.max(...p.filter((_, m) => m !== k).map((zm) => zm[i][j])))));
  }

  function contour(d, z, axes, line, level = 0.5) {
    return {
      type: "contour", x: d.x, y: d.y, z, ...axes, showscale: false, hoverinfo: "skip",
      contours: { start: level, end: level, size: 1, coloring: "none" }, line,
    };
  }

  // A run's boundary lines: the 0.5 contour, or every class boundary.
  function lines(d, r, e, axes, line) {
    if (!d.multiclass) {
      const z = grid(r, e);
      return z ? [contour(d, z, axes, line)] : [];
    }
    const p = classPlanes(r, e);
    return p ? margins(p).map((m) => contour(d, m, axes, line, 0)) : [];
  }

  const SYMBOLS = ["circle-open", "x-thin-open", "square-open", "triangle-up-open", "triangle-down-open", "diamond-open",
    "cross-thin-open", "star-open", "triangle-left-open", "triangle-right-open"];
  function points(d, axes) {
    if (state.points === "none") return [];
    const p = d.points[state.points];
    const pick = (label) => ({
      x: p.x.filter((_, i) => p.label[i] === label), y: p.y.filter((_, i) => p.label[i] === label),
    });
    const common = { type: "scatter", mode: "markers", ...axes, hoverinfo: "skip", showlegend: false };
    if (d.multiclass) {
      return d.classes.map((name, k) => {
        const colour = page.class_colours[k % page.class_colours.length];
        return { ...common, ...pick(k), name,
          marker: { symbol: SYMBOLS[k % SYMBOLS.length], size: 6, color: colour, line: { color: colour, width: 1.5 } } };
      });
    }
    return [
      { ...common, ...pick(0), name: "label 0",
        marker: { symbol: "x-thin-open", size: 6, color: "red", line: { color: "red", width: 1.5 } } },
      { ...common, ...pick(1), name: "label 1", marker: { symbol: "circle-open", size: 6, color: "blue" } },
    ];
  }

  // Multiclass: the argmax class of each grid point of the planes ``p``, in
  // the classes' shades.
  function regions(d, p) {
    const z = p[0].map((row, i) => row.map((_, j) => {
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k][i][j] > p[best][i][j]) best = k;
      return best;
    }));
    const n = d.classes.length;
    const colorscale = d.class_shades.flatMap((c, k) => [[k / n, c], [(k + 1) / n, c]]);
    const text = z.map((row, i) => row.map((k, j) => `${d.classes[k]}, p = ${p[k][i][j].toFixed(3)}`));
    return { z, zmin: -0.5, zmax: n - 0.5, colorscale, text };
  }

  // ---------------------------------------------------------------- seed agreement
  // Where the embedded seeds agree at epoch ``e``: is the shown boundary
  // stable across initialisations, or an accident of the seed? Computed from
  // the same decoded planes as the panels. Seeds without a boundary at ``e``
  // (diverged before it) are left out: ``n`` counts the others, ``total``
  // every embedded seed.
  function agreement(d, activation, e) {
    const total = d.seeds.length;
    if (!d.multiclass) {
      const zs = d.seeds.map((seed) => grid(run(activation, seed), e)).filter((z) => z);
      const n = zs.length;
      // p >= 0.5 exactly where the stored shade round(255 p) >= 128.
      const count = n ? zs[0].map((row, i) => row.map((_, j) => zs.filter((z) => z[i][j] >= 0.5).length)) : [];
      return { n, total, count, z: count.map((row) => row.map((c) => c / n)) };
    }
    const argmaxes = d.seeds.map((seed) => classPlanes(run(activation, seed), e)).filter((p) => p)
      .map((p) => regions(d, p).z);
    const n = argmaxes.length;
    const majority = [], count = [];
    for (let i = 0; n && i < rows; i++) {
      majority.push(new Array(columns));
      count.push(new Array(columns));
      for (let j = 0; j < columns; j++) {
        const votes = new Array(d.classes.length).fill(0);
        for (const z of argmaxes) votes[z[i][j]] += 1;
        // The first of the most voted: a tie goes to the lowest class index.
        const best = votes.indexOf(Math.max(...votes));
        majority[i][j] = best;
        count[i][j] = votes[best];
      }
    }
    return { n, total, count, majority, z: count.map((row) => row.map((c) => c / n)) };
  }

  // The agreement heatmap: binary data on the page's red-blue scale (red: no
  // seed predicts label 1, pale: the seeds split), multiclass data on a grey
  // scale (pale: the seeds split, grey: all agree; never so dark that the
  // black boundary lines vanish).
  const AGREEMENT_GREYS = [[0, "#ffffff"], [1, "#8a8a8a"]];
  function agreementHeatmap(d, a, activation, axes, showscale) {
    const others = a.n < a.total ? ` (${a.n} of ${a.total} seeds have a boundary at this epoch)` : "";
    const common = { type: "heatmap", x: d.x, y: d.y, z: a.z, zmin: 0, zmax: 1, ...axes, showscale,
      hovertemplate: `%{text}<extra>${activation}</extra>` };
    if (!d.multiclass) {
      return { ...common, colorscale: page.colorscale,
        colorbar: { title: { text: "fraction of seeds predicting label 1", side: "right" }, thickness: 12, len: 0.8 },
        text: a.count.map((row) => row.map((c) => `${c} of ${a.n} seeds predict label 1${others}`)) };
    }
    return { ...common, colorscale: AGREEMENT_GREYS,
      colorbar: { title: { text: "fraction agreeing with the majority", side: "right" }, thickness: 12, len: 0.8 },
      text: a.count.map((row, i) => row.map((c, j) =>
        `majority ${d.classes[a.majority[i][j]]}: ${c} of ${a.n} seeds (${(c / a.n).toFixed(2)})${others}`)) };
  }

  function boundaries() {
    const d = dataset(), e = epoch(), n = state.activations.length;
    const perRow = Math.min(n, 4), nRows = Math.ceil(n / 4);
    const traces = [], annotations = [], layout = {
      grid: { rows: nRows, columns: perRow, pattern: "independent" },
      height: 40 + 330 * nRows, margin: { l: 20, r: 20, t: 30, b: 10 }, showlegend: false,
    };
    const notes = [];
    state.activations.forEach((activation, k) => {
      const s = k ? String(k + 1) : "";
      const axes = { xaxis: "x" + s, yaxis: "y" + s };
      const r = run(activation, state.seed), p = d.multiclass ? classPlanes(r, e) : null;
      const z = d.multiclass ? p && regions(d, p) : grid(r, e);
      const bare = { showticklabels: false, ticks: "", showgrid: false, zeroline: false, constrain: "domain" };
      layout["xaxis" + s] = { ...bare, range: [d.x[0], d.x[d.x.length - 1]] };
      layout["yaxis" + s] = { ...bare, range: [d.y[0], d.y[d.y.length - 1]], scaleanchor: "x" + s };
      const agreed = state.overlay === "agreement" ? agreement(d, activation, e) : null;
      let title = agreed && agreed.n
        ? `<b>${named(activation)}</b> · seed agreement over ${agreed.n} seeds · epoch ${e}`
        : `<b>${named(activation)}</b> · seed ${state.seed} · epoch ${e}`;
      if (r.diverged_epoch !== null) {
        title += ` <span style="color:#8b0000">(diverged at epoch ${r.diverged_epoch})</span>`;
        notes.push(`${activation}, seed ${state.seed}: training diverged at epoch ${r.diverged_epoch}; no boundary is drawn from that epoch on.`);
      }
      annotations.push({ text: title, showarrow: false, xref: `x${s} domain`, yref: `y${s} domain`, x: 0.5, y: 1.01, yanchor: "bottom" });
      if (agreed && agreed.n) {
        traces.push(agreementHeatmap(d, agreed, activation, axes, k === 0));
        traces.push(...lines(d, r, e, axes, { color: "black", width: 2 }));  // the shown seed's, on top
        if (agreed.n < agreed.total) {
          notes.push(`${activation}: ${agreed.n} of ${agreed.total} seeds have a boundary at epoch ${e}; the agreement counts those.`);
        }
      } else if (z && d.multiclass) {
        traces.push({ type: "heatmap", x: d.x, y: d.y, ...z, ...axes, showscale: false,
          hovertemplate: `%{text}<extra>${activation}</extra>` });
        traces.push(...margins(p).map((m) => contour(d, m, axes, { color: "black", width: 2 }, 0)));
      } else if (z) {
        traces.push({
          type: "heatmap", x: d.x, y: d.y, z, zmin: 0, zmax: 1, colorscale: page.colorscale, ...axes,
          showscale: k === 0, colorbar: { title: { text: "P(label 1)" }, thickness: 12, len: 0.8 },
          hovertemplate: `p = %{z:.3f}<extra>${activation}</extra>`,
        });
        traces.push(contour(d, z, axes, { color: "black", width: 2 }));
      } else {
        annotations.push({
          text: `diverged at epoch ${r.diverged_epoch}:<br>non-finite weights, no boundary`, showarrow: false,
          font: { color: "#8b0000", size: 14 }, xref: `x${s} domain`, yref: `y${s} domain`, x: 0.5, y: 0.5,
        });
      }
      if (state.overlay === "seeds") {
        for (const seed of d.seeds) traces.push(...lines(d, run(activation, seed), e, axes, { color: "rgba(40,40,40,0.55)", width: 1 }));
      }
      traces.push(...points(d, axes));
    });
    layout.annotations = annotations;
    $("notes").textContent = notes.join(" ");
    return [traces, layout];
  }

  function curves() {
    const d = dataset(), e = epoch(), traces = [];
    const measures = [["val_loss", "validation loss"], ["val_accuracy", "validation accuracy"]];
    const layout = {
      grid: { rows: 1, columns: 2, pattern: "independent" }, height: 360, margin: { l: 60, r: 20, t: 20, b: 40 },
      legend: { orientation: "h", y: -0.3, yanchor: "top" }, shapes: [],
    };
    measures.forEach(([measure, label], m) => {
      const s = m ? "2" : "", axes = { xaxis: "x" + s, yaxis: "y" + s };
      layout["xaxis" + s] = { title: { text: "epoch" } };
      layout["yaxis" + s] = { title: { text: label } };
      layout.shapes.push({ type: "line", xref: "x" + s, yref: `y${s} domain`, x0: e, x1: e, y0: 0, y1: 1, line: { color: "#444", dash: "dot" } });
      for (const activation of state.activations) {
        const colour = page.colours[activation], band = d.bands[activation][measure], r = run(activation, state.seed);
        const group = { legendgroup: activation, ...axes, hoverinfo: "skip" };
        traces.push({ type: "scatter", mode: "lines", x: band.epoch, y: band.low, line: { width: 0 }, showlegend: false, ...group });
        traces.push({
          type: "scatter", mode: "lines", x: band.epoch, y: band.high, line: { width: 0 }, fill: "tonexty",
          fillcolor: colour + "33", name: `${named(activation)}: all ${d.seeds_total} seeds (min-max)`, showlegend: m === 0, ...group,
        });
        const x = r[measure].map((_, i) => i + 1);
        const name = `${named(activation)}, seed ${state.seed}` + (r.diverged_epoch !== null ? ` (diverged at epoch ${r.diverged_epoch})` : "");
        traces.push({ type: "scatter", mode: "lines", x, y: r[measure], line: { color: colour, width: 2 }, name, showlegend: m === 0, ...group });
        if (e >= 1 && e <= r[measure].length) {
          traces.push({ type: "scatter", mode: "markers", x: [e], y: [r[measure][e - 1]], marker: { color: colour, size: 9 }, showlegend: false, ...group });
        }
      }
    });
    return [traces, layout];
  }

  // ---------------------------------------------------------------- network
  // Inside the network: what each hidden unit of one run (the activation in
  // "units of", the shown seed) computes over the plane at the slider's
  // epoch, layer by layer as columns, and that run's output beside them.
  // A unit's grid is 8-bit shades of its layer's scale (units.py).
  const UNIT_PX = 84, UNIT_GAP = 22, UNITS_PER_COLUMN = 8, HEADER_PX = 44;
  const hasNetwork = () => dataset().units !== undefined;
  const escaped = (text) => text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  // The unit ``u`` (counted over the pictured layers) of run ``r`` at epoch
  // ``e`` as rows of values on its layer's scale, or null (no frame there).
  function unitPlane(r, e, u, layer) {
    const index = r.frames.indexOf(e);
    if (index < 0 || diverged(r, e) || !r.network) return null;
    const [unitRows, unitColumns] = page.unit_shape, n = r.network.dead[0].length;
    const start = (r.network.offset + index * n + u) * unitRows * unitColumns;
    const [low, high] = r.network.scales[layer];
    const z = [];
    for (let i = 0; i < unitRows; i++) {
      const row = new Array(unitColumns);
      for (let j = 0; j < unitColumns; j++) row[j] = low + (unitGrids[start + i * unitColumns + j] / 255) * (high - low);
      z.push(row);
    }
    return z;
  }

  // Where each pictured unit sits: its layer, its index in the layer, its
  // column and row of panels (a layer wraps every UNITS_PER_COLUMN units).
  function unitPlaces(layers) {
    const places = [];
    let column = 0;
    layers.forEach((n, layer) => {
      for (let k = 0; k < n; k++) {
        places.push({ layer, k, column: column + Math.floor(k / UNITS_PER_COLUMN), row: k % UNITS_PER_COLUMN });
      }
      column += Math.ceil(n / UNITS_PER_COLUMN);
    });
    return [places, column];
  }

  // A layer's colour scale, short enough for its column (the title says
  // what the colours mean).
  const scaleText = ([low, high]) => (low < 0 ? `${low.toFixed(2)} … ${high.toFixed(2)}` : `0 … ${high.toFixed(2)}`);
  const weightText = (w) => {
    const inputs = w.slice(0, -1).map((v, i) => `${i % 6 === 5 ? "<br>" : ""}${v.toFixed(3)}`);
    return `w = [${inputs.join(", ")}]<br>b = ${w[w.length - 1].toFixed(3)}`;
  };

  function network() {
    const d = dataset(), e = epoch(), activation = state.unitsOf, r = run(activation, state.seed);
    const traces = [], annotations = [], shapes = [];
    const layout = { showlegend: false, margin: { l: 10, r: 10, t: 10, b: 10 }, annotations, shapes };
    if (!r.network) return [traces, { ...layout, height: 10 }, "This run has no unit pictures (figures.explorer_units is 0)."];
    const [places, columns] = unitPlaces(r.network.layers);
    const rows = Math.min(UNITS_PER_COLUMN, Math.max(...r.network.layers));
    const outputPx = Math.max(UNIT_PX * 2, Math.min(rows * (UNIT_PX + UNIT_GAP) - UNIT_GAP, 300));
    const width = 20 + columns * (UNIT_PX + UNIT_GAP) + 3 * UNIT_GAP + outputPx, height = 20 + HEADER_PX + rows * (UNIT_PX + UNIT_GAP);
    Object.assign(layout, { width, height, autosize: false });
    const bare = { showticklabels: false, ticks: "", showgrid: false, zeroline: false, fixedrange: true };
    const xDomain = (left, size) => [(10 + left) / width, (10 + left + size) / width];
    const yDomain = (top, size) => [1 - (10 + top + size) / height, 1 - (10 + top) / height];
    const frame = r.frames.indexOf(e);
    let title = `<b>${escaped(named(activation))}</b>, seed ${state.seed}, epoch ${e}: each hidden unit's output over the plane ` +
      "(white 0, blue positive, red negative; each layer's scale under its name).";
    r.network.layers.forEach((n, layer) => {
      const first = places.findIndex((p) => p.layer === layer);
      const left = places[first].column * (UNIT_PX + UNIT_GAP);
      annotations.push({
        text: `<b>layer ${layer + 1}</b> · ${n}<br>${scaleText(r.network.scales[layer])}`, showarrow: false,
        xref: "paper", yref: "paper", x: (10 + left) / width, y: 1 - 10 / height, xanchor: "left", yanchor: "top",
        align: "left", font: { size: 11 },
      });
    });
    places.forEach((place, u) => {
      const s = String(u + 2), axes = { xaxis: "x" + s, yaxis: "y" + s };
      const left = place.column * (UNIT_PX + UNIT_GAP), top = HEADER_PX + place.row * (UNIT_PX + UNIT_GAP);
      layout["xaxis" + s] = { ...bare, domain: xDomain(left, UNIT_PX), range: [d.units.x[0], d.units.x[d.units.x.length - 1]] };
      layout["yaxis" + s] = { ...bare, domain: yDomain(top, UNIT_PX), range: [d.units.y[0], d.units.y[d.units.y.length - 1]] };
      const z = unitPlane(r, e, u, place.layer);
      if (!z) return;
      const [low, high] = r.network.scales[place.layer], dead = r.network.dead[frame][u] === 1;
      const name = `layer ${place.layer + 1}, unit ${place.k + 1}`;
      traces.push({
        type: "heatmap", x: d.units.x, y: d.units.y, z, zmin: low, zmax: high, ...axes, showscale: false,
        colorscale: low < 0 ? page.unit_colorscales.around_zero : page.unit_colorscales.from_zero,
        hovertemplate: `<b>${name}</b>${dead ? " (dead)" : ""}<br>${weightText(r.network.weights[frame][u])}` +
          `<br>output %{z:.3f}<extra></extra>`,
        meta: { unit: u, layer: place.layer, dead },
      });
      if (dead) {
        // Dead: flat on every training sample (the diagnostics' definition).
        shapes.push({ type: "rect", xref: `x${s} domain`, yref: `y${s} domain`, x0: -0.04, x1: 1.04, y0: -0.04, y1: 1.04,
          line: { color: "#8b0000", width: 3 } });
        annotations.push({ text: "dead", showarrow: false, xref: `x${s} domain`, yref: `y${s} domain`, x: 0.5, y: 0.5,
          font: { color: "#8b0000", size: 13 }, bgcolor: "rgba(255,255,255,0.7)" });
      }
    });
    // The run's output beside its units: the boundary panel as above.
    const left = columns * (UNIT_PX + UNIT_GAP) + 2 * UNIT_GAP, axes = { xaxis: "x", yaxis: "y" };
    layout.xaxis = { ...bare, domain: xDomain(left, outputPx), range: [d.x[0], d.x[d.x.length - 1]] };
    layout.yaxis = { ...bare, domain: yDomain(HEADER_PX, outputPx), range: [d.y[0], d.y[d.y.length - 1]] };
    annotations.push({ text: "<b>output</b>", showarrow: false, xref: "paper", yref: "paper", x: (10 + left) / width,
      y: 1 - 10 / height, xanchor: "left", yanchor: "top", font: { size: 11 } });
    if (d.multiclass) {
      const p = classPlanes(r, e);
      if (p) traces.unshift({ type: "heatmap", x: d.x, y: d.y, ...regions(d, p), ...axes, showscale: false, hoverinfo: "skip" });
    } else {
      const z = grid(r, e);
      if (z) traces.unshift({ type: "heatmap", x: d.x, y: d.y, z, zmin: 0, zmax: 1, colorscale: page.colorscale, ...axes,
        showscale: false, hoverinfo: "skip" }, contour(d, z, axes, { color: "black", width: 2 }));
    }
    if (frame < 0 || diverged(r, e)) title += ` <span style="color:#8b0000">Diverged at epoch ${r.diverged_epoch}: no pictures from then on.</span>`;
    const deadCount = frame < 0 ? 0 : r.network.dead[frame].reduce((a, b) => a + b, 0);
    if (deadCount) title += ` <span style="color:#8b0000">${deadCount} dead (outlined): flat on every training sample.</span>`;
    return [traces, layout, title + " Hover a unit for its incoming weights and bias."];
  }

  const config = { responsive: true, displaylogo: false };
  // body[data-rendered] counts finished draws: a test waits for it, not a clock.
  async function draw() {
    $("epoch").textContent = `epoch ${epoch()} of ${dataset().epochs[dataset().epochs.length - 1]}`;
    const [t1, l1] = boundaries(), [t2, l2] = curves();
    const drawn = [Plotly.react("boundaries", t1, l1, config), Plotly.react("curves", t2, l2, config)];
    $("network-controls").hidden = $("network").hidden = $("network-title").hidden = !hasNetwork();
    if (hasNetwork()) {
      const [t3, l3, title] = network();
      $("network-title").innerHTML = title;
      drawn.push(Plotly.react("network", t3, l3, { displaylogo: false }));
    }
    await Promise.all(drawn);
    document.body.dataset.rendered = Number(document.body.dataset.rendered || 0) + 1;
  }

  // A slider dragged faster than Plotly draws: draw the latest state once the
  // current draw is done, instead of queueing every intermediate one.
  let drawing = null, stale = false;
  function render() {
    if (drawing) {
      stale = true;
      return drawing;
    }
    drawing = (async () => {
      do {
        stale = false;
        await draw();
      } while (stale);
      drawing = null;
    })();
    return drawing;
  }

  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }

  // Controls for the chosen data set: its seeds, activations and epochs.
  function setUpDataset() {
    const d = dataset();
    $("seed").replaceChildren();
    d.seeds.forEach((seed) => option($("seed"), seed, `seed ${seed}`));
    state.seed = d.seeds[0];
    const box = $("activations");
    box.querySelectorAll("label").forEach((l) => l.remove());
    state.activations = d.activations.slice();
    for (const activation of d.activations) {
      const label = document.createElement("label"), input = document.createElement("input");
      input.type = "checkbox";
      input.value = activation;
      input.checked = true;
      input.addEventListener("change", () => {
        const chosen = [...box.querySelectorAll("input:checked")].map((i) => i.value);
        if (!chosen.length) { input.checked = true; return; }  // always one panel
        state.activations = chosen;
        render();
      });
      label.append(input, " " + named(activation));
      box.appendChild(label);
    }
    $("units-of").replaceChildren();
    d.activations.forEach((activation) => option($("units-of"), activation, named(activation)));
    state.unitsOf = d.activations[0];
    $("frame").max = d.epochs.length - 1;
    state.frame = d.epochs.length - 1;
    $("frame").value = state.frame;
  }

  function stop() {
    playing = null;
    $("play").textContent = "Play";
  }

  async function play(token) {
    while (playing === token && state.frame < dataset().epochs.length - 1) {
      state.frame += 1;
      $("frame").value = state.frame;
      remember();
      await render();
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    if (playing === token) stop();
  }

  // ---------------------------------------------------------------- shareable views
  // The view lives in the URL fragment, so a link opens the page as it was:
  // #dataset=circles&seed=2&activations=relu,tanh&epoch=40&points=train&overlay=agreement
  // (the epoch by number, not slider position; ``units`` names the activation
  // whose hidden units are shown). Controls update it with replaceState: no
  // navigation, no history entry, no request.
  const FRAGMENT_KEYS = ["dataset", "seed", "activations", "epoch", "points", "overlay", "units"];
  const choices = (select) => [...$(select).options].map((o) => o.value);

  function fragment() {
    const d = dataset();
    const params = new URLSearchParams({
      dataset: d.name, seed: state.seed, activations: state.activations.join(","), epoch: epoch(),
      points: state.points, overlay: state.overlay,
    });
    if (hasNetwork() && d.activations.includes(state.unitsOf)) params.set("units", state.unitsOf);
    // Commas need no escape in a fragment, and "relu,tanh" reads better.
    return "#" + params.toString().replaceAll("%2C", ",");
  }

  function remember() {
    $("fragment-note").textContent = "";  // the fragment is the view again
    const wanted = fragment();
    if (location.hash === wanted) return;
    try {
      history.replaceState(null, "", wanted);
    } catch {
      // Browsers cap how often a page may replace its URL (Safari throws past
      // 100 in 30 s): a slider dragged that long only leaves the link behind
      // until the next change.
    }
  }

  // The view a fragment names ({} for an empty one: the default view), or
  // the part not understood. One bad part rejects the whole fragment: half a
  // shared view would mislead more than the default one. Keys left out take
  // their defaults.
  function parseFragment(hash) {
    const text = hash.replace(/^#/, "");
    if (!text) return { view: {} };
    try {
      decodeURIComponent(text);  // URLSearchParams would quietly turn bad escapes into U+FFFD
    } catch {
      return { problem: "its text is not valid percent-encoding" };
    }
    const params = new URLSearchParams(text), keys = [...params.keys()];
    const unknown = keys.find((key) => !FRAGMENT_KEYS.includes(key));
    if (unknown !== undefined) return { problem: `unknown key "${unknown}"` };
    const twice = keys.find((key, i) => keys.indexOf(key) !== i);
    if (twice !== undefined) return { problem: `"${twice}" given twice` };
    const view = {};
    if (params.has("dataset")) {
      view.dataset = page.datasets.findIndex((d) => d.name === params.get("dataset"));
      if (view.dataset < 0) return { problem: `no data set "${params.get("dataset")}" on this page` };
    }
    const d = page.datasets[view.dataset ?? 0];
    // Numbers compared as the page writes them: "02" or "2.0" is no seed or epoch.
    if (params.has("seed")) {
      view.seed = d.seeds.find((seed) => String(seed) === params.get("seed"));
      if (view.seed === undefined) return { problem: `seed "${params.get("seed")}" is not embedded for ${d.name}` };
    }
    if (params.has("activations")) {
      const listed = params.get("activations").split(",");
      const stranger = listed.find((a) => !d.activations.includes(a));
      if (stranger !== undefined) return { problem: `no activation "${stranger}" in ${d.name}` };
      view.activations = d.activations.filter((a) => listed.includes(a));  // the check boxes' order
    }
    if (params.has("epoch")) {
      view.frame = d.epochs.findIndex((e) => String(e) === params.get("epoch"));
      if (view.frame < 0) return { problem: `epoch "${params.get("epoch")}" is not on ${d.name}'s slider` };
    }
    for (const key of ["points", "overlay"]) {
      if (params.has(key) && !choices(key).includes(params.get(key))) {
        return { problem: `${key} "${params.get(key)}" is not one of ${choices(key).join(", ")}` };
      }
      if (params.has(key)) view[key] = params.get(key);
    }
    if (params.has("units")) {
      if (!d.activations.includes(params.get("units"))) return { problem: `no activation "${params.get("units")}" in ${d.name} for units` };
      view.unitsOf = params.get("units");
    }
    return { view };
  }

  // Show the fragment's view; a fragment not understood shows the default
  // view and says which part it was.
  // (The rest of the default view, units of the first activation included,
  // is setUpDataset's.)
  const DEFAULT_VIEW = { points: state.points, overlay: state.overlay };
  function restore(hash) {
    const { view = {}, problem } = parseFragment(hash);
    $("fragment-note").textContent = problem ? `The link's view was not understood (${problem}); this is the default view.` : "";
    stop();
    state.dataset = view.dataset ?? 0;
    setUpDataset();
    Object.assign(state, DEFAULT_VIEW, view);
    $("dataset").value = state.dataset;
    $("seed").value = state.seed;
    $("activations").querySelectorAll("input").forEach((input) => { input.checked = state.activations.includes(input.value); });
    $("frame").value = state.frame;
    $("points").value = state.points;
    $("overlay").value = state.overlay;
    $("units-of").value = state.unitsOf;
  }

  if (!page.datasets.length) {
    $("notes").textContent = "This run has no 2-D data set, so there is no boundary to explore.";
    document.body.dataset.ready = "true";
    return;
  }
  page.datasets.forEach((d, i) => option($("dataset"), i, d.name));
  $("dataset").addEventListener("change", () => { stop(); state.dataset = Number($("dataset").value); setUpDataset(); render(); });
  $("seed").addEventListener("change", () => { state.seed = Number($("seed").value); render(); });
  $("units-of").addEventListener("change", () => { state.unitsOf = $("units-of").value; render(); });
  $("points").addEventListener("change", () => { state.points = $("points").value; render(); });
  $("overlay").addEventListener("change", () => { state.overlay = $("overlay").value; render(); });
  $("frame").addEventListener("input", () => { stop(); state.frame = Number($("frame").value); render(); });
  $("play").addEventListener("click", () => {
    if (playing) return stop();
    if (state.frame >= dataset().epochs.length - 1) state.frame = 0;
    playing = {};
    $("play").textContent = "Pause";
    play(playing);
  });
  // Every control's change lands in the fragment (Play's steps too, in play()).
  $("controls").addEventListener("change", remember);
  $("controls").addEventListener("input", remember);
  // A fragment pasted into the open page.
  window.addEventListener("hashchange", () => { restore(location.hash); render(); });
  restore(location.hash);
  await render();
  window.explorer = { page, state, render };
  document.body.dataset.readyMs = performance.now();  // since navigation began: the load time
  document.body.dataset.ready = "true";
})().catch((error) => {
  document.getElementById("notes").textContent = "The explorer failed to start: " + error;
  throw error;
});
