// Free loopback ports for test servers. The kernel picks them (bind to port 0), so parallel
// runs and other software on the machine never collide with a fixed number. There is still a
// window between releasing a port here and the server binding it: callers must detect a
// failed bind and retry with fresh ports (see startProsody).
import net from "node:net";

const LOOPBACK = "127.0.0.1";

function listen(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen({ port, host, exclusive: true }, () => resolve(srv));
  });
}

const close = (srv: net.Server) => new Promise<void>((resolve) => srv.close(() => resolve()));

/** `count` distinct free TCP ports on `host`. All are held at once, so they differ. */
export async function freePorts(count: number, host = LOOPBACK): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0, host));
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function freePort(host = LOOPBACK): Promise<number> {
  return (await freePorts(1, host))[0];
}

/** True if something accepts a TCP connection on host:port right now. */
export function canConnect(port: number, host = LOOPBACK, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}
