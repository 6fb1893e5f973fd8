// A TCP relay at a NON-loopback address to a server on loopback, recording what the client sent.
// Our client allows plaintext only to a loopback address (client-plugin/src/entity/tls-policy.ts)
// and every test server listens on 127.0.0.x: a client on a test host of ours (test-host.ts)
// connects through the relay at our end of its veth, so its socket really is connected to a
// non-loopback address, one this run made.
import net from "node:net";

export interface RecordingRelay {
  service: string; // xmpp://address:port
  /** everything clients sent through the relay, as text */
  upstream(): string;
  close(): Promise<void>;
}

export async function recordingRelay(target: { host: string; port: number }, address: string): Promise<RecordingRelay> {
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
