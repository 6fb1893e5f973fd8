import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { xml } from "@xmpp/client-core";
import SASLFactory from "saslmechanisms";
import type { Element } from "ltx/lib/ltx.js";
import { Plain } from "./plain.js";
import { chooseMechanism, NS_SASL, sasl } from "./sasl.js";
import { ScramSha1 } from "./scram-sha-1.js";
import type { IncomingContext, Next, StreamFeatures, XmppEntity } from "./types.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

function factory() {
  const f = new SASLFactory();
  f.use(ScramSha1);
  f.use(Plain);
  return f;
}

// A server replaying RFC 5802's example exchange at our sasl() feature; `success` is what it
// puts in <success/>.
async function runAgainstRfcServer(success: string, challengeFinal = false) {
  let handler!: (ctx: IncomingContext, next: Next, feature: Element) => unknown;
  const streamFeatures: StreamFeatures = { use: (_name, _ns, h) => (handler = h) };
  const saslFactory = factory();
  // fixed client nonce of the RFC example
  saslFactory._mechs[0].mech = class extends ScramSha1 {
    constructor() {
      super(() => "fyko+d2lbbFgONRv9qkxdawL");
    }
  };
  sasl({ streamFeatures, saslFactory }, { username: "user", password: "pencil" });

  const sent: Element[] = [];
  let restarted = false;
  const entity = Object.assign(new EventEmitter(), {
    isSecure: () => false,
    restart: async () => {
      restarted = true;
    },
    send: async (el: Element) => {
      sent.push(el);
      const reply = (name: string, text: string) => setImmediate(() => entity.emit("nonza", xml(name, { xmlns: NS_SASL }, text)));
      if (el.name === "auth") {
        assert.equal(el.attrs.mechanism, "SCRAM-SHA-1");
        assert.equal(unb64(el.getText()), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
        reply("challenge", b64("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
      } else if (el.name === "response" && unb64(el.getText()).startsWith("c=")) {
        assert.match(unb64(el.getText()), /,p=v0X8v3Bz2T0CJGbJQyF0X\+HI4Ts=$/);
        if (challengeFinal) reply("challenge", b64(success));
        else reply("success", b64(success));
      } else if (el.name === "response") {
        assert.equal(el.getText(), "");
        reply("success", "");
      }
    },
  }) as unknown as XmppEntity;
  const feature = xml("mechanisms", { xmlns: NS_SASL }, xml("mechanism", {}, "PLAIN"), xml("mechanism", {}, "SCRAM-SHA-1"));
  await handler({ entity } as IncomingContext, async () => undefined, feature);
  return { sent, restarted };
}

describe("sasl() stream feature", () => {
  it("prefers SCRAM-SHA-1, and takes PLAIN only on a TLS stream", () => {
    const f = factory();
    assert.equal(chooseMechanism(f, ["PLAIN", "SCRAM-SHA-1"], false), "SCRAM-SHA-1");
    assert.equal(chooseMechanism(f, ["PLAIN"], false), undefined);
    assert.equal(chooseMechanism(f, ["PLAIN"], true), "PLAIN");
    assert.equal(chooseMechanism(f, ["SCRAM-SHA-1-PLUS", "X-OAUTH2"], true), undefined);
  });

  it("logs in with SCRAM-SHA-1, checks the signature in <success/>, then restarts the stream", async () => {
    const { sent, restarted } = await runAgainstRfcServer("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    assert.deepEqual(sent.map((e) => e.name), ["auth", "response"]);
    assert.equal(restarted, true);
  });

  it("also when the server sends its signature as a last <challenge/>", async () => {
    const { sent, restarted } = await runAgainstRfcServer("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", true);
    assert.deepEqual(sent.map((e) => e.name), ["auth", "response", "response"]);
    assert.equal(restarted, true);
  });

  it("fails, without restarting, when <success/> carries a wrong signature or none", async () => {
    await assert.rejects(runAgainstRfcServer("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="), /wrong server signature/);
    await assert.rejects(runAgainstRfcServer(""), /did not send its signature/);
  });

  it("PLAIN sends authzid NUL user NUL password as UTF-8", () => {
    const bytes = new Plain().response({ username: "bob", password: "pässword" });
    assert.equal(Buffer.from(bytes, "latin1").toString("utf8"), "\0bob\0pässword");
  });
});
