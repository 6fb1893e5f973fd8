// The ceiling: the same bytes over one plain TCP connection on loopback, no XMPP.
import { createServer, connect } from "node:net";
import { createReadStream } from "node:fs";
import { once } from "node:events";

export async function rawTcpMiBps(path: string, size: number): Promise<number> {
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const server = createServer((sock) => {
      sock.on("data", (d) => {
        received += d.length;
        if (received >= size) {
          sock.end();
          server.close();
          resolve();
        }
      });
    });
    server.listen(0, "127.0.0.1");
    once(server, "listening").then(async () => {
      const port = (server.address() as { port: number }).port;
      const t = connect(port, "127.0.0.1");
      await once(t, "connect");
      t0 = performance.now();
      createReadStream(path).pipe(t);
    });
  });
  let t0 = 0;
  await done;
  return size / (1024 * 1024) / ((performance.now() - t0) / 1000);
}
