// SPDX-License-Identifier: MIT
/* global cockpit */
// Whether the logged-in user may change anything here, known up front so that the buttons that
// change state are disabled for those polkit would refuse, with one line that says who may.
// Decided from the user's groups as the shipped polkit files decide it: root and members of
// harper-admin without a password (polkit/*.rules), administrators (polkit's admin identities:
// the sudo or wheel group) with their own password through Cockpit's polkit agent
// (auth_admin_keep in polkit/*.policy). Anyone else gets polkit's challenge too (which they
// cannot answer), so polkit's answer without interaction could not tell them apart.
import { $, _ } from "./dom.js";

export const ADMIN_GROUP = "harper-admin";
const ADMINISTRATORS = ["sudo", "wheel"];

let may = null;         // null until cockpit.user() answered

export function mayChange() {
    return may;
}

// disable every control marked data-changes (inside root, or the whole page) for a user who may not
export function applyPermission(root) {
    if (may === false)
        (root || document).querySelectorAll("[data-changes]").forEach(node => { node.disabled = true });
}

export function startPermission() {
    return cockpit.user().then(user => {
        const groups = user.groups || [];
        may = Number(user.id) === 0 || groups.includes(ADMIN_GROUP) || ADMINISTRATORS.some(g => groups.includes(g));
        document.body.dataset.mayChange = may ? "1" : "0";
        const line = $("who-may");
        line.hidden = may;
        line.querySelector("p").textContent = cockpit.format(
            _("Only members of $0 and administrators may change statuses or restart Harper; $1 may look only."),
            ADMIN_GROUP, user.name);
        applyPermission();
    });
}
