// aftersales web console: the little script the pages use. Everything works without it;
// with it, deadlines count down live and turn colour when they come due.
"use strict";
(function () {
  var zh = (document.documentElement.lang || "zh-CN").indexOf("zh") === 0;
  function span(minutes) {
    var m = Math.abs(minutes), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), r = m % 60, out = "";
    if (zh) {
      if (d) out += d + "天";
      if (d || h) out += h + "小时";
      return out + r + "分";
    }
    if (d) out += d + "d ";
    if (d || h) out += h + "h ";
    return out + r + "m";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown[datetime]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) return;
      var left = Math.floor((due - now) / 60000);
      el.textContent = left >= 0 ? (zh ? "剩余 " : "left ") + span(left) : (zh ? "已超时 " : "overdue by ") + span(left);
      var row = el.closest("tr");
      if (row && (row.classList.contains("ok") || row.classList.contains("soon") || row.classList.contains("late"))) {
        row.classList.remove("ok", "soon", "late");
        row.classList.add(left < 0 ? "late" : left <= 60 ? "soon" : "ok");
      }
    });
  }
  // Check-in and check-out forms (data-geo) carry the phone's position as evidence when the
  // browser gives one within a few seconds; without it the form is sent as it is.
  function geo(form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.located || !navigator.geolocation) return;
      ev.preventDefault();
      var send = function () { form.dataset.located = "1"; form.submit(); };
      navigator.geolocation.getCurrentPosition(function (p) {
        form.elements.lat.value = p.coords.latitude;
        form.elements.lon.value = p.coords.longitude;
        form.elements.accuracy.value = p.coords.accuracy;
        send();
      }, send, { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 });
    });
  }
  // The service report's signing pad (canvas[data-signature]): pointer events draw with a
  // finger, a pen or a mouse; the form sends the drawing as a PNG data URL, and is not sent
  // while nothing is drawn.
  function pad(canvas) {
    var form = canvas.closest("form"), out = document.getElementById(canvas.dataset.signature);
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false, last = null;
    function fit() {
      var r = canvas.getBoundingClientRect(), k = window.devicePixelRatio || 1;
      canvas.width = Math.round(r.width * k);
      canvas.height = Math.round(r.height * k);
      ctx.setTransform(k, 0, 0, k, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      drawn = false;
    }
    function at(ev) {
      var r = canvas.getBoundingClientRect();
      return { x: ev.clientX - r.left, y: ev.clientY - r.top };
    }
    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault();
      canvas.setPointerCapture(ev.pointerId);
      drawing = true;
      last = at(ev);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1, 0, 2 * Math.PI);
      ctx.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) return;
      ev.preventDefault();
      var p = at(ev);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) {
      canvas.addEventListener(t, function () { drawing = false; });
    });
    var clear = document.getElementById("sign-clear");
    if (clear) clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });
    form.addEventListener("submit", function (ev) {
      var empty = document.getElementById("sign-empty");
      if (!drawn) {
        ev.preventDefault();
        if (empty) empty.hidden = false;
        return;
      }
      out.value = canvas.toDataURL("image/png");
    });
    fit();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-signature]").forEach(pad);
    tick();
    setInterval(tick, 30000);
    document.querySelectorAll("form[data-geo]").forEach(geo);
  });
})();
