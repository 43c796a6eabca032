// SPDX-License-Identifier: MIT
/* global cockpit */
// Small DOM and formatting helpers of the page, and its alerts (PatternFly 6 classes, from the
// page's own bundle).
export const _ = cockpit.gettext;
export const $ = id => document.getElementById(id);

// el("td", { class: "x", "data-id": "y" }, "text", childNode, ...): text is never parsed as HTML
export function el(tag, attrs, ...children) {
    const node = tag.startsWith("svg:")
        ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
        : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v !== undefined && v !== null && v !== false)
            node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
        if (c !== undefined && c !== null)
            node.append(c instanceof Node ? c : String(c));
    }
    return node;
}

export const NONE = "—";

export function fmtTime(ms) {
    return ms ? new Date(Number(ms)).toLocaleString(cockpit.language) : NONE;
}

export function fmtBytes(n) {
    if (n === null || n === undefined)
        return NONE;
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    n = Number(n);
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return fmtNumber(n, i === 0 ? 0 : 1) + " " + units[i];
}

export function fmtNumber(n, digits) {
    return n === null || n === undefined ? NONE : Number(n).toLocaleString(cockpit.language, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtPercent(n) {
    return n === null || n === undefined ? NONE : fmtNumber(n, 1) + " %";
}

export function button(kind, attrs, text) {
    return el("button", { class: "pf-v6-c-button pf-m-" + kind, type: "button", ...attrs },
              el("span", { class: "pf-v6-c-button__text" }, text));
}

export function card(id, title, actions, ...body) {
    return el("section", { class: "pf-v6-c-card", id, "aria-labelledby": id + "-title" },
              el("div", { class: "pf-v6-c-card__header" },
                 el("div", { class: "pf-v6-c-card__header-main" },
                    el("div", { class: "pf-v6-c-card__title" },
                       el("h2", { class: "pf-v6-c-card__title-text", id: id + "-title" }, title))),
                 actions ? el("div", { class: "pf-v6-c-card__actions" }, actions) : null),
              el("div", { class: "pf-v6-c-card__body" }, body));
}

export function title(text, attrs) {
    return el("h3", { class: "pf-v6-c-title pf-m-md sysops-subtitle", ...attrs }, text);
}

// a table with a header row; cells are text or nodes
export function table(label, head, rows, attrs) {
    return el("table", { class: "pf-v6-c-table pf-m-compact pf-m-grid-md", role: "grid", "aria-label": label, ...attrs },
              el("thead", { class: "pf-v6-c-table__thead" },
                 el("tr", { class: "pf-v6-c-table__tr" }, head.map(h => el("th", { class: "pf-v6-c-table__th", scope: "col" }, h)))),
              el("tbody", { class: "pf-v6-c-table__tbody" }, rows));
}

export function row(attrs, head, cells) {
    return el("tr", { class: "pf-v6-c-table__tr", ...attrs },
              cells.map((c, i) => c instanceof Node && c.tagName === "TD" ? c : el("td", { class: "pf-v6-c-table__td", "data-label": head[i] }, c)));
}

export function descriptionList(pairs) {
    return el("dl", { class: "pf-v6-c-description-list pf-m-compact pf-m-horizontal" },
              pairs.map(([term, value]) => el("div", { class: "pf-v6-c-description-list__group" },
                                              el("dt", { class: "pf-v6-c-description-list__term" },
                                                 el("span", { class: "pf-v6-c-description-list__text" }, term)),
                                              el("dd", { class: "pf-v6-c-description-list__description" },
                                                 el("div", { class: "pf-v6-c-description-list__text" }, value)))));
}

export function formGroup(id, label, ...controls) {
    return el("div", { class: "pf-v6-c-form__group" },
              el("div", { class: "pf-v6-c-form__group-label" },
                 el("label", { class: "pf-v6-c-form__label", for: id }, el("span", { class: "pf-v6-c-form__label-text" }, label))),
              el("div", { class: "pf-v6-c-form__group-control" }, controls));
}

export function selectControl(select) {
    return el("span", { class: "pf-v6-c-form-control" }, select,
              el("span", { class: "pf-v6-c-form-control__utilities" },
                 el("span", { class: "pf-v6-c-form-control__toggle-icon", "aria-hidden": "true" }, "▾")));
}

// ------------------------------------------------------------------ errors and alerts

// A failed call in plain words, with the daemon's own message kept as is.
export function describeError(err) {
    const name = err.name || "";
    const msg = err.message || cockpit.message(err);
    switch (name.substring(name.lastIndexOf(".") + 1)) {
    case "AccessDenied":
        return cockpit.format(_("Not permitted: $0"), msg);
    case "InteractiveAuthorizationRequired":
        return cockpit.format(_("Authentication is required (use Refresh or try the action again to authenticate): $0"), msg);
    case "AuthorizationCancelled":
        return cockpit.format(_("Authentication was cancelled: $0"), msg);
    case "AlreadyRunning":
        return cockpit.format(_("Already running: $0"), msg);
    case "ServiceUnknown":
    case "NameHasNoOwner":
    case "NoReply":
        return cockpit.format(_("harper-sysopsd is not answering: $0"), msg);
    case "InvalidArgs":      // Harper's validation message, as the daemon wrote it
    case "NoSuchStatus":
    case "NoSuchJob":
    case "JobFailed":
        return msg;
    default:
        return name ? msg + " (" + name + ")" : msg;
    }
}

export function alertBox(kind, text, attrs) {
    return el("div", { class: "pf-v6-c-alert pf-m-inline pf-m-" + kind, role: kind === "danger" ? "alert" : "status", ...attrs },
              el("p", { class: "pf-v6-c-alert__title" }, text));
}

// showAlert(id, kind, text): kind is danger, warning, success or info; text "" clears the alert
export function showAlert(id, kind, text, attrs) {
    $(id).replaceChildren(text ? alertBox(kind, text, attrs) : "");
}

// showError(id, err, fromLoad): fromLoad marks a failed automatic read, which the next good
// read clears again (an action's error stays until the next action)
export function showError(id, err, fromLoad) {
    showAlert(id, "danger", describeError(err), { "data-error": err.name || "", "data-load-error": !!fromLoad });
}

export function clearLoadError(id) {
    if ($(id).querySelector("[data-load-error]"))
        showAlert(id, "", "");
}
