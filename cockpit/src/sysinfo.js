// SPDX-License-Identifier: MIT
/* global cockpit */
// System information: SystemInformation(sections) every INTERVAL_MS while the page is visible
// (nothing while it is hidden); each answer also becomes a point of the charts.
import { BACKGROUND, INTERACTIVE, call } from "./bus.js";
import { chartsPart, record } from "./charts.js";
import { renderCluster } from "./cluster.js";
import { $, _, button, card, clearLoadError, descriptionList, el, fmtBytes, fmtNumber, fmtPercent, fmtTime, NONE, row, showError, table, title } from "./dom.js";
import { renderHarper } from "./harper.js";

// everything the page shows; "time" and "database_files" it does not
const SECTIONS = ["system", "cpu", "memory", "disk", "network", "harperdb_processes", "table_size", "metrics", "threads",
    "replication", "unit_metrics", "process_threads"];
const INTERVAL_MS = 10000;

let timer = null;
let last = {};
let lastAnswered = null;        // { at, info }: the last answer with Harper's own figures

export function lastSysinfo() {
    return last;
}

export function sysinfoCard() {
    return card("sysinfo", _("System information"),
                [el("span", { class: "sysops-muted", id: "sysinfo-time" }), button("link", { id: "sysinfo-refresh" }, _("Refresh"))],
                el("div", { class: "sysops-alert", id: "sysinfo-alert", "aria-live": "polite" }),
                chartsPart(),
                el("div", { class: "sysops-grid", id: "sysinfo-summary" }),
                el("div", { id: "sysinfo-harper" }),
                el("div", { id: "sysinfo-tables" }));
}

function loadSysinfo(options) {
    return call("SystemInformation", [SECTIONS], options)
            .then(([json]) => {
                last = JSON.parse(json);
                if (last.harper && last.harper.answered)
                    lastAnswered = { at: Date.now(), info: last };
                record(last);
                render(last);
                clearLoadError("sysinfo-alert");
                $("sysinfo-time").textContent = cockpit.format(_("Updated $0"), new Date().toLocaleTimeString(cockpit.language));
                const sysinfo = $("sysinfo");
                sysinfo.dataset.ready = "1";
                sysinfo.dataset.refreshes = String(Number(sysinfo.dataset.refreshes || 0) + 1);
            })
            .catch(err => showError("sysinfo-alert", err, true));
}

function followVisibility() {
    if (cockpit.hidden) {
        window.clearInterval(timer);
        timer = null;
    } else if (!timer) {
        loadSysinfo(BACKGROUND);
        timer = window.setInterval(() => loadSysinfo(BACKGROUND), INTERVAL_MS);
    }
    $("sysinfo").dataset.timer = timer ? "on" : "off";
}

function block(id, heading, ...content) {
    return el("div", { class: "sysops-block", id }, title(heading), content);
}

function tableBlock(id, heading, head, rows) {
    return block(id, heading, rows.length === 0 ? el("p", { class: "sysops-muted" }, _("None"))
        : table(heading, head, rows.map(cells => row({}, head, cells))));
}

// a table folded by default (a long one that would push the rest down); stays as the person left it
function foldedTableBlock(id, heading, head, rows) {
    const open = !!document.querySelector(`#${id} > details[open]`);
    return el("div", { class: "sysops-block", id },
              el("details", { class: "sysops-details", open },
                 el("summary", { class: "sysops-summary" }, cockpit.format(heading, rows.length)),
                 rows.length === 0 ? el("p", { class: "sysops-muted" }, _("None"))
                     : table(cockpit.format(heading, rows.length), head, rows.map(cells => row({}, head, cells)))));
}

function summary(info) {
    const cpu = info.cpu || {};
    const load = cpu.current_load || {};
    const mem = info.memory || {};
    return [
        block("si-cpu", _("CPU"), descriptionList([
            [_("Model"), [cpu.manufacturer, cpu.brand].filter(Boolean).join(" ") || NONE],
            [_("Cores"), cpu.cores ?? NONE],
            [_("Load average"), fmtNumber(load.avgLoad, 2)],
            [_("Current load"), fmtPercent(load.currentLoad)],
        ])),
        block("si-memory", _("Memory"), descriptionList([
            [_("Total"), fmtBytes(mem.total)],
            [_("Used"), fmtBytes(mem.used)],
            [_("Available"), fmtBytes(mem.available)],
            [_("Swap used"), mem.swaptotal ? cockpit.format(_("$0 of $1"), fmtBytes(mem.swapused), fmtBytes(mem.swaptotal)) : _("no swap")],
        ])),
    ];
}

function disksAndNetwork(info) {
    const disks = ((info.disk || {}).size || []).map(d =>
        [d.mount, d.fs, d.type, fmtBytes(d.size), fmtBytes(d.used), fmtBytes(d.available), fmtPercent(d.use)]);
    const net = info.network || {};
    const stats = new Map((net.stats || []).map(s => [s.iface, s]));
    const ifaces = (net.interfaces || []).map(i => {
        const s = stats.get(i.iface) || {};
        const name = i.iface === net.default_interface ? cockpit.format(_("$0 (default)"), i.iface) : i.iface;
        return [name, i.ip4 || NONE, i.ip6 || NONE, i.operstate || NONE, fmtBytes(s.rx_bytes), fmtBytes(s.tx_bytes)];
    });
    return [
        tableBlock("si-disks", _("Disks"), [_("Mount"), _("Device"), _("Type"), _("Size"), _("Used"), _("Available"), _("Use")], disks),
        tableBlock("si-network", _("Network"), [_("Interface"), _("IPv4"), _("IPv6"), _("State"), _("Received"), _("Sent")], ifaces),
    ];
}

function processesAndUnits(info) {
    const procs = [];
    for (const [role, list] of Object.entries(info.harperdb_processes || {})) {
        for (const p of list || [])
            procs.push([role, p.pid, p.name, [p.command, p.params].filter(Boolean).join(" "), p.state, fmtPercent(p.cpu), fmtBytes((p.memRss || 0) * 1024), p.started]);
    }
    const threads = (info.process_threads || []).map(t => [t.threadId, t.name, t.state, t.cpu_user_ms, t.cpu_system_ms]);
    const units = Object.entries(info.unit_metrics || {}).map(([unit, m]) =>
        [unit, m.role, m.active_state, m.cpu_usage_nsec === null ? NONE : fmtNumber(m.cpu_usage_nsec / 1e9, 2) + " s",
            fmtBytes(m.memory_current), m.tasks_current ?? NONE, m.n_restarts ?? NONE, fmtTime(m.active_since)]);
    return [
        tableBlock("si-processes", _("Harper's processes"), [_("Role"), _("PID"), _("Name"), _("Command"), _("State"), _("CPU"), _("Memory"), _("Started")], procs),
        foldedTableBlock("si-threads", _("Kernel threads ($0)"), [_("TID"), _("Name"), _("State"), _("User CPU ms"), _("System CPU ms")], threads),
        tableBlock("si-metrics", _("Unit metrics (systemd)"), [_("Unit"), _("Role"), _("State"), _("CPU time"), _("Memory"), _("Tasks"), _("Restarts"), _("Active since")], units),
    ];
}

function render(info) {
    $("sysinfo-summary").replaceChildren(...summary(info));
    $("sysinfo-harper").replaceChildren(...renderHarper(info, lastAnswered));
    renderCluster(info);
    $("sysinfo-tables").replaceChildren(...disksAndNetwork(info), ...processesAndUnits(info));
}

export function startSysinfo() {
    $("sysinfo-refresh").addEventListener("click", () => loadSysinfo(INTERACTIVE));
    cockpit.addEventListener("visibilitychange", followVisibility);
    followVisibility();
}
