// SPDX-License-Identifier: MIT
// The Cockpit page in a real browser (playwright-core driving Debian's /usr/bin/chromium), logged
// in through cockpit-ws's login form (PAM). Run by tests/integration/cockpit.sh, which brings up
// the stack and turns each line on stdout into a TAP result:
//   PASS<TAB>what   FAIL<TAB>what<TAB>why   NOTE<TAB>text
// env: URL (cockpit-ws), ADMIN_USER (in harper-admin), PLAIN_USER, PASSWORD (both), ARTIFACTS
// (screenshot dir), SYSTEMD_RT (the harness's systemd runtime dir, for systemctl --user),
// DBUS_SYSTEM_BUS_ADDRESS (the harness's bus, for busctl as root). With REAL_HARPER=1 only the
// checks of Harper's own figures run (the daemon then asks the real Harper; the script's part);
// with CLUSTER="NAME=RUNTIME_DIR ..." only the cluster's (the daemon's peers are stand-in nodes
// of the script's, each NAME with the runtime dir of its systemd manager; LEFT_OUT names the
// node the configuration leaves out).
"use strict";
const { chromium } = require("playwright-core");
const { execFileSync } = require("child_process");
const path = require("path");

const { URL, ADMIN_USER, PLAIN_USER, PASSWORD, ARTIFACTS, SYSTEMD_RT, LEFT_OUT } = process.env;
let adminBy = null;     // the "By" column as the admin saw it: { job id: text }
const BUS = "io.harperdb.SystemOperations1";
const OBJ = "/io/harperdb/SystemOperations1";
const FRAME = 'iframe[name="cockpit1:localhost/harper-sysops"]';

// ------------------------------------------------------------------ reporting

let failed = 0;
const out = (...fields) => console.log(fields.map(f => String(f).replace(/[\t\n]+/g, " ")).join("\t"));
const note = text => out("NOTE", text);

// step(what, fn): one check; fn throws to fail, may return a detail for the description.
// A fatal step that fails ends the test (the later ones would only time out).
async function step(what, fn, { fatal = false } = {}) {
    const t = Date.now();
    try {
        const detail = await fn();
        out("PASS", `${what}${detail ? " (" + detail + ")" : ""} [${Date.now() - t} ms]`);
    } catch (e) {
        failed++;
        out("FAIL", what, (e && e.message ? e.message.split("\n")[0] : String(e)).slice(0, 400));
        console.error(`FAIL ${what}:`, e);
        if (fatal)
            throw new Error("stopping after a fatal failure", { cause: e });
    }
}

function check(cond, message) {
    if (!cond)
        throw new Error(message);
}

// ------------------------------------------------------------------ the daemon, as root

function busctl(...args) {
    return execFileSync("busctl", ["--system", "--timeout=10", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}
const sysops = (method, sig, ...args) => busctl("call", BUS, OBJ, BUS, method, ...(sig ? [sig, ...args] : []));
// the error message of a call that must fail
function sysopsError(method, sig, ...args) {
    try {
        sysops(method, sig, ...args);
    } catch (e) {
        return String(e.stderr).trim().replace(/^Call failed: /, "");
    }
    throw new Error(`${method} ${args.join(" ")} did not fail`);
}
const listStatuses = () => JSON.parse(busctl("--json=short", "call", BUS, OBJ, BUS, "ListStatuses")).data[0];
const jobPaths = () => Object.keys(JSON.parse(busctl("--json=short", "call", BUS, "/", "org.freedesktop.DBus.ObjectManager",
                                                     "GetManagedObjects")).data[0]).filter(p => p.startsWith(OBJ + "/job/")).sort();
// a unit's MainPID on this node's systemd manager, or on another's (its runtime dir)
const mainPid = (unit, rt) => execFileSync("systemctl", ["--user", "show", "-P", "MainPID", unit],
                                           { encoding: "utf8", env: { ...process.env, XDG_RUNTIME_DIR: rt || SYSTEMD_RT } }).trim();
const jobPath = id => sysops("GetJob", "s", id).replace(/^o "(.*)"$/, "$1");
// a job's property as busctl --json gives it
const jobProperty = (id, name) => JSON.parse(busctl("--json=short", "get-property", BUS, jobPath(id), BUS + ".Job", name)).data;
const jobStatus = id => jobProperty(id, "Status");
const sysinfo = (...sections) => JSON.parse(JSON.parse(busctl("--json=short", "call", BUS, OBJ, BUS, "SystemInformation", "as",
                                                              String(sections.length), ...sections)).data[0]);

// ------------------------------------------------------------------ the browser

async function login(browser, user, contextOptions) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, ...contextOptions });
    // content-policy violations as console errors too, whichever frame they happen in
    await context.addInitScript(() => document.addEventListener("securitypolicyviolation", e =>
        console.error(`content-policy violation: ${e.violatedDirective} ${e.blockedURI} in ${e.sourceFile}:${e.lineNumber}`)));
    const page = await context.newPage();
    // the page's own problems: content-policy violations, files that did not load (the login
    // page's first 401 is how it asks for credentials)
    const problems = [];
    const problem = text => { problems.push(text); console.error(`[browser ${user}] ${text}`) };
    page.on("console", m => {
        if (m.type() !== "error")
            console.error(`[browser ${user}] ${m.type()}: ${m.text()}`);
        else if (!/status of 401/.test(m.text()))
            problem(m.text());
    });
    page.on("pageerror", e => problem(`uncaught: ${e.message}`));
    page.on("response", r => { if (r.status() >= 400 && !r.url().endsWith("/cockpit/login")) problem(`${r.status()} ${r.url()}`) });
    page.on("requestfailed", r => problem(`failed: ${r.url()} ${r.failure().errorText}`));
    await page.goto(URL + "/harper-sysops");
    await page.fill("#login-user-input", user);
    await page.fill("#login-password-input", PASSWORD);
    await page.click("#login-button");
    const frame = page.frameLocator(FRAME);
    try {
        await frame.locator('body[data-ready="1"]').waitFor({ timeout: 30000 });
    } catch (e) {
        await page.screenshot({ path: path.join(ARTIFACTS, `login-failed-${user}.png`) });
        throw e;
    }
    return { context, page, frame, problems };
}

const statusCell = (frame, id) => frame.locator(`#statuses-table tr[data-status-id="${id}"] .status-value`);
const exactly = text => new RegExp("^" + text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$");

// the job a restart from the page started (the page drops its data-last-job when it asks)
async function jobIdFromAlert(frame) {
    const restarts = frame.locator("#restarts[data-last-job]");
    await restarts.waitFor({ state: "attached", timeout: 15000 });
    return restarts.getAttribute("data-last-job");
}

// the buttons and fields that change state
const CHANGING = ["#restart", "#restart-replicated", "#replicated", "#restart-service", "#status-set", "#status-value"];
const disabledOf = frame => Promise.all(CHANGING.map(async sel => [sel, await frame.locator(sel).isDisabled()]));

// each job row's id and "By", as the page shows them: { id: by }
const byColumn = frame => frame.locator("#jobs-table tbody tr").evaluateAll(trs => Object.fromEntries(trs.map(tr =>
    [tr.dataset.jobId, tr.querySelectorAll("td")[4].textContent.trim()])));

async function adminChecks(browser) {
    sysops("ClearStatus", "s", "maintenance");
    sysops("ClearStatus", "s", "availability");
    sysops("SetStatus", "ss", "primary", "starting");
    let s, restartId = null;

    await step(`${ADMIN_USER} (harper-admin) logs in through PAM and opens the page from the shell's menu`, async () => {
        s = await login(browser, ADMIN_USER);
        const link = s.page.getByRole("link", { name: "Harper", exact: true });
        check(await link.count() > 0, "no 'Harper' entry in the shell's navigation");
    }, { fatal: true });
    const { page, frame } = s;

    await step("a harper-admin member sees the statuses", async () => {
        await statusCell(frame, "primary").filter({ hasText: exactly("starting") }).waitFor({ timeout: 5000 });
        const shown = await statusCell(frame, "maintenance").textContent();
        check(shown === "not set", `maintenance shows "${shown}", want "not set"`);
    });

    await step("a harper-admin member may act: the buttons that change state are enabled, no line that says who may", async () => {
        await frame.locator('body[data-may-change="1"]').waitFor({ state: "attached", timeout: 10000 });
        const disabled = (await disabledOf(frame)).filter(([, d]) => d).map(([sel]) => sel);
        check(disabled.length === 0, `disabled: ${disabled.join(", ")}`);
        check(await frame.locator("#who-may").isHidden(), "the 'who may' line is shown to an admin");
    });

    await step("a status set with busctl appears on the page within a second (PropertiesChanged, no polling)", async () => {
        const t = Date.now();
        sysops("SetStatus", "ss", "maintenance", "window 02:00-03:00");
        await statusCell(frame, "maintenance").filter({ hasText: exactly("window 02:00-03:00") }).waitFor({ timeout: 5000 });
        const latency = Number(await frame.locator("#statuses").getAttribute("data-rendered-at")) - t;
        check(latency < 1000, `shown after ${latency} ms`);
        return `${latency} ms from the call to the table`;
    });

    await step("set from the page reaches the daemon", async () => {
        await frame.locator("#status-id").selectOption("availability");
        await frame.locator("#status-value").fill("Unavailable");
        await frame.locator("#status-set").click();
        await statusCell(frame, "availability").filter({ hasText: exactly("Unavailable") }).waitFor({ timeout: 5000 });
        const got = sysops("GetStatus", "s", "availability");
        check(/"availability" "Unavailable"/.test(got), `the daemon has: ${got}`);
    });

    await step("the daemon's validation message is shown as is", async () => {
        const want = sysopsError("SetStatus", "ss", "availability", "Partial");
        await frame.locator("#status-id").selectOption("availability");
        await frame.locator("#status-value").fill("Partial");
        await frame.locator("#status-set").click();
        const alert = frame.locator('#statuses-alert [data-error="org.freedesktop.DBus.Error.InvalidArgs"]');
        await alert.waitFor({ timeout: 5000 });
        const shown = (await alert.textContent()).trim();
        check(shown === want, `page: ${shown}; daemon: ${want}`);
        check(/"availability" "Unavailable"/.test(sysops("GetStatus", "s", "availability")), "the status changed");
        return shown;
    });

    await step("clear from the page reaches the daemon", async () => {
        await frame.locator('#statuses-table tr[data-status-id="maintenance"] .status-clear').click();
        await frame.locator('#statuses-table tr[data-status-id="maintenance"][data-set="0"]').waitFor({ timeout: 5000 });
        const err = sysopsError("GetStatus", "s", "maintenance");
        check(/never|not|no/i.test(err), `GetStatus maintenance: ${err}`);
    });

    await step("Restart Harper asks first, naming the unit; Cancel changes nothing", async () => {
        await frame.locator('#sysinfo[data-ready="1"]').waitFor({ timeout: 15000 });
        const pid = mainPid("harperdb.service");
        const jobs = jobPaths().join(" ");
        await frame.locator("#restart").click();
        const dialog = frame.locator("#confirm-dialog");
        await dialog.waitFor({ timeout: 5000 });
        const text = (await dialog.textContent()).replace(/\s+/g, " ");
        check(/harperdb\.service/.test(text), `the dialog does not name the unit: ${text}`);
        await s.page.screenshot({ path: path.join(ARTIFACTS, "confirm-restart.png") });
        await frame.locator("#confirm-cancel").click();
        await dialog.waitFor({ state: "detached", timeout: 5000 });
        await page.waitForTimeout(500);
        check(mainPid("harperdb.service") === pid, "the instance restarted");
        check(jobPaths().join(" ") === jobs, "a job was created");
        check(await frame.locator("#restart-alert [data-job-id]").count() === 0, "the page says a restart started");
        check(!/Still running/.test(text), `no job runs, yet the dialog warns of one: ${text}`);
        return text.slice(0, 160);
    });

    await step("neither Harper's cluster nor configured nodes: the cluster part says so in one line, no node list", async () => {
        const answer = sysinfo("replication");
        check(answer.replication.cluster_status === null && answer.replication.peers.length === 0,
              `the daemon says ${JSON.stringify(answer.replication)}`);
        const shown = (await frame.locator("#cluster-nodes").textContent()).trim();
        check(shown === "Harper could not be asked about its cluster and no other nodes are configured: only this node.", `shown: ${shown}`);
        check(await frame.locator("#cluster-table").count() === 0, "a node list is shown");
        return shown;
    });

    await step("a replicated restart asks first, naming the units and that only this node is restarted; Cancel changes nothing", async () => {
        const pids = ["harperdb-http@1.service", "harperdb-http@3.service"].map(u => mainPid(u)).join(" ");
        const jobs = jobPaths().join(" ");
        await frame.locator("#service").selectOption("http_workers");
        await frame.locator("#replicated").check();
        await frame.locator("#restart-service").click();
        const dialog = frame.locator("#confirm-dialog");
        await dialog.waitFor({ timeout: 5000 });
        const text = (await dialog.textContent()).replace(/\s+/g, " ");
        await frame.locator("#confirm-cancel").click();
        await frame.locator("#replicated").uncheck();
        check(/harperdb-http@1\.service, harperdb-http@2\.service, harperdb-http@3\.service/.test(text), `the units are not named: ${text}`);
        check(/Harper could not be asked about its cluster and no other nodes are configured: only this node is restarted\./.test(text),
              `the dialog does not say that only this node is restarted: ${text}`);
        await page.waitForTimeout(500);
        check(["harperdb-http@1.service", "harperdb-http@3.service"].map(u => mainPid(u)).join(" ") === pids, "a worker restarted");
        check(jobPaths().join(" ") === jobs, "a job was created");
        return text.slice(0, 200);
    });

    await step("a restart from the page completes: the job shows COMPLETE and the instance has a new MainPID", async () => {
        const before = mainPid("harperdb.service");
        await frame.locator("#restart").click();
        await frame.locator("#confirm-ok").click();
        const id = await jobIdFromAlert(frame);
        await frame.locator(`#jobs-table tr[data-job-id="${id}"][data-status="COMPLETE"]`).waitFor({ timeout: 20000 });
        const after = mainPid("harperdb.service");
        check(after !== before && after !== "0", `MainPID ${before} -> ${after}`);
        check(jobStatus(id) === "COMPLETE", `the daemon says ${jobStatus(id)}`);
        restartId = id;
        return `MainPID ${before} -> ${after}`;
    });

    await step("no stale alert: the alert about a job goes once the job has ended", async () => {
        check(restartId, "no restart from the page to look at");
        await frame.locator("#restart-alert [data-job-id]").waitFor({ state: "detached", timeout: 5000 });
        const left = (await frame.locator("#restart-alert").textContent()).trim();
        check(left === "", `the alert still says: ${left}`);
        check(await frame.locator(`#jobs-table tr[data-job-id="${restartId}"][data-status="COMPLETE"]`).count() === 1, "the job's row does not say COMPLETE");
    });

    await step("a rolling restart of the workers shows per-unit progress, then COMPLETE", async () => {
        await frame.locator("#service").selectOption("http_workers");
        await frame.locator("#restart-service").click();
        await frame.locator("#confirm-ok").click();
        const id = await jobIdFromAlert(frame);
        const row = frame.locator(`#jobs-table tr[data-job-id="${id}"]`);
        // what the page showed, sampled until the job ends: done/total and the running unit
        const seen = [];
        const end = Date.now() + 30000;
        for (;;) {
            check(Date.now() < end, `no end within 30 s; seen: ${seen.join(", ")}`);
            const state = await row.evaluate(tr => {
                const p = tr.querySelector(".job-progress");
                const running = tr.querySelector('.job-steps [data-state="running"]');
                return `${tr.dataset.status} ${p ? p.dataset.done + "/" + p.dataset.total : "-"}` +
                    (running ? " " + running.dataset.unit : "");
            }).catch(() => null);
            if (state && seen[seen.length - 1] !== state) {
                seen.push(state);
                // a picture for people, not a check: the page may redraw the row meanwhile
                if (/^IN_PROGRESS 2\/3/.test(state))
                    await row.screenshot({ path: path.join(ARTIFACTS, "restart-progress.png") }).catch(() => {});
            }
            if (state && /^(COMPLETE|ERROR)/.test(state))
                break;
            await page.waitForTimeout(50);
        }
        check(seen[seen.length - 1] === "COMPLETE 3/3", `ended with ${seen[seen.length - 1]}`);
        check(seen.includes("IN_PROGRESS 1/3 harperdb-http@2.service"), `the second worker never showed as running after the first: ${seen.join(", ")}`);
        check(seen.includes("IN_PROGRESS 2/3 harperdb-http@3.service"), `the third worker never showed as running after two: ${seen.join(", ")}`);
        return seen.join(" → ");
    });

    await step("Restart Harper while a job runs: the dialog names the job that the restart would cut short; Cancel leaves it running", async () => {
        const [, , id] = sysops("RestartService", "sb", "http_workers", "false").match(/^sso "(.*)" "(.*)" "(.*)"$/) || [];
        check(id, "RestartService gave no job id");
        await frame.locator(`#jobs-table tr[data-job-id="${id}"]:is([data-status="CREATED"], [data-status="IN_PROGRESS"])`).waitFor({ timeout: 10000 });
        await frame.locator("#restart").click();
        const dialog = frame.locator("#confirm-dialog");
        await dialog.waitFor({ timeout: 5000 });
        const text = (await dialog.textContent()).replace(/\s+/g, " ");
        const warnings = await dialog.locator(`.pf-m-warning[data-cut-job="${id}"]`).count();
        await page.screenshot({ path: path.join(ARTIFACTS, "confirm-cut-job.png") });
        await frame.locator("#confirm-cancel").click();
        await dialog.waitFor({ state: "detached", timeout: 5000 });
        check(warnings === 1, `${warnings} warnings about job ${id} in the dialog`);
        check(text.includes(`Still running: Restart http_workers (job ${id}). This restart cuts it short.`), `the running job is not named: ${text}`);
        await frame.locator(`#jobs-table tr[data-job-id="${id}"]:is([data-status="COMPLETE"], [data-status="ERROR"])`).waitFor({ timeout: 30000 });
        check(jobStatus(id) === "COMPLETE", `the job ended ${jobStatus(id)}`);
        return text.slice(text.indexOf("Still running"), text.indexOf("Still running") + 120);
    });

    await step("job ids stay on one line, in full in their title", async () => {
        const ids = await frame.locator("#jobs-table .job-id").evaluateAll(els => els.map(e => ({
            text: e.textContent, title: e.title, row: e.closest("tr").dataset.jobId,
            // line-height is "normal": one line is less than two font sizes high
            lines: e.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(e).fontSize) ? 1 : 2,
        })));
        check(ids.length >= 3, `${ids.length} job ids shown`);
        const wrong = ids.filter(i => i.lines !== 1 || i.title !== i.row || i.text !== i.row);
        check(wrong.length === 0, `ids over more than one line or without their title: ${JSON.stringify(wrong)}`);
        return `${ids.length} ids, e.g. ${ids[0].row}`;
    });

    await step("By: the name of whoever started the job (hsops-admin from the page, root with busctl)", async () => {
        await frame.locator("#jobs-table tbody tr td:nth-child(5)").filter({ hasText: /^uid / }).first()
                .waitFor({ state: "detached", timeout: 10000 }).catch(() => {});
        const by = await byColumn(frame);
        const want = Object.fromEntries(Object.keys(by).map(id => {
            const uid = jobProperty(id, "UserId");
            return [id, uid === 0 ? "root" : uid === Number(execFileSync("id", ["-u", ADMIN_USER], { encoding: "utf8" })) ? ADMIN_USER : `uid ${uid}`];
        }));
        check(JSON.stringify(by) === JSON.stringify(want), `shown: ${JSON.stringify(by)}; want ${JSON.stringify(want)}`);
        check(Object.values(by).includes(ADMIN_USER) && Object.values(by).includes("root"), `by: ${Object.values(by)}`);
        adminBy = by;
        return [...new Set(Object.values(by))].join(", ");
    });

    await step("system information: CPU, memory, disks, network, Harper's processes, threads, unit metrics", async () => {
        await frame.locator('#sysinfo[data-ready="1"]').waitFor({ timeout: 15000 });
        const counts = {};
        for (const id of ["si-disks", "si-network", "si-processes", "si-threads", "si-metrics"])
            counts[id] = await frame.locator(`#${id} tbody tr`).count();
        const empty = Object.entries(counts).filter(([, n]) => n === 0).map(([id]) => id);
        check(empty.length === 0, `empty: ${empty.join(", ")}`);
        check(/\d/.test(await frame.locator("#si-cpu").textContent()), "no CPU figures");
        check(/iB/.test(await frame.locator("#si-memory").textContent()), "no memory figures");
        check(/harperdb\.service/.test(await frame.locator("#si-metrics").textContent()), "harperdb.service not among the unit metrics");
        return Object.entries(counts).map(([id, n]) => `${id.slice(3)} ${n}`).join(", ");
    });

    await step("the kernel threads are folded by default: \"Kernel threads (N)\", N its rows; a click unfolds them", async () => {
        const details = frame.locator("#si-threads > details");
        const rows = await frame.locator("#si-threads tbody tr").count();
        const summary = (await details.locator("summary").textContent()).trim();
        check(summary === `Kernel threads (${rows})`, `summary: ${summary}; rows: ${rows}`);
        check(await details.evaluate(d => !d.open) && await frame.locator("#si-threads table").isHidden(), "the table is unfolded");
        await details.locator("summary").click();
        await frame.locator("#si-threads table").waitFor({ timeout: 5000 });
        await details.locator("summary").click();
        await frame.locator("#si-threads table").waitFor({ state: "hidden", timeout: 5000 });
        return summary;
    });

    await step("Harper could not be asked: the page says so in words, with the daemon's reason", async () => {
        const answer = sysinfo("memory");
        check(answer.harper && answer.harper.answered === false, `the daemon says ${JSON.stringify(answer.harper)}`);
        const shown = (await frame.locator("#harper-unanswered").textContent()).trim();
        check(shown === `Harper could not be asked: ${answer.harper.error}`, `shown: ${shown}; daemon: ${answer.harper.error}`);
        const heap = await frame.locator("#chart-heap").textContent();
        check(/Harper could not be asked/.test(heap), `the heap chart says: ${heap}`);
        return shown;
    });

    await step("the charts of CPU load and memory have points after two refreshes", async () => {
        const refreshes = async () => Number(await frame.locator("#sysinfo").getAttribute("data-refreshes"));
        // at least n, not exactly: the page's own 10 s timer may refresh meanwhile too
        const start = await refreshes();
        for (const n of [start + 1, start + 2]) {
            await frame.locator("#sysinfo-refresh").click();
            const end = Date.now() + 60000;
            while (await refreshes() < n) {
                check(Date.now() < end, `no refresh ${n} within 60 s`);
                await page.waitForTimeout(100);
            }
        }
        const points = {};
        for (const id of ["chart-cpu", "chart-memory", "chart-heap"]) {
            const fig = frame.locator(`#${id}`);
            points[id] = [Number(await fig.getAttribute("data-points")),
                await fig.locator("polyline").evaluateAll(ls => ls.length ? ls[0].getAttribute("points").trim().split(/\s+/).length : 0)];
        }
        check(points["chart-cpu"][0] >= 3 && points["chart-cpu"][1] >= 3, `CPU chart: ${points["chart-cpu"]}`);
        check(points["chart-memory"][0] >= 3 && points["chart-memory"][1] >= 3, `memory chart: ${points["chart-memory"]}`);
        check(points["chart-heap"][0] === 0, `heap chart with Harper not asked: ${points["chart-heap"]}`);
        return Object.entries(points).map(([id, [n]]) => `${id.slice(6)} ${n}`).join(", ");
    });

    await step("system information refreshes only while the page is visible", async () => {
        const timer = () => frame.locator("#sysinfo").getAttribute("data-timer");
        check(await timer() === "on", "the refresh timer is not running on the visible page");
        await page.getByRole("link", { name: "Overview", exact: true }).click();
        await frame.locator('#sysinfo[data-timer="off"]').waitFor({ state: "attached", timeout: 10000 });
        await page.getByRole("link", { name: "Harper", exact: true }).click();
        await frame.locator('#sysinfo[data-timer="on"]').waitFor({ timeout: 10000 });
    });

    await step("the page's styles are its own bundle: no stylesheet or file from another package", async () => {
        const seen = await frame.locator("body").evaluate(() => {
            const base = new URL(".", document.baseURI).pathname;
            const card = document.querySelector(".pf-v6-c-card");
            return {
                base,
                sheets: [...document.styleSheets].map(sh => sh.href && new URL(sh.href).pathname),
                // what came from outside the package: only Cockpit's API may
                foreign: performance.getEntriesByType("resource").map(r => new URL(r.name).pathname)
                        .filter(p => !p.startsWith(base) && !/\/base1\/cockpit\.js$/.test(p)),
                font: getComputedStyle(document.body).fontFamily,
                token: getComputedStyle(document.documentElement).getPropertyValue("--pf-t--global--spacer--md").trim(),
                cardBackground: getComputedStyle(card).backgroundColor,
                fontsLoaded: [...document.fonts].filter(f => f.status === "loaded").map(f => f.family),
            };
        });
        check(seen.sheets.length > 0 && seen.sheets.every(p => p === seen.base + "index.css"), `stylesheets: ${seen.sheets.join(", ")}`);
        check(seen.foreign.length === 0, `loaded from elsewhere: ${seen.foreign.join(", ")}`);
        check(/Red Hat Text/.test(seen.font), `PatternFly's font is not applied (font ${seen.font})`);
        check(seen.token !== "", "PatternFly 6's tokens are not defined");
        check(seen.cardBackground !== "rgba(0, 0, 0, 0)", `the card has no background (${seen.cardBackground})`);
        check(seen.fontsLoaded.some(f => /Red Hat Text/.test(f)), `the bundled font did not load: ${seen.fontsLoaded.join(", ")}`);
        return `${seen.sheets[0]}; font ${seen.font.split(",")[0]}; card ${seen.cardBackground}`;
    });

    await step("no console errors, content-policy violations or missing files", async () => {
        check(s.problems.length === 0, s.problems.join("; "));
    });

    await page.screenshot({ path: path.join(ARTIFACTS, "admin-shell.png") });
    // the whole page on its own (the shell shows it in a scrolled iframe)
    const alone = await s.context.newPage();
    await alone.goto(URL + "/cockpit/@localhost/harper-sysops/index.html");
    await alone.locator('#sysinfo[data-ready="1"]').waitFor({ timeout: 15000 });
    await alone.screenshot({ path: path.join(ARTIFACTS, "admin-page.png"), fullPage: true });
    await narrowChecks(s.context);
    await s.context.close();
}

// the page alone, 360 px wide (a phone), in the admin's session: nothing wider than the window
async function narrowChecks(context) {
    await step("at 360 px wide the page does not overflow sideways (statuses, jobs, system information)", async () => {
        const alone = await context.newPage();
        await alone.setViewportSize({ width: 360, height: 800 });
        await alone.goto(URL + "/cockpit/@localhost/harper-sysops/index.html");
        await alone.locator('#sysinfo[data-ready="1"]').waitFor({ timeout: 15000 });
        await alone.locator("#statuses-table tbody tr").first().waitFor({ timeout: 10000 });
        await alone.locator("#jobs-table tbody tr").first().waitFor({ timeout: 10000 });
        const seen = await alone.evaluate(() => ({
            width: document.documentElement.scrollWidth,
            // what reaches beyond the window, scrollable or cut off by a box that hides its overflow
            wide: [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 360.5)
                    .slice(0, 5).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
        }));
        // for people: the top of the page, and the jobs
        await alone.screenshot({ path: path.join(ARTIFACTS, "narrow-360.png") });
        await alone.locator("#jobs-table").scrollIntoViewIfNeeded();
        await alone.screenshot({ path: path.join(ARTIFACTS, "narrow-360-jobs.png") });
        await alone.close();
        check(seen.width <= 360, `scrollWidth ${seen.width}; wider: ${seen.wide.join("; ")}`);
        // nor is anything cut off by a box that hides its overflow
        check(seen.wide.length === 0, `beyond the window's right edge: ${seen.wide.join("; ")}`);
        return `scrollWidth ${seen.width}`;
    });
}

// the page built with tests/e2e/po/de.po (cockpit.sh puts its po.de.js into the package), in a
// browser that asks for German: Cockpit serves po.de.js as the page's po.js
async function translatedChecks(browser) {
    let s;
    await step("a page translated with a test .po shows the translated strings", async () => {
        s = await login(browser, ADMIN_USER, { locale: "de-DE" });
        await s.frame.locator('#sysinfo[data-ready="1"]').waitFor({ timeout: 15000 });
        const shown = {};
        for (const sel of ["#statuses-title", "#restarts-title", "#sysinfo-title", "#restart", "#chart-cpu .sysops-chart-label"])
            shown[sel] = (await s.frame.locator(sel).textContent()).trim();
        const want = { "#statuses-title": "Zustände", "#restarts-title": "Neustarts", "#sysinfo-title": "Systeminformationen",
            "#restart": "Harper neu starten", "#chart-cpu .sysops-chart-label": "CPU-Last" };
        const wrong = Object.keys(want).filter(k => shown[k] !== want[k]);
        check(wrong.length === 0, wrong.map(k => `${k}: "${shown[k]}", want "${want[k]}"`).join("; "));
        const harper = (await s.frame.locator("#harper-unanswered").textContent()).trim();
        check(/^Harper konnte nicht gefragt werden: \S/.test(harper), `Harper's alert: ${harper}`);
        check(/^Set status$/.test((await s.frame.locator("#status-set").textContent()).trim()), "an untranslated string is not shown in English");
        await s.page.screenshot({ path: path.join(ARTIFACTS, "translated-de.png") });
        check(s.problems.length === 0, s.problems.join("; "));
        return Object.values(shown).join(" | ");
    });
    if (s)
        await s.context.close();
}

async function plainUserChecks(browser) {
    const statuses = JSON.stringify(listStatuses());
    const pid = mainPid("harperdb.service");
    const jobsBefore = jobPaths().join(" ");
    let s;

    await step(`${PLAIN_USER} (not in harper-admin) logs in; the page loads`, async () => {
        s = await login(browser, PLAIN_USER);
    }, { fatal: true });
    const { page, frame } = s;
    const readable = text => /^(Not permitted|Authentication)[^:]*: \S/.test(text);

    await step("a plain user is denied the statuses with a readable message", async () => {
        const alert = frame.locator("#statuses-alert [data-error]");
        await alert.waitFor({ timeout: 10000 });
        const text = (await alert.textContent()).trim();
        check(readable(text), `shown: ${text}`);
        return text;
    });

    await step("a plain user: the buttons that change state are disabled up front, with one line that says who may", async () => {
        await frame.locator('body[data-may-change="0"]').waitFor({ state: "attached", timeout: 10000 });
        const enabled = (await disabledOf(frame)).filter(([, d]) => !d).map(([sel]) => sel);
        check(enabled.length === 0, `enabled: ${enabled.join(", ")}`);
        const line = (await frame.locator("#who-may").textContent()).trim();
        check(await frame.locator("#who-may").isVisible(), "the 'who may' line is not shown");
        check(line === `Only members of harper-admin and administrators may change statuses or restart Harper; ${PLAIN_USER} may look only.`,
              `the line says: ${line}`);
        // a click on a disabled button does nothing (playwright would wait for it to be enabled)
        await frame.locator("#restart").click({ force: true, timeout: 2000 });
        await page.waitForTimeout(300);
        check(await frame.locator("#confirm-dialog").count() === 0, "a click on the disabled Restart Harper opened its dialog");
        return line;
    });

    await step("a plain user sees the same \"By\" as the admin for the same jobs", async () => {
        check(adminBy, "the admin's view was not recorded");
        await frame.locator("#jobs-table tbody tr").first().waitFor({ timeout: 10000 });
        await frame.locator("#jobs-table tbody tr td:nth-child(5)").filter({ hasText: /^uid / }).first()
                .waitFor({ state: "detached", timeout: 10000 }).catch(() => {});
        const mine = await byColumn(frame);
        const common = Object.keys(adminBy).filter(id => id in mine);
        check(common.length > 0, `no job in both views: admin ${Object.keys(adminBy)}, plain ${Object.keys(mine)}`);
        const differ = common.filter(id => mine[id] !== adminBy[id]).map(id => `${id}: ${mine[id]} / ${adminBy[id]}`);
        check(differ.length === 0, `differ: ${differ.join("; ")}`);
        return `${common.length} jobs: ${[...new Set(common.map(id => mine[id]))].join(", ")}`;
    });

    await step("... and nothing changed: statuses, the instance's MainPID, the jobs", async () => {
        check(JSON.stringify(listStatuses()) === statuses, `statuses now ${JSON.stringify(listStatuses())}, were ${statuses}`);
        check(mainPid("harperdb.service") === pid, "the instance restarted");
        check(jobPaths().join(" ") === jobsBefore, "the job list changed");
    });

    await page.screenshot({ path: path.join(ARTIFACTS, "plain-user.png") });
    await s.context.close();
}

// The nodes' states in a job's row: "this:running 127.0.0.12:pending* ..." (* = aria-current)
const nodeStates = row => row.evaluate(tr => [...tr.querySelectorAll(".job-nodes [data-node]")].map(li =>
    `${li.dataset.thisNode ? "this" : li.dataset.node}:${li.dataset.state}${li.getAttribute("aria-current") ? "*" : ""}`).join(" "));

// follow a job's row until it ends: each different "STATUS nodes" the page showed, in order
async function followNodes(page, row, seconds, picture) {
    const seen = [];
    const end = Date.now() + seconds * 1000;
    for (;;) {
        check(Date.now() < end, `no end within ${seconds} s; seen: ${seen.join(" → ")}`);
        const state = await row.evaluate(tr => tr.dataset.status).then(async st => `${st} ${await nodeStates(row)}`).catch(() => null);
        if (state && seen[seen.length - 1] !== state) {
            seen.push(state);
            if (picture && /running\*/.test(state) && !/^\S+ this:running/.test(state))
                await row.screenshot({ path: path.join(ARTIFACTS, picture) }).catch(() => {});
        }
        if (state && /^(COMPLETE|ERROR)/.test(state))
            return seen;
        await page.waitForTimeout(50);
    }
}

// The cluster: this node (its daemon on the harness's bus, stand-in units, no Harper to ask) and
// the stand-in nodes of cockpit.sh, reached by D-Bus address as the configuration says.
async function clusterChecks(browser) {
    const nodes = process.env.CLUSTER.split(/\s+/).filter(Boolean).map(e => e.split("="));
    const names = nodes.map(([name]) => name);
    const rt = Object.fromEntries(nodes);
    const { context, page, frame, problems } = await login(browser, ADMIN_USER);
    await frame.locator('#sysinfo[data-ready="1"]').waitFor({ timeout: 15000 });
    const answer = sysinfo("replication").replication;
    const order = `this node, then ${names.join(", then ")}`;

    await step("the page lists the nodes: this node first, then each configured node with how it is reached, the left-out one as such", async () => {
        check(answer.cluster_status === null, `Harper answered: ${JSON.stringify(answer.cluster_status)}`);
        check(JSON.stringify(answer.peers.map(p => p.name)) === JSON.stringify([...names, LEFT_OUT]), `the daemon's peers: ${JSON.stringify(answer.peers)}`);
        const rows = await frame.locator("#cluster-table tbody tr").evaluateAll(trs => trs.map(tr =>
            [...tr.querySelectorAll("td")].map(td => td.textContent.trim()).join(" | ")));
        const want = ["this node | Harper could not be asked | on this machine",
            ...answer.peers.map(p => p.address === null
                ? `${p.name} | not known (Harper did not answer) | left out`
                : `${p.name} | not known (Harper did not answer) | D-Bus address ${p.address}`)];
        check(JSON.stringify(rows) === JSON.stringify(want), `rows: ${JSON.stringify(rows)}; want ${JSON.stringify(want)}`);
        check(await frame.locator("#cluster-none").count() === 0, "the page also says there is no cluster");
        return rows.map(r => r.split(" | ")[0] + ": " + r.split(" | ")[2].slice(0, 40)).join("; ");
    });

    await step("a replicated restart of http_workers asks first, naming the nodes in order and the left-out one; Cancel changes nothing", async () => {
        const pids = names.map(n => mainPid("harperdb-http@1.service", rt[n])).join(" ");
        const jobs = jobPaths().join(" ");
        await frame.locator("#service").selectOption("http_workers");
        await frame.locator("#replicated").check();
        await frame.locator("#restart-service").click();
        const dialog = frame.locator("#confirm-dialog");
        await dialog.waitFor({ timeout: 5000 });
        const text = (await dialog.textContent()).replace(/\s+/g, " ");
        await page.screenshot({ path: path.join(ARTIFACTS, "confirm-cluster.png") });
        await frame.locator("#confirm-cancel").click();
        await dialog.waitFor({ state: "detached", timeout: 5000 });
        check(text.includes(`One node at a time, each back in the cluster before the next: ${order}.`), `the nodes are not named in order (${order}): ${text}`);
        check(text.includes(`Left out by the configuration: ${LEFT_OUT}.`), `the left-out node is not named: ${text}`);
        await page.waitForTimeout(500);
        check(names.map(n => mainPid("harperdb-http@1.service", rt[n])).join(" ") === pids, "a node's worker restarted");
        check(jobPaths().join(" ") === jobs, "a job was created");
        return text.slice(text.indexOf("One node"), text.indexOf("One node") + 120);
    });

    await step("the replicated restart of http_workers shows each node's progress (Nodes, CurrentNode) as it goes, then COMPLETE", async () => {
        const before = names.map(n => mainPid("harperdb-http@1.service", rt[n]));
        await frame.locator("#restart-service").click();
        await frame.locator("#confirm-ok").click();
        const id = await jobIdFromAlert(frame);
        const row = frame.locator(`#jobs-table tr[data-job-id="${id}"]`);
        const seen = await followNodes(page, row, 120, "cluster-progress.png");
        await frame.locator("#replicated").uncheck();
        const [a, b] = names;
        // this node first (the daemon lists the other nodes in Nodes once they are reached for:
        // with no Harper to ask, after this node's restart), then each node in turn
        const want = [
            new RegExp(`^IN_PROGRESS this:running\\*( ${a}:pending ${b}:pending ${LEFT_OUT}:pending)?$`),
            `IN_PROGRESS this:done ${a}:running* ${b}:pending ${LEFT_OUT}:pending`,
            `IN_PROGRESS this:done ${a}:done ${b}:running* ${LEFT_OUT}:pending`,
            `COMPLETE this:done ${a}:done ${b}:done ${LEFT_OUT}:skipped`,
        ];
        const at = want.map(w => seen.findIndex(st => (typeof w === "string" ? st === w : w.test(st))));
        const missing = want.filter((w, k) => at[k] < 0);
        check(missing.length === 0, `never shown: ${missing.join("; ")}; seen: ${seen.join(" → ")}`);
        // in this order
        check(at.every((i, k) => k === 0 || i > at[k - 1]), `out of order: ${seen.join(" → ")}`);
        // what the daemon says at the end is what the page shows
        const daemon = jobProperty(id, "Nodes").map(([name, state]) => `${name}:${state}`).join(" ");
        check(`COMPLETE this:done ${daemon}` === seen[seen.length - 1], `daemon: ${daemon}; page: ${seen[seen.length - 1]}`);
        const after = names.map(n => mainPid("harperdb-http@1.service", rt[n]));
        check(after.every((pid, i) => pid !== before[i] && pid !== "0"), `the nodes' first workers: ${before} -> ${after}`);
        return seen.join(" → ");
    });

    await step("Restart Harper on every node: the confirmation names the nodes in order; each node's instance restarts, one after another", async () => {
        const before = names.map(n => mainPid("harperdb.service", rt[n]));
        const here = mainPid("harperdb.service");
        await frame.locator("#restart-replicated").check();
        await frame.locator("#restart").click();
        const dialog = frame.locator("#confirm-dialog");
        await dialog.waitFor({ timeout: 5000 });
        const text = (await dialog.textContent()).replace(/\s+/g, " ");
        check(/^Restart Harper on every node\?/.test(text), `heading: ${text.slice(0, 60)}`);
        check(text.includes(`One node at a time, each back in the cluster before the next: ${order}.`), `the nodes are not named in order (${order}): ${text}`);
        await frame.locator("#confirm-ok").click();
        const id = await jobIdFromAlert(frame);
        const row = frame.locator(`#jobs-table tr[data-job-id="${id}"]`);
        const seen = await followNodes(page, row, 120);
        await frame.locator("#restart-replicated").uncheck();
        check(seen[seen.length - 1] === `COMPLETE this:done ${names.map(n => n + ":done").join(" ")} ${LEFT_OUT}:skipped`, `ended: ${seen.join(" → ")}`);
        check(jobProperty(id, "Type") === "restart" && jobProperty(id, "Replicated") === true, "not a replicated restart of the instance");
        check(/^Restart Harper \(replicated\)/.test((await row.locator("td").first().textContent()).trim()), "the row does not say it is replicated");
        const after = names.map(n => mainPid("harperdb.service", rt[n]));
        check(mainPid("harperdb.service") !== here, "this node's instance did not restart");
        check(after.every((pid, i) => pid !== before[i] && pid !== "0"), `the nodes' instances: ${before} -> ${after}`);
        // one after another: each node's job started after the previous one ended
        const times = jobProperty(id, "Nodes").filter(n => n[1] === "done").map(n => [Number(n[4]), Number(n[5])]);
        check(times.length === names.length && times.every(([start], i) => i === 0 || start >= times[i - 1][1]), `node times: ${JSON.stringify(times)}`);
        return seen.join(" → ");
    });

    await step("no console errors, content-policy violations or missing files (cluster)", async () => {
        check(problems.length === 0, problems.join("; "));
    });
    await page.screenshot({ path: path.join(ARTIFACTS, "cluster.png"), fullPage: true });
    await context.close();
}

// Harper's figures as the page shows them against the daemon's answer of the same moment (the
// shell compares that answer with Harper's own).
async function harperChecks(browser) {
    const { context, page, frame } = await login(browser, ADMIN_USER);
    await frame.locator('#sysinfo[data-ready="1"]').waitFor({ timeout: 15000 });
    const answer = JSON.parse(JSON.parse(busctl("--json=short", "call", BUS, OBJ, BUS, "SystemInformation", "as", "0")).data[0]);

    await step("the real Harper: the daemon asked it, and the page says nothing is missing", async () => {
        check(answer.harper && answer.harper.answered === true, `the daemon says ${JSON.stringify(answer.harper)}`);
        check(await frame.locator("#harper-unanswered").count() === 0, "the page says Harper could not be asked");
    });
    await step("... heap and versions are Harper's", async () => {
        const shown = await frame.locator("#si-heap").textContent();
        check(shown.includes(answer.system.node_version), `no Node.js ${answer.system.node_version} in: ${shown}`);
        check(shown.includes(answer.system.npm_version), `no npm ${answer.system.npm_version} in: ${shown}`);
        check(/Heap in use.*iB of .*iB/.test(shown), `no heap figures in: ${shown}`);
        return `Node.js ${answer.system.node_version}, npm ${answer.system.npm_version}`;
    });
    await step("... one row per worker thread of Harper's", async () => {
        const rows = await frame.locator("#si-harper-threads tbody tr").count();
        check(rows === answer.threads.length && rows > 0, `${rows} rows, Harper has ${answer.threads.length} workers`);
        return `${rows} threads`;
    });
    await step("... the table dev.dog with its record count", async () => {
        const dog = answer.table_size.find(t => t.database === "dev" && t.table === "dog");
        check(dog, `no dev.dog in ${JSON.stringify(answer.table_size)}`);
        const cells = await frame.locator('#si-tables tr[data-table="dev.dog"] td').allTextContents();
        check(cells[2] && cells[2].trim() === String(dog.record_count), `shown: ${cells.join(" | ")}; record_count ${dog.record_count}`);
        return `${dog.record_count} records`;
    });
    await step("... Harper's database metrics, one entry per database", async () => {
        const shown = await frame.locator("#si-database-metrics summary").allTextContents();
        check(JSON.stringify(shown.sort()) === JSON.stringify(Object.keys(answer.metrics).sort()),
              `shown: ${shown}; Harper's: ${Object.keys(answer.metrics)}`);
        return shown.join(", ");
    });
    await step("... Harper in no cluster: the page says so in one short line, and nothing more", async () => {
        const status = answer.replication.cluster_status;
        check(status && typeof status === "object" && answer.replication.peers.length === 0,
              `the daemon's replication: ${JSON.stringify(answer.replication)}`);
        const shown = (await frame.locator("#cluster-nodes").textContent()).trim();
        check(shown === "Harper is in no cluster: only this node.", `shown: ${shown}`);
        check(await frame.locator("#cluster-nodes > *").count() === 1 && await frame.locator("#cluster-table").count() === 0, "more than the line is shown");
        return `${shown} (cluster_status ${JSON.stringify(status).slice(0, 80)})`;
    });
    await step("... a restart of http_workers by Harper: each step of the job shown in words, not by its internal name", async () => {
        await frame.locator("#service").selectOption("http_workers");
        await frame.locator("#restart-service").click();
        await frame.locator("#confirm-ok").click();
        const id = await jobIdFromAlert(frame);
        const row = frame.locator(`#jobs-table tr[data-job-id="${id}"]`);
        await frame.locator(`#jobs-table tr[data-job-id="${id}"]:is([data-status="COMPLETE"], [data-status="ERROR"])`).waitFor({ timeout: 120000 });
        check(jobStatus(id) === "COMPLETE", `the job ended ${jobStatus(id)}: ${jobProperty(id, "Message")}`);
        const words = { "harper:answering": "Harper answering", "harper:replication": "Replication connected again",
            "harper:restart_service:http_workers": "Harper restarts http_workers" };
        const steps = jobProperty(id, "Steps").map(([name]) => name);
        check(steps.includes("harper:restart_service:http_workers"), `the daemon's steps: ${steps}`);
        const shown = await row.locator(".job-steps [data-unit]").evaluateAll(lis => lis.map(li =>
            [li.dataset.unit, li.querySelector(".pf-v6-c-progress-stepper__step-title").textContent.trim()]));
        check(JSON.stringify(shown.map(([name]) => name)) === JSON.stringify(steps), `steps shown: ${JSON.stringify(shown)}; daemon: ${steps}`);
        const wrong = shown.filter(([name, title]) => title !== (words[name] || name) || /^harper:/.test(title));
        check(wrong.length === 0, `not in words: ${JSON.stringify(wrong)}`);
        return shown.map(([, title]) => title).join(", ");
    });
    await page.screenshot({ path: path.join(ARTIFACTS, "harper-figures.png"), fullPage: true });
    await step("Harper does not answer in time (stopped with SIGSTOP): the last known figures stay, marked \"as of HH:MM:SS (Harper did not answer: reason)\"", async () => {
        const heap = await frame.locator("#si-heap").textContent();
        const threads = await frame.locator("#si-harper-threads tbody tr").count();
        const signal = sig => execFileSync("systemctl", ["--user", "kill", `--signal=${sig}`, "harperdb.service"],
                                           { env: { ...process.env, XDG_RUNTIME_DIR: SYSTEMD_RT } });
        signal("SIGSTOP");
        try {
            await frame.locator("#sysinfo-refresh").click();
            // the daemon waits harper.query_timeout_ms (10 s by default) for Harper
            await frame.locator("#harper-last-known").waitFor({ timeout: 60000 });
        } finally {
            signal("SIGCONT");
        }
        const mark = (await frame.locator("#harper-last-known").textContent()).trim();
        const asOf = new Date(Number(await frame.locator("#harper-last-known").getAttribute("data-as-of")));
        const hms = [asOf.getHours(), asOf.getMinutes(), asOf.getSeconds()].map(n => String(n).padStart(2, "0")).join(":");
        check(new RegExp(`as of ${hms} \\(Harper did not answer: \\S.*\\)$`).test(mark), `the mark says: ${mark} (as of ${hms})`);
        check(await frame.locator("#harper-unanswered").count() === 0, "the figures are blanked with 'Harper could not be asked'");
        check(await frame.locator("#si-heap").textContent() === heap, `heap and versions changed: ${await frame.locator("#si-heap").textContent()}`);
        check(await frame.locator("#si-harper-threads tbody tr").count() === threads, "the worker threads are gone");
        // the shell scrolls the page inside its frame: bring the mark into view for the picture
        await frame.locator("#harper-last-known").scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(ARTIFACTS, "harper-last-known.png") });
        return mark;
    });
    await context.close();
}

(async () => {
    const t0 = Date.now();
    const browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"],
    });
    note(`chromium ${browser.version()} up in ${Date.now() - t0} ms`);
    try {
        if (process.env.REAL_HARPER === "1") {
            await harperChecks(browser);
        } else if (process.env.CLUSTER) {
            await clusterChecks(browser);
        } else {
            await adminChecks(browser);
            await translatedChecks(browser);
            await plainUserChecks(browser);
        }
    } finally {
        await browser.close();
        note(`browser test: ${Date.now() - t0} ms; screenshots in ${ARTIFACTS}`);
    }
    process.exit(failed ? 1 : 0);
})().catch(e => {
    console.error(e);
    process.exit(2);
});
