// Real files on disk for tests: random content, its sha-256, temp dirs that are removed.
import { RECEIVED_LEDGER } from "@xft/protocol";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdtemp, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { META_SUFFIX, PART_SUFFIX, type PartialRecord } from "@xft/protocol";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";

export async function tempDir(prefix = "xft-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes `size` random bytes in 1 MiB pieces (never the whole file in memory). */
export async function randomFile(path: string, size: number): Promise<string> {
  const out = createWriteStream(path);
  const hash = createHash("sha256");
  let left = size;
  while (left > 0) {
    const chunk = randomBytes(Math.min(left, 1 << 20));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return hash.digest("base64");
}

export async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("base64");
}

/** What a user sees in dir: every name but the receiver's hidden ledger of completed files. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== RECEIVED_LEDGER).sort();
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Leaves in `dir` what a receiver that got the first `have` bytes of `src` from `peer` left
 * behind, written with the engine's own record format (PART_SUFFIX / META_SUFFIX, PartialRecord).
 */
export async function seedPartial(src: string, dir: string, opts: { name: string; have: number; peer: string; size: number; sha256: string }): Promise<void> {
  const target = join(dir, opts.name);
  await copyFile(src, target + PART_SUFFIX);
  await truncate(target + PART_SUFFIX, opts.have);
  const record: PartialRecord = { version: 1, sid: "earlier", peer: opts.peer, name: opts.name, size: opts.size, sha256: opts.sha256, target };
  await writeFile(target + META_SUFFIX, JSON.stringify(record));
}
