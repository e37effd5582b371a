// Uploads on the ticket page (issue 14): each chosen file goes on its own request with its
// own idempotency key, one after another, and its state stays on the page (waiting,
// uploading n %, stored, failed with a retry) until the server has it. A retry sends the
// same key, so a file the server kept before the connection dropped is not stored twice.
// Without this script the form posts every file at once.
(function () {
  'use strict';
  var form = document.getElementById('form-attach');
  var queue = document.getElementById('att-queue');
  if (!form || !queue || !window.FormData || !window.XMLHttpRequest) return;

  function word(name) { return form.getAttribute('data-' + name) || name; }
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }
  function value(name) {
    var el = form.elements[name];
    return el ? el.value : '';
  }

  var pending = [];
  var busy = false;

  function next() {
    if (busy) return;
    var item = pending.shift();
    if (!item) return;
    busy = true;
    send(item);
  }

  function show(item, state, detail) {
    item.li.setAttribute('data-state', state);
    item.status.textContent = word(state) + (detail ? ' ' + detail : '');
    item.retry.hidden = state !== 'failed';
  }

  function stored(attachment) {
    var list = document.getElementById('att-list');
    var none = document.getElementById('att-none');
    if (none) none.hidden = true;
    if (!list || !attachment || document.getElementById('att-' + attachment.id)) return;
    var li = document.createElement('li');
    li.id = 'att-' + attachment.id;
    var a = document.createElement('a');
    a.href = '/attachments/' + attachment.id;
    a.className = 'att-name';
    a.textContent = attachment.file_name;
    li.appendChild(a);
    list.appendChild(li);
  }

  function send(item) {
    var data = new FormData();
    data.append('csrf', value('csrf'));
    data.append('visibility', item.visibility);
    data.append('tag', item.tag);
    if (item.log) data.append('log_id', item.log);
    data.append('idempotency_key', item.key);
    data.append('file', item.file, item.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('Accept', 'application/json');
    show(item, 'uploading', '0%');
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) show(item, 'uploading', Math.floor((e.loaded * 100) / e.total) + '%');
    };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) {
        show(item, 'stored');
        if (body && body.items) body.items.forEach(stored);
      } else {
        show(item, 'failed', body && body.error ? body.error.message : String(xhr.status));
      }
      busy = false;
      next();
    };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
      show(item, 'failed', word('network'));
      busy = false;
      next();
    };
    xhr.send(data);
  }

  form.addEventListener('submit', function (ev) {
    var inputs = form.querySelectorAll('input[type=file]');
    var files = [];
    inputs.forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { files.push(f); });
    });
    if (!files.length) return;
    ev.preventDefault();
    files.forEach(function (file) {
      var li = document.createElement('li');
      var name = document.createElement('span');
      name.className = 'att-name';
      name.textContent = file.name + ' ';
      var status = document.createElement('span');
      status.className = 'att-state';
      var retry = document.createElement('button');
      retry.type = 'button';
      retry.textContent = word('retry');
      retry.hidden = true;
      li.appendChild(name);
      li.appendChild(status);
      li.appendChild(retry);
      queue.appendChild(li);
      var item = {
        file: file, key: newKey(), li: li, status: status, retry: retry,
        visibility: value('visibility'), tag: value('tag'), log: value('log_id')
      };
      retry.addEventListener('click', function () {
        show(item, 'waiting');
        pending.push(item);
        next();
      });
      show(item, 'waiting');
      pending.push(item);
    });
    inputs.forEach(function (input) { input.value = ''; });
    next();
  });
})();
