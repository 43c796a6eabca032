// SPDX-License-Identifier: MIT
// ESLint's configuration (flat config, eslint >= 9): its recommended rules for the Cockpit page
// (cockpit/src: ES modules in the browser; a file that uses Cockpit's global says so with
// /* global cockpit */), the page's build (cockpit/build.js: node) and its browser test
// (tests/e2e: node, and functions that playwright runs in the page). tests/lint/eslint.sh runs
// it; eslint, @eslint/js and globals are pinned in tests/lint/package-lock.json and installed
// outside the tree by tools/npm-cache.sh, whose node_modules directory it passes in
// HSOPS_ESLINT_MODULES (without it, they come from an ordinary npm install).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const modules = process.env.HSOPS_ESLINT_MODULES;

async function load(name) {
    if (!modules)
        return (await import(name)).default;
    const file = createRequire(import.meta.url).resolve(name, { paths: [modules] });
    return (await import(pathToFileURL(file).href)).default;
}

const js = await load("@eslint/js");
const globals = await load("globals");

export default [
    { ignores: ["build/", "build-*/", "obj-*/", "debian/", "bench/"] },
    js.configs.recommended,
    { linterOptions: { reportUnusedDisableDirectives: "error" } },
    {
        files: ["cockpit/src/**/*.js"],
        languageOptions: { sourceType: "module", globals: { ...globals.browser } },
    },
    {
        files: ["cockpit/build.js", "tests/e2e/**/*.js"],
        languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
    },
    {
        // the functions given to page.evaluate() and the like run in the browser
        files: ["tests/e2e/**/*.js"],
        languageOptions: { globals: { ...globals.browser } },
    },
    {
        files: ["eslint.config.mjs"],
        languageOptions: { sourceType: "module", globals: { ...globals.node } },
    },
];
