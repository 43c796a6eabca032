// SPDX-License-Identifier: MIT
/* global cockpit */
// Small charts of the last minutes while the page is open: CPU load, memory in use and Harper's
// heap, one point per system information the page already reads (no collector of their own).
import { $, _, el, fmtBytes, fmtPercent, NONE } from "./dom.js";

const WINDOW_MS = 10 * 60 * 1000;
const MIN_SPAN_MS = 60 * 1000;
const WIDTH = 240;
const HEIGHT = 56;
const history = [];     // { t, cpu, memory, heap, heapTotal } per system information read

const CHARTS = [
    { id: "chart-cpu", label: _("CPU load"), value: p => p.cpu, max: () => 100, fmt: fmtPercent },
    { id: "chart-memory", label: _("Memory in use"), value: p => p.memory, max: () => 100, fmt: fmtPercent },
    {
        id: "chart-heap",
        label: _("Harper's heap in use"),
        value: p => p.heap,
        max: points => Math.max(1, ...points.map(p => p.heapTotal || p.heap || 0)),
        fmt: fmtBytes,
        empty: _("No figures: Harper could not be asked."),
    },
];

export function chartsPart() {
    return el("div", { class: "sysops-charts", id: "charts" },
              CHARTS.map(c => el("figure", { class: "sysops-chart", id: c.id, "data-points": 0 },
                                 el("figcaption", {}, el("span", { class: "sysops-chart-label" }, c.label),
                                    el("span", { class: "sysops-chart-value" }, NONE)),
                                 el("div", { class: "sysops-chart-plot" }))));
}

const known = n => n !== null && n !== undefined;

// one point from a system_information answer
export function record(info) {
    const cpu = (info.cpu || {}).current_load || {};
    const mem = info.memory || {};
    const t = Date.now();
    const inUse = known(mem.available) ? mem.total - mem.available : mem.used;
    history.push({
        t,
        cpu: known(cpu.currentLoad) ? cpu.currentLoad : null,
        memory: mem.total && known(inUse) ? 100 * inUse / mem.total : null,
        heap: known(mem.heapUsed) ? mem.heapUsed : null,
        heapTotal: known(mem.heapTotal) ? mem.heapTotal : null,
    });
    while (history.length > 0 && history[0].t < t - WINDOW_MS)
        history.shift();
    render();
}

function plot(chart, points) {
    const max = chart.max(points);
    const now = Date.now();
    // the time axis grows with the page's age up to WINDOW_MS, so early points are not a dot
    const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - points[0].t));
    const xy = points.map(p => [WIDTH * (1 - (now - p.t) / span), HEIGHT - HEIGHT * Math.min(chart.value(p), max) / max]);
    const coords = xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    return el("svg:svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "sysops-chart-svg", role: "img", "aria-label": chart.label, preserveAspectRatio: "none" },
              el("svg:polygon", { class: "sysops-chart-area", points: `${xy[0][0].toFixed(1)},${HEIGHT} ${coords} ${xy[xy.length - 1][0].toFixed(1)},${HEIGHT}` }),
              el("svg:polyline", { class: "sysops-chart-line", points: coords }),
              xy.map(([x, y]) => el("svg:circle", { class: "sysops-chart-point", cx: x.toFixed(1), cy: y.toFixed(1), r: 1.5 })));
}

function render() {
    for (const chart of CHARTS) {
        const figure = $(chart.id);
        const points = history.filter(p => known(chart.value(p)));
        figure.dataset.points = String(points.length);
        const last = points[points.length - 1];
        figure.querySelector(".sysops-chart-value").textContent = last ? chart.fmt(chart.value(last)) : NONE;
        const area = figure.querySelector(".sysops-chart-plot");
        if (points.length === 0)
            area.replaceChildren(el("p", { class: "sysops-muted" }, chart.empty || _("No figures yet.")));
        else
            area.replaceChildren(plot(chart, points));
    }
    $("charts").setAttribute("aria-description", cockpit.format(_("At most the last $0 minutes"), WINDOW_MS / 60000));
}
