import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { MAX_FILE_NAME_BYTES, sanitizeFileName, UNNAMED } from "./file-name.js";
import { isReservedFileName, reservedNameRefusal } from "../driver/offered-name.js";

const bytes = (s: string) => Buffer.byteLength(s);

describe("xep0234/file-name: sanitizeFileName (XEP-0234 §security), the receiver's and the store's", () => {
  const cases: [string, unknown, string][] = [
    ["separators", "../etc/passwd", "%2E%2E%2Fetc%2Fpasswd"],
    ["backslash and colon", "C:\\Windows\\system.ini", "C%3A%5CWindows%5Csystem.ini"],
    ["C0 controls and DEL", "line\nbreak\u007f\u0000", "line%0Abreak%7F%00"],
    ["C1 controls, as UTF-8 bytes", "a\u0085b", "a%C2%85b"],
    ["leading dots only", ".hidden.tar.gz", "%2Ehidden.tar.gz"],
    ["a name of dots", "..", "%2E%2E"],
    ["right-to-left override", "invoice\u202Efdp.exe", "invoicefdp.exe"],
    ["bidi embeddings and overrides U+202A-202E", "a\u202Ab\u202Bc\u202Cd\u202De\u202E.txt", "abcde.txt"],
    ["bidi isolates U+2066-2069", "\u2066a\u2067b\u2068c\u2069.txt", "abc.txt"],
    ["direction marks U+200E/F, U+061C", "a\u200Eb\u200Fc\u061C.txt", "abc.txt"],
    ["zero-width U+200B-200D, word joiner U+2060", "a\u200Bb\u200Cc\u200Dd\u2060.txt", "abcd.txt"],
    ["BOM U+FEFF", "\uFEFFreport.pdf", "report.pdf"],
    ["tag characters and fillers", "a\u{E0041}b\u3164c\u034F.txt", "abc.txt"],
    ["division and fraction slash", "docs\u2215a\u2044b", "docs%E2%88%95a%E2%81%84b"],
    ["fullwidth and big solidus", "a\uFF0Fb\u29F8c", "a%EF%BC%8Fb%E2%A7%B8c"],
    ["fullwidth reverse solidus, set minus", "a\uFF3Cb\u2216c", "a%EF%BC%BCb%E2%88%96c"],
    ["look-alike dots, leading or not", "\uFF0E\uFF0E\u2215x\u2024y", "%EF%BC%8E%EF%BC%8E%E2%88%95x%E2%80%A4y"],
    ["white space at the ends (hides an extension)", "  report.pdf \u3000", "report.pdf"],
    ["NFC", "re\u0301sume\u0301.pdf", "r\u00e9sum\u00e9.pdf"],
    ["NFC after removing what was between", "e\u200B\u0301", "\u00e9"],
    ["a combining mark after an escape stays apart", ".\u0301x", "%2E%CC%81x"],
    ["'%' as it is (idempotent)", "100%.txt", "100%.txt"],
    ["ordinary names unchanged", "résumé final (2).pdf", "résumé final (2).pdf"],
    ["empty", "", UNNAMED],
    ["only invisible", "\u202E\u200B", UNNAMED],
    ["not a string", 42, UNNAMED],
    ["undefined", undefined, UNNAMED],
  ];
  for (const [what, raw, expected] of cases) {
    it(`${what}: ${JSON.stringify(raw)} -> ${JSON.stringify(expected)}`, () => {
      const safe = sanitizeFileName(raw);
      assert.equal(safe, expected);
      assert.doesNotMatch(safe, /[/\\:\p{Cc}\p{Cf}]/u);
      assert.doesNotMatch(safe, /^\./);
      assert.equal(sanitizeFileName(safe), safe, "idempotent");
    });
  }

  it("at most 200 UTF-8 bytes, cut on whole characters, the extension kept", () => {
    const cjk = sanitizeFileName("文".repeat(300) + ".pdf"); // 3 bytes each
    assert.ok(bytes(cjk) <= MAX_FILE_NAME_BYTES, String(bytes(cjk)));
    assert.equal(cjk, "文".repeat(65) + ".pdf");
    const emoji = sanitizeFileName("\u{1F600}".repeat(100)); // 4 bytes, a surrogate pair each
    assert.equal(emoji, "\u{1F600}".repeat(50));
    assert.equal(sanitizeFileName("x".repeat(1000)), "x".repeat(200));
    assert.equal(sanitizeFileName("x".repeat(300) + "." + "y".repeat(40)), "x".repeat(200), "an extension over 32 bytes is not kept");
    assert.equal(sanitizeFileName("a".repeat(199) + "/b"), "a".repeat(199), "never half an escape");
  });

  it("lone surrogates become U+FFFD", () => {
    assert.equal(sanitizeFileName("a\uD800b\uDC00.txt"), "a\uFFFDb\uFFFD.txt");
  });

  it("idempotent on random names: the store's name passes the receiver's sanitiser unchanged", () => {
    const alphabet = ["a", ".", "/", "\\", ":", "%", " ", "\u0301", "\u202E", "\u200B", "\u2215", "\uFF0E", "文", "\u{1F600}", "\n", "\u0085", "e", "\uFEFF"];
    for (let n = 0; n < 2000; n++) {
      const r = randomBytes(1 + (n % 120));
      const raw = [...r].map((b) => alphabet[b % alphabet.length]).join("");
      const once = sanitizeFileName(raw);
      assert.equal(sanitizeFileName(once), once, JSON.stringify(raw));
      assert.ok(bytes(once) <= MAX_FILE_NAME_BYTES);
      assert.doesNotMatch(once, /[/\\\p{Cc}\p{Cf}]/u, JSON.stringify(raw));
      assert.doesNotMatch(once, /^[.\s]|\s$/u, JSON.stringify(raw));
    }
  });
});

describe("driver/offered-name: names like our part files are refused", () => {
  for (const name of ["x.xft-part", "X.XFT-PART", "a.txt.0123456789ab.xft-part", "notes.xft-part.json", "n.Xft-Part.JSON", "x.xft-part\u200B", "x.xft-part  ", "x.xft-part\u202E"]) {
    it(`${JSON.stringify(name)}: not-acceptable (modify), with a text`, () => {
      const refusal = reservedNameRefusal(name);
      assert.ok(refusal);
      assert.equal(refusal.condition, "not-acceptable");
      assert.equal(refusal.type, "modify");
      assert.match(refusal.message, /partial download/);
    });
  }
  for (const name of ["x.xft-part.txt", "xft-part", ".xft-part", "x.xft-partial", "x.json", "x\u2024xft-part", "report.pdf"]) {
    it(`${JSON.stringify(name)}: taken`, () => {
      assert.equal(reservedNameRefusal(name), undefined);
      assert.equal(isReservedFileName(sanitizeFileName(name)), false);
    });
  }
});
