import assert from "node:assert/strict";
import { bare } from "./jid.js";

describe("xml/jid: bare", () => {
  it("drops the resource (after the first '/') and folds case", () => {
    assert.equal(bare("Juliet@Capulet.example/Balcony/x"), "juliet@capulet.example");
    assert.equal(bare("capulet.example"), "capulet.example");
    assert.equal(bare("capulet.example/res@x"), "capulet.example");
    assert.equal(bare(""), "");
  });
});
