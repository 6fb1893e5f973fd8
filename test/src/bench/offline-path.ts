// The offline path as the benchmarks drive it (component-bench.ts, http-bench.ts): the real
// `xft-component` process behind a test server; a sender's engine in this process offers a file
// to the store for an offline recipient (what a forward is: send(store, path, { extensions:
// [<recipient/>] })); the recipient's plugin in this process, logging in, gets it delivered.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import { describeLocalFile, makeRecipient, type FileTransfer, type LocalFile, type TransferEvent } from "@xft/protocol";
import type { XmppServer } from "../harness/servers.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";
import { randomFile } from "../helpers/files.js";
import { openTestAccount } from "../helpers/account.js";

export async function login(server: Pick<XmppServer, "host" | "service">, user: string, reconnect = false): Promise<Account> {
  return openTestAccount({ jid: `${user}@${server.host}`, password: `${user}pass`, service: server.service, reconnect });
}

/** the component as operators run it (its bin), storing into db; resolves once it is online */
export async function startStore(server: Pick<XmppServer, "host" | "components" | "componentService">, db: string): Promise<{ component: ComponentRun; store: string }> {
  const component = runComponentBin([], { ...componentEnv(server, db), NODE_OPTIONS: process.env.XFT_BENCH_COMPONENT_NODE_OPTIONS ?? "" });
  await component.waitForLog(/online as /);
  return { component, store: `files.${server.host}` };
}

/** offers src to the store for recipient (a bare JID); true once the store confirmed all of it */
export async function uploadToStore(ft: FileTransfer, store: string, src: string, local: LocalFile, recipient: string): Promise<boolean> {
  const done = await (await ft.send(store, src, { local, extensions: [makeRecipient(recipient)] })).done;
  return done.type === "completed";
}

/** A file of one of the concurrent uploads, and the index of the sender that offers it. */
export interface SmallFile { from: number; local: LocalFile; path: string }

/** n random files of `size` bytes in dir, described (hashed) ahead of any clock, spread evenly over `senders`. */
export async function smallFiles(dir: string, prefix: string, n: number, size: number, senders: number): Promise<SmallFile[]> {
  const files: SmallFile[] = [];
  for (let i = 0; i < n; i++) {
    const path = join(dir, `${prefix}-${i}.bin`);
    await randomFile(path, size);
    files.push({ from: i % senders, local: await describeLocalFile(path), path });
  }
  return files;
}

export interface UploadRound {
  /** every upload confirmed whole by the store */
  ok: boolean;
  /** milliseconds from the start of the round to each upload's end, ascending */
  ms: number[];
  /** aggregate MiB/s: all the files over the time to the last one */
  mibPerSec: number;
}

/** Offers every file at once, each by its sender's engine, to the store for recipient. */
export async function uploadRound(fts: FileTransfer[], store: string, files: SmallFile[], recipient: string): Promise<UploadRound> {
  const t0 = performance.now();
  const done = await Promise.all(files.map(async (f) => {
    const ok = await uploadToStore(fts[f.from], store, f.path, f.local, recipient);
    return { ok, ms: performance.now() - t0 };
  }));
  const ms = done.map((d) => d.ms).sort((a, b) => a - b);
  const bytes = files.reduce((sum, f) => sum + f.local.size, 0);
  return { ok: done.every((d) => d.ok), ms, mibPerSec: bytes / (1024 * 1024) / (ms[ms.length - 1] / 1000) };
}

/** "p50 N ms, p95 N ms" of ascending latencies */
export function latencyText(ms: number[]): string {
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)].toFixed(0);
  return `p50 ${at(50)} ms, p95 ${at(95)} ms`;
}

export interface Delivery {
  /** the delivered file, its sha-256 verified by the plugin */
  path: string;
  /** from the presence to the store's offer starting */
  toOfferMs: number;
  /** from the offer starting to the file complete */
  streamingSeconds: number;
}

/** logs user in (not yet available) with the plugin receiving into inbox; deliver() sends the
 *  presence at which the store offers what it holds for him, and resolves when it arrived */
export async function prepareDelivery(server: Pick<XmppServer, "host" | "service">, user: string, store: string, inbox: string): Promise<{ account: Account; deliver(): Promise<Delivery> }> {
  await mkdir(inbox, { recursive: true });
  const account = await login(server, user, true);
  const plugin = autoTransferPlugin(account.port, {
    preferences: { ...DEFAULT_PREFERENCES, autoReceive: true, component: store }, downloadDir: inbox, network: account.network,
    acceptNewFrom: { from: "anyone" }, // a measurement, not a trust policy: the senders are not contacts
  });
  let startedAt = 0;
  plugin.ft.on("transfer-started", () => (startedAt = performance.now()));
  const completed = new Promise<TransferEvent & { path?: string }>((resolve) => plugin.ft.on("transfer-completed", resolve));
  return {
    account,
    async deliver() {
      const t0 = performance.now();
      await account.sendPresence();
      const done = await completed;
      return { path: done.path!, toOfferMs: startedAt - t0, streamingSeconds: (performance.now() - startedAt) / 1000 };
    },
  };
}
