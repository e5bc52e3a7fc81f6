// signalchain's page: the parts htmx does not do — listening (WebAudio), saving and downloads.
// Everything goes through the server's JSON API (/api/...); nothing leaves this machine.
"use strict";

const signalchain = (window.signalchain = { lastRender: null, keptA: null });

function $(sel) { return document.querySelector(sel); }
function rigText() { return $("#rig").value; }
function say(id, text, bad) {
  const el = document.getElementById(id);
  if (el) { el.textContent = text; el.classList.toggle("bad", !!bad); }
}

/** The knob positions on the sliders now ({"hm4.out1": 0.5, ...}). */
function currentKnobs() {
  const knobs = {};
  document.querySelectorAll('#knobs input[type="range"]').forEach((el) => {
    knobs[el.name.slice("knob:".length)] = Number(el.value);
  });
  return knobs;
}

/** The first diagnostic of an API error body, as one line. */
async function errorText(res) {
  try {
    const body = await res.json();
    const d = (body.diagnostics || [])[0];
    if (d) return d.message + (d.hint ? " — " + d.hint : "");
  } catch (e) { /* not JSON */ }
  return "the server answered " + res.status;
}

async function postJSON(url, body) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" },
                      body: JSON.stringify(body) });
}

/** The rig text with the sliders' knob positions written in (comments kept). */
async function rigWithKnobs() {
  const res = await postJSON("/api/rig/knobs", { rig: rigText(), knobs: currentKnobs() });
  if (!res.ok) throw new Error(await errorText(res));
  return res.text();
}

function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function slug() {
  const name = ($("#save-name") && $("#save-name").value) || "rig";
  return name.replace(/[^a-z0-9_-]+/gi, "-").toLowerCase() || "rig";
}

// ---- knobs: show the position next to each slider ------------------------------------------

document.addEventListener("input", (ev) => {
  const el = ev.target;
  if (el.matches && el.matches('#knobs input[type="range"]')) {
    const out = el.parentElement.querySelector("output");
    if (out) out.textContent = Math.round(Number(el.value) * 100) + "%";
  }
});

// ---- listen ----------------------------------------------------------------------------------

function b64bytes(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

let audio = null;       // the AudioContext, at the render's sample rate
let playing = [];       // the sources of what plays now

function context(rate) {
  if (!audio || audio.sampleRate !== rate) {
    if (audio) audio.close();
    audio = new AudioContext({ sampleRate: rate });
  }
  return audio;
}

function stopAll() {
  playing.forEach((p) => { try { p.source.stop(); } catch (e) { /* already stopped */ } });
  playing = [];
  document.querySelectorAll(".player .play").forEach((b) => { b.textContent = b.dataset.label; });
}

/** Decode one base64 Ogg clip in a context of the given rate. */
signalchain.decode = async function (b64, rate, ctx) {
  return (ctx || context(rate)).decodeAudioData(b64bytes(b64));
};

async function play(button, who, kind) {
  const data = signalchain.lastRender;
  const wasPlaying = button.textContent !== button.dataset.label;
  stopAll();
  if (wasPlaying) return;
  const ctx = context(data.samplerate);
  await ctx.resume();
  const sets = Object.keys(data.settings);
  const chosen = document.querySelector(`input[name="ab-${CSS.escape(who)}"]:checked`);
  const active = chosen ? chosen.value : sets[0];
  const start = ctx.currentTime + 0.05;
  for (const name of kind === "noise" ? [active] : sets) {
    const clip = data.settings[name].listeners[who][kind];
    const buffer = await signalchain.decode(clip, data.samplerate, ctx);
    const source = ctx.createBufferSource();
    const gain = ctx.createGain();
    source.buffer = buffer;
    gain.gain.value = name === active ? 1 : 0;
    source.connect(gain).connect(ctx.destination);
    source.start(start);
    source.onended = () => { if (playing.length && playing[0].source === source) stopAll(); };
    playing.push({ source, gain, name, who });
  }
  button.textContent = "■ Stop";
}

/** A/B while playing: both sets play in sync; only the gains switch (a 20 ms ramp). */
function switchTo(who, name) {
  if (!audio) return;
  const t = audio.currentTime;
  playing.filter((p) => p.who === who).forEach((p) => {
    p.gain.gain.setTargetAtTime(p.name === name ? 1 : 0, t, 0.02);
  });
}

/** A table cell with a play button for one listener's clip, and a note beside it. */
function playCell(label, who, kind, note) {
  const cell = document.createElement("td");
  const button = document.createElement("button");
  button.className = "play";
  button.dataset.label = label;
  button.textContent = label;
  button.addEventListener("click", () => play(button, who, kind));
  const span = document.createElement("span");
  span.className = "muted small";
  span.textContent = note;
  cell.append(button, span);
  return cell;
}

function showPlayers(data) {
  const box = $("#players");
  box.replaceChildren();
  const sets = Object.keys(data.settings);
  const first = data.settings[sets[0]].listeners;
  const table = document.createElement("table");
  table.className = "players";
  table.innerHTML = "<thead><tr><th>listener</th><th>program</th>" +
    (sets.length > 1 ? "<th>A / B</th>" : "") + "<th>noise floor</th></tr></thead>";
  const body = document.createElement("tbody");
  for (const who of Object.keys(first)) {
    const row = document.createElement("tr");
    row.className = "player";
    row.dataset.listener = who;
    const name = document.createElement("td");
    name.textContent = who;
    row.appendChild(name);
    const peaks = sets.map((s) => (sets.length > 1 ? s + " " : "") +
      data.settings[s].listeners[who].program_peak_dbfs.toFixed(1));
    row.appendChild(playCell("▶ Play", who, "program", " peak " + peaks.join(" / ") + " dBFS"));
    if (sets.length > 1) {
      const ab = document.createElement("td");
      ab.className = "ab";
      for (const s of sets) {
        const label = document.createElement("label");
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "ab-" + who;
        radio.value = s;
        radio.checked = s === sets[sets.length - 1];
        radio.addEventListener("change", () => switchTo(who, s));
        label.append(radio, " " + s);
        ab.appendChild(label);
      }
      row.appendChild(ab);
    }
    row.appendChild(playCell("▶ Noise", who, "noise",
      " +" + (data.noise_gain_db - data.playback_gain_db).toFixed(0) + " dB"));
    body.appendChild(row);
  }
  table.appendChild(body);
  box.appendChild(table);
  const note = document.createElement("p");
  note.className = "muted small";
  note.textContent = "Noise-floor clips are raised " +
    (data.noise_gain_db - data.playback_gain_db).toFixed(0) +
    " dB above the program clips so hiss and hum can be heard: turn your volume down first.";
  box.appendChild(note);
}

async function render() {
  stopAll();
  const form = new FormData();
  form.append("rig", rigText());
  const program = $("#program").value;
  form.append("program", program);
  form.append("seconds", $("#seconds").value || "8");
  const now = currentKnobs();
  const kept = signalchain.keptA;
  if (kept && JSON.stringify(kept) !== JSON.stringify(now)) {
    form.append("knobs_a", JSON.stringify(kept));
    form.append("knobs_b", JSON.stringify(now));
  } else {
    form.append("knobs_a", JSON.stringify(now));
  }
  if (program === "upload") {
    const file = $("#audio-file").files[0];
    if (!file) { $("#audio-file").click(); say("render-status", "choose an audio file", true); return; }
    if (file.size > 16e6) { say("render-status", "the file is over 16 MB: use a shorter excerpt", true); return; }
    form.append("audio", file, file.name);
  }
  say("render-status", "rendering…");
  $("#render-button").disabled = true;
  try {
    const res = await fetch("/api/render", { method: "POST", body: form });
    if (!res.ok) { say("render-status", await errorText(res), true); return; }
    const data = await res.json();
    signalchain.lastRender = data;
    showPlayers(data);
    const sets = Object.keys(data.settings);
    say("render-status", `${data.seconds} s of ${data.program}` +
        (sets.length > 1 ? ", A and B at one playback gain" : "") + ": ready");
  } catch (e) {
    say("render-status", "the render failed: " + e.message, true);
  } finally {
    $("#render-button").disabled = false;
  }
}

// ---- keep: save, downloads, opening a file ----------------------------------------------------

async function save() {
  const name = $("#save-name").value.trim();
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
    say("keep-status", "name it with lowercase letters, digits, - and _ (e.g. podcast-rig)", true);
    return;
  }
  try {
    const text = await rigWithKnobs();
    let res = await fetch("/api/workspace/" + encodeURIComponent(name), {
      method: "PUT", headers: { "content-type": "application/json" },
      body: JSON.stringify({ rig: text, replace: false }) });
    if (res.status === 409 && confirm(`A rig named ${name} is already saved. Replace it?`)) {
      res = await fetch("/api/workspace/" + encodeURIComponent(name), {
        method: "PUT", headers: { "content-type": "application/json" },
        body: JSON.stringify({ rig: text, replace: true }) });
    }
    if (!res.ok) { say("keep-status", await errorText(res), true); return; }
    say("keep-status", `saved as ${name}.yaml in the workspace`);
  } catch (e) { say("keep-status", e.message, true); }
}

async function downloadYaml() {
  try { download(slug() + ".yaml", new Blob([await rigWithKnobs()], { type: "application/yaml" })); }
  catch (e) { say("keep-status", e.message, true); }
}

async function downloadReport() {
  say("keep-status", "making the report…");
  try {
    const res = await postJSON("/api/report", { rig: await rigWithKnobs(), seconds: 8 });
    if (!res.ok) { say("keep-status", await errorText(res), true); return; }
    download(slug() + "-report.html", await res.blob());
    say("keep-status", "report downloaded");
  } catch (e) { say("keep-status", e.message, true); }
}

async function downloadBom() {
  try {
    const res = await postJSON("/api/bom?format=csv", { rig: rigText() });
    if (!res.ok) { say("keep-status", await errorText(res), true); return; }
    download(slug() + "-cables.csv", await res.blob());
  } catch (e) { say("keep-status", e.message, true); }
}

function openFile(input) {
  const file = input.files[0];
  if (!file) return;
  const most = Number(document.getElementById("rig").maxLength) || 65536;
  if (file.size > most) { alert("A rig file is at most " + Math.round(most / 1024) + " KiB."); return; }
  file.text().then((text) => {
    $("#rig").value = text;
    htmx.ajax("POST", "/ui/open", { source: "#yaml-form", target: "#rigview" });
  });
}

document.addEventListener("click", (ev) => {
  const id = ev.target && ev.target.id;
  if (id === "render-button") render();
  else if (id === "set-a") {
    signalchain.keptA = currentKnobs();
    say("render-status", "A kept: move the knobs, then Render to hear A against B");
  } else if (id === "save-button") save();
  else if (id === "download-yaml") downloadYaml();
  else if (id === "download-report") downloadReport();
  else if (id === "download-bom") downloadBom();
});

document.addEventListener("change", (ev) => {
  const el = ev.target;
  if (el.id === "rig-upload") openFile(el);
  else if (el.id === "program" && el.value === "upload") $("#audio-file").click();
});

// a new rig view: forget the renders and the kept A of the old one; show new messages
document.addEventListener("htmx:afterSwap", (ev) => {
  const target = ev.detail.target;
  if (target && target.id === "messages" && target.children.length) {
    target.scrollIntoView({ behavior: "smooth", block: "start" });
  }
  if (target && target.id === "rigview" && target.children.length &&
      ev.detail.requestConfig && ev.detail.requestConfig.path === "/ui/use") {
    target.scrollIntoView({ behavior: "instant", block: "start" });
  }
  if (target && target.id === "rigview") {
    stopAll();
    signalchain.lastRender = null;
    signalchain.keptA = null;
  }
});
