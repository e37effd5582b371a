// Report subscriptions in a real browser (issue 15): the data specialist subscribes to the
// monthly service report from its page, by e-mail with the Excel file, and finds it on 我的
// 报表订阅 with its next run (the 1st of next month, 08:00 Shanghai time); then unsubscribes
// a second one. The API shows the same subscription.
//
// Run: E2E_BIN=<path to the aftersales binary> npm test (in e2e/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, stop, base, tokenFor, call, signIn, shot } from "./support.mjs";

// E-mail is on (a local SMTP sink), as it must be for a subscription by e-mail.
before(() => start({ smtp: true }));
after(stop);

/// The 1st of next month in Shanghai, as the page prints a date (`YYYY-MM-01`).
function firstOfNextMonth() {
  const now = new Date(Date.now() + 8 * 3600_000);
  const y = now.getUTCFullYear() + (now.getUTCMonth() === 11 ? 1 : 0);
  const m = (now.getUTCMonth() + 1) % 12 + 1;
  return `${y}-${String(m).padStart(2, "0")}-01`;
}

test("the data specialist subscribes to the monthly service report and unsubscribes another", async () => {
  const { page } = await signIn("data1");
  await page.goto(base + "/reporting/monthly-service");
  await Promise.all([page.waitForURL(/\/subscriptions\?report=monthly-service/), page.click("#subscribe-report")]);
  assert.equal(await page.inputValue("#sub-report"), "monthly-service", "the report is chosen for the reader");
  await page.selectOption("#sub-frequency", "monthly");
  await page.fill("#sub-hour", "8");
  await page.check('input[name="channel"][value="email"]');
  await Promise.all([page.waitForURL(/done=subscribed/), page.click("#subscribe")]);
  await page.waitForSelector("#subscriptions-message");
  const card = page.locator("section.card[id^=\"subscription-\"]", { hasText: "售后服务月度报告" }).first();
  const text = await card.innerText();
  assert.match(text, /每月/);
  assert.match(text, /生效中/);
  assert.ok(text.includes(`${firstOfNextMonth()} 08:00`), `the next run is the 1st at 08:00: ${text}`);
  await shot(page, "subscriptions");

  // A bad hour is refused with the reason, and what was chosen stays.
  await page.selectOption("#sub-report", "weekly-engineers");
  await page.fill("#sub-hour", "30");
  await page.evaluate(() => document.querySelector("#sub-hour").removeAttribute("max"));
  await page.click("#subscribe");
  await page.waitForSelector("#subscriptions-error");
  assert.match(await page.innerText("#subscriptions-error"), /0～23/);
  assert.equal(await page.inputValue("#sub-report"), "weekly-engineers");

  // A second one, daily, then ended.
  await page.fill("#sub-hour", "18");
  await page.selectOption("#sub-frequency", "daily");
  await Promise.all([page.waitForURL(/done=subscribed/), page.click("#subscribe")]);
  const weekly = page.locator("section.card[id^=\"subscription-\"]", { hasText: "每周报修事件分析表" }).first();
  await Promise.all([page.waitForURL(/done=cancelled/), weekly.locator("button.danger").click()]);
  assert.match(await page.locator("section.card[id^=\"subscription-\"]", { hasText: "每周报修事件分析表" }).first().innerText(), /已退订/);

  const mine = await call(tokenFor("data1"), "GET", "/subscriptions");
  const monthly = mine.json.find((s) => s.report === "monthly-service");
  assert.ok(monthly, JSON.stringify(mine.json));
  assert.equal(monthly.frequency, "monthly");
  assert.equal(monthly.channel, "email");
  assert.equal(monthly.active, true);
  assert.equal(mine.json.find((s) => s.report === "weekly-engineers").active, false);
});
