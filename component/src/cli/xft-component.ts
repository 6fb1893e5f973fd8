// `xft-component`: runs the offline store component until SIGTERM or SIGINT. Options from flags,
// environment or a JSON file (config/options.ts); bad ones exit 2 with one line per problem.
import fs from "node:fs";
import { PromptCancelled, promptSecret } from "@xft/protocol/secrets/prompt.js";
import { HELP, loadConfig, type LoadResult } from "../config/options.js";
import { runComponent } from "../main.js";

const EXIT = { ok: 0, start: 1, usage: 2 } as const;
const log = (line: string) => process.stderr.write(`xft-component: ${line}\n`);

const argv = process.argv.slice(2);
const readText = (file: string) => fs.readFileSync(file, "utf8");
const modeOf = (file: string) => fs.statSync(file).mode;
let loaded: LoadResult = loadConfig(argv, process.env, readText, { modeOf, interactive: Boolean(process.stdin.isTTY) });
if (loaded.kind === "ask-secret") {
  // nothing else gave the secret and a person is at the terminal: ask (no echo)
  const prompted = await promptSecret("xft-component: secret: ").catch((err) => {
    if (err instanceof PromptCancelled) return "";
    throw err;
  });
  loaded = loadConfig(argv, process.env, readText, { modeOf, prompted });
}
if (loaded.kind === "help") {
  process.stdout.write(HELP);
  process.exit(EXIT.ok);
}
if (loaded.kind !== "config") {
  for (const problem of loaded.kind === "invalid" ? loaded.problems : ["--secret: none given"]) log(problem);
  process.exit(EXIT.usage);
}
for (const warning of loaded.warnings) log(`warning: ${warning}`);

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
