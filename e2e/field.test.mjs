// Field work in a real browser (issue 13): the engineer on a 360 px phone opens a logistics
// work order for a replacement unit, checks in, requests a part that the warehouse issues,
// uses it, writes the quote that the customer approves in the portal, and checks out.
//
// What the test is not about is set up through the API: an out-of-warranty copier of
// c01.wang's organization, a ticket for it accepted, graded and dispatched to eng.zhang, and
// a visit booked for him today whose window starts in a minute or two. The rules fix the
// order: parts are requested on a ticket the engineer has answered (responded or later);
// out of warranty, the start step waits for the customer's approval of the quote; a
// requisition above the approval threshold (500 元) waits for the supervisor (API), then the
// parts keeper issues it from the central warehouse; the part is used on the started ticket.
// Screenshots of each step go to e2e/artifacts/field-*.png.
//
// Run: E2E_BIN=<path to the aftersales binary> npm test (in e2e/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { start, stop, base, tokenFor, call, transition, signIn, shot, step, scrollWidth, PHONE } from "./support.mjs";

before(start);
after(stop);

/// The phone's position, kept as evidence of check-in and check-out (staff only).
const GEO = { latitude: 31.230416, longitude: 121.473701, accuracy: 12 };
/// The part: a drum unit, serial-tracked, for the bizhub family; 520 元, above the threshold.
const PART = { number: "A95W-0RD-K", name: "感光鼓组件" };
/// Codes a person should never read on a page.
const RAW = /\b(in_progress|on_site|booked|pending|approved|issued|responded|dispatched|out_of_warranty|waiting_parts|logistics|labour)\b/;

/// A day in Shanghai as `YYYY-MM-DD`, `days` after today.
function shanghaiDay(days = 0) {
  return new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/// The visible text of the page's body (what a person reads; no hidden fields).
async function visible(page) {
  return page.evaluate(() => document.body.innerText);
}

/// Asserts the page fits the phone and shows no raw codes.
async function phoneReadable(page, what) {
  const width = await scrollWidth(page);
  assert.ok(width <= PHONE.width, `${what} fits 360 px (scroll width ${width})`);
  const text = await visible(page);
  const raw = text.match(RAW);
  assert.equal(raw, null, `${what} shows a raw code: ${raw?.[0]}`);
}

test("the engineer's field work on a phone: visit, work order, quote approved in the portal, part issued and used", async () => {
  const admin = tokenFor("admin");
  const desk = tokenFor("desk1");
  const dispatcher = tokenFor("dispatch1");
  const supervisor = tokenFor("supervisor1");
  const customer = tokenFor("c01.wang");
  const suffix = randomBytes(3).toString("hex").toUpperCase();

  // --- Setup by the API -------------------------------------------------------------------
  // A copier of c01.wang's organization whose warranty ended last year.
  const me = (await call(customer, "GET", "/me")).json;
  const device = (
    await call(admin, "POST", "/devices", {
      customer_id: me.customer_id,
      model: "bizhub C300i",
      serial: `E2E-FIELD-${suffix}`,
      location: "上海市浦东新区张江路 88 号 3 楼财务部",
      purchase_date: "2022-03-01",
      warranty_end: "2025-02-28",
    })
  ).json;
  const category = (await call(desk, "GET", "/categories")).json.find((c) => c.code === "paper_jam" && c.active);
  assert.ok(category, "the paper-jam category");
  let last = await call(desk, "POST", "/tickets", {
    customer_id: me.customer_id,
    contact_id: me.contact_id,
    category_id: category.id,
    device_serial: device.serial,
    fault_code: "C-2557",
    description: "开机后面板报警 C-2557，复印件整页发黑，重启无效",
    occurred_at: new Date(Date.now() - 3 * 3600_000).toISOString(),
    impact_scope: "财务部唯一一台复印机无法使用",
  });
  const { id, number } = last.json;
  last = await transition(desk, last, { action: "accept" });
  last = await transition(desk, last, { action: "grade", level: "P2", reason: "单台设备故障，影响部门日常工作" });
  const users = (await call(desk, "GET", "/users?per_page=200")).json;
  const engineer = users.find((u) => u.username === "eng.zhang");
  const logistics = users.find((u) => u.username === "logistics1");
  assert.ok(engineer && logistics, "eng.zhang and logistics1 in the demo");
  last = await transition(dispatcher, last, { action: "dispatch", engineer_id: engineer.id });
  // Today (and tomorrow, should the window cross midnight) on duty, so the booking holds at
  // whatever hour the test runs; then a visit whose window starts in two minutes.
  await call(dispatcher, "PUT", `/engineers/${engineer.id}/days`, { from: shanghaiDay(0), to: shanghaiDay(1), kind: "duty", note: "浏览器测试" });
  const windowStart = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
  const visit = (
    await call(dispatcher, "POST", `/tickets/${id}/visits`, {
      engineer_id: engineer.id,
      window_start: windowStart.toISOString().replace(/\.\d{3}Z$/, "Z"),
      duration_minutes: 90,
      travel_minutes: 0,
    })
  ).json;
  const visitId = visit.id ?? visit.visit?.id;
  assert.ok(visitId, `the visit booked: ${JSON.stringify(visit)}`);

  // --- The engineer, on a 360 px phone ---------------------------------------------------
  const phone = await signIn(engineer.username, PHONE, { permissions: ["geolocation"], geolocation: GEO });
  const eng = phone.page;
  // 今日上门: the visit in order, with the customer, address, contact (tap to call) and device.
  await Promise.all([eng.waitForURL(/\/visits\/today/), eng.click("#nav-today")]);
  const card = eng.locator(`#visit-${visitId}`);
  await card.waitFor();
  const cardText = await card.innerText();
  assert.ok(cardText.includes(number), `the visit names ${number}: ${cardText}`);
  assert.ok(cardText.includes("张江路 88 号"), "the address is the device's location");
  assert.ok(cardText.includes("bizhub C300i") && cardText.includes(device.serial), "the device");
  assert.match(await card.locator(".status").innerText(), /已预约/);
  assert.ok((await card.locator("a.tel").getAttribute("href")).startsWith("tel:"), "the contact is a tap to call");
  await phoneReadable(eng, "today's visits");
  await shot(eng, "field-01-today-booked");

  // 签到 (the browser gives its position; the form waits for it).
  await Promise.all([eng.waitForURL(/\/visits\/today\?done=/), card.locator(`#check-in-${visitId}`).click()]);
  assert.match(await eng.textContent("#today-message"), /已签到/);
  assert.match(await card.locator(".status").innerText(), /已到场/);
  assert.match(await card.innerText(), /到场\s*\d{2}:\d{2}\s*·\s*准时/);
  await phoneReadable(eng, "today's visits after check-in");
  await shot(eng, "field-02-checked-in");

  // The ticket page, from the visit; the engineer answers the ticket (responded).
  await Promise.all([eng.waitForURL(new RegExp(`/tickets/${id}`)), card.locator(`a[href="/tickets/${id}"]`).click()]);
  assert.equal((await eng.textContent("#ticket-number")).trim(), number);
  assert.match(await eng.textContent("#fees-warranty"), /过保/);
  await step(eng, "#form-respond");

  // A logistics work order: a replacement unit, owned by 韩冬 of 物流, due tomorrow.
  const needed = `更换整机：发一台同型号 bizhub C300i 整机到客户现场，旧机返厂检测 ${suffix}`;
  await step(eng, "#form-work-order", async () => {
    await eng.selectOption("#wo-department", { label: "物流" });
    await eng.selectOption("#wo-owner", { label: logistics.display_name });
    await eng.fill("#wo-needed", needed);
    await eng.fill("#wo-resources", "整机装箱单\n旧机返厂单");
    await eng.fill("#wo-deadline", `${shanghaiDay(1)}T17:00`);
  });
  const order = eng.locator("#work-orders article.work-order", { hasText: needed });
  assert.equal(await order.count(), 1, "the work order is listed");
  assert.match(await order.locator("h3").innerText(), new RegExp(`物流 · ${logistics.display_name}`));
  await phoneReadable(eng, "the ticket page with its work order");
  await shot(eng, "field-03-work-order");

  // The quote: the part and the labour. Out of warranty, the start waits for the customer.
  assert.match(await eng.textContent("#fees-start"), /客户/);
  assert.ok(await eng.isVisible("#form-quote"), "the quote editor is open on an out-of-warranty ticket");
  await step(eng, "#form-quote", async () => {
    await eng.selectOption("#line-0-kind", "part");
    await eng.fill("#line-0-description", PART.name);
    await eng.fill("#line-0-part", PART.number);
    await eng.fill("#line-0-quantity", "1");
    await eng.fill("#line-0-price", "520.00");
    await eng.selectOption("#line-1-kind", "labour");
    await eng.fill("#line-1-description", "上门更换感光鼓及整机调试");
    await eng.fill("#line-1-quantity", "1");
    await eng.fill("#line-1-price", "180.00");
    await eng.fill("#quote-note", `内部：按二类客户工时价 ${suffix}`);
  });
  assert.match(await eng.textContent("#fees-quote"), /待客户确认/);
  assert.match(await eng.textContent("#fees-total"), /791\.00/); // (520 + 180) × 1.13
  await phoneReadable(eng, "the ticket page with its quote");
  await shot(eng, "field-04-quote-sent");

  // 申领 the part.
  await step(eng, "#form-requisition", async () => {
    const value = await eng.$eval("#req-part", (s, n) => [...s.options].find((o) => o.textContent.includes(n))?.value, PART.number);
    assert.ok(value, `${PART.number} is offered for this model`);
    await eng.selectOption("#req-part", value);
    await eng.fill("#req-qty", "1");
    await eng.fill("#req-note", "感光鼓划伤，复印件整页发黑");
  });
  const requisition = eng.locator("#parts [id^=requisition-]", { hasText: PART.number });
  assert.equal(await requisition.count(), 1, "the requisition is listed on the ticket");
  const reqId = Number((await requisition.getAttribute("id")).replace("requisition-", ""));
  assert.match(await requisition.locator(".status").innerText(), /待审批/, "520 元 is above the threshold");
  await phoneReadable(eng, "the ticket page with its requisition");
  await shot(eng, "field-05-part-requested");

  // The supervisor approves it (not the point of this test: by the API).
  await call(supervisor, "POST", `/requisitions/${reqId}/decision`, { approve: true, note: "过保收费，报价待客户确认" });

  // --- The customer contact approves the quote in the portal ------------------------------
  const contact = await signIn("c01.wang", PHONE);
  const cust = contact.page;
  await cust.goto(base + `/tickets/${id}`);
  assert.equal((await cust.textContent("#ticket-number")).trim(), number);
  assert.match(await cust.textContent("#fees-quote"), /待客户确认/);
  assert.match(await cust.textContent("#fees-total"), /791\.00/);
  const lines = await cust.locator("#fees table.quote tbody").innerText();
  assert.ok(lines.includes(PART.name) && lines.includes("520.00") && lines.includes("180.00"), lines);
  await phoneReadable(cust, "the customer's request with a quote");
  await shot(cust, "field-06-portal-quote");
  await Promise.all([cust.waitForURL(/done=/), cust.click("#form-quote-approve button[type=submit]")]);
  assert.match(await cust.textContent("#fees-quote"), /已确认/);
  assert.equal(await cust.$("#form-quote-approve"), null, "approved once, no second button");
  // Nothing internal: no work order, no warehouse or stock, no requisition, no position,
  // no internal note of the quote.
  const seen = await visible(cust);
  for (const internal of [needed, "二类客户工时价", "协作工单", "物流", "中心库", "车载库存", "库存", "申领", "待审批", String(GEO.latitude).slice(0, 5), String(GEO.longitude).slice(0, 6)]) {
    assert.ok(!seen.includes(internal), `the customer does not see “${internal}”`);
  }
  assert.equal(await cust.$("#work-orders, #form-requisition, #dispatch-suggestion"), null);
  await phoneReadable(cust, "the customer's request after approval");
  await shot(cust, "field-07-portal-approved");

  // --- The parts keeper issues it from the central warehouse ------------------------------
  const keeper = await signIn("keeper1");
  await keeper.page.goto(base + "/parts?status=approved");
  const row = keeper.page.locator(`#requisition-${reqId}`);
  assert.ok((await row.innerText()).includes(number), "the requisition names the ticket");
  await keeper.page.selectOption(`#wh-${reqId}`, { label: "中心库" });
  await Promise.all([keeper.page.waitForURL(/\/parts\?status=issued/), row.locator("button[type=submit]").click()]);
  assert.equal(await keeper.page.$("#parts-error"), null);
  assert.match(await keeper.page.locator(`#requisition-${reqId} .status`).innerText(), /已发放/);
  await shot(keeper.page, "field-08-keeper-issued");

  // --- The engineer starts, uses the part, and checks out ---------------------------------
  await eng.goto(base + `/tickets/${id}`);
  assert.match(await eng.textContent("#fees-start"), /客户已确认，可以开始处理/);
  await step(eng, "#form-start", () => eng.fill("#start-plan", "更换感光鼓组件；整机待物流到货后更换"));
  const newSerial = `A95W${suffix}01`;
  const faultySerial = `A95W${suffix}99`;
  await step(eng, `#form-use-${reqId}`, async () => {
    await eng.fill(`#use-qty-${reqId}`, "1");
    await eng.fill(`#use-serial-${reqId}`, newSerial);
    await eng.fill(`#use-faulty-${reqId}`, faultySerial);
  });
  const used = await eng.locator("#parts-used").innerText();
  assert.ok(used.includes(PART.number) && used.includes(newSerial) && used.includes(faultySerial), used);
  await phoneReadable(eng, "the ticket page with the part used");
  await shot(eng, "field-09-part-used");

  await Promise.all([eng.waitForURL(/\/visits\/today/), eng.click("#nav-today")]);
  await eng.fill(`#note-${visitId}`, "已更换感光鼓组件，试印 50 张正常；整机更换另行安排");
  await Promise.all([eng.waitForURL(/\/visits\/today\?done=/), eng.click(`#check-out-${visitId}`)]);
  assert.match(await eng.textContent("#today-message"), /已签退/);
  const done = eng.locator(`#visit-${visitId}`);
  assert.match(await done.locator(".status").innerText(), /已完成/);
  assert.match(await done.innerText(), /离场\s*\d{2}:\d{2}/);
  await phoneReadable(eng, "today's visits after check-out");
  await shot(eng, "field-10-checked-out");

  // The ticket page tells the whole visit: on time, arrived and on site; the part used; the
  // approved quote; the work order.
  await eng.goto(base + `/tickets/${id}`);
  const visitRow = await eng.locator(`#visits #visit-${visitId}`).innerText();
  assert.match(visitRow, /已完成/);
  assert.match(visitRow, /准时/);
  assert.match(visitRow, /到场 \d{2}:\d{2}/);
  assert.match(visitRow, /现场/);
  assert.ok((await eng.locator("#parts-used").innerText()).includes(newSerial));
  assert.match(await eng.textContent("#fees-quote"), /已确认/);
  assert.match(await eng.textContent("#fees"), /门户确认/);
  assert.equal(await order.count(), 1, "the work order stays on the ticket");
  await phoneReadable(eng, "the ticket page at the end");
  await shot(eng, "field-11-ticket-after-visit");

  // The customer reads the part replaced and the visit, without serials or the geo.
  await cust.goto(base + `/tickets/${id}`);
  const custParts = await cust.locator("#parts-used").innerText();
  assert.ok(custParts.includes(PART.name), custParts);
  assert.ok(!custParts.includes(newSerial) && !custParts.includes(faultySerial), "no serials for the customer");
  assert.match(await cust.locator("#visits").innerText(), /已完成/);
  const after = await visible(cust);
  assert.ok(!after.includes(needed) && !after.includes("中心库"), "still nothing internal");
  await phoneReadable(cust, "the customer's request at the end");
  await shot(cust, "field-12-portal-after-visit");

  for (const s of [phone, contact, keeper]) await s.context.close();
});
