// What the Prosody and ejabberd harnesses share: a server living in a temp dir that stop() throws
// away, restart() on the same ports and data, logs read from files in that dir, and accounts
// made with the server's own control tool.
import { execFile } from "node:child_process";
import fsp from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { sleep } from "./lifecycle.js";

export abstract class ThrowawayServer {
  abstract host: string;
  abstract dir: string;
  protected removed = false;
  /** the server's main log, relative to dir */
  protected abstract readonly logFile: string;
  /** grace for the kill in stop(): its data is thrown away anyway */
  protected readonly stopGraceMs: number = 5000;

  abstract launch(): Promise<void>;
  /** stops every process of the server; keeps the dir */
  abstract kill(graceMs?: number): Promise<void>;

  async stop(): Promise<void> {
    await this.kill(this.stopGraceMs);
    this.removed = true;
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  async restart(downMs = 0): Promise<void> {
    await this.kill();
    if (downMs > 0) await sleep(downMs); // clients see connection refused meanwhile
    try {
      await this.launch();
    } catch (err) {
      await this.kill(); // e.g. a port got taken meanwhile: no half-started server; stop() cleans up
      throw err;
    }
  }

  /** a log file in dir from byte `from` ("" while it does not exist) */
  protected async readLog(from = 0, file = this.logFile): Promise<string> {
    return (await fsp.readFile(path.join(this.dir, file), "utf8").catch(() => "")).slice(from);
  }

  /** runs the control tool's register command, failing with its output */
  protected async registerWith(tool: string, args: string[], options: Parameters<typeof execFile>[2], user: string): Promise<void> {
    try {
      await promisify(execFile)(tool, args, options ?? {});
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${path.basename(tool)} register ${user}@${this.host} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
  }
}
