// A test host of our own: a network namespace joined to this one by a veth pair, so that a client
// run inside it reaches a server of ours at a non-loopback address (the host end of the veth,
// made here) without a byte to any address we did not make. Needs root and iproute2's `ip`.
import { execFileSync } from "node:child_process";
import { onExit } from "../harness/lifecycle.js";

export interface TestHost {
  /** the address, on our side of the veth, that the host reaches us at (non-loopback) */
  hostSideAddress: string;
  /** argv that runs `argv` inside the namespace */
  command(argv: string[]): string[];
  remove(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });

export function createTestHost(): TestHost {
  const tag = `${process.pid % 100000}${Math.floor(Math.random() * 10)}`;
  const ns = `xft-host-${tag}`;
  const [ours, theirs] = [`xfto${tag}`, `xftt${tag}`].map((n) => n.slice(0, 15));
  // a /30 in 10.231.0.0/16 per run: ours .1, the namespace's .2
  const block = Math.floor(Math.random() * 16384) * 4;
  const [a, b] = [block + 1, block + 2].map((n) => `10.231.${Math.floor(n / 256)}.${n % 256}`);
  const remove = () => {
    try { ip("link", "del", ours); } catch { /* gone with the namespace */ }
    try { ip("netns", "del", ns); } catch { /* never made */ }
  };
  try {
    ip("netns", "add", ns);
    ip("link", "add", ours, "type", "veth", "peer", "name", theirs);
    ip("link", "set", theirs, "netns", ns);
    ip("addr", "add", `${a}/30`, "dev", ours);
    ip("link", "set", ours, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${b}/30`, "dev", theirs);
    ip("netns", "exec", ns, "ip", "link", "set", theirs, "up");
    ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
  } catch (err: any) {
    remove();
    throw new Error(`cannot make a test host (network namespace + veth; needs root and iproute2): ${err?.stderr?.toString() || err?.message}`);
  }
  const dropHook = onExit(remove);
  return {
    hostSideAddress: a,
    command: (argv) => ["ip", "netns", "exec", ns, ...argv],
    remove: () => (dropHook(), remove()),
  };
}
