// SPDX-License-Identifier: MIT
/* global cockpit */
// Statuses: ListStatuses() on load and whenever the Statuses property is invalidated (its
// PropertiesChanged carries no value); SetStatus/ClearStatus from the form.
import { BACKGROUND, INTERACTIVE, IFACE, OBJ_PATH, PROPS_IFACE, call, client } from "./bus.js";
import { applyPermission } from "./permission.js";
import { $, _, button, card, clearLoadError, el, fmtTime, formGroup, NONE, row, selectControl, showAlert, showError, table } from "./dom.js";

const STATUS_IDS = ["primary", "maintenance", "availability"];
const HEAD = [_("Id"), _("Status"), _("Created"), _("Updated"), _("Actions")];

export function statusesCard() {
    const select = el("select", { id: "status-id" }, STATUS_IDS.map(id => el("option", { value: id }, id)));
    const form = el("form", { class: "pf-v6-c-form pf-m-horizontal sysops-inline-form", id: "status-form" },
                    formGroup("status-id", _("Id"), selectControl(select)),
                    formGroup("status-value", _("Status"),
                              el("span", { class: "pf-v6-c-form-control" },
                                 el("input", { type: "text", id: "status-value", list: "status-suggestions", maxlength: 512, "data-changes": true })),
                              el("datalist", { id: "status-suggestions" })),
                    el("div", { class: "pf-v6-c-form__actions" },
                       el("button", { class: "pf-v6-c-button pf-m-primary", type: "submit", id: "status-set", "data-changes": true },
                          el("span", { class: "pf-v6-c-button__text" }, _("Set status")))));
    return card("statuses", _("Statuses"), button("link", { id: "statuses-refresh" }, _("Refresh")),
                el("div", { class: "sysops-alert", id: "statuses-alert", "aria-live": "polite" }),
                table(_("Statuses"), HEAD, [], { id: "statuses-table" }),
                form);
}

let loading = null;     // the ListStatuses in flight
let again = null;       // asked again while it ran: once more afterwards, with these options

export function loadStatuses(options) {
    if (loading) {
        if (!again || options.flags)
            again = options;
        return loading;
    }
    loading = call("ListStatuses", [], options)
            .then(([records]) => {
                render(records);
                clearLoadError("statuses-alert");
            })
            .catch(err => {
                render(null);
                showError("statuses-alert", err, true);
            })
            .finally(() => {
                loading = null;
                if (again) {
                    const next = again;
                    again = null;
                    loadStatuses(next);
                }
            });
    return loading;
}

// records: [[id, status, created, updated], ...], or null when they could not be read
function render(records) {
    const byId = new Map((records || []).map(r => [r[0], r]));
    const ids = STATUS_IDS.concat([...byId.keys()].filter(id => !STATUS_IDS.includes(id)));
    const rows = ids.map(id => {
        const r = byId.get(id);
        const value = r ? el("td", { class: "pf-v6-c-table__td status-value", "data-label": HEAD[1] }, r[1])
            : el("td", { class: "pf-v6-c-table__td status-value sysops-muted", "data-label": HEAD[1] }, records ? _("not set") : _("unknown"));
        const clear = r ? el("button", { class: "pf-v6-c-button pf-m-link pf-m-inline status-clear", type: "button", "data-id": id, "data-changes": true },
                             el("span", { class: "pf-v6-c-button__text" }, _("Clear")))
            : "";
        return row({ "data-status-id": id, "data-set": r ? "1" : "0" }, HEAD,
                   [id, value, r ? fmtTime(r[2]) : NONE, r ? fmtTime(r[3]) : NONE, clear]);
    });
    $("statuses-table").querySelector("tbody").replaceChildren(...rows);
    applyPermission($("statuses-table"));
    // for tests and the curious: when the table last changed (ms since the epoch)
    $("statuses").dataset.renderedAt = String(Date.now());
}

function setStatus(ev) {
    ev.preventDefault();
    const id = $("status-id").value;
    const value = $("status-value").value;
    $("status-set").disabled = true;
    call("SetStatus", [id, value], INTERACTIVE)
            .then(([record]) => {
                showAlert("statuses-alert", "success", cockpit.format(_("Status $0 set to \"$1\"."), record[0], record[1]));
                $("status-value").value = "";
                return loadStatuses(BACKGROUND);
            })
            .catch(err => showError("statuses-alert", err))
            .finally(() => { $("status-set").disabled = false; applyPermission($("status-form")) });
}

function clearStatus(id) {
    call("ClearStatus", [id], INTERACTIVE)
            .then(() => {
                showAlert("statuses-alert", "success", cockpit.format(_("Status $0 cleared."), id));
                return loadStatuses(BACKGROUND);
            })
            .catch(err => showError("statuses-alert", err));
}

function suggest() {
    const values = $("status-id").value === "availability" ? ["Available", "Unavailable"] : [];
    $("status-suggestions").replaceChildren(...values.map(v => el("option", { value: v })));
}

export function startStatuses() {
    $("status-form").addEventListener("submit", setStatus);
    $("status-id").addEventListener("change", suggest);
    $("statuses-table").addEventListener("click", ev => {
        const clear = ev.target.closest(".status-clear");
        if (clear)
            clearStatus(clear.dataset.id);
    });
    $("statuses-refresh").addEventListener("click", () => loadStatuses(INTERACTIVE));
    suggest();
    render([]);
    // Statuses: an invalidation only (root-only property); others ask ListStatuses
    client.subscribe({ path: OBJ_PATH, interface: PROPS_IFACE, member: "PropertiesChanged" },
                     (path, iface, signal, [changedIface, changed, invalidated]) => {
                         if (changedIface === IFACE && ("Statuses" in changed || invalidated.includes("Statuses")))
                             loadStatuses(BACKGROUND);
                     });
}
