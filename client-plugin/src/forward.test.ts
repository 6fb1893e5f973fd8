import assert from "node:assert/strict";
import { NS_FT_FORWARD, parseStored, type LocalFile } from "@xft/protocol";
import { makeVouch } from "./forward.js";
import { initialTrust, trustStep } from "./store-trust.js";

const local: LocalFile = { path: "/tmp/x/report.pdf", name: "report.pdf", size: 3145745, date: "", sha256: "8kN1mLmC3aWwvx0t2c8S5rD2Vv0mO5b8Vq0v3yq4x1s=", checkpoints: [] };

describe("the sender's vouch for its store", () => {
  it("goes to the recipient's bare JID as a normal message (kept offline), names the store and the file, with a body", () => {
    const m = makeVouch("Bob@b.test/phone", "files.a.test", local);
    assert.equal(m.attrs.to, "bob@b.test");
    assert.equal(m.attrs.type, "normal");
    assert.deepEqual(parseStored(m), { store: "files.a.test", name: "report.pdf", size: 3145745, sha256: local.sha256 });
    assert.match(m.getChildText("body")!, /report\.pdf \(3\.0 MiB\) for you at the offline store files\.a\.test/);
  });

  it("is what the recipient's plugin needs to check the store, and approve it once it offered that file", () => {
    const vouch = parseStored(makeVouch("bob@b.test", "files.a.test", local))!;
    const asked = trustStep(initialTrust, { type: "subscribe-request", from: "files.a.test", ownStore: false });
    const v = trustStep(asked.state, { type: "vouched", from: "alice@a.test/laptop", vouch, fromContact: true });
    assert.deepEqual(v.effects, [{ type: "check-store", store: "files.a.test" }]);
    const info = { identities: [{ category: "store", type: "file" }], features: [NS_FT_FORWARD] };
    const checked = trustStep(v.state, { type: "store-checked", store: "files.a.test", info });
    assert.deepEqual(trustStep(checked.state, { type: "vouched-offer", store: "files.a.test" }).effects, [{ type: "approve", store: "files.a.test" }]);
  });
});
