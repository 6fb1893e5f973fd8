// Where a received file goes. The engine writes through this interface only, so a client keeps
// partial files in a directory (files.ts PartialFile) and the component keeps uploads in its
// store, with the same resume and verification rules.
export interface ReceiveSink {
  /** bytes already held from an earlier session: where a resumed transfer starts */
  offset(): Promise<number>;
  /** opens for writing at `offset`; bytes past it are dropped (never trusted) */
  prepare(offset: number): Promise<void>;
  write(position: number, data: Buffer): Promise<void>;
  /** sha-256 (base64) of the first `length` bytes held, to check them against a checkpoint */
  prefixSha256(length: number): Promise<string>;
  /** lets go, keeping the bytes for a later resume */
  close(): Promise<void>;
  /** lets go and drops every byte */
  discard(): Promise<void>;
  /** all bytes are in: checks them against the sha-256, and only then makes the file final */
  complete(expectedSha256: string): Promise<{ ok: boolean; detail: string; path?: string }>;
}
