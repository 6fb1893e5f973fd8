// Issue 5: what users use instead of us. XEP-0363 HTTP File Upload through the server's own
// upload service (Prosody's mod_http_file_share, ejabberd's mod_http_upload, as the test
// templates configure them) beside our online path (two `xft` processes, client to client) and
// our offline path (upload into the xft-component store, delivery when bob logs in), with the
// same file on the same server in one run. Figures and ratios, never assertions (the service
// itself is tested in integration/http-upload.test.ts).
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { describeLocalFile, fileTransfer } from "@xft/protocol";
import { serverName, startServer, type ServerKind, type XmppServer } from "../harness/servers.js";
import type { ComponentRun } from "../helpers/component.js";
import { randomFile, removeDir, sha256 } from "../helpers/files.js";
import { getFile, putFile } from "../helpers/http-file.js";
import { findUploadService, requestSlot } from "../helpers/xep0363.js";
import { login, prepareDelivery, startStore, uploadToStore } from "./offline-path.js";
import { cpuText, withCpu } from "./proc.js";
import { timedTransfer } from "./transfer-bench.js";
import { BENCH_TLS } from "./tls.js";

const MiB = 1024 * 1024;
const CONTENT_TYPE = "application/octet-stream";

export interface HttpBenchOptions { kind: ServerKind; work: string; size: number }

interface Row { label: string; seconds: number; cpu: string; ok: boolean }

/** XEP-0363 as a client does it: slot by IQ, PUT, then GET of the same file (by alice's process:
 *  bob's client would do the same GET) */
async function httpUpload(server: XmppServer, alice: Account, src: string, size: number, dest: string) {
  const service = await findUploadService(alice.port, server.host); // before the clock: a client caches it
  const t0 = performance.now();
  const slot = await requestSlot(alice.port, service, { filename: "bench.bin", size, contentType: CONTENT_TYPE });
  const t1 = performance.now();
  await putFile(slot.put, server.ip, src, size, CONTENT_TYPE, slot.putHeaders);
  const t2 = performance.now();
  const bytes = await getFile(slot.get, server.ip, dest);
  const t3 = performance.now();
  return { slot: (t1 - t0) / 1000, put: (t2 - t1) / 1000, get: (t3 - t2) / 1000, total: (t3 - t0) / 1000, bytes };
}

export async function httpBench(o: HttpBenchOptions): Promise<void> {
  const server = await startServer(o.kind, { tls: BENCH_TLS });
  const name = serverName(o.kind);
  const accounts: Account[] = [];
  let component: ComponentRun | undefined;
  try {
    for (const u of ["alice", "bob"]) await server.register(u, `${u}pass`);
    const src = join(o.work, "bench.bin");
    const sha = await randomFile(src, o.size);
    const mib = o.size / MiB;
    const srv = { pid: server.pid!, tree: true }; // ejabberd's work is in beam.smp, a child of its pid
    const alice = await login(server, "alice");
    accounts.push(alice);
    const rows: Row[] = [];

    // 1. XEP-0363 through the server's upload service
    const fetched = join(o.work, "fetched.bin");
    const http = await withCpu([srv], () => httpUpload(server, alice, src, o.size, fetched));
    const httpOk = http.value.bytes === o.size && (await sha256(fetched)) === sha;
    const h = http.value;
    const httpCpu = `${cpuText(http.shares)}/  -/${cpuText([http.self])}`; // an average over slot, PUT and GET
    rows.push({ label: "XEP-0363 slot request (IQ)", seconds: h.slot, cpu: "", ok: httpOk });
    rows.push({ label: "XEP-0363 PUT alice -> server", seconds: h.put, cpu: "", ok: httpOk });
    rows.push({ label: "XEP-0363 GET server -> recipient", seconds: h.get, cpu: "", ok: httpOk });
    rows.push({ label: "XEP-0363 slot + PUT + GET", seconds: h.total, cpu: httpCpu, ok: httpOk });
    await removeDir(fetched);

    // 2. ours online: the engine client to client (two xft processes), same file
    const online = await withCpu([srv], () => timedTransfer(server, "", src, o.size, sha, join(o.work, "c2c"), []));
    rows.push({ label: "ours online alice -> bob (xft, IBB)", seconds: mib / online.value.mibPerSec, cpu: `${cpuText(online.shares)}/  -/  -`, ok: online.value.ok });
    await removeDir(join(o.work, "c2c"));

    // 3. ours offline: into the store for bob, then its delivery when bob logs in
    const started = await startStore(server, join(o.work, "store.sqlite"));
    component = started.component;
    const comp = { pid: component.child.pid! };
    const local = await describeLocalFile(src); // hashing is the sender's, before the clock
    const up = await withCpu([srv, comp], () => uploadToStore(fileTransfer(alice.port), started.store, src, local, `bob@${server.host}`));
    await component.waitForLog(/stored \S+: \d+ bytes from alice@/);
    rows.push({ label: "ours offline upload alice -> store", seconds: up.seconds, cpu: cpuText([...up.shares, up.self]), ok: up.value });
    const bob = await prepareDelivery(server, "bob", started.store, join(o.work, "bob"));
    accounts.push(bob.account);
    const down = await withCpu([srv, comp], () => bob.deliver());
    const delivered = (await sha256(down.value.path)) === sha;
    rows.push({ label: `ours offline delivery store -> bob (${down.value.toOfferMs.toFixed(0)} ms to offer)`, seconds: down.seconds, cpu: cpuText([...down.shares, down.self]), ok: delivered });
    rows.push({ label: "ours offline upload + delivery", seconds: up.seconds + down.seconds, cpu: "", ok: up.value && delivered });
    await removeDir(join(o.work, "bob"));
    await removeDir(src);

    console.log(`# http: XEP-0363 HTTP File Upload vs ours, ${mib} MiB, ${name} on loopback, ${new Date().toISOString()}, load average ${loadavg()[0].toFixed(2)}`);
    console.log(`# CPU: % of one core over the row's time, ${name}/component/bench process (alice's HTTP client and engine, bob's plugin; the online row's xft processes are not counted)`);
    console.log(`${"path".padEnd(52)} ${"seconds".padStart(8)} ${"MiB/s".padStart(7)}  ${"CPU s/c/b".padEnd(11)}`);
    for (const r of rows) {
      const rate = r.label.includes("slot request") ? "" : (mib / r.seconds).toFixed(1);
      console.log(`${r.label.padEnd(52)} ${r.seconds.toFixed(3).padStart(8)} ${rate.padStart(7)}  ${r.cpu.padEnd(11)}${r.ok ? "" : "  FAILED"}`);
    }
    const ratio = (ours: number, theirs: number) => `${(ours / theirs).toFixed(2)}x`;
    console.log(`time ours / HTTP (above 1: ours is slower): online / (slot+PUT+GET) ${ratio(mib / online.value.mibPerSec, h.total)}, ` +
      `offline (upload+delivery) / (slot+PUT+GET) ${ratio(up.seconds + down.seconds, h.total)}; per direction: upload / PUT ${ratio(up.seconds, h.put)}, delivery / GET ${ratio(down.seconds, h.get)}`);
  } finally {
    for (const a of accounts) await a.close();
    await component?.stop();
    await server.stop();
  }
}

/** what differs between the rows, printed once under the tables */
export const HTTP_BENCH_NOTES = [
  "# what differs: XEP-0363 moves raw bytes over one HTTP/1.1 TCP connection per direction straight to the server's disk and back,",
  "#   outside XMPP (only the slot is an IQ); the file makes two passes, PUT then GET, and stays on the server meanwhile.",
  "# ours online: one pass, sender to receiver, base64 in IBB stanzas (32766-byte blocks, 16 in flight, each acked) relayed",
  "#   by the XMPP server from one c2s stream to another; nothing stored on the server; both ends are xft processes (login",
  "#   excluded, the receiver's sha-256 check and exit included).",
  "# ours offline: two passes like HTTP (upload, then delivery at bob's presence), each as IBB stanzas through the XMPP server",
  "#   to the xft-component over XEP-0114 and into its SQLite store; the delivery includes the offer after the presence.",
].join("\n");
