// SPDX-License-Identifier: MIT
// An ESLint formatter (eslint --format tests/lint/eslint-tap.cjs): one TAP line per file linted,
// "not ok" with each problem as a comment when it has any, warnings included.
"use strict";
const path = require("path");

module.exports = function (results, context) {
    const root = context && context.cwd ? context.cwd : process.cwd();
    const lines = [`1..${results.length}`];
    results.forEach((r, i) => {
        const file = path.relative(root, r.filePath);
        if (r.messages.length === 0) {
            lines.push(`ok ${i + 1} - ${file}`);
            return;
        }
        lines.push(`not ok ${i + 1} - ${file}`);
        for (const m of r.messages)
            lines.push(`#   ${file}:${m.line || 0}:${m.column || 0}: ${m.severity === 2 ? "error" : "warning"}: ` +
                       `${m.message} [${m.ruleId || "eslint"}]`);
    });
    return lines.join("\n");
};
