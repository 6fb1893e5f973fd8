// The HTTP half of XEP-0363 (§5): PUT a file to a slot's put URL and GET it back, both streamed
// (the file is never held in memory). Slot URLs name the server's HTTP host (upload.localhost,
// localhost), which this machine may not resolve: we connect to the test server's address and send
// the URL's host in the Host header, which is what a DNS or /etc/hosts entry would give.
import { createReadStream, createWriteStream } from "node:fs";
import http, { type IncomingMessage } from "node:http";
import { pipeline } from "node:stream/promises";

function open(url: string, connectTo: string, method: string, headers: Record<string, string | number>) {
  const u = new URL(url);
  if (u.protocol !== "http:") throw new Error(`only plain http slots are supported here: ${url}`);
  const req = http.request({
    host: connectTo, port: Number(u.port || 80), path: u.pathname + u.search, method,
    headers: { host: u.host, ...headers }, agent: false, // a fresh TCP connection, as a client's first upload
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  return { req, response };
}

async function failure(method: string, url: string, res: IncomingMessage): Promise<Error> {
  let body = "";
  for await (const chunk of res) if (body.length < 300) body += String(chunk);
  return new Error(`${method} ${url}: HTTP ${res.statusCode} ${body.trim().slice(0, 300)}`);
}

/** PUT src (size bytes) to url; resolves once the server answered 2xx */
export async function putFile(url: string, connectTo: string, src: string, size: number, contentType: string, headers: Record<string, string> = {}): Promise<void> {
  const { req, response } = open(url, connectTo, "PUT", { ...headers, "content-type": contentType, "content-length": size });
  const sent = pipeline(createReadStream(src), req);
  const res = await response; // Prosody and ejabberd answer once the whole body is in
  if (res.statusCode! < 200 || res.statusCode! > 299) {
    sent.catch(() => undefined); // the server may have closed before our last byte
    throw await failure("PUT", url, res);
  }
  res.resume();
  await sent;
}

/** GET url into dest; resolves with the bytes written once the body ended */
export async function getFile(url: string, connectTo: string, dest: string): Promise<number> {
  const { req, response } = open(url, connectTo, "GET", {});
  req.end();
  const res = await response;
  if (res.statusCode !== 200) throw await failure("GET", url, res);
  let bytes = 0;
  res.on("data", (c: Buffer) => (bytes += c.length));
  await pipeline(res, createWriteStream(dest));
  return bytes;
}
