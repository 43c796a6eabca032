/* global cockpit */
// harper-sysops's Cockpit page. Everything goes through cockpit.dbus to
// io.harperdb.SystemOperations1 on the system bus, as the logged-in user:
//   statuses  ListStatuses() on load and whenever the Statuses property is invalidated
//             (its PropertiesChanged carries no value); SetStatus/ClearStatus from the form;
//   restarts  Restart()/RestartService(); the job objects come from the object manager at /
//             (GetManagedObjects, InterfacesAdded/Removed) and follow PropertiesChanged;
//   system    SystemInformation(sections) every SYSINFO_INTERVAL_MS while the page is visible.
// Calls a person starts carry the interactive-authorization flag ("i"), so Cockpit can ask for
// a password through polkit; automatic refreshes do not (no dialog out of the blue).
"use strict";

const BUS_NAME = "io.harperdb.SystemOperations1";
const OBJ_PATH = "/io/harperdb/SystemOperations1";
const IFACE = BUS_NAME;
const JOB_IFACE = BUS_NAME + ".Job";
const JOB_PATH_PREFIX = OBJ_PATH + "/job/";
const PROPS_IFACE = "org.freedesktop.DBus.Properties";
const OM_IFACE = "org.freedesktop.DBus.ObjectManager";
const STATUS_IDS = ["primary", "maintenance", "availability"];
// the kernel's threads and systemd's accounting; Harper's own threads and metrics are not shown yet
const SYSINFO_SECTIONS = ["cpu", "memory", "disk", "network", "harperdb_processes", "process_threads", "unit_metrics"];
const SYSINFO_INTERVAL_MS = 10000;
const JOBS_SHOWN = 20;
// a person may take a while to type a password into polkit's dialog
const INTERACTIVE = { flags: "i", timeout: 300000 };
const BACKGROUND = { timeout: 30000 };

const client = cockpit.dbus(BUS_NAME, { bus: "system" });
const jobs = new Map();        // job object path -> { Id, Status, Steps, ... } (plain values)

// ------------------------------------------------------------------ small DOM helpers

const $ = id => document.getElementById(id);

// el("td", { class: "x", "data-id": "y" }, "text", childNode, ...): text is never parsed as HTML
function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v !== undefined && v !== null && v !== false)
            node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
        if (c !== undefined && c !== null)
            node.append(c instanceof Node ? c : String(c));
    }
    return node;
}

function fmtTime(ms) {
    return ms ? new Date(Number(ms)).toLocaleString() : "—";
}

function fmtBytes(n) {
    if (n === null || n === undefined)
        return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    n = Number(n);
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function fmtNumber(n, digits) {
    return n === null || n === undefined ? "—" : Number(n).toFixed(digits);
}

// ------------------------------------------------------------------ errors and alerts

// A failed call in plain words, with the daemon's own message kept as is.
function describeError(err) {
    const name = err.name || "";
    const msg = err.message || cockpit.message(err);
    const short = name.substring(name.lastIndexOf(".") + 1);
    switch (short) {
    case "AccessDenied":
        return "Not permitted: " + msg;
    case "InteractiveAuthorizationRequired":
        return "Authentication is required (use Refresh or try the action again to authenticate): " + msg;
    case "AuthorizationCancelled":
        return "Authentication was cancelled: " + msg;
    case "AlreadyRunning":
        return "Already running: " + msg;
    case "ServiceUnknown":
    case "NameHasNoOwner":
    case "NoReply":
        return "harper-sysopsd is not answering: " + msg;
    case "InvalidArgs":      // Harper's validation message, as the daemon wrote it
    case "NoSuchStatus":
    case "NoSuchJob":
    case "JobFailed":
        return msg;
    default:
        return name ? msg + " (" + name + ")" : msg;
    }
}

// showAlert(id, kind, text): kind is danger, success or info; text "" clears the alert
function showAlert(id, kind, text, attrs) {
    const box = $(id);
    box.replaceChildren();
    if (!text)
        return;
    box.append(el("div", { class: "pf-c-alert pf-m-inline pf-m-" + kind, role: kind === "danger" ? "alert" : "status", ...attrs },
                  el("p", { class: "pf-c-alert__title" }, text)));
}

// showError(id, err, fromLoad): fromLoad marks a failed automatic read, which the next good
// read clears again (an action's error stays until the next action)
function showError(id, err, fromLoad) {
    showAlert(id, "danger", describeError(err), { "data-error": err.name || "", "data-load-error": !!fromLoad });
}

function clearLoadError(id) {
    if ($(id).querySelector("[data-load-error]"))
        showAlert(id, "", "");
}

// ------------------------------------------------------------------ statuses

let statusesLoading = null;     // the ListStatuses in flight
let statusesAgain = null;       // asked again while it ran: once more afterwards, with these options

function loadStatuses(options) {
    if (statusesLoading) {
        if (!statusesAgain || options.flags)
            statusesAgain = options;
        return statusesLoading;
    }
    statusesLoading = client.call(OBJ_PATH, IFACE, "ListStatuses", [], options)
            .then(([records]) => {
                renderStatuses(records);
                clearLoadError("statuses-alert");
            })
            .catch(err => {
                renderStatuses(null);
                showError("statuses-alert", err, true);
            })
            .finally(() => {
                statusesLoading = null;
                if (statusesAgain) {
                    const again = statusesAgain;
                    statusesAgain = null;
                    loadStatuses(again);
                }
            });
    return statusesLoading;
}

// records: [[id, status, created, updated], ...], or null when they could not be read
function renderStatuses(records) {
    const byId = new Map((records || []).map(r => [r[0], r]));
    const ids = STATUS_IDS.concat([...byId.keys()].filter(id => !STATUS_IDS.includes(id)));
    const rows = ids.map(id => {
        const r = byId.get(id);
        const value = r ? el("td", { class: "status-value", "data-label": "Status" }, r[1])
            : el("td", { class: "status-value sysops-muted", "data-label": "Status" }, records ? "not set" : "unknown");
        const clear = r ? el("button", { class: "pf-c-button pf-m-link pf-m-inline status-clear", type: "button", "data-id": id }, "Clear")
            : "";
        return el("tr", { "data-status-id": id, "data-set": r ? "1" : "0" },
                  el("td", { "data-label": "Id" }, id), value,
                  el("td", { "data-label": "Created" }, r ? fmtTime(r[2]) : "—"),
                  el("td", { "data-label": "Updated" }, r ? fmtTime(r[3]) : "—"),
                  el("td", {}, clear));
    });
    $("statuses-rows").replaceChildren(...rows);
    // for tests and the curious: when the table last changed (ms since the epoch)
    $("statuses").dataset.renderedAt = String(Date.now());
}

function setStatus(ev) {
    ev.preventDefault();
    const id = $("status-id").value;
    const value = $("status-value").value;
    $("status-set").disabled = true;
    client.call(OBJ_PATH, IFACE, "SetStatus", [id, value], INTERACTIVE)
            .then(([record]) => {
                showAlert("statuses-alert", "success", `Status ${record[0]} set to "${record[1]}".`);
                $("status-value").value = "";
                return loadStatuses(BACKGROUND);
            })
            .catch(err => showError("statuses-alert", err))
            .finally(() => { $("status-set").disabled = false });
}

function clearStatus(id) {
    client.call(OBJ_PATH, IFACE, "ClearStatus", [id], INTERACTIVE)
            .then(() => {
                showAlert("statuses-alert", "success", `Status ${id} cleared.`);
                return loadStatuses(BACKGROUND);
            })
            .catch(err => showError("statuses-alert", err));
}

function suggestStatuses() {
    const values = $("status-id").value === "availability" ? ["Available", "Unavailable"] : [];
    $("status-suggestions").replaceChildren(...values.map(v => el("option", { value: v })));
}

// ------------------------------------------------------------------ restarts and jobs

function plain(props) {
    const out = {};
    for (const [k, v] of Object.entries(props || {}))
        out[k] = v && typeof v === "object" && "v" in v ? v.v : v;
    return out;
}

function updateJob(path, props) {
    jobs.set(path, Object.assign(jobs.get(path) || {}, plain(props)));
    scheduleJobsRender();
}

function loadJobs() {
    return client.call("/", OM_IFACE, "GetManagedObjects", [], BACKGROUND)
            .then(([objects]) => {
                jobs.clear();
                for (const [path, ifaces] of Object.entries(objects)) {
                    if (ifaces[JOB_IFACE])
                        jobs.set(path, plain(ifaces[JOB_IFACE]));
                }
                renderJobs();
            })
            .catch(err => showError("restart-alert", err, true));
}

let jobsRenderQueued = false;
function scheduleJobsRender() {
    if (!jobsRenderQueued) {
        jobsRenderQueued = true;
        window.requestAnimationFrame(() => { jobsRenderQueued = false; renderJobs() });
    }
}

const STATUS_LABEL = { CREATED: "blue", IN_PROGRESS: "blue", COMPLETE: "green", ERROR: "red" };
const STEP_MARK = { pending: "○", running: "◐", done: "●", failed: "✕", skipped: "–" };

function jobTitle(job) {
    if (job.Type === "restart")
        return "Restart Harper";
    return "Restart " + (job.Service || "service") + (job.Replicated ? " (replicated)" : "");
}

function renderProgress(job) {
    const steps = job.Steps || [];
    const nodes = job.Nodes || [];
    const parts = [];
    if (steps.length > 0) {
        const done = steps.filter(s => s[1] === "done").length;
        const pct = Math.round(100 * done / steps.length);
        const indicator = el("div", { class: "pf-c-progress__indicator" });
        indicator.style.width = pct + "%";     // CSSOM: a style attribute would break the content policy
        parts.push(el("div", { class: "pf-c-progress pf-m-sm job-progress", "data-done": done, "data-total": steps.length },
                      el("div", { class: "pf-c-progress__status" },
                         el("span", { class: "pf-c-progress__measure" }, `${done}/${steps.length}`)),
                      el("div", { class: "pf-c-progress__bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct },
                         indicator)));
        parts.push(el("ul", { class: "job-steps" },
                      steps.map(([unit, state]) => el("li", { "data-unit": unit, "data-state": state },
                                                      `${STEP_MARK[state] || "?"} ${unit}: ${state}`))));
    }
    if (nodes.length > 0) {
        parts.push(el("ul", { class: "job-nodes", "aria-label": "Peer nodes" },
                      nodes.map(([name, state, message, peerJob]) =>
                          el("li", { "data-node": name, "data-state": state, class: name === job.CurrentNode ? "current" : null },
                             `${STEP_MARK[state] || "?"} `, el("strong", {}, name), `: ${state}`, message ? ` — ${message}` : "",
                             peerJob ? el("span", { class: "sysops-muted" }, ` (job ${peerJob})`) : ""))));
    } else if (job.Replicated && job.CurrentNode) {
        parts.push(el("div", { class: "job-current-node" }, "Now on " + job.CurrentNode));
    }
    return parts;
}

function renderJobs() {
    const list = [...jobs.values()].sort((a, b) => (b.CreatedTime || 0) - (a.CreatedTime || 0)).slice(0, JOBS_SHOWN);
    const rows = list.map(job => {
        let result = "";
        if (job.Result) {
            try {
                result = JSON.stringify(JSON.parse(job.Result));
            } catch (e) {
                result = job.Result;
            }
        }
        return el("tr", { "data-job-id": job.Id, "data-status": job.Status },
                  el("td", { "data-label": "Job" }, el("div", {}, jobTitle(job)),
                     el("div", { class: "sysops-muted sysops-mono" }, job.Id)),
                  el("td", { "data-label": "Status" },
                     el("span", { class: "pf-c-label pf-m-" + (STATUS_LABEL[job.Status] || "grey") + " job-status" },
                        el("span", { class: "pf-c-label__content" }, job.Status || "?"))),
                  el("td", { "data-label": "Progress" }, renderProgress(job)),
                  el("td", { "data-label": "Message", class: job.Status === "ERROR" ? "job-message sysops-error" : "job-message" },
                     job.Message || "", result ? el("div", { class: "sysops-muted sysops-mono" }, result) : ""),
                  el("td", { "data-label": "By" }, job.UserId === undefined ? "—" : userName(job.UserId)),
                  el("td", { "data-label": "Started" }, fmtTime(job.StartTime)),
                  el("td", { "data-label": "Ended" }, fmtTime(job.EndTime)));
    });
    $("jobs-rows").replaceChildren(...rows);
    $("jobs-empty").hidden = rows.length > 0;
}

// user names for the uids of job owners (cockpit.user() knows only our own)
let me = null;
function userName(uid) {
    if (me && Number(me.id) === Number(uid))
        return me.name;
    return uid === 0 ? "root" : "uid " + uid;
}

function startRestart(button, call) {
    button.disabled = true;
    showAlert("restart-alert", "info", "Asking harper-sysopsd…");
    call.then(([message, jobId, jobPath]) => {
        showAlert("restart-alert", "success", `${message} (job ${jobId})`, { "data-job-id": jobId });
        if (!jobs.has(jobPath)) {       // InterfacesAdded may come later than the reply
            client.call(jobPath, PROPS_IFACE, "GetAll", [JOB_IFACE], BACKGROUND)
                    .then(([props]) => updateJob(jobPath, props))
                    .catch(() => {});
        }
    })
            .catch(err => showError("restart-alert", err))
            .finally(() => { button.disabled = false });
}

function restartInstance() {
    startRestart($("restart"), client.call(OBJ_PATH, IFACE, "Restart", [], INTERACTIVE));
}

function restartService(ev) {
    ev.preventDefault();
    const service = $("service").value;
    const replicated = $("replicated").checked;
    startRestart($("restart-service"), client.call(OBJ_PATH, IFACE, "RestartService", [service, replicated], INTERACTIVE));
}

// ------------------------------------------------------------------ system information

let sysinfoTimer = null;

function loadSysinfo(options) {
    return client.call(OBJ_PATH, IFACE, "SystemInformation", [SYSINFO_SECTIONS], options)
            .then(([json]) => {
                renderSysinfo(JSON.parse(json));
                clearLoadError("sysinfo-alert");
                $("sysinfo-time").textContent = "Updated " + new Date().toLocaleTimeString();
                const card = $("sysinfo");
                card.dataset.ready = "1";
                card.dataset.refreshes = String(Number(card.dataset.refreshes || 0) + 1);
            })
            .catch(err => showError("sysinfo-alert", err, true));
}

// refresh on a modest interval while the page is visible; nothing while it is hidden
function followVisibility() {
    if (cockpit.hidden) {
        window.clearInterval(sysinfoTimer);
        sysinfoTimer = null;
    } else if (!sysinfoTimer) {
        loadSysinfo(BACKGROUND);
        sysinfoTimer = window.setInterval(() => loadSysinfo(BACKGROUND), SYSINFO_INTERVAL_MS);
    }
    $("sysinfo").dataset.timer = sysinfoTimer ? "on" : "off";
}

function dl(pairs) {
    return el("dl", { class: "pf-c-description-list pf-m-compact pf-m-horizontal" },
              pairs.map(([term, value]) => el("div", { class: "pf-c-description-list__group" },
                                              el("dt", { class: "pf-c-description-list__term" }, term),
                                              el("dd", { class: "pf-c-description-list__description" }, value))));
}

function summaryBlock(id, title, pairs) {
    return el("div", { class: "sysops-block", id }, el("h3", { class: "pf-c-title pf-m-md" }, title), dl(pairs));
}

function table(id, title, head, rows) {
    return el("div", { class: "sysops-block", id },
              el("h3", { class: "pf-c-title pf-m-md" }, title),
              rows.length === 0 ? el("p", { class: "sysops-muted" }, "None")
                  : el("table", { class: "pf-c-table pf-m-compact pf-m-grid-md", "aria-label": title },
                       el("thead", {}, el("tr", {}, head.map(h => el("th", {}, h)))),
                       el("tbody", {}, rows.map(r => el("tr", {}, r.map((c, i) => el("td", { "data-label": head[i] }, c)))))));
}

function renderSysinfo(info) {
    const cpu = info.cpu || {};
    const load = cpu.current_load || {};
    const mem = info.memory || {};
    $("sysinfo-summary").replaceChildren(
        summaryBlock("si-cpu", "CPU", [
            ["Model", [cpu.manufacturer, cpu.brand].filter(Boolean).join(" ") || "—"],
            ["Cores", cpu.cores ?? "—"],
            ["Load average", fmtNumber(load.avgLoad, 2)],
            ["Current load", load.currentLoad === undefined ? "—" : fmtNumber(load.currentLoad, 1) + " %"],
        ]),
        summaryBlock("si-memory", "Memory", [
            ["Total", fmtBytes(mem.total)],
            ["Used", fmtBytes(mem.used)],
            ["Available", fmtBytes(mem.available)],
            ["Swap used", mem.swaptotal ? `${fmtBytes(mem.swapused)} of ${fmtBytes(mem.swaptotal)}` : "no swap"],
        ]));

    const disks = ((info.disk || {}).size || []).map(d =>
        [d.mount, d.fs, d.type, fmtBytes(d.size), fmtBytes(d.used), fmtBytes(d.available), fmtNumber(d.use, 1) + " %"]);
    const net = info.network || {};
    const stats = new Map((net.stats || []).map(s => [s.iface, s]));
    const ifaces = (net.interfaces || []).map(i => {
        const s = stats.get(i.iface) || {};
        return [i.iface + (i.iface === net.default_interface ? " (default)" : ""), i.ip4 || "—", i.ip6 || "—",
            i.operstate || "—", fmtBytes(s.rx_bytes), fmtBytes(s.tx_bytes)];
    });
    const procs = [];
    for (const [role, list] of Object.entries(info.harperdb_processes || {})) {
        for (const p of list || [])
            procs.push([role, p.pid, p.name, [p.command, p.params].filter(Boolean).join(" "), p.state, fmtNumber(p.cpu, 1) + " %", fmtBytes((p.memRss || 0) * 1024), p.started]);
    }
    const threads = (info.process_threads || []).map(t => [t.threadId, t.name, t.state, t.cpu_user_ms, t.cpu_system_ms]);
    const metrics = Object.entries(info.unit_metrics || {}).map(([unit, m]) =>
        [unit, m.role, m.active_state, m.cpu_usage_nsec === null ? "—" : fmtNumber(m.cpu_usage_nsec / 1e9, 2) + " s",
            fmtBytes(m.memory_current), m.tasks_current ?? "—", m.n_restarts ?? "—", fmtTime(m.active_since)]);

    $("sysinfo-tables").replaceChildren(
        table("si-disks", "Disks", ["Mount", "Device", "Type", "Size", "Used", "Available", "Use"], disks),
        table("si-network", "Network", ["Interface", "IPv4", "IPv6", "State", "Received", "Sent"], ifaces),
        table("si-processes", "Harper's processes", ["Role", "PID", "Name", "Command", "State", "CPU", "Memory", "Started"], procs),
        table("si-threads", "Threads of the instance", ["TID", "Name", "State", "User CPU ms", "System CPU ms"], threads),
        table("si-metrics", "Unit metrics (systemd)", ["Unit", "Role", "State", "CPU time", "Memory", "Tasks", "Restarts", "Active since"], metrics));
}

// ------------------------------------------------------------------ start-up

function subscribe() {
    // Statuses: an invalidation only (root-only property); others ask ListStatuses
    client.subscribe({ path: OBJ_PATH, interface: PROPS_IFACE, member: "PropertiesChanged" },
                     (path, iface, signal, [changedIface, changed, invalidated]) => {
                         if (changedIface === IFACE && ("Statuses" in changed || invalidated.includes("Statuses")))
                             loadStatuses(BACKGROUND);
                     });
    // jobs: new and removed objects, and every change of a job's properties
    client.subscribe({ path: "/", interface: OM_IFACE, member: "InterfacesAdded" },
                     (path, iface, signal, [objPath, ifaces]) => {
                         if (ifaces[JOB_IFACE])
                             updateJob(objPath, ifaces[JOB_IFACE]);
                     });
    client.subscribe({ path: "/", interface: OM_IFACE, member: "InterfacesRemoved" },
                     (path, iface, signal, [objPath, ifaces]) => {
                         if (ifaces.includes(JOB_IFACE) && jobs.delete(objPath))
                             scheduleJobsRender();
                     });
    client.subscribe({ path_namespace: OBJ_PATH + "/job", interface: PROPS_IFACE, member: "PropertiesChanged" },
                     (path, iface, signal, [changedIface, changed]) => {
                         if (changedIface !== JOB_IFACE || !path.startsWith(JOB_PATH_PREFIX))
                             return;
                         if (jobs.has(path)) {
                             updateJob(path, changed);
                         } else {            // not seen yet: read it whole
                             client.call(path, PROPS_IFACE, "GetAll", [JOB_IFACE], BACKGROUND)
                                     .then(([props]) => updateJob(path, props))
                                     .catch(() => {});
                         }
                     });
}

function loadAll(options) {
    return Promise.all([loadStatuses(options), loadJobs()]);
}

document.addEventListener("DOMContentLoaded", () => {
    $("status-form").addEventListener("submit", setStatus);
    $("status-id").addEventListener("change", suggestStatuses);
    $("statuses-rows").addEventListener("click", ev => {
        const button = ev.target.closest(".status-clear");
        if (button)
            clearStatus(button.dataset.id);
    });
    $("statuses-refresh").addEventListener("click", () => loadStatuses(INTERACTIVE));
    $("restart").addEventListener("click", restartInstance);
    $("service-form").addEventListener("submit", restartService);
    $("sysinfo-refresh").addEventListener("click", () => loadSysinfo(INTERACTIVE));
    suggestStatuses();
    renderStatuses([]);

    // the daemon went away or came back (a restart of harper-sysopsd): say so, then reload
    client.addEventListener("owner", (ev, owner) => {
        const box = $("bus-alert");
        box.hidden = !!owner;
        box.querySelector("p").textContent = owner ? "" : "harper-sysopsd is not running on this system (" + BUS_NAME + " has no owner).";
        if (owner && document.body.dataset.ready)
            loadAll(BACKGROUND);
    });
    client.addEventListener("close", (ev, options) => {
        const box = $("bus-alert");
        box.hidden = false;
        box.querySelector("p").textContent = "Lost the connection to the system bus: " + cockpit.message(options);
    });

    cockpit.user().then(user => { me = user; renderJobs() });
    subscribe();
    // the first read is the person opening the page: polkit may ask for a password here
    loadAll(INTERACTIVE).finally(() => { document.body.dataset.ready = "1" });
    cockpit.addEventListener("visibilitychange", followVisibility);
    followVisibility();
});
