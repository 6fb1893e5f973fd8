import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { defaultText, loadConfig, OPTIONS, type LoadResult } from "./options.js";
import { parseDomainList, parseService, parseSize } from "./units.js";

const REQUIRED = { XFT_COMPONENT_JID: "files.example.org", XFT_COMPONENT_SECRET: "s" };
const noFile = () => {
  throw Object.assign(new Error("no such file"), { code: "ENOENT" });
};
const config = (r: LoadResult) => {
  assert.equal(r.kind, "config", JSON.stringify(r));
  return (r as Extract<LoadResult, { kind: "config" }>).config;
};

describe("xft-component options", () => {
  it("defaults: every option but jid and secret has one, and they parse", () => {
    const c = config(loadConfig([], REQUIRED, noFile));
    assert.deepEqual(c, {
      jid: "files.example.org", secret: "s", service: "xmpp://127.0.0.1:5347", db: "xft-component.sqlite",
      maxFileSize: 4 * 2 ** 30, senderQuota: 10 * 2 ** 30, recipientQuota: 10 * 2 ** 30, allowedSenderDomains: ["example.org"],
      senderMaxFiles: 100, senderMaxRecipientsPerHour: 20, fileCostFloor: 64 * 1024, storeQuota: 50 * 2 ** 30, minFreeDisk: 2 ** 30, reservationIdleSeconds: 300, maxUploadsPerSender: 100, maxUploads: 500,
      expireDays: 7, abandonHours: 24, receiptDays: 30, housekeepingCron: "*/15 * * * *", deliveryConfirmSeconds: 30, resubscribeMinSeconds: 5, resubscribeMaxSeconds: 900, deliveryMaxStanzasPerDay: 20, deliveryStateDays: 30,
    });
    assert.deepEqual(OPTIONS.filter((o) => defaultText(o) === "(required)").map((o) => o.name), ["jid", "secret"]);
  });

  it("allowed senders: the --jid's parent domain unless given; * (and only *) opens it to anyone", () => {
    assert.deepEqual(config(loadConfig([], { ...REQUIRED, XFT_COMPONENT_JID: "files.chat.example.net" }, noFile)).allowedSenderDomains, ["chat.example.net"]);
    assert.equal(config(loadConfig(["--allowed-sender-domains", "*"], REQUIRED, noFile)).allowedSenderDomains, undefined);

  });

  it("precedence: flag, then environment, then config file, then default", () => {
    const file = JSON.stringify({ "expire-days": 3, "max-file-size": "1G", "receipt-days": 5, "allowed-sender-domains": ["A.org", "b.org."] });
    const c = config(loadConfig(["--config", "x.json", "--expire-days", "2"], { ...REQUIRED, XFT_EXPIRE_DAYS: "9", XFT_MAX_FILE_SIZE: "2G" }, () => file));
    assert.equal(c.expireDays, 2);
    assert.equal(c.maxFileSize, 2 * 2 ** 30);
    assert.equal(c.receiptDays, 5);
    assert.deepEqual(c.allowedSenderDomains, ["a.org", "b.org"]);
    assert.equal(c.abandonHours, 24);
  });

  it("an empty environment variable counts as unset", () => {
    assert.equal(config(loadConfig([], { ...REQUIRED, XFT_EXPIRE_DAYS: "" }, noFile)).expireDays, 7);
  });

  it("--help wins over everything else", () => {
    assert.deepEqual(loadConfig(["--bogus", "--help"], {}, noFile), { kind: "help" });
  });

  it("config file problems: not JSON, not an object, unknown keys, wrong types", () => {
    const problems = (text: string) => {
      const r = loadConfig(["--config", "c.json"], REQUIRED, () => text);
      assert.equal(r.kind, "invalid");
      return (r as Extract<LoadResult, { kind: "invalid" }>).problems;
    };
    assert.match(problems("{")[0], /^--config c\.json: /);
    assert.deepEqual(problems("[]"), ["--config c.json: must hold one JSON object of options"]);
    assert.deepEqual(problems(`{"maxFileSize": 1}`), [`--config c.json: unknown option "maxFileSize" (see --help)`]);
    assert.deepEqual(problems(`{"expire-days": true}`), [`--config c.json: "expire-days" must be a string or a number`]);
    assert.deepEqual(problems(`{"expire-days": 0}`), [`--expire-days (from "expire-days" in c.json) must be a whole number from 1 to 3650, got "0"`]);
  });

  it("sizes: bytes or binary units, bounded", () => {
    assert.equal(parseSize("1048576"), 2 ** 20);
    assert.equal(parseSize("512MiB"), 512 * 2 ** 20);
    assert.equal(parseSize("4g"), 4 * 2 ** 30);
    assert.equal(parseSize(" 1 K "), 1024);
    for (const bad of ["", "-1", "1.5G", "1 PB", "G", "99999999999999999T"]) assert.throws(() => parseSize(bad), /must be/, bad);
  });

  it("services and domain lists", () => {
    assert.equal(parseService("xmpp://[::1]:5347/"), "xmpp://[::1]:5347");
    assert.throws(() => parseService("xmpp://host:0"));
    assert.throws(() => parseService("http://host:5347"));
    assert.equal(parseDomainList("*"), undefined);
    assert.throws(() => parseDomainList(" , "));
  });

  it("the README's options table names every option with its environment variable and default", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8"); // from src/ and dist/
    for (const o of OPTIONS) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`--${o.name}\` |`));
      assert.ok(row, `README row for --${o.name}`);
      const cells = row.split("|").map((c) => c.trim());
      assert.equal(cells[2], `\`${o.env}\``, row);
      assert.equal(cells[3], o.default === undefined ? defaultText(o) : `\`${o.default}\``, row);
    }
  });

  describe("the secret", () => {
    const JID = { XFT_COMPONENT_JID: "files.example.org" };
    const problemsOf = (r: LoadResult) => (r.kind === "invalid" ? r.problems : []);
    const files = (map: Record<string, string>) => (path: string) => {
      if (path in map) return map[path];
      throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    };

    it("from a file (flag, variable or config file), one trailing newline stripped", () => {
      const read = files({ "/run/secrets/s": "t0ps3cret\n", "c.json": JSON.stringify({ "secret-file": "/run/secrets/s" }) });
      for (const [argv, env] of [[["--secret-file", "/run/secrets/s"], JID], [[], { ...JID, XFT_COMPONENT_SECRET_FILE: "/run/secrets/s" }], [["--config", "c.json"], JID]] as const) {
        const r = loadConfig(argv, env, read, { modeOf: () => 0o100600 });
        assert.equal(config(r).secret, "t0ps3cret", JSON.stringify(argv));
        assert.deepEqual(r.kind === "config" && r.warnings, []);
      }
    });

    it("a file others may read: a warning; a missing or empty file: a problem naming it", () => {
      const r = loadConfig(["--secret-file", "/s"], JID, files({ "/s": "x" }), { modeOf: () => 0o100644 });
      assert.deepEqual(r.kind === "config" && r.warnings, ["/s is readable or writable by others (mode 0644): chmod 600 /s"]);
      assert.deepEqual(problemsOf(loadConfig(["--secret-file", "/nope"], JID, files({}))), ["--secret-file /nope: no such file"]);
      assert.deepEqual(problemsOf(loadConfig([], { ...JID, XFT_COMPONENT_SECRET_FILE: "/e" }, files({ "/e": "\n" }))), ["--secret (from the file /e) must not be empty"]);
    });

    it("as a flag: accepted, with a warning", () => {
      const r = loadConfig(["--secret", "s"], JID, noFile);
      assert.equal(config(r).secret, "s");
      assert.match(r.kind === "config" ? r.warnings[0] : "", /--secret on the command line is visible to every local user/);
    });

    it("the placeholder CHANGE-ME and an empty secret are refused, wherever they come from", () => {
      assert.match(problemsOf(loadConfig([], { ...JID, XFT_COMPONENT_SECRET: "CHANGE-ME" }, noFile))[0], /^--secret \(from XFT_COMPONENT_SECRET\) is the placeholder "CHANGE-ME": set a long random secret/);
      assert.match(problemsOf(loadConfig(["--secret", "change-me"], JID, noFile))[0], /^--secret is the placeholder/);
      assert.match(problemsOf(loadConfig(["--secret="], JID, noFile))[0], /^--secret must not be empty$/);
      assert.match(problemsOf(loadConfig([], { ...JID, XFT_COMPONENT_SECRET: "" }, noFile))[0], /^--secret: the secret is required/);
    });

    it("none given: asked at a terminal (only if nothing else is wrong), else a problem", () => {
      assert.deepEqual(loadConfig([], JID, noFile, { interactive: true }), { kind: "ask-secret" });
      assert.equal(loadConfig(["--expire-days", "0"], JID, noFile, { interactive: true }).kind, "invalid");
      assert.equal(config(loadConfig([], JID, noFile, { prompted: "typed" })).secret, "typed");
      assert.match(problemsOf(loadConfig([], JID, noFile, { prompted: "CHANGE-ME" }))[0], /^--secret \(from the prompt\) is the placeholder/);
    });

    it("both a value and a file on one level is refused", () => {
      assert.deepEqual(problemsOf(loadConfig(["--secret", "a", "--secret-file", "/s"], JID, noFile)), ["--secret: --secret and --secret-file both given: use one"]);
    });
  });
});
