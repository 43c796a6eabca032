// SPDX-License-Identifier: MIT
/* global cockpit */
// Restart jobs: the Job objects through client.proxies() (the object manager at / and each
// job's PropertiesChanged, kept by Cockpit), shown newest first with each step's and, for a
// replicated restart, each node's progress as a progress stepper (this node, then Nodes).
import { JOB_IFACE, OBJ_PATH, client } from "./bus.js";
import { stepLabel } from "./cluster.js";
import { $, _, el, fmtTime, NONE, row, table, title } from "./dom.js";

const JOBS_SHOWN = 20;
const HEAD = [_("Job"), _("Status"), _("Progress"), _("Message"), _("By"), _("Started"), _("Ended")];
const STATUS_COLOR = { CREATED: "blue", IN_PROGRESS: "blue", COMPLETE: "green", ERROR: "red" };
// a step's state -> PatternFly's step modifier and a mark a screen reader and a glance both get
const STEP = {
    pending: ["pf-m-pending", "○"],
    running: ["pf-m-current pf-m-info", "◐"],
    done: ["pf-m-success", "✓"],
    failed: ["pf-m-danger", "✕"],
    skipped: ["pf-m-warning", "–"],
};
const STATE_LABEL = { pending: _("pending"), running: _("running"), done: _("done"), failed: _("failed"), skipped: _("skipped") };

let jobs = null;        // client.proxies(JOB_IFACE, ...): job object path -> proxy
// "By": a uid's name as the system resolves it (getent: NSS, as ls -l would), else "uid N";
// the same for every viewer. uid -> name, null (does not resolve) or undefined (being asked)
const names = new Map();
const changeListeners = [];

export function jobsPart() {
    return [title(_("Jobs")),
        table(_("Jobs"), HEAD, [], { id: "jobs-table" }),
        el("p", { class: "sysops-muted", id: "jobs-empty" }, _("No restart jobs yet."))];
}

function jobTitle(job) {
    if (job.Type === "restart")
        return job.Replicated ? cockpit.format(_("$0 (replicated)"), _("Restart Harper")) : _("Restart Harper");
    const name = cockpit.format(_("Restart $0"), job.Service || _("service"));
    return job.Replicated ? cockpit.format(_("$0 (replicated)"), name) : name;
}

function stepper(label, extraClass, steps) {
    return el("ol", { class: "pf-v6-c-progress-stepper pf-m-vertical " + extraClass, "aria-label": label },
              steps.map(({ name, state, detail, current, data }) => {
                  const [modifier, mark] = STEP[state] || ["pf-m-pending", "?"];
                  return el("li", { class: `pf-v6-c-progress-stepper__step ${modifier}`, "data-state": state, ...data, "aria-current": current ? "step" : null },
                            el("div", { class: "pf-v6-c-progress-stepper__step-connector" },
                               el("span", { class: "pf-v6-c-progress-stepper__step-icon", "aria-hidden": "true" }, mark)),
                            el("div", { class: "pf-v6-c-progress-stepper__step-main" },
                               el("div", { class: "pf-v6-c-progress-stepper__step-title" }, name),
                               el("div", { class: "pf-v6-c-progress-stepper__step-description" },
                                  STATE_LABEL[state] || state, detail ? " — " + detail : "")));
              }));
}

function progressBar(done, total) {
    const pct = Math.round(100 * done / total);
    const indicator = el("div", { class: "pf-v6-c-progress__indicator" });
    indicator.style.width = pct + "%";     // CSSOM: a style attribute would break the content policy
    return el("div", { class: "pf-v6-c-progress pf-m-sm job-progress", "data-done": done, "data-total": total },
              el("div", { class: "pf-v6-c-progress__status" },
                 el("span", { class: "pf-v6-c-progress__measure" }, `${done}/${total}`)),
              el("div", { class: "pf-v6-c-progress__bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct },
                 indicator));
}

// this node's part of a replicated restart: its own steps come first, the other nodes after it
function thisNodeState(job, steps, nodes) {
    if (steps.some(s => s[1] === "failed"))
        return "failed";
    if ((steps.length > 0 && steps.every(s => s[1] === "done")) || nodes.some(n => n[1] !== "pending") || job.Status === "COMPLETE")
        return "done";
    return job.Status === "IN_PROGRESS" ? "running" : "pending";
}

function progress(job) {
    const steps = job.Steps || [];
    const nodes = job.Nodes || [];
    const parts = [];
    if (steps.length > 0) {
        parts.push(progressBar(steps.filter(s => s[1] === "done").length, steps.length));
        parts.push(stepper(_("Steps"), "job-steps", steps.map(([unit, state]) => ({ name: stepLabel(unit), state, data: { "data-unit": unit } }))));
    }
    // a replicated job: this node, then the others (Nodes may be empty until this node is done)
    if (job.Replicated) {
        parts.push(stepper(_("Nodes"), "job-nodes", [
            { name: _("this node"), state: thisNodeState(job, steps, nodes), current: job.Status === "IN_PROGRESS" && !job.CurrentNode, data: { "data-node": "", "data-this-node": "1" } },
            ...nodes.map(([name, state, message, peerJob]) => ({
                name, state, current: name === job.CurrentNode, data: { "data-node": name },
                detail: [message, peerJob ? cockpit.format(_("job $0"), peerJob) : ""].filter(Boolean).join(" · "),
            })),
        ]));
    }
    return parts;
}

function resolveUid(uid) {
    names.set(uid, undefined);
    cockpit.spawn(["getent", "passwd", String(uid)], { err: "ignore" })
            .then(line => { names.set(uid, line.split(":")[0] || null) })
            .catch(() => { names.set(uid, null) })
            .finally(scheduleRender);
}

function userName(uid) {
    uid = Number(uid);
    if (!names.has(uid))
        resolveUid(uid);
    return names.get(uid) || cockpit.format(_("uid $0"), uid);
}

const ENDED = ["COMPLETE", "ERROR"];

// the jobs that have not ended, as { id, title }
export function runningJobs() {
    return Object.values(jobs || {}).filter(p => p.valid && !ENDED.includes(p.data.Status))
            .map(p => ({ id: p.data.Id, title: jobTitle(p.data) }));
}

// whether the job with this id is known to have ended
export function jobEnded(id) {
    return Object.values(jobs || {}).some(p => p.valid && p.data.Id === id && ENDED.includes(p.data.Status));
}

// onJobsChanged(fn): fn() after each redraw of the jobs (to drop what an ended job made stale)
export function onJobsChanged(fn) {
    changeListeners.push(fn);
}

function jobRow(job) {
    let result = job.Result || "";
    try {
        result = result && JSON.stringify(JSON.parse(result));
    } catch { /* not JSON: shown as it is */ }
    return row({ "data-job-id": job.Id, "data-status": job.Status }, HEAD, [
        [el("div", {}, jobTitle(job)), el("div", { class: "sysops-muted sysops-mono job-id", title: job.Id }, job.Id)],
        el("span", { class: "pf-v6-c-label pf-m-filled pf-m-" + (STATUS_COLOR[job.Status] || "grey") + " job-status" },
           el("span", { class: "pf-v6-c-label__content" }, el("span", { class: "pf-v6-c-label__text" }, job.Status || "?"))),
        progress(job),
        el("div", { class: job.Status === "ERROR" ? "job-message sysops-error" : "job-message" },
           job.Message || "", result ? el("div", { class: "sysops-muted sysops-mono" }, result) : ""),
        job.UserId === undefined ? NONE : userName(job.UserId),
        fmtTime(job.StartTime),
        fmtTime(job.EndTime),
    ]);
}

function render() {
    const list = Object.values(jobs).filter(p => p.valid).map(p => p.data)
            .sort((a, b) => (b.CreatedTime || 0) - (a.CreatedTime || 0))
            .slice(0, JOBS_SHOWN);
    $("jobs-table").querySelector("tbody").replaceChildren(...list.map(jobRow));
    $("jobs-empty").hidden = list.length > 0;
    changeListeners.forEach(fn => fn());
}

let renderQueued = false;
function scheduleRender() {
    if (!renderQueued) {
        renderQueued = true;
        window.requestAnimationFrame(() => { renderQueued = false; render() });
    }
}

// resolves once the jobs that exist now are known
export function startJobs() {
    jobs = client.proxies(JOB_IFACE, OBJ_PATH + "/job");
    for (const ev of ["added", "changed", "removed"])
        jobs.addEventListener(ev, scheduleRender);
    return jobs.wait().then(render);
}
