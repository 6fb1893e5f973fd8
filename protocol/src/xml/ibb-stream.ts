// Input for the parser's linear-time test and benchmark: a client stream carrying IBB <data/>
// stanzas (XEP-0047) whose base64 text nodes have a given length, cut into socket-sized chunks.
import type { EventEmitter } from "node:events";

export const STREAM_HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
  " from='localhost' id='b7f2' version='1.0' xml:lang='en'>";

/** One <iq><data/></iq> with `textLength` characters of base64 text. */
export function ibbStanza(seq: number, textLength: number): string {
  const text = "QUJD".repeat(Math.ceil(textLength / 4)).slice(0, textLength);
  return (
    `<iq type='set' id='ibb-${seq}' from='alice@localhost/a' to='bob@localhost/b'>` +
    `<data xmlns='http://jabber.org/protocol/ibb' seq='${seq}' sid='s1'>${text}</data></iq>`
  );
}

/** Enough stanzas for about `totalLength` characters, cut into `chunkSize` pieces (after the header). */
export function ibbStreamChunks(textLength: number, totalLength: number, chunkSize: number): string[] {
  const stanzas: string[] = [];
  let length = 0;
  for (let seq = 0; length < totalLength; seq++) {
    const s = ibbStanza(seq, textLength);
    stanzas.push(s);
    length += s.length;
  }
  const body = stanzas.join("");
  const chunks = [STREAM_HEADER];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.slice(i, i + chunkSize));
  return chunks;
}

export interface WritableParser extends EventEmitter {
  write(data: string): void;
}

/** Feeds all chunks to a fresh parser; returns milliseconds spent and how many elements came out. */
export function timeParse(makeParser: () => WritableParser, chunks: string[]): { ms: number; elements: number } {
  const parser = makeParser();
  let elements = 0;
  parser.on("element", () => elements++);
  parser.on("error", (err) => {
    throw err;
  });
  const start = process.hrtime.bigint();
  for (const chunk of chunks) parser.write(chunk);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, elements };
}
