// Files put into the offline store through its own API (a real SQLite file and real bytes), as
// the upload half puts them there, for tests of what happens after.
import { readFile } from "node:fs/promises";
import type { OfflineStore, StoredFile } from "@xft/component/store/index.js";
import { sha256 } from "./files.js";

/** Puts `path` into the store for `recipient` as a finished upload, in 256 KiB appends. */
export async function storeFile(store: OfflineStore, path: string, sender: string, recipient: string, name: string): Promise<StoredFile> {
  const data = await readFile(path);
  const sha = await sha256(path);
  const { id } = await store.beginUpload({ sender, recipient, name, size: data.length, sha256: sha });
  for (let at = 0; at < data.length; at += 256 * 1024) await store.append(id, at, data.subarray(at, at + 256 * 1024));
  await store.finishUpload(id);
  return store.get(id, recipient)!;
}
