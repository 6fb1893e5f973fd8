// Where a secret (the account password of `xft`, the component secret of `xft-component`) comes
// from. A pure decision: the CLIs read the file or ask at the terminal afterwards (file.ts,
// prompt.ts). Why it matters: a flag's value is in /proc/PID/cmdline, which every local user can
// read (`ps -ef`); the environment (/proc/PID/environ) and a 0600 file are readable only by the
// owner. Flags still work, with a warning, so that existing scripts keep running.

export interface SecretInputs {
  /** what to call it in messages: "password", "secret" */
  what: string;
  /** the flag that takes the value itself (--password), and its value if given */
  flag: { name: string; value?: string };
  /** the flag that names a file holding it (--password-file) */
  fileFlag: { name: string; value?: string };
  /** the environment variable holding it (XFT_PASSWORD); empty counts as unset */
  env: { name: string; value?: string };
  /** the environment variable naming a file holding it (XFT_PASSWORD_FILE); empty counts as unset */
  envFile: { name: string; value?: string };
  /** stdin is a terminal: with nothing else given, the CLI asks for it there */
  interactive: boolean;
}

export type SecretSource =
  | { kind: "value"; value: string; from: string; warning?: string }
  | { kind: "file"; path: string; from: string }
  | { kind: "prompt" }
  | { kind: "missing"; problem: string }
  | { kind: "conflict"; problem: string };

const given = (v: string | undefined): v is string => v !== undefined && v !== "";

/**
 * Flags first (the command line is the most specific), then the environment, then the terminal.
 * Both forms of one level (a value and a file) is a mistake, not a precedence question: refused.
 */
export function decideSecretSource(i: SecretInputs): SecretSource {
  const { flag, fileFlag, env, envFile } = i;
  if (flag.value !== undefined && fileFlag.value !== undefined) {
    return { kind: "conflict", problem: `${flag.name} and ${fileFlag.name} both given: use one` };
  }
  if (fileFlag.value !== undefined) return { kind: "file", path: fileFlag.value, from: fileFlag.name };
  if (flag.value !== undefined) {
    return {
      kind: "value", value: flag.value, from: flag.name,
      warning: `${flag.name} on the command line is visible to every local user (ps, /proc/PID/cmdline): use ${fileFlag.name}, ${envFile.name} or ${env.name}`,
    };
  }
  if (given(env.value) && given(envFile.value)) return { kind: "conflict", problem: `${env.name} and ${envFile.name} both set: use one` };
  if (given(envFile.value)) return { kind: "file", path: envFile.value, from: envFile.name };
  if (given(env.value)) return { kind: "value", value: env.value, from: env.name };
  if (i.interactive) return { kind: "prompt" };
  return { kind: "missing", problem: `the ${i.what} is required: ${fileFlag.name} FILE, ${envFile.name}, ${env.name}, or run from a terminal to be asked` };
}

/** What a secret file holds: its text without one trailing newline (what `echo pw > file` adds). */
export function secretFromFileText(text: string): string {
  return text.replace(/\r?\n$/, "");
}

/** The warning for a secret file other users may read or write, or undefined (POSIX mode bits). */
export function fileModeWarning(path: string, mode: number): string | undefined {
  const open = mode & 0o077;
  if (open === 0) return undefined;
  return `${path} is readable or writable by others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}): chmod 600 ${path}`;
}
