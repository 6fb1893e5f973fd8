// Test fixture (not a test): a process that uploads seeded bytes into a store until it is
// killed. crash.test.ts kills it with SIGKILL at a random moment and checks what survived.
//   node crash-child.js <dbPath> <size> <chunk> <syncEveryBytes> <seed>
import { createStore } from "./store.js";
import { seededBytes, sha256 } from "./testing.js";

const [dbPath, size, chunk, syncEveryBytes, seed] = process.argv.slice(2);
const data = seededBytes(Number(size), seed);
const store = createStore({ path: dbPath, syncEveryBytes: Number(syncEveryBytes), idleCloseMs: 3600_000 });
const { id, offset } = await store.beginUpload({ sender: "alice@a.example", recipient: "bob@b.example", name: "crash.bin", size: data.length, sha256: sha256(data) });
process.stdout.write(`id ${id}\n`);
for (let at = offset; at < data.length; ) {
  at = await store.append(id, at, data.subarray(at, Math.min(at + Number(chunk), data.length)));
  process.stdout.write(`at ${at}\n`);
}
process.stdout.write("done\n");
setInterval(() => undefined, 1000); // wait for the kill
