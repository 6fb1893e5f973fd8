import assert from "node:assert/strict";
import { DiskGuard } from "./disk.js";
import { LowDiskSpaceError } from "./errors.js";
import { caught } from "./testing.js";

describe("free-disk floor while writing (DiskGuard)", () => {
  it("refuses the write that would go below the floor, counting bytes written since the last probe; probes once per 4 MiB, not per block", async () => {
    let probes = 0;
    const guard = new DiskGuard(async () => (probes++, 10 * 1024 * 1024), 6 * 1024 * 1024);
    for (let i = 0; i < 3; i++) await guard.beforeWrite(1024 * 1024); // 3 MiB of the 4 allowed
    assert.equal(probes, 1);
    const err = await caught(() => guard.beforeWrite(1024 * 1024 + 1));
    assert.ok(err instanceof LowDiskSpaceError);
    assert.deepEqual([err.type, err.condition], ["wait", "resource-constraint"]);
  });

  it("0: never probes", async () => {
    const guard = new DiskGuard(async () => assert.fail("probed"), 0);
    await guard.beforeWrite(1 << 30);
  });
});
