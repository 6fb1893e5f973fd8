import assert from "node:assert/strict";
import { decideSecretSource, fileModeWarning, secretFromFileText, type SecretInputs } from "./source.js";

const inputs = (over: Partial<Record<"flag" | "fileFlag" | "env" | "envFile", string>>, interactive = false): SecretInputs => ({
  what: "password", interactive,
  flag: { name: "--password", value: over.flag },
  fileFlag: { name: "--password-file", value: over.fileFlag },
  env: { name: "XFT_PASSWORD", value: over.env },
  envFile: { name: "XFT_PASSWORD_FILE", value: over.envFile },
});

describe("decideSecretSource", () => {
  it("a flag wins over the environment, with a warning naming the safer ways", () => {
    const s = decideSecretSource(inputs({ flag: "pw", env: "other", envFile: "/f" }));
    assert.equal(s.kind, "value");
    assert.equal(s.kind === "value" && s.value, "pw");
    assert.match(s.kind === "value" ? s.warning ?? "" : "", /--password on the command line is visible.*--password-file, XFT_PASSWORD_FILE or XFT_PASSWORD/);
  });
  it("a file flag wins over the environment, without a warning", () => {
    assert.deepEqual(decideSecretSource(inputs({ fileFlag: "/a", env: "x" })), { kind: "file", path: "/a", from: "--password-file" });
  });
  it("the environment: a file variable or a value, never a warning", () => {
    assert.deepEqual(decideSecretSource(inputs({ envFile: "/b" })), { kind: "file", path: "/b", from: "XFT_PASSWORD_FILE" });
    assert.deepEqual(decideSecretSource(inputs({ env: "pw" })), { kind: "value", value: "pw", from: "XFT_PASSWORD" });
  });
  it("an empty variable counts as unset", () => {
    assert.deepEqual(decideSecretSource(inputs({ env: "", envFile: "/b" })), { kind: "file", path: "/b", from: "XFT_PASSWORD_FILE" });
    assert.equal(decideSecretSource(inputs({ env: "", envFile: "" })).kind, "missing");
  });
  it("both forms on one level is a conflict", () => {
    assert.match((decideSecretSource(inputs({ flag: "a", fileFlag: "/a" })) as { problem: string }).problem, /--password and --password-file both given/);
    assert.match((decideSecretSource(inputs({ env: "a", envFile: "/a" })) as { problem: string }).problem, /XFT_PASSWORD and XFT_PASSWORD_FILE both set/);
  });
  it("nothing given: asked at a terminal, else missing with every way listed", () => {
    assert.deepEqual(decideSecretSource(inputs({}, true)), { kind: "prompt" });
    const s = decideSecretSource(inputs({}));
    assert.equal(s.kind, "missing");
    assert.match((s as { problem: string }).problem, /--password-file FILE, XFT_PASSWORD_FILE, XFT_PASSWORD, or run from a terminal/);
  });
  it("given anything, never a prompt", () => {
    assert.equal(decideSecretSource(inputs({ env: "pw" }, true)).kind, "value");
  });
});

describe("secret files", () => {
  it("one trailing newline is stripped, nothing else", () => {
    assert.equal(secretFromFileText("pw\n"), "pw");
    assert.equal(secretFromFileText("pw\r\n"), "pw");
    assert.equal(secretFromFileText("pw\n\n"), "pw\n");
    assert.equal(secretFromFileText(" pw "), " pw ");
  });
  it("a warning when group or others have any access", () => {
    assert.equal(fileModeWarning("/s", 0o100600), undefined);
    assert.equal(fileModeWarning("/s", 0o100400), undefined);
    assert.match(fileModeWarning("/s", 0o100644) ?? "", /^\/s is readable or writable by others \(mode 0644\): chmod 600 \/s$/);
    assert.match(fileModeWarning("/s", 0o100620) ?? "", /mode 0620/);
  });
});
