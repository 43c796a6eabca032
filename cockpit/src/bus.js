// SPDX-License-Identifier: MIT
/* global cockpit */
// The page's one connection: io.harperdb.SystemOperations1 on the system bus, as the logged-in
// user. Calls a person starts carry the interactive-authorization flag ("i"), so Cockpit can ask
// for a password through polkit; automatic refreshes do not (no dialog out of the blue).
export const BUS_NAME = "io.harperdb.SystemOperations1";
export const OBJ_PATH = "/io/harperdb/SystemOperations1";
export const IFACE = BUS_NAME;
export const JOB_IFACE = BUS_NAME + ".Job";
export const PROPS_IFACE = "org.freedesktop.DBus.Properties";
// a person may take a while to type a password into polkit's dialog
export const INTERACTIVE = { flags: "i", timeout: 300000 };
export const BACKGROUND = { timeout: 30000 };

export const client = cockpit.dbus(BUS_NAME, { bus: "system" });

export function call(method, args, options) {
    return client.call(OBJ_PATH, IFACE, method, args, options);
}
