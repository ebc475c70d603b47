// Parse an AsyncAPI document with the official parser and print its diagnostics as JSON.
// Usage: node validate.cjs FILE   (tests/exports/test_asyncapi.py runs it; `npm ci` here installs the parser)
"use strict";
const fs = require("fs");
const { Parser } = require("@asyncapi/parser");

const SEVERITIES = ["error", "warning", "info", "hint"];

async function main(file) {
  const text = fs.readFileSync(file, "utf8");
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(text, { source: file });
  const found = diagnostics.map((d) => ({
    code: String(d.code),
    severity: SEVERITIES[d.severity] || String(d.severity),
    message: d.message,
    path: d.path,
  }));
  const summary = document
    ? {
        version: document.version(),
        channels: document.channels().all().map((c) => c.id()),
        operations: document.operations().all().map((o) => ({ id: o.id(), action: o.action() })),
        messages: document.components().messages().all().map((m) => m.id()),
      }
    : null;
  process.stdout.write(JSON.stringify({ parsed: Boolean(document), diagnostics: found, document: summary }) + "\n");
}

main(process.argv[2]).catch((error) => {
  process.stdout.write(JSON.stringify({ parsed: false, diagnostics: [{ code: "exception", severity: "error", message: String(error && error.stack || error), path: [] }], document: null }) + "\n");
  process.exitCode = 1;
});
