import assert from "node:assert/strict";
import { isLoopbackAddress, tlsPolicy } from "./tls-policy.js";

describe("tlsPolicy", () => {
  it("uses STARTTLS whenever it is offered, loopback or --insecure alike", () => {
    for (const loopback of [false, true]) for (const insecure of [false, true]) {
      assert.equal(tlsPolicy({ offered: true, loopback, insecure }), "starttls");
    }
  });
  it("refuses plaintext to a non-loopback address", () => {
    assert.equal(tlsPolicy({ offered: false, loopback: false, insecure: false }), "refuse");
  });
  it("allows plaintext on loopback, or with --insecure", () => {
    assert.equal(tlsPolicy({ offered: false, loopback: true, insecure: false }), "plaintext");
    assert.equal(tlsPolicy({ offered: false, loopback: false, insecure: true }), "plaintext");
  });
});

describe("isLoopbackAddress", () => {
  it("knows 127/8, ::1 and IPv4-mapped loopback", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) assert.equal(isLoopbackAddress(a), true, a);
  });
  it("refuses everything else, names included", () => {
    for (const a of ["198.18.0.1", "10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "localhost", "", undefined, "128.0.0.1"]) {
      assert.equal(isLoopbackAddress(a), false, String(a));
    }
  });
});
