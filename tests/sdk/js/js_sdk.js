// Voucherify's official JS SDK (npm `@voucherify/sdk`, VoucherifyServerSide) against a running
// Conveyor. Usage: node js_sdk.js BASE_URL APP_ID APP_TOKEN
// Prints one cargo-style `test result:` line so the suite's summary counts these tests.
"use strict";
const assert = require("node:assert/strict");
const { VoucherifyServerSide } = require("@voucherify/sdk");

const [base, applicationId, secretKey] = process.argv.slice(2);
const client = VoucherifyServerSide({ applicationId, secretKey, apiUrl: base });

async function waitDone(id) {
  for (let i = 0; i < 100; i++) {
    const action = await client.asyncActions.get(id);
    if (action.operation_status === "SUCCESS" || action.operation_status === "FAILED") return action;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} did not finish`);
}

const tests = {
  async bulkUpdateAndGet() {
    const { async_action_id } = await client.customers.updateInBulk([
      { source_id: "js-1", name: "Js One", metadata: { tier: "gold" } },
      { source_id: "js-2", email: "two@example.com" },
    ]);
    assert.match(async_action_id, /^aa_[0-9a-f]{18}$/);
    const action = await waitDone(async_action_id);
    assert.equal(action.status, "DONE");
    assert.equal(action.progress, 100);
    assert.equal(action.result.done_count, 2);
    assert.deepEqual(action.result.errors, []);
  },
  async metadataUpdate() {
    const { async_action_id } = await client.customers.updateMetadataInBulk({ source_ids: ["js-1"], metadata: { lang: "en" } });
    const action = await waitDone(async_action_id);
    assert.equal(action.type, "CUSTOMERS.METADATA_UPDATE");
    const customer = await client.customers.get("js-1");
    assert.deepEqual(customer.metadata, { tier: "gold", lang: "en" });
  },
  async listWithEndDate() {
    const page = await client.asyncActions.list({ limit: 1 });
    assert.equal(page.object, "list");
    assert.equal(page.async_actions.length, 1);
    assert.equal(page.has_more, true);
    const older = await client.asyncActions.list({ limit: 10, end_date: new Date(page.async_actions[0].created_at).toJSON() });
    assert.ok(older.async_actions.every((a) => a.id !== page.async_actions[0].id));
    assert.ok(older.async_actions.length >= 1);
  },
  async customerEndpoints() {
    const created = await client.customers.create({ source_id: "js-c", name: "Js C" });
    assert.match(created.id, /^cust_[0-9A-Za-z]{24}$/);
    const updated = await client.customers.update({ id: created.id, email: "c@example.com" });
    assert.equal(updated.email, "c@example.com");
    assert.equal(updated.name, "Js C");
    const list = await client.customers.list({ limit: 100 });
    assert.ok(list.customers.some((c) => c.id === created.id));
    await client.customers.delete(created.id);
    await assert.rejects(client.customers.get(created.id), (e) => e.code === 404 && e.key === "not_found" && e.resource_type === "customer");
  },
  async errorsBecomeVoucherifyErrors() {
    await assert.rejects(client.asyncActions.get("aa_0aeb82bd55d5beffb0"), (e) =>
      e.code === 404 && e.key === "not_found" && e.resource_id === "aa_0aeb82bd55d5beffb0" && /^v-[0-9a-f]{18}$/.test(e.request_id));
    const bad = VoucherifyServerSide({ applicationId, secretKey: "wrong", apiUrl: base });
    await assert.rejects(bad.asyncActions.list({}), (e) => e.code === 401 && e.key === "unauthorized");
  },
};

(async () => {
  let passed = 0;
  let failed = 0;
  for (const [name, test] of Object.entries(tests)) {
    try {
      await test();
      passed++;
      console.log(`test js_sdk::${name} ... ok`);
    } catch (e) {
      failed++;
      console.log(`test js_sdk::${name} ... FAILED`);
      console.log(e);
    }
  }
  console.log(`test result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed; 0 ignored (voucherify JS SDK)`);
  process.exit(failed ? 1 : 0);
})();
