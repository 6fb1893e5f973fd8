// Reads a secret file (source.ts says why a file): one trailing newline stripped, a warning when
// others may read it, an error naming the file when it is missing or empty.
import { readFileSync, statSync } from "node:fs";
import { fileModeWarning, secretFromFileText } from "./source.js";

export class SecretFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretFileError";
  }
}

export interface SecretFile {
  value: string;
  warning?: string;
}

/** `from` names where the path came from (--password-file, XFT_PASSWORD_FILE) for the messages. */
export function readSecretFile(path: string, from: string): SecretFile {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, "utf8");
  } catch (err: any) {
    throw new SecretFileError(`${from} ${path}: ${err?.code === "ENOENT" ? "no such file" : err?.code === "EISDIR" ? "is a directory" : err?.message ?? err}`);
  }
  const value = secretFromFileText(text);
  if (value === "") throw new SecretFileError(`${from} ${path}: the file is empty`);
  return { value, warning: fileModeWarning(path, mode) };
}
