import assert from "node:assert/strict";
import SASLFactory from "saslmechanisms";
import { MAX_ITERATIONS, ScramError, ScramSha1 } from "./scram-sha-1.js";

// RFC 5802 §5, the SCRAM-SHA-1 example exchange.
const RFC = {
  clientNonce: "fyko+d2lbbFgONRv9qkxdawL",
  clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
  serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
  clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};
const credentials = { username: "user", password: "pencil" };

async function afterClientFinal(serverFirst = RFC.serverFirst) {
  const mech = new ScramSha1(() => RFC.clientNonce);
  await mech.response(credentials);
  mech.challenge(serverFirst);
  const final = await mech.response(credentials);
  return { mech, final };
}

describe("SCRAM-SHA-1 (ours, node:crypto)", () => {
  it("reproduces RFC 5802's example exchange and accepts its server signature", async () => {
    const mech = new ScramSha1(() => RFC.clientNonce);
    assert.equal(await mech.response(credentials), RFC.clientFirst);
    mech.challenge(RFC.serverFirst);
    assert.equal(await mech.response(credentials), RFC.clientFinal);
    assert.doesNotThrow(() => mech.serverFinal(RFC.serverFinal));
  });

  it("accepts the server-final message as a challenge too, then answers with an empty response", async () => {
    const { mech } = await afterClientFinal();
    mech.challenge(RFC.serverFinal);
    assert.equal(await mech.response(credentials), "");
    assert.doesNotThrow(() => mech.serverFinal("")); // already verified
  });

  it("refuses a wrong server signature, a missing one, and a server error", async () => {
    for (const bad of ["v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "v=", "", "e=invalid-proof"]) {
      const { mech } = await afterClientFinal();
      assert.throws(() => mech.serverFinal(bad), ScramError, JSON.stringify(bad));
    }
  });

  it("refuses a server nonce that does not extend ours, no salt, and bad iteration counts", async () => {
    const cases = [
      "r=someoneelse,s=QSXCR+Q6sek8bf92,i=4096",
      `r=${RFC.clientNonce},s=QSXCR+Q6sek8bf92,i=4096`, // nothing added by the server
      `r=${RFC.clientNonce}x,i=4096`,
      `r=${RFC.clientNonce}x,s=QSXC,i=0`,
      `r=${RFC.clientNonce}x,s=QSXC,i=${MAX_ITERATIONS + 1}`,
      `r=${RFC.clientNonce}x,s=QSXC,i=12x`,
      `m=ext,r=${RFC.clientNonce}x,s=QSXC,i=4096`,
      "garbage",
    ];
    for (const serverFirst of cases) {
      const mech = new ScramSha1(() => RFC.clientNonce);
      await mech.response(credentials);
      assert.throws(() => mech.challenge(serverFirst), ScramError, serverFirst);
    }
  });

  it("escapes ',' and '=' in names and sends UTF-8 bytes (byte strings, for btoa)", async () => {
    const mech = new ScramSha1(() => "n0nce");
    const first = await mech.response({ username: "a,b=ü", authzid: "z=1" });
    assert.equal(Buffer.from(first, "latin1").toString("utf8"), "n,a=z=3D1,n=a=2Cb=3Dü,r=n0nce");
    assert.doesNotThrow(() => btoa(first));
  });

  it("uses a fresh random nonce by default", async () => {
    const a = await new ScramSha1().response(credentials);
    const b = await new ScramSha1().response(credentials);
    assert.notEqual(a, b);
    assert.match(a, /^n,,n=user,r=[A-Za-z0-9+/]{24}$/);
  });

  it("plugs into saslmechanisms' Factory (name read from the prototype)", () => {
    const factory = new SASLFactory();
    factory.use(ScramSha1);
    assert.equal(factory._mechs[0].name, "SCRAM-SHA-1");
    const mech = factory.create(["PLAIN", "SCRAM-SHA-1"]);
    assert.ok(mech instanceof ScramSha1);
    assert.equal(mech.clientFirst, true);
  });

  it("takes milliseconds, not seconds, at Prosody's 10 000 iterations", async () => {
    const start = performance.now();
    await afterClientFinal(`r=${RFC.clientNonce}srv,s=QSXCR+Q6sek8bf92,i=10000`);
    const ms = performance.now() - start;
    assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
  });
});
