import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { throwsStanzaError } from "../fixtures/assert.js";
import { NS_JINGLE_IBB } from "../xep0261/transport.js";
import { makeCandidateError, makeS5bAccept, NS_JINGLE_S5B, offeredTransport } from "./fallback.js";

const PLACEHOLDER = { sid: "ours", blockSize: 4096, stanza: "iq" as const };
// Libervia 0.9's offer transport, as it sent it here
const S5B = `<transport xmlns='${NS_JINGLE_S5B}' sid='fd92eb44' mode='tcp'><candidate cid='5128' host='192.0.2.2' jid='alice@localhost/libervia' port='46853' priority='8267536' type='direct'/></transport>`;

describe("XEP-0260 SOCKS5, left for IBB", () => {
  it("an IBB offer is taken as offered", () => {
    const t = offeredTransport(parse(`<transport xmlns='${NS_JINGLE_IBB}' sid='i1' block-size='8192'/>`), false, PLACEHOLDER);
    assert.deepEqual(t, { transport: { sid: "i1", blockSize: 8192, stanza: "iq" } });
  });

  it("a SOCKS5 file offer waits for IBB: the placeholder transport and the SOCKS5 sid", () => {
    assert.deepEqual(offeredTransport(parse(S5B), false, PLACEHOLDER), { transport: PLACEHOLDER, s5bFallback: { sid: "fd92eb44" } });
  });

  it("refuses a SOCKS5 pull (we would send), a SOCKS5 transport without sid, and any other transport", () => {
    throwsStanzaError(() => offeredTransport(parse(S5B), true, PLACEHOLDER), "bad-request", "modify");
    throwsStanzaError(() => offeredTransport(parse(`<transport xmlns='${NS_JINGLE_S5B}'/>`), false, PLACEHOLDER), "bad-request", "modify");
    const ice = throwsStanzaError(() => offeredTransport(parse("<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'/>"), false, PLACEHOLDER), "bad-request", "modify");
    assert.match(ice.message, /only the IBB transport/);
  });

  it("builds the session-accept transport with no candidates and the §2.4 candidate-error", () => {
    assert.equal(makeS5bAccept({ sid: "s1" }).toString(), `<transport xmlns="${NS_JINGLE_S5B}" sid="s1" mode="tcp"/>`);
    assert.equal(makeCandidateError({ sid: "s1" }).toString(), `<transport xmlns="${NS_JINGLE_S5B}" sid="s1"><candidate-error/></transport>`);
  });
});
