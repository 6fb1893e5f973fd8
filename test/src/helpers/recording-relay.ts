// A TCP relay on a NON-loopback address of this machine (eth0's, say) to a server on loopback,
// recording what the client sent. Our client allows plaintext only to a loopback address
// (client-plugin/src/entity/tls-policy.ts), and every test server listens on 127.0.0.x: through
// the relay the client's socket really is connected to a non-loopback address.
import net from "node:net";
import os from "node:os";

/** The first IPv4 address of this machine that is not loopback; an error saying so if none. */
export function nonLoopbackAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    const found = list?.find((a) => a.family === "IPv4" && !a.internal && !a.address.startsWith("127."));
    if (found) return found.address;
  }
  throw new Error("this machine has no non-loopback IPv4 address (os.networkInterfaces()): the plaintext-refusal test needs one");
}

export interface RecordingRelay {
  service: string; // xmpp://address:port
  /** everything clients sent through the relay, as text */
  upstream(): string;
  close(): Promise<void>;
}

export async function recordingRelay(target: { host: string; port: number }, address = nonLoopbackAddress()): Promise<RecordingRelay> {
  let sent = "";
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => (sockets.delete(s), client.destroy(), upstream.destroy()));
    }
    client.on("data", (d) => (sent += d.toString("latin1")));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, address);
  await new Promise((resolve, reject) => server.once("listening", resolve).once("error", reject));
  return {
    service: `xmpp://${address}:${(server.address() as net.AddressInfo).port}`,
    upstream: () => sent,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
