// The HTTP API (/v1) as the page uses it: an optional bearer key, problem+json errors,
// an upload with progress, and Server-Sent Events read from a fetch() body.
"use strict";

const DubApi = (() => {
  const KEY_STORE = "dub.apiKey";

  function key() {
    return localStorage.getItem(KEY_STORE) || "";
  }

  function setKey(value) {
    if (value) localStorage.setItem(KEY_STORE, value);
    else localStorage.removeItem(KEY_STORE);
  }

  // Headers for every request: Authorization only when a key is set.
  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const k = key();
    if (k) h.Authorization = "Bearer " + k;
    return h;
  }

  // An Error carrying the problem's `detail` (or whatever the answer had to say).
  function problem(status, text) {
    let message = text ? text.trim().split("\n")[0] : "";
    try {
      const body = JSON.parse(text);
      message = body.detail || body.title || message;
    } catch (_) { /* not JSON: keep the text */ }
    const err = new Error(message || "HTTP " + status);
    err.status = status;
    return err;
  }

  async function request(method, path, body) {
    const init = { method, headers: headers({ Accept: "application/json" }) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (exc) {
      throw new Error("The API cannot be reached: " + exc.message);
    }
    const text = await resp.text();
    if (!resp.ok) throw problem(resp.status, text);
    return text ? JSON.parse(text) : null;
  }

  // POST /v1/dubs as multipart/form-data, reporting upload progress (0..100).
  function upload(fields, file, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/dubs");
      const h = headers({ Accept: "application/json" });
      for (const [name, value] of Object.entries(h)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress((100 * e.loaded) / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(100);
          try { resolve(JSON.parse(xhr.responseText)); } catch (exc) { reject(exc); }
        } else {
          reject(problem(xhr.status, xhr.responseText));
        }
      };
      xhr.onerror = () => reject(new Error("The upload failed: the API cannot be reached"));
      xhr.onabort = () => reject(new Error("The upload was aborted"));
      xhr.send(form);
    });
  }

  // Split a text/event-stream into events: {event, data} with the data lines joined.
  function parseBlock(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    return data.length ? { event, data: data.join("\n") } : null;
  }

  // GET /v1/dubs/{id}/events; onEvent(name, parsedData) per event. Resolves when the
  // stream closes; `signal` aborts it.
  async function events(id, onEvent, signal) {
    const resp = await fetch("/v1/dubs/" + encodeURIComponent(id) + "/events", {
      headers: headers({ Accept: "text/event-stream" }), signal,
    });
    if (!resp.ok) throw problem(resp.status, await resp.text());
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let pending = "";  // a trailing "\r" may be the first half of a "\r\n"
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      const hold = pending.endsWith("\r") ? 1 : 0;
      buffer += pending.slice(0, pending.length - hold).replace(/\r\n?/g, "\n");
      pending = pending.slice(pending.length - hold);
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const ev = parseBlock(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (ev) {
          let data = ev.data;
          try { data = JSON.parse(data); } catch (_) { /* keep the text */ }
          onEvent(ev.event, data);
        }
      }
    }
  }

  const job = (id) => "/v1/dubs/" + encodeURIComponent(id);
  return {
    key, setKey, upload, events,
    list: () => request("GET", "/v1/dubs?limit=50"),
    get: (id) => request("GET", job(id)),
    lines: (id, lang) => request("GET", job(id) + "/lines?lang=" + encodeURIComponent(lang)),
    // speaker: null keeps the line's speaker; "S2" moves the line to speaker 2 (a relabel)
    redub: (id, lang, index, text, speaker) => request(
      "PATCH", job(id) + "/lines/" + index + "?lang=" + encodeURIComponent(lang),
      speaker ? { text, speaker } : { text }),
  };
})();
