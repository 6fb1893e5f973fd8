// The engine's ReceiveSink over the offline store: what PartialFile (protocol/src/driver/files.ts)
// does with a file beside the download, done with one upload of the store. Bytes stream through
// store.append as they come; nothing here holds more than the block being written.
import type { ReceiveSink } from "@xft/protocol";
import { HashMismatchError, type OfflineStore, type StoredFile, type UploadHandle } from "../store/index.js";

export function storeSink(store: OfflineStore, upload: UploadHandle, onStored: (file: StoredFile) => void): ReceiveSink {
  // where the next append goes: beginUpload's offset, then each append's new end
  let end = upload.offset;
  return {
    offset: async () => end,
    async prepare(offset) {
      // The store only appends: it cannot drop bytes it holds. The engine asks for fewer than we
      // hold only when they failed the sender's checkpoint, which bytes that came from that
      // sender for this sha-256 cannot; refusing is safer than writing over them.
      if (offset !== end) throw new Error(`the store holds ${end} bytes of this upload and cannot start again at ${offset}`);
    },
    async write(position, data) {
      end = await store.append(upload.id, position, data);
    },
    prefixSha256: (length) => store.uploadedPrefixSha256(upload.id, length),
    // the store commits an idle upload by itself (idleCloseMs) and on close: nothing to let go of
    close: async () => undefined,
    // bytes that fail the sha-256 are deleted by finishUpload itself; any other unfinished upload
    // is kept for a resume, and housekeeping removes it once abandoned (abandonAfterMs)
    discard: async () => undefined,
    async complete(expectedSha256) {
      try {
        const file = await store.finishUpload(upload.id);
        if (file.sha256 !== expectedSha256) return { ok: false, detail: `stored under sha-256 ${file.sha256}, not ${expectedSha256}` };
        onStored(file);
        return { ok: true, detail: "stored, sha-256 verified" };
      } catch (err) {
        if (err instanceof HashMismatchError) return { ok: false, detail: err.message };
        throw err;
      }
    },
  };
}
