// A receive directory may be shared with other local users (issue 12 item 6): every file the
// receiver opens there is opened without following a link and only if it is a regular file, and
// a final name is claimed by link(2), which never replaces what holds it.
import { constants } from "node:fs";
import { link, mkdir, open, type FileHandle } from "node:fs/promises";
import { sep } from "node:path";

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY } = constants;

/**
 * Opens a file in a receive directory that must be a regular file, never through a symbolic
 * link (O_NOFOLLOW) and never blocking on a FIFO or device someone planted (O_NONBLOCK, then
 * fstat): the directory may be shared, and a planted link must not redirect our writes.
 */
export async function openRegular(path: string, flags: number, mode = 0o600): Promise<FileHandle> {
  const fh = await open(path, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  try {
    if (!(await fh.stat()).isFile()) throw new Error(`${path} is not a regular file`);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Reads a small file in a receive directory (a resume record, the received list) the same way. */
export async function readRegular(path: string): Promise<string> {
  const fh = await openRegular(path, O_RDONLY);
  try {
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

/** Writes a small file in a receive directory, 0600, never through a link. */
export async function writeRegular(path: string, text: string, exclusive = false): Promise<void> {
  const fh = await openRegular(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC));
  try {
    await fh.truncate(0);
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/**
 * Makes sure a receive directory exists. One this creates (and the parents it creates) is 0700:
 * what arrives, and who sent it (the resume records), is its user's alone. An existing directory
 * is left as it is: its owner chose who may see it.
 */
export async function ensureReceiveDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** The names tried for target, in order: "a.txt", then "a (1).txt", "a (2).txt", ... */
export function* candidateNames(target: string): Generator<string> {
  yield target;
  const dot = target.lastIndexOf(".");
  const slash = target.lastIndexOf(sep);
  const [stem, ext] = dot > slash + 1 ? [target.slice(0, dot), target.slice(dot)] : [target, ""];
  for (let i = 1; ; i++) yield `${stem} (${i})${ext}`;
}

/** Links `from` under the first free candidate name of target; an existing name (a file, a
 *  link, anything) is never replaced, so an earlier file is never overwritten. */
export async function linkFree(from: string, target: string): Promise<string> {
  for (const candidate of candidateNames(target)) {
    try {
      await link(from, candidate);
      return candidate;
    } catch (err: any) {
      if (err?.code !== "EEXIST") throw err;
    }
  }
  throw new Error("unreachable");
}

/** The first candidate name of target nothing holds now (a hint: only linkFree claims one). */
export async function freeName(target: string): Promise<string> {
  for (const candidate of candidateNames(target)) {
    const taken = await open(candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).then((fh) => fh.close().then(() => true), (err) => err?.code !== "ENOENT");
    if (!taken) return candidate;
  }
  throw new Error("unreachable");
}
