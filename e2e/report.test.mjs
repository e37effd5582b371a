// The service report in a real browser (issue 14): the engineer hands a 360 px phone to the
// customer, who signs by drawing on the canvas; the ticket closes by signature; then the
// customer's contact downloads the signed PDF in the portal.
//
// Set up through the API (what the test is not about): a copier of c01.wang's organization
// in warranty, a ticket for it accepted, graded, dispatched to eng.zhang, answered, a visit
// booked and checked in (only the engineer on site records a signature on the phone),
// started and resolved by him, and the report's first version made.
//
// Run: E2E_BIN=<path to the aftersales binary> npm test (in e2e/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { start, stop, base, artifacts, tokenFor, call, transition, answeredTicket, signIn, shot, scrollWidth, PHONE } from "./support.mjs";

/// Today's date in Shanghai (`YYYY-MM-DD`), `days` later.
function shanghaiDay(days = 0) {
  return new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

before(start);
after(stop);

test("the customer signs the service report on the engineer's phone and downloads it in the portal", async () => {
  const desk = tokenFor("desk1");
  let { last, id, number, engineer, engineerToken } = await answeredTicket(
    `E2E-REPORT-${randomBytes(3).toString("hex").toUpperCase()}`,
  );
  // On site: a visit whose window starts in two minutes (on duty, so it holds at any hour),
  // checked in by the engineer.
  const dispatcher = tokenFor("dispatch1");
  await call(dispatcher, "PUT", `/engineers/${engineer.id}/days`, { from: shanghaiDay(0), to: shanghaiDay(1), kind: "duty", note: "浏览器测试" });
  const windowStart = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
  const booked = (
    await call(dispatcher, "POST", `/tickets/${id}/visits`, {
      engineer_id: engineer.id,
      window_start: windowStart.toISOString().replace(/\.\d{3}Z$/, "Z"),
      duration_minutes: 60,
      travel_minutes: 0,
    })
  ).json;
  const visit = booked.visit ?? booked;
  await call(engineerToken, "POST", `/visits/${visit.id}/check-in`, { version: visit.version });
  last = await call(desk, "GET", `/tickets/${id}`);
  last = await transition(engineerToken, last, { action: "start" });
  last = await transition(engineerToken, last, { action: "resolve", resolution: "清洁定影单元纸路，更换搓纸轮，连续复印 100 张无卡纸" });
  const report = (await call(engineerToken, "POST", `/tickets/${id}/reports`, { photo_ids: [] })).json;
  assert.equal(report.status, "draft");

  // --- The engineer's phone: the ticket page's report section, then the signing page ---
  const phone = await signIn(engineer.username, PHONE);
  const eng = phone.page;
  await eng.goto(`${base}/tickets/${id}#report`);
  assert.match(await eng.textContent("#report"), /待签字/);
  await Promise.all([eng.waitForURL(/\/reports\/\d+\/sign/), eng.click("#report-sign-link")]);
  assert.ok((await scrollWidth(eng)) <= PHONE.width, "the signing page fits 360 px");
  await eng.fill("#sign-name", "王主任");
  await eng.selectOption("#sign-relationship", { label: "设备负责人" });
  // Nothing drawn: the page asks for a signature and sends nothing.
  await eng.click("#sign-submit");
  assert.equal(await eng.isVisible("#sign-empty"), true, "an empty signature is not sent");
  assert.match(eng.url(), /\/sign$/);
  // The customer draws a signature with a finger (pointer events from touch and mouse).
  const box = await eng.locator("#sign-pad").boundingBox();
  await eng.mouse.move(box.x + 20, box.y + box.height / 2);
  await eng.mouse.down();
  for (let i = 1; i <= 30; i++) {
    await eng.mouse.move(box.x + 20 + i * ((box.width - 40) / 30), box.y + box.height / 2 + Math.sin(i / 3) * 30);
  }
  await eng.mouse.up();
  await shot(eng, "report-01-signing");
  await Promise.all([eng.waitForURL(/\/tickets\/\d+\?done=report_signed/), eng.click("#sign-submit")]);
  const section = await eng.textContent("#report");
  assert.match(section, /已签字/);
  assert.match(section, /王主任/);
  assert.ok((await scrollWidth(eng)) <= PHONE.width, "the ticket page fits 360 px");
  await shot(eng, "report-02-signed");
  const ticket = (await call(desk, "GET", `/tickets/${id}`)).json;
  assert.equal(ticket.status, "closed");
  assert.equal(ticket.closure_method, "signature");

  // --- The customer's contact downloads the signed report in the portal ---
  const portal = await signIn("c01.wang");
  const c = portal.page;
  await c.goto(`${base}/tickets/${id}`);
  assert.match(await c.textContent("#report"), /已签字/);
  const [download] = await Promise.all([c.waitForEvent("download"), c.click("#report-pdf-1")]);
  assert.match(download.suggestedFilename(), new RegExp(`${number}-v1\\.pdf$`));
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 5).toString(), "%PDF-");
  copyFileSync(await download.path(), join(artifacts, "report-signed.pdf"));
  await shot(c, "report-03-portal");
  await phone.context.close();
  await portal.context.close();
});
