import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createStore, type OfflineStore } from "../store/store.js";
import { DAY, randomData, sha256, tempDir } from "../store/testing.js";
import { fileNameOf } from "../store/validate.js";
import type { HousekeepingReport } from "./jobs.js";
import { scheduleHousekeeping } from "./schedule.js";

describe("housekeeping schedule (node-cron)", function () {
  this.timeout(20_000);
  let tmp: ReturnType<typeof tempDir>;
  let store: OfflineStore;

  beforeEach(() => {
    tmp = tempDir();
    // files made "8 days ago", so the real clock the cron callback passes finds them expired
    store = createStore({ path: tmp.db, now: () => new Date(Date.now() - 8 * DAY) });
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  it("refuses an invalid cron expression and out-of-bounds options at start-up", () => {
    assert.throws(() => scheduleHousekeeping(store, { cron: "every minute" }), RangeError);
    assert.throws(() => scheduleHousekeeping(store, { batchSize: 0 }), RangeError);
  });

  it("runs the jobs with the current time on schedule, and not after stop()", async () => {
    const data = randomData(1000);
    const { id } = await store.beginUpload({ sender: "a@a.example", recipient: "b@b.example", name: "f", size: data.length, sha256: sha256(data) });
    await store.append(id, 0, data);
    await store.finishUpload(id);

    const reports: { at: number; report: HousekeepingReport }[] = [];
    let first!: () => void;
    const gotFirst = new Promise<void>((resolve) => (first = resolve));
    const scheduled = scheduleHousekeeping(store, {
      cron: "* * * * * *", // every second
      onReport: (report) => {
        reports.push({ at: Date.now(), report });
        first();
      },
      onError: (err) => assert.fail(String(err)),
    });
    const before = Date.now();
    assert.ok(scheduled.nextRun()!.getTime() - before <= 1000);
    await gotFirst;
    await scheduled.stop();

    assert.deepEqual(reports[0].report.expired.removed.map((f) => f.id), [id]);
    assert.ok(!existsSync(`${store.filesDir}/${fileNameOf(id)}`));
    const count = reports.length;
    await new Promise((resolve) => setTimeout(resolve, 2200));
    assert.equal(reports.length, count, "no run after stop()");
  });

  it("run(now) is the job the schedule calls, usable on its own", async () => {
    let report: HousekeepingReport | undefined;
    const manual = scheduleHousekeeping(store, { cron: "0 0 1 1 *", onReport: (r) => (report = r) });
    await manual.run(new Date());
    await manual.stop();
    assert.ok(report, "onReport got the run's report");
    assert.equal(report.accounting.totals.files, 0);
  });
});
