// What the browser tests share: the real server on a fresh SQLite database with the demo
// organization, API tokens for setting up what a test is not about, and browser contexts
// signed in through the sign-in page. `start()` in a file's `before`, `stop()` in its `after`;
// `base`, `browser`, `dir` and `env` are live bindings, set by `start()`.
//
// Run: E2E_BIN=<path to the aftersales binary> npm test (in e2e/). (Not AFTERSALES_…: the
// server rejects unknown AFTERSALES_* settings.)

import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = join(here, "artifacts");
export const bin = process.env.E2E_BIN;
export const PASSWORD = "demo1234";

/// A phone: 360 px wide, touch, the page's viewport meta honoured.
export const PHONE = { width: 360, height: 740, mobile: true };

export let server, base, dir, env, browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForHealth(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url + "/healthz");
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the server did not answer /healthz in time");
}

/// The mail the server sent to `smtpSink` (each message's raw text), when started with one.
export const mailbox = [];
let smtpSink;

/// A minimal SMTP server on a free port that keeps every message in `mailbox`: enough for
/// the server's relay (no TLS, no login), so e-mail is switched on as in production.
async function startSmtpSink() {
  smtpSink = createServer((socket) => {
    let data = null;
    let buffer = "";
    socket.write("220 e2e-sink ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let nl;
      while ((nl = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        if (data !== null) {
          if (line === ".") {
            mailbox.push(data.join("\r\n"));
            data = null;
            socket.write("250 2.0.0 kept\r\n");
          } else {
            data.push(line.startsWith("..") ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") socket.write("250-e2e-sink\r\n250 8BITMIME\r\n");
        else if (verb === "DATA") {
          data = [];
          socket.write("354 go on\r\n");
        } else if (verb === "QUIT") {
          socket.end("221 bye\r\n");
        } else socket.write("250 ok\r\n");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => smtpSink.listen(0, "127.0.0.1", resolve));
  return smtpSink.address().port;
}

/// Starts `aftersales serve` on a free port with a fresh data directory, and the browser;
/// `{ smtp: true }` switches e-mail on, delivered to `mailbox`.
export async function start(options = {}) {
  assert.ok(bin, "set E2E_BIN to the aftersales binary");
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "aftersales-e2e-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = { ...process.env, AFTERSALES_LISTEN: `127.0.0.1:${port}`, AFTERSALES_DATA_DIR: join(dir, "data") };
  if (options.smtp === true) {
    const smtpPort = await startSmtpSink();
    Object.assign(env, {
      AFTERSALES_SMTP__HOST: "127.0.0.1",
      AFTERSALES_SMTP__PORT: String(smtpPort),
      AFTERSALES_SMTP__TLS: "none",
      AFTERSALES_SMTP__FROM: "售后服务台 <desk@example.com>",
    });
  }
  server = spawn(bin, ["serve"], { cwd: dir, env, stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise((_, reject) => server.on("exit", (code) => reject(new Error(`the server exited (${code})`))));
  exited.catch(() => {});
  await Promise.race([waitForHealth(base, 120_000), exited]);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export async function stop() {
  await browser?.close();
  smtpSink?.close();
  server?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/// A new API token for `username` (`aftersales token create`).
export function tokenFor(username) {
  const out = execFileSync(bin, ["token", "create", "--username", username], { cwd: dir, env }).toString();
  const token = out.split("\n").map((l) => l.trim()).find((l) => /^as_[0-9a-f]+$/.test(l));
  assert.ok(token, `no token for ${username} in: ${out}`);
  return token;
}

/// One API call as the holder of `token`: the status, the ETag and the JSON body.
export async function call(token, method, path, body, ifMatch) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  const r = await fetch(base + "/api/v1" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return { status: r.status, etag: r.headers.get("etag"), json: text ? JSON.parse(text) : null };
}

/// A step on the ticket by the API, based on the ETag of the last answer; returns the new answer.
export async function transition(token, last, body) {
  return call(token, "POST", `/tickets/${last.json.id ?? last.json.ticket.id}/transitions`, body, last.etag);
}

/// A new browser context (its own cookies) signed in as `username` through the sign-in page.
/// `options` are further context options (permissions, geolocation).
export async function signIn(username, viewport = { width: 1280, height: 900 }, options = {}) {
  const { mobile, ...size } = viewport;
  const device = mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {};
  const context = await browser.newContext({ viewport: size, ...device, locale: "zh-CN", timezoneId: "Asia/Shanghai", ...options });
  const page = await context.newPage();
  page.on("dialog", (d) => {
    throw new Error(`a dialog opened (script ran): ${d.message()}`);
  });
  await page.goto(base + "/board");
  assert.match(page.url(), /\/login\?next=/, "a page asks for sign-in first");
  await page.fill("#username", username);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/board/), page.click("button.primary")]);
  return { context, page };
}

export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/// The page's scroll width: at most the viewport's when nothing overflows sideways.
export async function scrollWidth(page) {
  return page.evaluate(() => document.scrollingElement.scrollWidth);
}

export async function openTicket(page, number) {
  await page.goto(base + "/board");
  await page.fill('input[name="q"]', number);
  await Promise.all([page.waitForURL(/\/tickets\/\d+/), page.press('input[name="q"]', "Enter")]);
  assert.equal((await page.textContent("#ticket-number")).trim(), number);
}

/// Submits a form of the ticket page (after `fill`) and checks the page answers without an error.
export async function step(page, formId, fill = async () => {}) {
  await fill();
  await Promise.all([page.waitForNavigation(), page.click(`${formId} button[type=submit]`)]);
  const err = await page.$("#ticket-error, #error-message");
  assert.equal(err, null, `${formId}: ${err ? await err.textContent() : ""}`);
  assert.match(page.url(), /done=/);
}

/// A ticket of c01.wang's organization for a new in-warranty copier (`serial`), accepted,
/// graded P3, dispatched to eng.zhang and answered by him, through the API. Returns the
/// ticket's last answer (for `transition`), its id and number, and eng.zhang's user record
/// and token.
export async function answeredTicket(serial) {
  const admin = tokenFor("admin");
  const desk = tokenFor("desk1");
  const dispatcher = tokenFor("dispatch1");
  const engineerToken = tokenFor("eng.zhang");
  const me = (await call(tokenFor("c01.wang"), "GET", "/me")).json;
  const device = (
    await call(admin, "POST", "/devices", {
      customer_id: me.customer_id,
      model: "bizhub C300i",
      serial,
      location: "上海市浦东新区张江路 88 号 3 楼财务部",
      purchase_date: "2025-01-01",
      warranty_end: "2099-12-31",
    })
  ).json;
  const category = (await call(desk, "GET", "/categories")).json.find((c) => c.code === "paper_jam" && c.active);
  let last = await call(desk, "POST", "/tickets", {
    customer_id: me.customer_id,
    contact_id: me.contact_id,
    category_id: category.id,
    device_serial: device.serial,
    fault_code: "J-1402",
    description: "复印时纸张在定影单元卡住，面板显示 J-1402",
    occurred_at: new Date(Date.now() - 3 * 3600_000).toISOString(),
    impact_scope: "财务部一台复印机",
  });
  const { id, number } = last.json;
  last = await transition(desk, last, { action: "accept" });
  last = await transition(desk, last, { action: "grade", level: "P3", reason: "单台设备，可临时使用其他设备" });
  const engineer = (await call(desk, "GET", "/users?per_page=200")).json.find((u) => u.username === "eng.zhang");
  last = await transition(dispatcher, last, { action: "dispatch", engineer_id: engineer.id });
  last = await transition(engineerToken, last, { action: "respond" });
  return { last, id, number, engineer, engineerToken };
}
