// `xft-component`: runs the offline store component until SIGTERM or SIGINT. Options from flags,
// environment or a JSON file (config/options.ts); bad ones exit 2 with one line per problem.
import fs from "node:fs";
import { HELP, loadConfig } from "../config/options.js";
import { runComponent } from "../main.js";

const EXIT = { ok: 0, start: 1, usage: 2 } as const;
const log = (line: string) => process.stderr.write(`xft-component: ${line}\n`);

const loaded = loadConfig(process.argv.slice(2), process.env, (file) => fs.readFileSync(file, "utf8"));
if (loaded.kind === "help") {
  process.stdout.write(HELP);
  process.exit(EXIT.ok);
}
if (loaded.kind === "invalid") {
  for (const problem of loaded.problems) log(problem);
  process.exit(EXIT.usage);
}

let running: ReturnType<typeof runComponent>;
try {
  running = runComponent(loaded.config, log);
} catch (err: any) {
  log(`cannot start: ${err?.message ?? err}`);
  process.exit(EXIT.start);
}

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return; // a second signal while closing: the first one finishes the job
    stopping = true;
    log(`${signal}: stopping`);
    running.stop().then(
      () => process.exit(EXIT.ok),
      (err) => {
        log(`stopping failed: ${err?.message ?? err}`);
        process.exit(EXIT.start);
      },
    );
  });
}
