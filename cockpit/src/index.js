// SPDX-License-Identifier: MIT
/* global cockpit */
// harper-sysops's Cockpit page: builds its cards, then starts each part. Everything goes
// through cockpit.dbus to io.harperdb.SystemOperations1 (bus.js); styles are the page's own
// bundle (index.css: PatternFly 6 from npm, built by cockpit/build.js).
import "./sysops.css";
import { BACKGROUND, BUS_NAME, INTERACTIVE, client } from "./bus.js";
import { $, _, el } from "./dom.js";
import { startJobs } from "./jobs.js";
import { startPermission } from "./permission.js";
import { restartsCard, startRestarts } from "./restarts.js";
import { loadStatuses, startStatuses, statusesCard } from "./statuses.js";
import { lastSysinfo, startSysinfo, sysinfoCard } from "./sysinfo.js";

function busAlert(text) {
    const box = $("bus-alert");
    box.hidden = !text;
    box.querySelector("p").textContent = text;
}

function watchDaemon() {
    // the daemon went away or came back (a restart of harper-sysopsd): say so, then reload
    client.addEventListener("owner", (ev, owner) => {
        busAlert(owner ? "" : cockpit.format(_("harper-sysopsd is not running on this system ($0 has no owner)."), BUS_NAME));
        if (owner && document.body.dataset.ready)
            loadStatuses(BACKGROUND);
    });
    client.addEventListener("close", (ev, options) =>
        busAlert(cockpit.format(_("Lost the connection to the system bus: $0"), cockpit.message(options))));
}

document.addEventListener("DOMContentLoaded", () => {
    document.title = _("Harper");
    document.documentElement.lang = cockpit.language;
    document.body.append(el("main", { class: "sysops" },
                            el("div", { id: "bus-alert", class: "pf-v6-c-alert pf-m-inline pf-m-danger", hidden: true },
                               el("p", { class: "pf-v6-c-alert__title" })),
                            el("div", { id: "who-may", class: "pf-v6-c-alert pf-m-inline pf-m-info", role: "status", hidden: true },
                               el("p", { class: "pf-v6-c-alert__title" })),
                            statusesCard(), restartsCard(), sysinfoCard()));
    startStatuses();
    startRestarts(lastSysinfo);
    watchDaemon();
    // the first read is the person opening the page: polkit may ask for a password here
    Promise.all([loadStatuses(INTERACTIVE), startJobs(), startPermission()])
            .finally(() => { document.body.dataset.ready = "1" });
    startSysinfo();
});
