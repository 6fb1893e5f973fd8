import assert from "node:assert/strict";
import { HELP, parseArgs, UsageError, type Command } from "./args.js";

const env = { XFT_JID: "alice@example.org", XFT_PASSWORD: "pw" };
const parse = (...argv: string[]) => parseArgs(argv, env);

function usage(argv: string[], re: RegExp): void {
  assert.throws(() => parseArgs(argv, env), (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/, "one line");
    return true;
  });
}

function overridesOf(cmd: Command) {
  assert.ok("overrides" in cmd, `${cmd.command} has overrides`);
  return cmd.overrides;
}

describe("xft arguments", () => {
  describe("preference override flags", () => {
    it("none given: no override keys at all", () => {
      assert.deepEqual(overridesOf(parse("send", "bob@example.org", "f")), {});
      assert.deepEqual(overridesOf(parse("receive", "--dir", "d")), {});
    });

    it("--x / --no-x for the three options, on send and receive", () => {
      assert.deepEqual(overridesOf(parse("send", "bob@example.org", "f", "--no-auto-retransfer", "--auto-receive", "--no-offline-forward")),
        { autoRetransfer: false, autoReceive: true, offlineForward: false });
      assert.deepEqual(overridesOf(parse("receive", "--dir", "d", "--auto-retransfer", "--no-auto-receive", "--offline-forward")),
        { autoRetransfer: true, autoReceive: false, offlineForward: true });
    });

    it("the last of --x and --no-x wins", () => {
      assert.deepEqual(overridesOf(parse("send", "bob@example.org", "f", "--auto-receive", "--no-auto-receive")), { autoReceive: false });
      assert.deepEqual(overridesOf(parse("send", "bob@example.org", "f", "--no-auto-receive", "--auto-receive")), { autoReceive: true });
    });

    it("--confirm-timeout S and --component JID, separate or with =", () => {
      assert.deepEqual(overridesOf(parse("send", "bob@example.org", "f", "--confirm-timeout", "30", "--component", "files.example.org")),
        { confirmTimeout: 30, component: "files.example.org" });
      assert.deepEqual(overridesOf(parse("receive", "--dir", "d", "--confirm-timeout=86400", "--component=store@example.org")),
        { confirmTimeout: 86400, component: "store@example.org" });
    });

    it("--component '' overrides a stored component with discovery for this run", () => {
      const o = overridesOf(parse("send", "bob@example.org", "f", "--component", ""));
      assert.ok("component" in o);
      assert.equal(o.component, undefined);
    });

    it("the other options still parse beside them", () => {
      const cmd = parse("send", "bob@example.org", "f", "--no-auto-retransfer", "--block-size", "16", "--json");
      assert.equal(cmd.command, "send");
      if (cmd.command !== "send") return;
      assert.equal(cmd.blockSize, 16);
      assert.equal(cmd.json, true);
      assert.deepEqual(cmd.overrides, { autoRetransfer: false });
    });

    it("usage errors, one line each", () => {
      usage(["send", "b@x", "f", "--confirm-timeout", "0"], /^--confirm-timeout must be a whole number of seconds from 1 to 86400 \(got "0"\)$/);
      usage(["send", "b@x", "f", "--confirm-timeout", "86401"], /from 1 to 86400/);
      usage(["send", "b@x", "f", "--confirm-timeout", "1m"], /from 1 to 86400/);
      usage(["send", "b@x", "f", "--confirm-timeout"], /^--confirm-timeout needs a value$/);
      usage(["send", "b@x", "f", "--component", "a b"], /^--component must be a JID/);
      usage(["send", "b@x", "f", "--component"], /^--component needs a value$/);
      usage(["send", "b@x", "f", "--auto-retransfer=false"], /^--auto-retransfer takes no value \(--auto-retransfer or --no-auto-retransfer\)$/);
      usage(["send", "b@x", "f", "--no-confirm-timeout"], /^unknown option --no-confirm-timeout$/);
      usage(["send", "b@x", "f", "--no-component"], /^unknown option --no-component$/);
      usage(["send", "b@x", "f", "--auto-retransmit"], /^unknown option --auto-retransmit$/);
    });
  });

  describe("prefs", () => {
    it("get, with or without override flags", () => {
      const plain = parse("prefs", "get");
      assert.deepEqual(plain.command === "prefs" && plain.action === "get" && plain.overrides, {});
      const cmd = parse("prefs", "get", "--no-auto-retransfer", "--json");
      assert.equal(cmd.command, "prefs");
      if (cmd.command !== "prefs" || cmd.action !== "get") return assert.fail("prefs get");
      assert.deepEqual(cmd.overrides, { autoRetransfer: false });
      assert.equal(cmd.json, true);
    });

    it("set collects every assignment; later ones win", () => {
      const cmd = parse("prefs", "set", "auto-receive=true", "confirm-timeout=30", "component=files.example.org", "confirm-timeout=40");
      if (cmd.command !== "prefs" || cmd.action !== "set") return assert.fail("prefs set");
      assert.deepEqual(cmd.assignments, { autoReceive: true, confirmTimeout: 40, component: "files.example.org" });
    });

    it("set component= unsets it", () => {
      const cmd = parse("prefs", "set", "component=");
      if (cmd.command !== "prefs" || cmd.action !== "set") return assert.fail("prefs set");
      assert.ok("component" in cmd.assignments);
      assert.equal(cmd.assignments.component, undefined);
    });

    it("usage errors, one line each, before anything connects", () => {
      usage(["prefs", "set", "bogus=1"], /^unknown preference "bogus" \(known: auto-retransfer, auto-receive, offline-forward, confirm-timeout, component\)$/);
      usage(["prefs", "set", "auto-receive=true", "confirm-timeout=soon"], /^confirm-timeout must be a whole number/);
      usage(["prefs", "set", "auto-receive"], /^auto-receive needs a value: auto-receive=VALUE$/);
      usage(["prefs", "set"], /^usage: xft prefs set KEY=VALUE/);
      usage(["prefs", "set", "auto-receive=true", "--no-auto-retransfer"], /^prefs set takes KEY=VALUE, not override flags$/);
      usage(["prefs", "get", "auto-receive=true"], /^usage: xft prefs get/);
      usage(["prefs"], /^usage: xft prefs get \| xft prefs set KEY=VALUE\.\.\.$/);
      usage(["prefs", "show"], /^usage: xft prefs get/);
      usage(["frobnicate"], /^unknown command frobnicate \(send, resume, receive, prefs\)$/);
    });

    it("needs an account like the other commands", () => {
      assert.throws(() => parseArgs(["prefs", "get"], {}), /--jid/);
    });
  });

  const receiveOf = (argv: string[]) => {
    const cmd = parse("receive", "--dir", "d", ...argv);
    assert.ok(cmd.command === "receive");
    return cmd;
  };

  describe("receive: who may send new files (issue 12 item 8)", () => {
    const senders = (...argv: string[]) => receiveOf(argv).senders;

    it("default: the roster's contacts", () => {
      assert.deepEqual(senders(), { from: "contacts" });
    });

    it("--from JID, repeatable, separate or with =, lower-cased: narrows the contacts to those", () => {
      assert.deepEqual(senders("--from", "Alice@Example.org", "--from=carol@example.org"), { from: "contacts", only: ["alice@example.org", "carol@example.org"] });
    });

    it("--accept-from-anyone opens it; with --from it names the senders", () => {
      assert.deepEqual(senders("--accept-from-anyone"), { from: "anyone" });
      assert.deepEqual(senders("--accept-from-anyone", "--from", "m@evil.example"), { from: "anyone", only: ["m@evil.example"] });
    });

    it("refuses a --from without a bare JID, a value for --accept-from-anyone, and both on other commands", () => {
      for (const bad of [[], ["alice"], ["alice@example.org/phone"], ["@example.org"], ["a b@example.org"]]) {
        usage(["receive", "--dir", "d", "--from", ...bad], /^--from needs a bare JID like alice@example\.org$/);
      }
      usage(["receive", "--dir", "d", "--accept-from-anyone=yes"], /^--accept-from-anyone takes no value$/);
      usage(["send", "bob@example.org", "f", "--from", "alice@example.org"], /^--from and --accept-from-anyone are receive options$/);
      usage(["prefs", "get", "--accept-from-anyone"], /^--from and --accept-from-anyone are receive options$/);
    });

    it("HELP names both flags", () => {
      assert.ok(HELP.includes("--from JID") && HELP.includes("--accept-from-anyone"));
    });
  });

  describe("receive --partial-days (issue 12 item 7)", () => {
    it("defaults to 7; 0 means never; a bad value is a usage error", () => {
      const days = (...a: string[]) => (parse("receive", "--dir", "d", ...a) as Extract<ReturnType<typeof parse>, { command: "receive" }>).partialDays;
      assert.equal(days(), 7);
      assert.equal(days("--partial-days", "30"), 30);
      assert.equal(days("--partial-days=0"), 0);
      usage(["receive", "--dir", "d", "--partial-days", "-1"], /^--partial-days needs a whole number from 0 to 3650$/);
      usage(["receive", "--dir", "d", "--partial-days", "soon"], /^--partial-days needs a whole number/);
    });
  });

  describe("receive: caps on open receiving sessions (issue 12 item 7)", () => {
    const caps = (...argv: string[]) => receiveOf(argv).caps;

    it("default: none given, the engine's defaults apply", () => {
      assert.deepEqual(caps(), {});
    });

    it("--max-offers-per-peer N and --max-offers N", () => {
      assert.deepEqual(caps("--max-offers-per-peer", "2", "--max-offers=40"), { maxOffersPerPeer: 2, maxOffers: 40 });
    });

    it("refuses what is not a whole number in range, and both on other commands", () => {
      usage(["receive", "--dir", "d", "--max-offers-per-peer", "0"], /^--max-offers-per-peer needs a whole number from 1 to 10000$/);
      usage(["receive", "--dir", "d", "--max-offers-per-peer", "many"], /^--max-offers-per-peer needs a whole number/);
      usage(["receive", "--dir", "d", "--max-offers", "16"], /^--max-offers needs a whole number from 17 to 100000$/);
      usage(["send", "bob@example.org", "f", "--max-offers", "40"], /^--max-offers is a receive option$/);
    });

    it("HELP names both flags", () => {
      assert.ok(HELP.includes("--max-offers-per-peer N") && HELP.includes("--max-offers N"));
    });
  });

  describe("unchanged contract", () => {
    it("send / receive / help as before", () => {
      const send = parse("send", "bob@example.org", "file.bin");
      assert.equal(send.command === "send" && send.to, "bob@example.org");
      const recv = parse("receive", "--dir", "in", "--count", "2", "--timeout", "9");
      assert.ok(recv.command === "receive" && recv.count === 2 && recv.timeout === 9);
      assert.deepEqual(parse("--help"), { command: "help" });
      usage(["send", "bob@example.org"], /^usage: xft send TO_JID FILE$/);
      usage(["receive"], /^receive needs --dir DIR$/);
    });

    it("HELP lists every new flag and the prefs commands", () => {
      for (const s of ["xft prefs get", "xft prefs set KEY=VALUE", "--[no-]auto-retransfer", "--[no-]auto-receive", "--[no-]offline-forward", "--confirm-timeout S", "--component JID"]) {
        assert.ok(HELP.includes(s), s);
      }
    });
  });

  describe("the password", () => {
    const JID = { XFT_JID: "alice@example.org" };
    const passwordOf = (argv: string[], e: NodeJS.ProcessEnv, interactive = false) => {
      const cmd = parseArgs(["prefs", "get", ...argv], e, interactive);
      assert.ok(cmd.command === "prefs");
      return cmd.password;
    };
    it("--password-file and XFT_PASSWORD_FILE name a file, read later", () => {
      assert.deepEqual(passwordOf(["--password-file", "/p"], JID), { kind: "file", path: "/p", from: "--password-file" });
      assert.deepEqual(passwordOf([], { ...JID, XFT_PASSWORD_FILE: "/q" }), { kind: "file", path: "/q", from: "XFT_PASSWORD_FILE" });
    });
    it("XFT_PASSWORD as before, --password with a warning", () => {
      assert.deepEqual(passwordOf([], env), { kind: "value", value: "pw", from: "XFT_PASSWORD" });
      const flag = passwordOf(["--password=x"], JID);
      assert.ok(flag.kind === "value" && flag.value === "x");
      assert.match(flag.warning ?? "", /visible to every local user/);
    });
    it("none: asked at a terminal, else a usage error listing the ways", () => {
      assert.deepEqual(passwordOf([], JID, true), { kind: "prompt" });
      assert.throws(() => parseArgs(["prefs", "get"], JID), /password is required: --password-file FILE, XFT_PASSWORD_FILE, XFT_PASSWORD/);
      assert.throws(() => parseArgs(["prefs", "get", "--password", "a", "--password-file", "/p"], JID), /both given/);
    });
  });

  describe("TLS: --ca FILE and --insecure on every command", () => {
    const tlsOf = (argv: string[], e: NodeJS.ProcessEnv = env) => {
      const cmd = parseArgs(argv, e);
      assert.ok(cmd.command !== "help");
      return { ca: cmd.ca, insecure: cmd.insecure };
    };
    it("neither: Node's roots only, certificates checked", () => {
      for (const argv of [["send", "bob@example.org", "f"], ["receive", "--dir", "d"], ["prefs", "get"]]) {
        assert.deepEqual(tlsOf(argv), { ca: undefined, insecure: false });
      }
    });
    it("from flags, on send, resume, receive and prefs", () => {
      assert.deepEqual(tlsOf(["send", "bob@example.org", "f", "--ca", "/ca.pem"]), { ca: "/ca.pem", insecure: false });
      assert.deepEqual(tlsOf(["resume", "bob@example.org", "f", "--insecure"]), { ca: undefined, insecure: true });
      assert.deepEqual(tlsOf(["receive", "--dir", "d", "--ca=/x.pem", "--insecure"]), { ca: "/x.pem", insecure: true });
      assert.deepEqual(tlsOf(["prefs", "set", "auto-receive=true", "--ca", "/c"]), { ca: "/c", insecure: false });
    });
    it("from XFT_CA and XFT_INSECURE=1; a flag wins over XFT_CA", () => {
      assert.deepEqual(tlsOf(["prefs", "get"], { ...env, XFT_CA: "/env.pem", XFT_INSECURE: "1" }), { ca: "/env.pem", insecure: true });
      assert.deepEqual(tlsOf(["prefs", "get", "--ca", "/flag.pem"], { ...env, XFT_CA: "/env.pem", XFT_INSECURE: "0" }), { ca: "/flag.pem", insecure: false });
    });
    it("usage errors: --ca without a file, --insecure with a value, XFT_INSECURE not 0/1", () => {
      usage(["prefs", "get", "--ca"], /--ca needs a value/);
      usage(["prefs", "get", "--ca="], /--ca needs a file/);
      assert.throws(() => parseArgs(["prefs", "get"], { ...env, XFT_INSECURE: "yes" }), /XFT_INSECURE must be 1 or 0/);
    });
    it("the help names both, their variables and exit code 4", () => {
      for (const text of ["--ca FILE", "XFT_CA", "--insecure", "XFT_INSECURE=1", "4 TLS refused"]) assert.ok(HELP.includes(text), text);
    });
  });
});
