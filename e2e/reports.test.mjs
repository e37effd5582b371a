// The management reports in a real browser (issue 15): the data specialist opens the weekly
// table (每周报修事件分析表) from the menu for the last 30 days, drills into an engineer's
// response timeouts and lands on the list of exactly those tickets (and takes that list as
// an Excel file, which holds the same tickets), then downloads the report's Excel
// file, which the test opens (exceljs) and checks against the screen: the engineer's number,
// a real number cell, the totals row.
//
// Run: E2E_BIN=<path to the aftersales binary> npm test (in e2e/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { start, stop, base, artifacts, signIn, shot } from "./support.mjs";

before(start);
after(stop);

/// A Shanghai date `days` from today (`YYYY-MM-DD`).
function shanghaiDay(days = 0) {
  return new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

test("the data specialist drills into an engineer's response timeouts and checks the Excel file", async () => {
  const { page } = await signIn("data1");
  await Promise.all([page.waitForURL(/\/reporting/), page.click("#nav-reporting")]);
  await Promise.all([page.waitForURL(/\/reporting\/weekly-engineers/), page.click('#report-menu a[href="/reporting/weekly-engineers"]')]);
  await page.fill("#from", shanghaiDay(-30));
  await page.fill("#to", shanghaiDay(0));
  await Promise.all([page.waitForURL(/from=/), page.click('#report-period button[type="submit"]')]);
  assert.equal(await page.innerText("#report-title"), "每周报修事件分析表");
  await shot(page, "reports-weekly");

  // The response-timeout column, and an engineer with some.
  const table = page.locator("#sheet-0 table");
  const headers = await table.locator("thead th").allInnerTexts();
  const col = headers.findIndex((h) => h.trim() === "响应超时次数");
  assert.ok(col > 0, `a 响应超时次数 column: ${headers}`);
  const rows = await table.locator("tbody tr").all();
  let engineer, count, link;
  for (const row of rows) {
    const cell = row.locator("td").nth(col);
    const n = Number((await cell.innerText()).trim());
    if (n > 0 && (await cell.locator("a").count()) === 1) {
      engineer = (await row.locator("td").first().innerText()).trim();
      count = n;
      link = cell.locator("a");
      break;
    }
  }
  assert.ok(engineer, "the demo has an engineer with response timeouts in the last 30 days");
  const totals = (await table.locator("tfoot td").allInnerTexts()).map((t) => t.trim());

  // Drill down: the tickets behind the number, each a link to its ticket.
  await Promise.all([page.waitForURL(/\/reporting\/cell/), link.click()]);
  const listed = await page.locator("#cell-tickets tbody tr").count();
  assert.equal(listed, count, `${count} response timeouts of ${engineer}, ${listed} tickets listed`);
  assert.match(await page.innerText("#cell-title"), /响应超时/);
  await shot(page, "reports-drill-down");
  const numbers = (await page.locator("#cell-tickets tbody tr td:first-child").allInnerTexts()).map((t) => t.trim());

  // The whole list as Excel: exactly the tickets on screen, in the same order.
  const [whole] = await Promise.all([page.waitForEvent("download"), page.click("#cell-export-xlsx")]);
  assert.match(whole.suggestedFilename(), /响应超时.*\.xlsx$/);
  const wholeFile = join(artifacts, "drill-down.xlsx");
  await whole.saveAs(wholeFile);
  const list = new ExcelJS.Workbook();
  await list.xlsx.readFile(wholeFile);
  const ls = list.worksheets[0];
  let head;
  ls.eachRow((row, i) => {
    if (head === undefined && row.getCell(1).value === "工单编号") head = i;
  });
  assert.ok(head, "the list's header row");
  const inFile = [];
  ls.eachRow((row, i) => {
    if (i > head) inFile.push(String(row.getCell(1).value));
  });
  assert.deepEqual(inFile, numbers, "the file lists the tickets behind the number");
  assert.ok(ls.getRow(head + 1).getCell(7).value instanceof Date, "the dispatch time is a real date");
  await page.goBack();

  // The Excel file: the same numbers, as numbers.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-xlsx")]);
  assert.match(download.suggestedFilename(), /\.xlsx$/);
  const file = join(artifacts, "weekly.xlsx");
  await download.saveAs(file);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(file);
  const sheet = book.worksheets[0];
  let headerRow;
  sheet.eachRow((row, i) => {
    if (headerRow === undefined && row.values.some((v) => v === "响应超时次数")) headerRow = i;
  });
  assert.ok(headerRow, "the header row is in the file");
  const xcol = sheet.getRow(headerRow).values.findIndex((v) => v === "响应超时次数");
  let found, totalRow;
  sheet.eachRow((row, i) => {
    if (i <= headerRow) return;
    if (row.getCell(1).value === engineer) found = row.getCell(xcol).value;
    if (row.getCell(1).value === "合计") totalRow = row;
  });
  assert.equal(found, count, "the engineer's response timeouts in Excel, as a number");
  assert.equal(typeof found, "number");
  assert.ok(totalRow, "the totals row");
  assert.equal(totalRow.getCell(xcol).value, Number(totals[col]), "the totals equal the screen's");
  assert.equal(sheet.views[0]?.state, "frozen", "the header stays in view");
});

test("the supervisor changes the weights, the desk's amounts and the callback week on the settings page", async () => {
  const { page } = await signIn("supervisor1");
  await page.goto(`${base}/reporting/weekly-engineers`);
  await Promise.all([page.waitForURL(/\/reporting\/settings/), page.click("#report-settings-link")]);
  assert.equal(await page.isChecked("#colour_second_line_blue"), true, "seed 004's blue counters by default");
  await page.check("#colour_response_timeout_red");
  await page.fill("#dispatch_yuan", "80");
  await page.fill("#management_days", "5");
  await Promise.all([page.waitForURL(/saved=1/), page.click('#report-settings button[type="submit"]')]);
  assert.match(await page.innerText("#settings-saved"), /已保存/);
  assert.equal(await page.inputValue("#dispatch_yuan"), "80");
  assert.equal(await page.inputValue("#management_days"), "5");
  assert.equal(await page.isChecked("#colour_response_timeout_red"), true);
  await shot(page, "reports-settings");
  // The weekly table states the weights it used.
  await page.goto(`${base}/reporting/weekly-engineers`);
  assert.match(await page.innerText("#sheet-0"), /红色：响应超时次数/);
});
