// SPDX-License-Identifier: MIT
// cockpit/build.js: the Cockpit package harper-sysops, built into one directory.
//   node build.js [--cache DIR] [--offline] --out DIR [LANG.po ...]
//   --cache, --offline  where tools/npm-cache.sh keeps esbuild, @patternfly/patternfly and
//              gettext-parser (pinned in package-lock.json here), and whether it may install them
//              from the registry when they are not there yet (never into the source tree)
//   --out      the package directory (emptied first): index.html, manifest.json, index.js,
//              index.css with PatternFly's fonts and images, and po.LANG.js for each .po
// The translations are what cockpit.locale() takes; Cockpit serves po.LANG.js as po.js.
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

function parseArgs(argv) {
    const args = { po: [], npm: [] };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--out")
            args.out = argv[++i];
        else if (argv[i] === "--cache")
            args.npm.push(argv[i], argv[++i]);
        else if (argv[i] === "--offline")
            args.npm.push(argv[i]);
        else
            args.po.push(argv[i]);
    }
    if (!args.out)
        throw new Error("usage: node build.js [--cache DIR] [--offline] --out DIR [LANG.po ...]");
    return args;
}

// the pinned packages' node_modules (tools/npm-cache.sh says what went wrong on its stderr)
function nodeModules(npmArgs) {
    const script = path.join(__dirname, "..", "tools", "npm-cache.sh");
    return execFileSync(script, [...npmArgs, __dirname], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

async function bundle(esbuild, modules, out) {
    await esbuild.build({
        entryPoints: { index: path.join(__dirname, "src", "index.js") },
        bundle: true,
        minify: true,
        format: "iife",
        target: ["es2020"],
        outdir: out,
        nodePaths: [modules],
        loader: { ".woff2": "file", ".svg": "file" },
        assetNames: "assets/[name]-[hash]",
        legalComments: "eof",
        logLevel: "warning",
    });
    for (const file of ["index.html", "manifest.json"])
        fs.copyFileSync(path.join(__dirname, "src", file), path.join(out, file));
}

// LANG.po -> po.LANG.js: cockpit.locale({ "": header, msgid: [null, translation, ...] })
function translation(gettextParser, poFile) {
    const po = gettextParser.po.parse(fs.readFileSync(poFile));
    const lang = po.headers.Language || path.basename(poFile, ".po");
    const plural = (po.headers["Plural-Forms"] || "nplurals=2; plural=(n != 1);").match(/plural\s*=\s*([^;]+)/)[1];
    if (!/^[n0-9\s!=<>&|?:%()]+$/.test(plural))
        throw new Error(`${poFile}: unexpected Plural-Forms ${plural}`);
    const messages = {};
    for (const [context, entries] of Object.entries(po.translations)) {
        for (const [msgid, entry] of Object.entries(entries)) {
            if (msgid && entry.msgstr.some(Boolean) && !(entry.comments && /fuzzy/.test(entry.comments.flag || "")))
                messages[context ? context + "\u0004" + msgid : msgid] = [null, ...entry.msgstr];
        }
    }
    const header = `{"plural-forms": n => Number(${plural}), "language": ${JSON.stringify(lang)}, "language-direction": "ltr"}`;
    const body = JSON.stringify(messages).replace(/^\{/, "{\"\": " + header + (Object.keys(messages).length ? ", " : ""));
    return [lang, `cockpit.locale(${body});\n`];
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const modules = nodeModules(args.npm);
    const esbuild = require(path.join(modules, "esbuild"));
    const gettextParser = require(path.join(modules, "gettext-parser"));
    fs.rmSync(args.out, { recursive: true, force: true });
    fs.mkdirSync(args.out, { recursive: true });
    await bundle(esbuild, modules, args.out);
    for (const poFile of args.po) {
        const [lang, js] = translation(gettextParser, poFile);
        fs.writeFileSync(path.join(args.out, `po.${lang}.js`), js);
    }
}

main().catch(e => {
    console.error("cockpit/build.js:", e.message || e);
    process.exit(1);
});
