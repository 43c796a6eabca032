// SPDX-License-Identifier: MIT
// A confirmation before an action that cannot be taken back: a native <dialog> (modal, Escape
// cancels, focus stays inside) dressed as PatternFly's modal box.
import { _, el } from "./dom.js";

// confirmAction(title, paragraphs, confirmLabel) -> Promise of true (confirmed) or false;
// a paragraph is text or a node (a warning)
export function confirmAction(heading, paragraphs, confirmLabel) {
    const dialog = el("dialog", { class: "pf-v6-c-modal-box pf-m-sm sysops-dialog", id: "confirm-dialog", "aria-labelledby": "confirm-title" },
                      el("header", { class: "pf-v6-c-modal-box__header" },
                         el("h1", { class: "pf-v6-c-modal-box__title", id: "confirm-title" }, heading)),
                      el("div", { class: "pf-v6-c-modal-box__body", id: "confirm-body" },
                         paragraphs.map(p => p instanceof Node ? p : el("p", {}, p))),
                      el("footer", { class: "pf-v6-c-modal-box__footer" },
                         el("button", { class: "pf-v6-c-button pf-m-danger", type: "button", id: "confirm-ok" },
                            el("span", { class: "pf-v6-c-button__text" }, confirmLabel)),
                         el("button", { class: "pf-v6-c-button pf-m-link", type: "button", id: "confirm-cancel", autofocus: true },
                            el("span", { class: "pf-v6-c-button__text" }, _("Cancel")))));
    document.body.append(dialog);
    return new Promise(resolve => {
        const close = answer => { dialog.close(); dialog.remove(); resolve(answer) };
        dialog.querySelector("#confirm-ok").addEventListener("click", () => close(true));
        dialog.querySelector("#confirm-cancel").addEventListener("click", () => close(false));
        dialog.addEventListener("cancel", ev => { ev.preventDefault(); close(false) });
        dialog.showModal();
    });
}
