import assert from "node:assert/strict";
import net from "node:net";
import { canConnect, freePorts } from "./ports.js";

describe("harness: free ports", () => {
  it("returns distinct unprivileged ports that can be bound on loopback", async () => {
    const ports = await freePorts(5);
    assert.equal(new Set(ports).size, 5);
    for (const port of ports) {
      assert.ok(port > 1024 && port < 65536, `port ${port}`);
      const srv = net.createServer();
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(port, "127.0.0.1", () => resolve());
      });
      assert.equal(await canConnect(port), true);
      await new Promise((resolve) => srv.close(resolve));
      assert.equal(await canConnect(port), false);
    }
  });
});
