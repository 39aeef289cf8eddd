// The page: a form to submit a dub, the tenant's jobs, one job's live progress, its video,
// downloads and lines (editable, each redubbed on its own). Text from the server is only
// ever set with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const current = { id: null, dub: null, lang: null, watch: null };
let chosenFile = null;

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error-text").textContent = "";
}

function fail(exc) {
  showError(exc && exc.message ? exc.message : String(exc));
}

function fmtSeconds(s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + " s";
  const m = Math.floor(s / 60);
  return m + " min " + String(s % 60).padStart(2, "0") + " s";
}

// ---- choosing a file ----------------------------------------------------------------

function choose(file) {
  chosenFile = file || null;
  $("file-name").textContent = file
    ? file.name + " (" + (file.size / 1048576).toFixed(1) + " MiB)" : "No file chosen";
}

function setupDrop() {
  const drop = $("drop");
  $("file").addEventListener("change", (e) => choose(e.target.files[0]));
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    const files = e.dataTransfer && e.dataTransfer.files;
    if (files && files.length) choose(files[0]);
  });
}

function targetLangs() {
  const langs = [...document.querySelectorAll('input[name="lang"]:checked')].map((c) => c.value);
  for (const extra of $("to-extra").value.split(/[\s,]+/)) {
    if (extra) langs.push(extra.trim().toLowerCase());
  }
  return [...new Set(langs)];
}

async function submit(e) {
  e.preventDefault();
  clearError();
  if (!chosenFile) return showError("Choose or drop a video first.");
  const to = targetLangs();
  if (!to.length) return showError("Choose at least one target language.");
  const fields = {
    to: to.join(","), from: $("from").value.trim() || "en", voice: $("voice").value,
    overflow: $("overflow").value, subtitles: $("subtitles").value,
    speakers: $("speakers").value,
  };
  const bar = $("upload-progress");
  bar.hidden = false;
  $("submit").disabled = true;
  const progress = (p) => {
    bar.value = p;
    $("upload-percent").textContent = "Uploading " + Math.floor(p) + "%";
  };
  progress(0);
  try {
    const dub = await DubApi.upload(fields, chosenFile, progress);
    $("upload-percent").textContent = "Uploaded";
    loadJobs();
    openRoute(dub.id);
  } catch (exc) {
    $("upload-percent").textContent = "";
    fail(exc);
  } finally {
    $("submit").disabled = false;
  }
}

// ---- the jobs list -------------------------------------------------------------------

async function loadJobs() {
  try {
    const page = await DubApi.list();
    const list = $("jobs");
    list.replaceChildren();
    for (const dub of page.items || []) {
      const button = el("button", null, { type: "button", "data-testid": "job-" + dub.id });
      button.append(el("span", dub.input_name || dub.id, { class: "name" }),
        el("span", (dub.target_langs || []).join(", "), { class: "muted" }),
        el("span", dub.state, { class: "badge " + dub.state }));
      button.title = dub.id;
      button.addEventListener("click", () => openRoute(dub.id));
      const item = el("li");
      if (dub.id === current.id) item.classList.add("active");
      item.append(button);
      list.append(item);
    }
    $("jobs-empty").hidden = list.children.length > 0;
  } catch (exc) {
    fail(exc);
  }
}

// ---- one job -------------------------------------------------------------------------

function openRoute(id) {
  const hash = "#job=" + encodeURIComponent(id);
  if (location.hash === hash) openJob(id);
  else location.hash = hash;  // hashchange opens it
}

async function openJob(id) {
  if (current.watch) current.watch.abort();
  Object.assign(current, { id, dub: null, lang: null, watch: null });
  $("job").hidden = false;
  $("result").hidden = true;
  $("job-id").textContent = id;
  $("redub-message").textContent = "";
  for (const item of $("jobs").children) {
    item.classList.toggle("active", item.firstChild.title === id);
  }
  try {
    const dub = await DubApi.get(id);
    if (current.id !== id) return;
    render(dub);
    if (dub.state === "completed") showResult(dub, true);
    else if (!TERMINAL.has(dub.state)) watch(id);
  } catch (exc) {
    fail(exc);
  }
}

function render(dub) {
  current.dub = dub;
  const done = dub.state === "completed";
  const percent = done ? 100 : Math.max(0, Math.min(100, Number(dub.percent) || 0));
  $("state").textContent = dub.state;
  $("state").className = "badge " + dub.state;
  $("stage").textContent = dub.stage || "—";
  $("eta").textContent = TERMINAL.has(dub.state) ? "—" : fmtSeconds(dub.eta_seconds);
  $("progress").value = percent;
  $("percent").textContent = Math.floor(percent) + "%";
  $("last-error").hidden = !dub.last_error;
  $("last-error").textContent = dub.last_error ? "Retrying after: " + dub.last_error : "";
  const error = dub.error;
  $("job-error").hidden = !error;
  $("job-error").textContent = error ? (error.type || "error") + ": " + error.message : "";
}

// Follow the job's events until its `end`; reconnect when the stream drops before that.
async function watch(id) {
  const controller = new AbortController();
  current.watch = controller;
  let ended = false;
  while (!ended && !controller.signal.aborted) {
    try {
      await DubApi.events(id, (name, data) => {
        if (controller.signal.aborted || typeof data !== "object") return;
        render(data);
        if (name === "end") ended = true;
      }, controller.signal);
      if (!ended) {
        const dub = await DubApi.get(id);
        if (controller.signal.aborted) return;
        render(dub);
        ended = TERMINAL.has(dub.state);
      }
    } catch (exc) {
      if (controller.signal.aborted) return;
      fail(exc);
    }
    if (!ended) await new Promise((r) => setTimeout(r, 2000));
  }
  if (controller.signal.aborted) return;
  current.watch = null;
  loadJobs();
  if (current.dub.state === "completed") showResult(current.dub, true);
}

function outputsOf(dub, lang) {
  const found = (dub.languages || []).find((l) => l.lang === lang);
  return (found && found.outputs) || [];
}

// The completed job: its languages, the video of the chosen one, every download, the lines.
function showResult(dub, reloadVideo) {
  $("result").hidden = false;
  const langs = (dub.languages || []).map((l) => l.lang);
  if (!langs.includes(current.lang)) current.lang = langs[0] || null;
  const select = $("lang");
  select.replaceChildren(...langs.map((l) => el("option", l, { value: l })));
  select.value = current.lang || "";

  const video = outputsOf(dub, current.lang).find((o) => o.name === current.lang + ".mp4");
  const player = $("video");
  if (reloadVideo) {
    if (video) {
      player.src = video.url;
      player.load();
    } else {
      player.removeAttribute("src");
    }
  }

  const downloads = $("downloads");
  downloads.replaceChildren();
  const seen = new Set();  // the source subtitles are listed under every language
  for (const lang of langs) {
    for (const out of outputsOf(dub, lang)) {
      if (seen.has(out.name)) continue;
      seen.add(out.name);
      const item = el("li");
      item.append(el("a", out.name, { href: out.url, download: out.name }));
      downloads.append(item);
    }
  }
  if (current.lang) loadLines();
}

async function loadLines() {
  const { id, lang } = current;
  try {
    const data = await DubApi.lines(id, lang);
    if (current.id !== id || current.lang !== lang) return;
    $("revision").textContent = data.revision;
    const body = $("lines").tBodies[0];
    body.replaceChildren(...(data.lines || []).map(lineRow));
  } catch (exc) {
    fail(exc);
  }
}

function lineRow(line) {
  const i = line.index;
  const row = el("tr", null, { "data-testid": "line-" + i });
  const input = el("input", null, { type: "text", "data-testid": "line-text-" + i,
                                     "aria-label": "Text of line " + i });
  input.value = line.target_text || "";
  const speaker = speakerSelect(i, line.speaker || "S1");
  const button = el("button", "Redub", { type: "button", "data-testid": "redub-" + i });
  button.addEventListener("click", () => redub(i, input, speaker, button));
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") redub(i, input, speaker, button);
  });
  const time = fmtClock(line.start) + "–" + fmtClock(line.end);
  const cells = [el("td", i), el("td", time, { class: "time" }), el("td"),
                 el("td", line.source_text), el("td"),
                 el("td", line.revision || 0, { "data-testid": "line-revision-" + i }), el("td")];
  cells[2].append(speaker);
  cells[4].append(input);
  cells[6].append(button);
  row.append(...cells);
  return row;
}

// Who says the line; choosing another speaker and redubbing voices it as that speaker.
function speakerSelect(i, current) {
  const select = el("select", null, { "data-testid": "line-speaker-" + i,
                                      "aria-label": "Speaker of line " + i });
  for (let n = 1; n <= 10; n++) {
    const option = el("option", "Speaker " + n, { value: "S" + n });
    option.selected = "S" + n === current;
    select.append(option);
  }
  select.dataset.was = current;
  return select;
}

function fmtClock(s) {
  const t = Math.max(0, Number(s) || 0);
  return Math.floor(t / 60) + ":" + (t % 60).toFixed(1).padStart(4, "0");
}

async function redub(index, input, speaker, button) {
  const { id, lang } = current;
  const text = input.value.trim();
  if (!text) return showError("A line needs some text.");
  clearError();
  button.disabled = true;
  $("redub-message").textContent = "Redubbing line " + index + "…";
  const moved = speaker.value !== speaker.dataset.was ? speaker.value : null;
  try {
    const answer = await DubApi.redub(id, lang, index, text, moved);
    if (current.id !== id) return;
    const revision = answer.revision === null || answer.revision === undefined
      ? "" : ": revision " + answer.revision;
    $("redub-message").textContent = "Line " + answer.index + revision +
      (answer.message ? " — " + answer.message : "");
    const dub = answer.dub || await DubApi.get(id);
    render(dub);
    if (dub.state === "completed") showResult(dub, true);
    else if (!TERMINAL.has(dub.state) && !current.watch) watch(id);
  } catch (exc) {
    $("redub-message").textContent = "";
    fail(exc);
  } finally {
    button.disabled = false;
  }
}

// ---- start ---------------------------------------------------------------------------

function routeFromHash() {
  const m = location.hash.match(/^#job=(.+)$/);
  if (m) openJob(decodeURIComponent(m[1]));
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = DubApi.key();
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    DubApi.setKey($("api-key").value.trim());
    clearError();
    loadJobs();
  });
  $("error-close").addEventListener("click", clearError);
  $("dub-form").addEventListener("submit", submit);
  $("refresh-jobs").addEventListener("click", loadJobs);
  $("lang").addEventListener("change", (e) => {
    current.lang = e.target.value;
    showResult(current.dub, true);
  });
  setupDrop();
  window.addEventListener("hashchange", routeFromHash);
  loadJobs();
  routeFromHash();
});
