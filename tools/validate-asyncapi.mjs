// Validate an AsyncAPI document with the official parser (@asyncapi/parser).
// Usage: node tools/validate-asyncapi.mjs <url-or-file>
// Prints every diagnostic; exits 1 if any has severity "error" (0) or the document
// could not be parsed, 0 otherwise.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const source = process.argv[2];
if (!source) {
  console.error("usage: node tools/validate-asyncapi.mjs <url-or-file>");
  process.exit(2);
}
const text = /^https?:\/\//.test(source)
  ? await (await fetch(source)).text()
  : await readFile(source, "utf8");

const severities = ["error", "warning", "info", "hint"];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(text);
for (const d of diagnostics) {
  const path = d.path.join(".") || "$";
  console.log(`${severities[d.severity] ?? d.severity}\t${d.code}\t${path}\t${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === 0);
if (!document || errors.length > 0) {
  console.log(`INVALID: ${errors.length} error(s)`);
  process.exit(1);
}
console.log(
  `VALID: AsyncAPI ${document.version()}, ${document.messages().length} messages, ` +
    `${document.operations().length} operations, ${diagnostics.length} diagnostic(s)`,
);
