// The desk works three callbacks from the worklist in a real browser (issue 15, DOMAIN §6):
// one not answered, one asking to be called later (with a time), one reached, with the
// structured survey of seed 000 and praise for the engineer. The worklist explains why each
// ticket is called; the callbacks come from the demo's daily selections.
//
// Run: E2E_BIN=<path to the aftersales binary> node --test callbacks.test.mjs (in e2e/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, stop, base, signIn, shot, tokenFor, call } from "./support.mjs";

before(start);
after(stop);

/// Submits the attempt form and returns once the callback page answered without an error.
async function save(page) {
  await Promise.all([page.waitForNavigation(), page.click("#attempt-form button[type=submit]")]);
  const err = await page.$("#callback-error");
  assert.equal(err, null, err ? await err.textContent() : "");
  assert.match(page.url(), /done=attempt/);
  assert.match(await page.textContent("#callback-message"), /已记录本次拨打/);
}

test("the desk works three callbacks from the worklist", async () => {
  const { page } = await signIn("desk1");
  await page.click("#nav-callbacks");
  await page.waitForURL(/\/callbacks/);
  assert.match(await page.textContent("h1"), /回访工作表/);
  const rows = page.locator("#callbacks tbody tr");
  const count = await rows.count();
  assert.ok(count >= 3, `the demo leaves callbacks to make (${count})`);
  // Each line says why it was chosen, in words.
  const why = await rows.first().locator("td").nth(4).textContent();
  assert.match(why, /已通告项目经理\/总经理|已通告项目专员|每日三分之一抽样（工程师 .+）|耗材更换回访/);
  // Sorted by due time, the earliest first.
  const dues = await page.$$eval("#callbacks tbody tr td:first-child time", (ts) => ts.map((t) => t.getAttribute("datetime")));
  assert.deepEqual([...dues].sort(), dues, "the worklist is by due time");
  await shot(page, "callbacks-01-worklist");
  const hrefs = await page.$$eval("#callbacks tbody tr td:nth-child(2) a", (as) => as.slice(0, 3).map((a) => a.getAttribute("href")));

  // 1. 无人接听.
  await page.goto(base + hrefs[0]);
  await page.check("#outcome-no_answer");
  await page.fill("#attempt-note", "响铃无人接听");
  await save(page);
  assert.match(await page.textContent("#attempts"), /无人接听/);
  await shot(page, "callbacks-02-no-answer");

  // 2. 稍后再打, with the time the customer asked for; without the time it is refused by name.
  await page.goto(base + hrefs[1]);
  await page.check("#outcome-call_back_later");
  await Promise.all([page.waitForNavigation(), page.click("#attempt-form button[type=submit]")]);
  assert.match(await page.textContent("#callback-error"), /call_back_at|约定再打|必填/);
  const tomorrow = new Date(Date.now() + 24 * 3600_000 + 8 * 3600_000).toISOString().slice(0, 10);
  await page.check("#outcome-call_back_later");
  await page.fill("#call-back-at", `${tomorrow}T10:00`);
  await save(page);
  assert.match(await page.textContent("#attempts"), /稍后再打/);
  assert.match(await page.textContent("#callback-facts"), /约定再打/);
  await shot(page, "callbacks-03-call-back-later");

  // 3. 已联系, with the survey and praise for the engineer.
  await page.goto(base + hrefs[2]);
  await page.check("#outcome-reached");
  await page.selectOption("#survey-result", "satisfied");
  await page.selectOption("#survey-solved", "yes");
  await page.selectOption("#survey-speed", "yes");
  await page.fill("#survey-suggestions", "希望上门前提前电话告知");
  const engineer = page.locator("#feedback-fields select").first();
  const praised = (await engineer.count()) > 0;
  if (praised) {
    await engineer.selectOption("praise");
  }
  await shot(page, "callbacks-04-reached-form");
  await save(page);
  assert.match(await page.textContent("h1"), /已回访/);
  const survey = await page.textContent("#callback-survey");
  assert.match(survey, /满意/);
  assert.match(survey, /希望上门前提前电话告知/);
  if (praised) {
    assert.match(await page.textContent("main"), /表扬/);
  }
  assert.equal(await page.$("#attempt-form"), null, "a done callback offers no further attempt");
  await shot(page, "callbacks-05-reached");

  // The API agrees: the survey is the ticket's, the callback is done.
  const id = hrefs[2].split("/").pop();
  const c = (await call(tokenFor("desk1"), "GET", `/callbacks/${id}`)).json;
  assert.equal(c.line.status, "done");
  assert.equal(c.survey.result, "satisfied");
  assert.equal(c.survey.solved, true);
});
