#!/usr/bin/env node
// Plain JS so that npm can link the `xft-component` command at install time, before TypeScript
// has built dist/ (npm does not link a bin whose file does not exist yet).
import("../dist/cli/xft-component.js").catch((err) => {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/xft-component.js")) {
    process.stderr.write("xft-component: not built yet: run 'npm run build' in the repository first\n");
    process.exit(2);
  }
  throw err;
});
