// One timed transfer between two real `xft` processes through a real Prosody.
import { join } from "node:path";
import { runXft, accountEnv } from "../helpers/cli.js";
import { sha256 } from "../helpers/files.js";
import type { XmppServer } from "../harness/servers.js";
import { watchProcess } from "./proc.js";

export interface TransferFigures {
  label: string;
  mibPerSec: number;
  wireOverFile: number;
  senderPeakRssMiB: number;
  receiverPeakRssMiB: number;
  ok: boolean;
}

export async function timedTransfer(server: Pick<XmppServer, "host" | "service">, label: string, src: string, size: number, expectedSha: string, inbox: string, flags: string[]): Promise<TransferFigures> {
  const alice = accountEnv(`alice@${server.host}`, "alicepass", server.service);
  const bob = accountEnv(`bob@${server.host}`, "bobpass", server.service);
  // a measurement, not a trust policy: alice need not be bob's contact
  const receiver = runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "900", "--accept-from-anyone", ...flags], bob);
  const rWatch = watchProcess(receiver.child.pid!);
  await receiver.ready();
  const sender = runXft(["send", `bob@${server.host}`, src, ...flags], alice);
  const sWatch = watchProcess(sender.child.pid!);
  const started = await sender.waitFor((e) => e.type === "started", 60_000);
  void started;
  const t0 = performance.now();
  const [sc, rc] = await Promise.all([sender.exit, receiver.exit]);
  const seconds = (performance.now() - t0) / 1000;
  sWatch.stop();
  rWatch.stop();
  const name = src.split("/").pop()!;
  const ok = sc === 0 && rc === 0 && (await sha256(join(inbox, name))) === expectedSha;
  return {
    label,
    mibPerSec: size / (1024 * 1024) / seconds,
    wireOverFile: sWatch.stats.wcharBytes / size,
    senderPeakRssMiB: sWatch.stats.peakRssMiB,
    receiverPeakRssMiB: rWatch.stats.peakRssMiB,
    ok,
  };
}
