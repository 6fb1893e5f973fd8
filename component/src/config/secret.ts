// The component's secret: from --secret / --secret-file, their environment variables, the
// config file's "secret" or "secret-file", or a terminal prompt. The order, and why flags warn:
// @xft/protocol/secrets/source.ts. Pure: the file is read through the injected readText.
import { decideSecretSource, fileModeWarning, secretFromFileText, type SecretSource } from "@xft/protocol/secrets/source.js";
import { OptionValueError } from "./units.js";

export interface SecretIo {
  /** the mode bits of a secret file, for the warning when others may read it */
  modeOf?: (path: string) => number;
  /** stdin is a terminal: a secret given no other way is asked for there */
  interactive?: boolean;
  /** what was typed at the prompt */
  prompted?: string;
}

// The literal the example configurations once shipped. A server and store left with it let anyone
// who reaches the component port connect as the store and take the files left for its users:
// refused, as no secret at all is.
const PLACEHOLDER_SECRET = /^change-?me$/i;

export function parseSecret(raw: string): string {
  if (raw === "") throw new OptionValueError("must not be empty");
  if (PLACEHOLDER_SECRET.test(raw.trim())) throw new OptionValueError(`is the placeholder ${JSON.stringify(raw)}: set a long random secret (openssl rand -hex 16) in the server's Component entry and here`);
  return raw;
}

export interface SecretContext {
  flags: Map<string, string>;
  env: NodeJS.ProcessEnv;
  fromFile: Record<string, string>;
  configFile?: string;
  /** reads a file as text (loadConfig's readText) */
  readText: (path: string) => string;
  io: SecretIo;
  problems: string[];
  warnings: string[];
}

// The secret from --secret / --secret-file, their variables, the config file's "secret" or
// "secret-file", or the prompt (the order and the reasons: @xft/protocol/secrets/source.ts).
// Returns the checked secret, "ask" (prompt for it), or undefined with the problem recorded.
export function resolveSecret(c: SecretContext): string | "ask" | undefined {
  const inFile = c.fromFile.secret !== undefined || c.fromFile["secret-file"] !== undefined;
  let source: SecretSource = c.io.prompted !== undefined ? { kind: "value" as const, value: c.io.prompted, from: "the prompt" } : decideSecretSource({
    what: "secret", interactive: Boolean(c.io.interactive) && !inFile,
    flag: { name: "--secret", value: c.flags.get("secret") },
    fileFlag: { name: "--secret-file", value: c.flags.get("secret-file") },
    env: { name: "XFT_COMPONENT_SECRET", value: c.env.XFT_COMPONENT_SECRET },
    envFile: { name: "XFT_COMPONENT_SECRET_FILE", value: c.env.XFT_COMPONENT_SECRET_FILE },
  });
  if (source.kind === "missing" && inFile) {
    source = c.fromFile["secret-file"] !== undefined
      ? { kind: "file", path: c.fromFile["secret-file"], from: `"secret-file" in ${c.configFile}` }
      : { kind: "value", value: c.fromFile.secret, from: `"secret" in ${c.configFile}` };
  }
  if (source.kind === "prompt") return "ask";
  if (source.kind === "missing" || source.kind === "conflict") {
    c.problems.push(`--secret: ${source.problem}`);
    return undefined;
  }
  let value: string;
  if (source.kind === "file") {
    try {
      value = secretFromFileText(c.readText(source.path));
    } catch (err: any) {
      c.problems.push(`--secret-file${source.from === "--secret-file" ? "" : ` (from ${source.from})`} ${source.path}: ${err?.code === "ENOENT" ? "no such file" : err?.message ?? err}`);
      return undefined;
    }
    const mode = c.io.modeOf?.(source.path);
    const warning = mode === undefined ? undefined : fileModeWarning(source.path, mode);
    if (warning) c.warnings.push(warning);
  } else {
    value = source.value;
    if (source.warning) c.warnings.push(source.warning);
  }
  try {
    return parseSecret(value);
  } catch (err) {
    if (!(err instanceof OptionValueError)) throw err;
    const from = source.kind === "file" ? `the file ${source.path}` : source.from;
    c.problems.push(`--secret${from === "--secret" ? "" : ` (from ${from})`} ${err.message}`);
    return undefined;
  }
}
