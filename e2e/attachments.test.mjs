// Evidence photos from the engineer's phone in a real browser (issue 14): each file has its
// own state on the page until the server has it; a connection that drops loses nothing
// silently (the file says it failed, and its retry is stored once); an iPhone HEIC photo is
// refused with what to send instead; a photo marked for the customer shows in the portal.
//
// Set up through the API (what the test is not about): `answeredTicket`.
//
// Run: E2E_BIN=<path to the aftersales binary> npm test (in e2e/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { start, stop, base, call, answeredTicket, signIn, shot, scrollWidth, PHONE, artifacts } from "./support.mjs";

before(start);
after(stop);

/// The state the page shows for the queued file `name` (its `data-state`), once it is `want`.
async function settled(page, name, want) {
  const item = page.locator("#att-queue li", { hasText: name });
  await item.waitFor();
  await page.waitForFunction(
    ([n, w]) => [...document.querySelectorAll("#att-queue li")].some((li) => li.textContent.includes(n) && li.dataset.state === w),
    [name, want],
  );
  return item;
}

test("the engineer's photos reach the ticket from a phone, through a dropped connection, once each", async () => {
  const { id, engineer, engineerToken } = await answeredTicket(`E2E-ATT-${randomBytes(3).toString("hex").toUpperCase()}`);

  const phone = await signIn(engineer.username, PHONE);
  const eng = phone.page;
  await eng.goto(`${base}/tickets/${id}#attachments`);
  assert.ok((await scrollWidth(eng)) <= PHONE.width, "the ticket page fits 360 px");
  // A real JPEG, drawn by the browser itself (what a phone camera hands the page).
  const jpeg = Buffer.from(
    await eng.evaluate(
      () =>
        new Promise((resolve) => {
          const c = document.createElement("canvas");
          c.width = 320;
          c.height = 240;
          const g = c.getContext("2d");
          g.fillStyle = "#3a6"; g.fillRect(0, 0, 320, 240);
          g.fillStyle = "#fff"; g.fillRect(40, 60, 240, 120);
          c.toBlob((b) => b.arrayBuffer().then((a) => resolve([...new Uint8Array(a)])), "image/jpeg", 0.9);
        }),
    ),
  );
  assert.equal(jpeg.subarray(0, 3).toString("hex"), "ffd8ff");

  // The connection drops on the first try of the before photo: the page says so and offers
  // a retry; the server kept nothing.
  let dropped = 0;
  await eng.route(`**/tickets/${id}/attachments`, (route) => {
    if (route.request().method() === "POST" && dropped === 0) {
      dropped += 1;
      return route.abort("internetdisconnected");
    }
    return route.continue();
  });
  await eng.selectOption("#att-tag", "before");
  await eng.setInputFiles("#att-camera", [{ name: "before.jpg", mimeType: "image/jpeg", buffer: jpeg }]);
  await eng.click("#att-submit");
  const failed = await settled(eng, "before.jpg", "failed");
  assert.match(await failed.textContent(), /上传失败/);
  assert.match(await failed.textContent(), /网络中断/);
  assert.equal((await call(engineerToken, "GET", `/tickets/${id}/attachments`)).json.length, 0, "nothing kept yet");
  await shot(eng, "attachments-01-dropped");
  await failed.locator("button").click();
  await settled(eng, "before.jpg", "stored");

  // An iPhone photo in HEIC: refused, saying what to send; a customer-visible JPEG is kept.
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypheic"), Buffer.alloc(64, 1)]);
  await eng.selectOption("#att-visibility", "customer");
  await eng.selectOption("#att-tag", "after");
  await eng.setInputFiles("#att-camera", [
    { name: "IMG_0001.HEIC", mimeType: "image/heic", buffer: heic },
    { name: "after.jpg", mimeType: "image/jpeg", buffer: jpeg },
  ]);
  await eng.click("#att-submit");
  const heicItem = await settled(eng, "IMG_0001.HEIC", "failed");
  assert.match(await heicItem.textContent(), /JPEG 或 PNG/);
  await settled(eng, "after.jpg", "stored");
  assert.ok((await scrollWidth(eng)) <= PHONE.width, "the queue fits 360 px");
  await shot(eng, "attachments-02-stored");

  // Once each, whatever the network did: two files on the ticket.
  const kept = (await call(engineerToken, "GET", `/tickets/${id}/attachments`)).json;
  assert.deepEqual(kept.map((a) => [a.file_name, a.tag, a.visibility]).sort(), [
    ["after.jpg", "after", "customer"],
    ["before.jpg", "before", "internal"],
  ]);
  await eng.reload();
  assert.equal(await eng.locator("#att-list li").count(), 2);
  assert.equal(await eng.locator("#att-list img.att-thumb").count(), 2, "each photo has its thumbnail");

  // The customer sees the photo meant for them, not the internal one.
  const portal = await signIn("c01.wang");
  await portal.page.goto(`${base}/tickets/${id}`);
  const shown = await portal.page.textContent("body");
  assert.match(shown, /after\.jpg/);
  assert.doesNotMatch(shown, /before\.jpg/);
  await shot(portal.page, "attachments-03-portal");

  // A photo sent with a work log entry shows under that entry, on a 360 px phone too.
  const entry = (
    await call(engineerToken, "POST", `/tickets/${id}/worklog`, { kind: "progress", body: "已更换搓纸轮，试印 50 张正常" })
  ).json;
  await eng.goto(`${base}/tickets/${id}`);
  await eng.selectOption("#att-log", String(entry.id));
  await eng.selectOption("#att-visibility", "customer");
  await eng.setInputFiles("#att-camera", [{ name: "试印.jpg", mimeType: "image/jpeg", buffer: jpeg }]);
  await eng.click("#att-submit");
  await settled(eng, "试印.jpg", "stored");
  await eng.reload();
  const logFiles = eng.locator(`[data-log-files="${entry.id}"]`);
  await logFiles.scrollIntoViewIfNeeded();
  assert.match(await logFiles.textContent(), /试印\.jpg/);
  assert.equal(await logFiles.locator("img").count(), 1, "the entry's photo has its thumbnail");
  // The thumbnail is lazy: it loads once scrolled into view, so wait for it to finish.
  const loaded = await logFiles.locator("img").evaluate(
    (img) =>
      new Promise((done) => {
        if (img.complete && img.naturalWidth > 0) return done(true);
        img.addEventListener("load", () => done(img.naturalWidth > 0));
        img.addEventListener("error", () => done(false));
        setTimeout(() => done(img.complete && img.naturalWidth > 0), 10000);
      }),
  );
  assert.ok(loaded, "the thumbnail loads");
  assert.ok((await scrollWidth(eng)) <= PHONE.width, "the work log with files fits 360 px");
  await shot(eng, "attachments-04-work-log");
  await logFiles.locator("xpath=ancestor::section[1]").screenshot({ path: join(artifacts, "attachments-05-work-log-entry.png") });
  await portal.page.reload();
  assert.match(await portal.page.locator(`[data-log-files="${entry.id}"]`).textContent(), /试印\.jpg/);

  // The engineer withdraws the before photo with a reason: gone from the page, said in the history.
  const beforeId = kept.find((a) => a.file_name === "before.jpg").id;
  await eng.goto(`${base}/tickets/${id}?withdraw`);
  await eng.click(`#withdraw-${beforeId} summary`);
  await eng.fill(`#withdraw-reason-${beforeId}`, "拍错了设备");
  await eng.click(`#withdraw-${beforeId} button[type=submit]`);
  await eng.waitForURL(/done=withdrawn/);
  assert.equal(await eng.locator(`#att-${beforeId}`).count(), 0);
  assert.match(await eng.textContent("#timeline"), /撤回附件[\s\S]*拍错了设备/);
  await portal.context.close();
  await phone.context.close();
});
