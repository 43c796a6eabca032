// SPDX-License-Identifier: MIT
/* global cockpit */
// Restarts: Restart(), RestartInstance(true) and RestartService(service, replicated), each after
// a confirmation that names what will happen, from what the last system information said about
// the units (unit_metrics' roles) and the cluster's nodes (replication, cluster.js).
import { INTERACTIVE, call } from "./bus.js";
import { clusterOf, clusterPart, leftOut, nodesInOrder } from "./cluster.js";
import { confirmAction } from "./confirm.js";
import { $, _, alertBox, button, card, el, formGroup, selectControl, showAlert, showError } from "./dom.js";
import { applyPermission } from "./permission.js";
import { jobEnded, jobsPart, onJobsChanged, runningJobs } from "./jobs.js";

const SERVICES = [
    ["http_workers", _("http_workers (rolling)")],
    ["clustering", _("clustering")],
    ["clustering_config", _("clustering_config (reload)")],
];

let lastInfo = () => ({});

export function restartsCard() {
    const service = el("select", { id: "service" }, SERVICES.map(([value, label]) => el("option", { value }, label)));
    return card("restarts", _("Restarts"), null,
                el("div", { class: "sysops-alert", id: "restart-alert", "aria-live": "polite" }),
                clusterPart(),
                el("div", { class: "sysops-actions" },
                   button("danger", { id: "restart", "data-changes": true }, _("Restart Harper")),
                   el("div", { class: "pf-v6-c-check" },
                      el("input", { class: "pf-v6-c-check__input", type: "checkbox", id: "restart-replicated", "data-changes": true }),
                      el("label", { class: "pf-v6-c-check__label", for: "restart-replicated" }, _("on every node of the cluster, one at a time"))),
                   el("form", { class: "pf-v6-c-form pf-m-horizontal sysops-inline-form", id: "service-form" },
                      formGroup("service", _("Service"), selectControl(service)),
                      el("div", { class: "pf-v6-c-check" },
                         el("input", { class: "pf-v6-c-check__input", type: "checkbox", id: "replicated", "data-changes": true }),
                         el("label", { class: "pf-v6-c-check__label", for: "replicated" }, _("on every node of the cluster (replicated)"))),
                      el("button", { class: "pf-v6-c-button pf-m-secondary", type: "submit", id: "restart-service", "data-changes": true },
                         el("span", { class: "pf-v6-c-button__text" }, _("Restart service"))))),
                jobsPart());
}

// in the order the daemon's rolling restart takes them (it sorts the names byte by byte)
function unitsWithRole(role) {
    return Object.entries(lastInfo().unit_metrics || {}).filter(([, m]) => m.role === role).map(([unit]) => unit).sort();
}

function instanceUnit() {
    return unitsWithRole("instance")[0] || _("the Harper instance unit");
}

// what RestartService(service) does here, in words
function serviceWhat(service) {
    const workers = unitsWithRole("worker");
    const clustering = unitsWithRole("clustering");
    switch (service) {
    case "http_workers":
        return workers.length > 0
            ? cockpit.format(_("These units are restarted one after another: $0."), workers.join(", "))
            : cockpit.format(_("Harper restarts its HTTP worker threads one after another, inside $0."), instanceUnit());
    case "clustering":
        return clustering.length > 0
            ? cockpit.format(_("These units are restarted: $0."), clustering.join(", "))
            : _("Harper restarts its clustering.");
    default:
        return clustering.length > 0
            ? cockpit.format(_("These units reload their configuration: $0."), clustering.join(", "))
            : _("Harper reloads its clustering configuration.");
    }
}

// the nodes a replicated restart takes, in order, in words
function nodesWhat() {
    const cluster = clusterOf(lastInfo());
    if (cluster.peers.length === 0) {
        return [cluster.answered
            ? _("Harper is in no cluster: only this node is restarted.")
            : _("Harper could not be asked about its cluster and no other nodes are configured: only this node is restarted.")];
    }
    const out = leftOut(cluster);
    return [
        cockpit.format(_("One node at a time, each back in the cluster before the next: $0."), nodesInOrder(cluster)),
        out.length > 0 ? cockpit.format(_("Left out by the configuration: $0."), out.join(", ")) : null,
    ].filter(Boolean);
}

// A restart cuts a running job short (the daemon ends it in ERROR): name each such job.
function cutShort() {
    return runningJobs().map(job => alertBox("warning", cockpit.format(_("Still running: $0 (job $1). This restart cuts it short."),
                                                                       job.title, job.id), { "data-cut-job": job.id }));
}

// the alert about a job goes once the job has ended: its row in the jobs says how it went
function dropEndedAlert() {
    const alert = $("restart-alert").querySelector("[data-job-id]");
    if (alert && jobEnded(alert.dataset.jobId))
        showAlert("restart-alert", "", "");
}

function startRestart(busy, method, args) {
    busy.disabled = true;
    showAlert("restart-alert", "info", _("Asking harper-sysopsd…"));
    delete $("restarts").dataset.lastJob;
    // the job itself shows up through the Job proxies (jobs.js)
    call(method, args, INTERACTIVE)
            .then(([message, jobId]) => {
                // for tests and the curious: the job this page started last
                $("restarts").dataset.lastJob = jobId;
                showAlert("restart-alert", "success", cockpit.format(_("$0 (job $1)"), message, jobId), { "data-job-id": jobId });
                dropEndedAlert();
            })
            .catch(err => showError("restart-alert", err))
            .finally(() => { busy.disabled = false; applyPermission() });
}

function restartInstance() {
    const replicated = $("restart-replicated").checked;
    const paragraphs = [cockpit.format(_("harper-sysopsd restarts $0 as a systemd job."), instanceUnit())];
    if (replicated)
        paragraphs.push(...nodesWhat());
    paragraphs.push(_("Harper does not answer requests until it is running again."), ...cutShort());
    confirmAction(replicated ? _("Restart Harper on every node?") : _("Restart Harper?"), paragraphs, _("Restart Harper"))
            .then(ok => ok && (replicated ? startRestart($("restart"), "RestartInstance", [true]) : startRestart($("restart"), "Restart", [])));
}

function restartService(ev) {
    ev.preventDefault();
    const service = $("service").value;
    const replicated = $("replicated").checked;
    const paragraphs = [serviceWhat(service)];
    if (replicated)
        paragraphs.push(...nodesWhat());
    paragraphs.push(...cutShort());
    const heading = replicated ? cockpit.format(_("Restart $0 on every node?"), service) : cockpit.format(_("Restart $0?"), service);
    confirmAction(heading, paragraphs, _("Restart"))
            .then(ok => ok && startRestart($("restart-service"), "RestartService", [service, replicated]));
}

// info(): the last system information (or {})
export function startRestarts(info) {
    lastInfo = info;
    $("restart").addEventListener("click", restartInstance);
    $("service-form").addEventListener("submit", restartService);
    onJobsChanged(dropEndedAlert);
}
