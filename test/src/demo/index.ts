// `npm run demo`: a throwaway Prosody on loopback, two users, one 20 MiB file sent with `xft`,
// shown as the user would see it. Everything is removed at the end.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startProsody } from "../harness/prosody.js";
import { XFT_BIN } from "../helpers/cli.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";

function xft(args: string[], env: Record<string, string>, label: string) {
  const child = spawn(process.execPath, [XFT_BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "pipe"] });
  let ready!: () => void;
  const online = new Promise<void>((r) => (ready = r));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    process.stderr.write(d);
    if (d.includes("receiving as")) ready();
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    console.log(`[${label}] exited with ${code}`);
    ready();
    resolve(code);
  }));
  return { exit, online };
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
    const env = (u: string) => ({ XFT_JID: `${u}@${server.host}`, XFT_PASSWORD: `${u}pass`, XFT_SERVICE: server.service });
    const inbox = join(work, "bob-inbox");
    const receiving = xft(["receive", "--dir", inbox, "--count", "1", "--timeout", "120"], env("bob"), "bob");
    await receiving.online;
    const sending = xft(["send", `bob@${server.host}`, src], env("alice"), "alice");
    const [s, r] = await Promise.all([sending.exit, receiving.exit]);
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
