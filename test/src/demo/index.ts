// `npm run demo`: a throwaway Prosody on loopback, two users, one 20 MiB file sent with `xft`,
// shown as the user would see it, with the link cut twice under it (first the sender's, then the
// receiver's: a TCP proxy sits between each `xft` and the server). Nobody clicks retry: the
// sender re-offers, the receiver (auto-receive) continues its partial file. Everything is
// removed at the end. (The offline path comes with the component's delivery.)
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { startProsody } from "../harness/prosody.js";
import { XFT_BIN } from "../helpers/cli.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";

function xft(args: string[], env: Record<string, string>, label: string) {
  const child = spawn(process.execPath, [XFT_BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "pipe"] });
  let ready!: () => void;
  const online = new Promise<void>((r) => (ready = r));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    process.stderr.write(d.replace(/^xft: /gm, `[${label}] `));
    if (d.includes("receiving as")) ready();
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    console.log(`[${label}] exited with ${code}`);
    ready();
    resolve(code);
  }));
  return { exit, online };
}

const MiB = 1024 * 1024;

/** Cuts every connection through `proxy` once `bytes` more went `direction` (base64 counts 4/3). */
async function cutOnceAfter(proxy: FaultProxy, direction: "up" | "down", bytes: number, what: string, done: Promise<unknown>) {
  const start = proxy.bytes[direction];
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished && proxy.bytes[direction] - start < bytes) await new Promise((r) => setTimeout(r, 20));
  if (finished) return;
  console.log(`\n*** cutting ${what}'s connection (TCP reset) ***`);
  proxy.cutAll();
}

async function main() {
  const work = await tempDir("xft-demo-");
  const server = await startProsody();
  try {
    console.log(`Prosody for ${server.host} on ${server.service} (data in ${server.dir})`);
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
    const src = join(work, "holiday.bin");
    const sha = await randomFile(src, 20 * 1024 * 1024);
    console.log(`alice sends ${src} (20 MiB, sha-256 ${sha}) to bob`);
    const proxies = { alice: await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort }), bob: await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort }) };
    const env = (u: "alice" | "bob") => ({ XFT_JID: `${u}@${server.host}`, XFT_PASSWORD: `${u}pass`, XFT_SERVICE: proxies[u].service });
    const inbox = join(work, "bob-inbox");
    const receiving = xft(["receive", "--dir", inbox, "--count", "1", "--timeout", "120", "--auto-receive", "--stall-timeout", "5"], env("bob"), "bob");
    await receiving.online;
    const sending = xft(["send", `bob@${server.host}`, src, "--stall-timeout", "5"], env("alice"), "alice");
    const both = Promise.all([sending.exit, receiving.exit]);
    await cutOnceAfter(proxies.alice, "up", 8 * MiB, "alice", both);
    await cutOnceAfter(proxies.bob, "down", 10 * MiB, "bob", both);
    const [s, r] = await both;
    await Promise.all([proxies.alice.close(), proxies.bob.close()]);
    const ok = s === 0 && r === 0 && (await sha256(join(inbox, "holiday.bin"))) === sha;
    console.log(ok ? "Summary: delivered byte-exact, sha-256 verified." : "Summary: the transfer did not complete.");
    process.exitCode = ok ? 0 : 1;
  } finally {
    await server.stop();
    await removeDir(work);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
