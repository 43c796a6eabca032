// SPDX-License-Identifier: MIT
/* global cockpit */
// Harper's own figures in the system information (what only Harper knows, asked over its
// socket by the daemon): heap, versions, worker threads, tables with record counts, database
// metrics, replication; and, when the daemon could not ask Harper, that in plain words.
import { _, alertBox, descriptionList, el, fmtBytes, fmtNumber, fmtPercent, NONE, row, table, title } from "./dom.js";

function block(id, heading, ...content) {
    return el("div", { class: "sysops-block", id }, title(heading), content);
}

function tableOrNone(label, head, rows, attrs) {
    return rows.length > 0 ? table(label, head, rows, attrs) : el("p", { class: "sysops-muted" }, _("None"));
}

// the answer's "harper" key: absent when nothing asked for needed Harper
function notAsked(harper) {
    if (!harper || harper.answered)
        return null;
    return alertBox("warning", cockpit.format(_("Harper could not be asked: $0"), harper.error || _("no reason given")),
                    { id: "harper-unanswered", "data-error": harper.error || "" });
}

function clock(ms) {
    return new Date(ms).toLocaleTimeString(cockpit.language, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
}

// Harper's last known figures stand in for an answer without them, marked as such
function lastKnownMark(harper, known) {
    return alertBox("warning", cockpit.format(_("Harper's figures as of $0 (Harper did not answer: $1)"), clock(known.at),
                                              harper.error || _("no reason given")),
                    { id: "harper-last-known", "data-as-of": known.at, "data-error": harper.error || "" });
}

function heapAndVersions(info) {
    const mem = info.memory || {};
    const sys = info.system || {};
    return descriptionList([
        [_("Heap in use"), mem.heapUsed == null ? NONE : cockpit.format(_("$0 of $1"), fmtBytes(mem.heapUsed), fmtBytes(mem.heapTotal))],
        [_("External memory"), fmtBytes(mem.external)],
        [_("Array buffers"), fmtBytes(mem.arrayBuffers)],
        [_("Node.js"), sys.node_version || NONE],
        [_("npm"), sys.npm_version || NONE],
    ]);
}

function threadsTable(threads) {
    const head = [_("Thread"), _("Name"), _("Heap in use"), _("Heap total"), _("Utilization")];
    return tableOrNone(_("Harper's worker threads"), head, (threads || []).map(t => row({}, head, [
        t.threadId ?? NONE, t.name || NONE, fmtBytes(t.heapUsed), fmtBytes(t.heapTotal),
        t.utilization == null ? NONE : fmtPercent(100 * t.utilization),
    ])));
}

function tablesTable(tables) {
    const head = [_("Database"), _("Table"), _("Records"), _("Table size"), _("Database size"), _("Audit log size")];
    return tableOrNone(_("Tables"), head, (tables || []).map(t => row({ "data-table": `${t.database}.${t.table}` }, head, [
        t.database, t.table, t.record_count == null ? NONE : fmtNumber(t.record_count, 0),
        fmtBytes(t.table_size), fmtBytes(t.db_size), fmtBytes(t.db_audit_size),
    ])));
}

// Harper's metrics are its LMDB statistics per database: shown as Harper gives them
function metricsPart(metrics) {
    const entries = Object.entries(metrics || {});
    if (entries.length === 0)
        return el("p", { class: "sysops-muted" }, _("None"));
    return entries.map(([db, stats]) => el("details", { class: "sysops-details" },
                                           el("summary", {}, db),
                                           el("pre", { class: "sysops-mono" }, JSON.stringify(stats, null, 2))));
}

// the nodes themselves are listed with the restarts (cluster.js); here Harper's own words
function replicationPart(replication) {
    const status = replication.cluster_status;
    return [
        descriptionList([
            [_("Harper's cluster status"), status ? el("pre", { class: "sysops-mono" }, JSON.stringify(status, null, 2)) : NONE],
        ]),
    ];
}

// renderHarper(info, known): known is { at, info } of the last answer Harper was in, or null
export function renderHarper(answer, known) {
    const stale = answer.harper && !answer.harper.answered && known;
    const info = stale ? known.info : answer;
    return [
        el("div", { id: "harper-alert" }, stale ? lastKnownMark(answer.harper, known) : notAsked(answer.harper)),
        el("div", { class: "sysops-grid" },
           block("si-heap", _("Heap and versions"), heapAndVersions(info)),
           block("si-replication", _("Replication"), replicationPart(info.replication || {}))),
        block("si-harper-threads", _("Harper's worker threads"), threadsTable(info.threads)),
        block("si-tables", _("Tables"), tablesTable(info.table_size)),
        block("si-database-metrics", _("Database metrics"), metricsPart(info.metrics)),
    ];
}
