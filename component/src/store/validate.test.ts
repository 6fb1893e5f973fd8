import assert from "node:assert/strict";
import { BadRequestError, ReservedNameError } from "./errors.js";
import { bareJid, checkSha256, fileNameOf, idOfFileName, isFileId, newFileId, normalizeMediaType, storedName } from "./validate.js";

describe("store input validation", () => {
  it("bareJid drops the resource, lower-cases, and refuses what is not a JID", () => {
    assert.equal(bareJid("Alice@Example.COM/Phone/with/slashes@x"), "alice@example.com");
    assert.equal(bareJid("example.com."), "example.com");
    assert.equal(bareJid("Bob@b.example"), "bob@b.example");
    for (const bad of ["", "@x", "a@", "a b@x", "a@x y", "<a>@x", "/res", "a@/r", "x\u0000@y", `${"a".repeat(1024)}@x`]) {
      assert.throws(() => bareJid(bad), BadRequestError, JSON.stringify(bad));
    }
    assert.throws(() => bareJid(undefined), BadRequestError);
  });

  it("storedName: the receiver's sanitiser (@xft/protocol sanitizeFileName), names like a partial download refused", () => {
    assert.equal(storedName("../../etc/passwd"), "%2E%2E%2F..%2Fetc%2Fpasswd"); // one component, as the recipient would store it
    assert.equal(storedName("invoice\u202Efdp.exe"), "invoicefdp.exe"); // right-to-left override gone
    assert.equal(storedName("a\u0000b\td.txt"), "a%00b%09d.txt");
    assert.equal(storedName("...hidden"), "%2E%2E%2Ehidden");
    assert.equal(storedName("  spaced out  "), "spaced out");
    assert.equal(storedName(""), "unnamed");
    assert.equal(storedName(42), "unnamed");
    const long = storedName("é".repeat(200)); // 2 bytes each
    assert.equal(long, "é".repeat(100), "200 bytes, cut on a whole character");
    for (const reserved of ["x.xft-part", "x.XFT-PART.json", "x.xft-part\u200B"]) {
      assert.throws(() => storedName(reserved), (err: unknown) => err instanceof ReservedNameError && err.condition === "not-acceptable" && err.type === "modify", reserved);
    }
  });

  it("checkSha256 takes only the canonical base64 of 32 bytes", () => {
    const good = Buffer.alloc(32, 7).toString("base64");
    assert.equal(checkSha256(good), good);
    for (const bad of [good.slice(0, -1), good + "=", Buffer.alloc(31).toString("base64"), good.replace(/.=$/, "B="), "z".repeat(44), 5]) {
      assert.throws(() => checkSha256(bad), BadRequestError, String(bad));
    }
  });

  it("normalizeMediaType keeps well-formed types and defaults the rest", () => {
    assert.equal(normalizeMediaType("Image/JPEG"), "image/jpeg");
    assert.equal(normalizeMediaType("text/plain; charset=UTF-8"), "text/plain; charset=UTF-8");
    for (const bad of [undefined, "", "jpeg", "a/b/c", "text/plain\r\nX: y", "x".repeat(300) + "/y"]) {
      assert.equal(normalizeMediaType(bad), "application/octet-stream", String(bad));
    }
  });

  it("ids: 22 base64url characters of 128 random bits; file names are their hex, and back", () => {
    const ids = new Set(Array.from({ length: 1000 }, newFileId));
    assert.equal(ids.size, 1000);
    for (const id of ids) {
      assert.ok(isFileId(id), id);
      assert.match(fileNameOf(id), /^[0-9a-f]{32}$/);
      assert.equal(idOfFileName(fileNameOf(id)), id);
    }
    for (const bad of ["", "../../../../etc/passwd", "A".repeat(21), "A".repeat(23), "A".repeat(21) + "B", "A".repeat(21) + "+", 7]) {
      assert.equal(isFileId(bad), false, String(bad));
    }
    assert.equal(idOfFileName("notes.txt"), undefined);
  });
});
