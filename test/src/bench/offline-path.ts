// The offline path as the benchmarks drive it (component-bench.ts, http-bench.ts): the real
// `xft-component` process behind a test server; a sender's engine in this process offers a file
// to the store for an offline recipient (what a forward is: send(store, path, { extensions:
// [<recipient/>] })); the recipient's plugin in this process, logging in, gets it delivered.
import { mkdir } from "node:fs/promises";
import { openAccount, type Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import { makeRecipient, type FileTransfer, type LocalFile, type TransferEvent } from "@xft/protocol";
import type { XmppServer } from "../harness/servers.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";

export async function login(server: Pick<XmppServer, "host" | "service">, user: string, reconnect = false): Promise<Account> {
  return openAccount({ jid: `${user}@${server.host}`, password: `${user}pass`, service: server.service, reconnect });
}

/** the component as operators run it (its bin), storing into db; resolves once it is online */
export async function startStore(server: XmppServer, db: string): Promise<{ component: ComponentRun; store: string }> {
  const component = runComponentBin([], { ...componentEnv(server, db), NODE_OPTIONS: process.env.XFT_BENCH_COMPONENT_NODE_OPTIONS ?? "" });
  await component.waitForLog(/online as /);
  return { component, store: `files.${server.host}` };
}

/** offers src to the store for recipient (a bare JID); true once the store confirmed all of it */
export async function uploadToStore(ft: FileTransfer, store: string, src: string, local: LocalFile, recipient: string): Promise<boolean> {
  const done = await (await ft.send(store, src, { local, extensions: [makeRecipient(recipient)] })).done;
  return done.type === "completed";
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
