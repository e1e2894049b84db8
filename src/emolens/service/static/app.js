// emolens web page: photos (upload -> annotated image + charts), live camera (WebSocket), videos (jobs).
// Plain browser JavaScript, no build step. Talks to the same server's /v1 API.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY = "emolens_api_key";
const state = { colours: {}, history: [] };

// -- helpers ----------------------------------------------------------------------------------------
function el(tag, cls = "", text = "") {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text) node.textContent = text;
  return node;
}
const pct = (p) => `${Math.round(100 * p)}%`;
const apiKey = () => localStorage.getItem(KEY) || "";
const authHeaders = () => (apiKey() ? { "X-API-Key": apiKey() } : {});

function setStatus(id, text, error = false) {
  $(id).textContent = text;
  $(id).classList.toggle("error", error);
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401) $("key-form").hidden = false;
  if (!response.ok) throw new Error(body && body.message ? body.message : `HTTP ${response.status}`);
  return body;
}

// -- model card, API key, tabs ----------------------------------------------------------------------
async function loadModel() {
  try {
    const model = await api("/v1/model");
    state.colours = model.colours;
    const acc = model.accuracy.test ?? model.accuracy.val;
    const accText = acc == null ? "" : ` · FER2013 accuracy ${(100 * acc).toFixed(1)}%`;
    $("model-line").textContent = `model ${model.name} (${model.architecture})${accText} · ${model.classes.join(", ")}`;
  } catch (err) {
    $("model-line").textContent = `model card unavailable: ${err.message}`;
  }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("key-input").value.trim();
  localStorage.setItem(KEY, key);
  document.cookie = `${KEY}=${encodeURIComponent(key)}; path=/; SameSite=Strict`;
  $("key-form").hidden = true;
  loadModel();
});

for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll("[role=tab]")) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      $(other.dataset.tab).hidden = !on;
    }
    if (tab.dataset.tab !== "camera") stopCamera();
  });
}

// -- photos -----------------------------------------------------------------------------------------
function faceCard(face, index) {
  const card = el("article", "face");
  card.append(el("h3", "", `Face ${index + 1}: ${face.emotion} ${pct(face.confidence)}`));
  const chart = el("div", "chart");
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-label", `probabilities of face ${index + 1}`);
  for (const [name, p] of Object.entries(face.probs)) {
    const track = el("span", "track");
    const fill = el("span", "fill");
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    fill.style.background = state.colours[name] || "#ffc400";
    track.append(fill);
    chart.append(el("span", "", name), track, el("span", "pct", pct(p)));
  }
  const top = el("ol", "top3");
  for (const t of face.top) top.append(el("li", "", `${t.emotion} ${pct(t.prob)}`));
  card.append(chart, top);
  return card;
}

function showPhoto(entry) {
  const r = entry.result;
  $("annotated").src = `data:image/jpeg;base64,${r.annotated_jpeg}`;
  $("faces").replaceChildren(...r.faces.map(faceCard));
  $("photo-result").hidden = false;
  $("photo-result").dataset.faces = String(r.faces.length);
  const found = r.faces.length === 0 ? "no face found" : `${r.faces.length} face(s)`;
  setStatus("photo-status", `${entry.name}: ${found} · ${r.width}×${r.height} · ${Math.round(entry.ms)} ms`);
}

function renderHistory() {
  const items = state.history.map((entry) => {
    const button = el("button");
    button.title = entry.name;
    const img = el("img");
    img.src = `data:image/jpeg;base64,${entry.result.annotated_jpeg}`;
    img.alt = entry.name;
    button.append(img, el("span", "badge", String(entry.result.faces.length)));
    button.addEventListener("click", () => showPhoto(entry));
    const li = el("li");
    li.append(button);
    return li;
  });
  $("history").replaceChildren(...items);
  $("history-title").hidden = state.history.length < 2;
}

async function analysePhoto(file) {
  setStatus("photo-status", `analysing ${file.name}…`);
  const form = new FormData();
  form.append("file", file, file.name);
  const started = performance.now();
  try {
    const result = await api("/v1/analyze?annotate=true&top_k=3", { method: "POST", body: form });
    const entry = { name: file.name, result, ms: performance.now() - started };
    state.history = [entry, ...state.history].slice(0, 8);
    showPhoto(entry);
    renderHistory();
  } catch (err) {
    setStatus("photo-status", `${file.name}: ${err.message}`, true);
  }
}

const drop = $("drop");
$("photo-input").addEventListener("change", (event) => {
  if (event.target.files[0]) analysePhoto(event.target.files[0]);
  event.target.value = "";
});
drop.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") $("photo-input").click();
});
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files[0]) analysePhoto(event.dataTransfer.files[0]);
});

// -- live camera ------------------------------------------------------------------------------------
const MAX_IN_FLIGHT = 2; // frames on their way at once: throughput ~ 2 / latency
const FRAME_WIDTH = 320; // frames are downscaled to this width before they are sent
const cam = { stream: null, ws: null, sent: [], replies: [], running: false, lastTime: -1, latency: 0 };
const video = $("camera-video");
const overlay = $("camera-overlay");
const grab = document.createElement("canvas");

async function startCamera() {
  try {
    cam.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 } }, audio: false });
  } catch (err) {
    $("camera-stats").textContent = `no camera: ${err.message}`;
    return;
  }
  video.srcObject = cam.stream;
  await video.play();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const key = apiKey() ? `?api_key=${encodeURIComponent(apiKey())}` : "";
  cam.ws = new WebSocket(`${scheme}://${location.host}/v1/stream${key}`);
  cam.ws.onmessage = (event) => onFaces(JSON.parse(event.data));
  cam.ws.onclose = (event) => {
    if (cam.running) {
      stopCamera();
      $("camera-stats").textContent = `connection closed ${event.reason || ""}`;
      if (event.code === 1008) $("key-form").hidden = false;
    }
  };
  cam.running = true;
  cam.sent = [];
  cam.replies = [];
  $("camera-start").disabled = true;
  $("camera-stop").disabled = false;
  requestAnimationFrame(pump);
}

function stopCamera() {
  cam.running = false;
  if (cam.ws) cam.ws.close();
  if (cam.stream) for (const track of cam.stream.getTracks()) track.stop();
  cam.ws = cam.stream = null;
  video.srcObject = null;
  overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
  $("camera-start").disabled = false;
  $("camera-stop").disabled = true;
  $("camera-stats").textContent = "camera off";
}

function pump() {
  if (!cam.running) return;
  const ready = cam.ws.readyState === WebSocket.OPEN && video.videoWidth > 0;
  if (ready && cam.sent.length < MAX_IN_FLIGHT && video.currentTime !== cam.lastTime) {
    cam.lastTime = video.currentTime;
    const scale = Math.min(1, FRAME_WIDTH / video.videoWidth);
    grab.width = Math.round(video.videoWidth * scale);
    grab.height = Math.round(video.videoHeight * scale);
    grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
    cam.sent.push(performance.now());
    grab.toBlob((blob) => cam.ws && cam.ws.readyState === WebSocket.OPEN && cam.ws.send(blob), "image/jpeg", 0.75);
  }
  requestAnimationFrame(pump);
}

function onFaces(message) {
  const now = performance.now();
  const sentAt = cam.sent.shift();
  if (sentAt !== undefined) {
    const took = now - sentAt;
    cam.latency = cam.latency ? 0.8 * cam.latency + 0.2 * took : took;
  }
  cam.replies.push(now);
  while (cam.replies.length && now - cam.replies[0] > 2000) cam.replies.shift();
  const fps = cam.replies.length > 1 ? (1000 * (cam.replies.length - 1)) / (now - cam.replies[0]) : 0;
  drawOverlay(message);
  const stats = $("camera-stats");
  stats.textContent = message.error
    ? `error: ${message.error}`
    : `${fps.toFixed(1)} FPS · latency ${Math.round(cam.latency)} ms · ${message.faces.length} face(s)`;
  stats.dataset.fps = fps.toFixed(2);
  stats.dataset.latency = cam.latency.toFixed(1);
  stats.dataset.faces = String(message.faces.length);
}

function drawOverlay(message) {
  const ratio = window.devicePixelRatio || 1;
  overlay.width = overlay.clientWidth * ratio;
  overlay.height = overlay.clientHeight * ratio;
  const ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  if (!message.width || !video.videoWidth) return;
  // the video is drawn with object-fit: contain; map frame pixels onto that rectangle
  const fit = Math.min(overlay.width / video.videoWidth, overlay.height / video.videoHeight);
  const left = (overlay.width - video.videoWidth * fit) / 2;
  const top = (overlay.height - video.videoHeight * fit) / 2;
  const scale = (fit * video.videoWidth) / message.width;
  ctx.lineWidth = 3 * ratio;
  ctx.font = `${Math.round(15 * ratio)}px system-ui, sans-serif`;
  for (const face of message.faces) {
    const [x1, y1, x2, y2] = face.box.map((v) => v * scale);
    const colour = state.colours[face.emotion] || "#ffc400";
    ctx.strokeStyle = colour;
    ctx.strokeRect(left + x1, top + y1, x2 - x1, y2 - y1);
    const label = `${face.emotion} ${pct(face.confidence)}`;
    const width = ctx.measureText(label).width + 8 * ratio;
    const height = 20 * ratio;
    const labelTop = Math.max(0, top + y1 - height);
    ctx.fillStyle = colour;
    ctx.fillRect(left + x1, labelTop, width, height);
    ctx.fillStyle = "#000";
    ctx.fillText(label, left + x1 + 4 * ratio, labelTop + height - 5 * ratio);
  }
  overlay.dataset.drawn = String(Number(overlay.dataset.drawn || 0) + (message.faces.length ? 1 : 0));
}

$("camera-start").addEventListener("click", startCamera);
$("camera-stop").addEventListener("click", stopCamera);

// -- videos -----------------------------------------------------------------------------------------
function uploadVideo() {
  const file = $("video-input").files[0];
  if (!file) return;
  const every = Math.max(1, Number($("video-every").value) || 1);
  $("video-result").hidden = true;
  $("upload-progress").value = 0;
  $("job-progress").value = 0;
  setStatus("video-status", `uploading ${file.name}…`);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/v1/videos?detect_every=${every}`);
  for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
  xhr.upload.onprogress = (event) => {
    if (event.lengthComputable) $("upload-progress").value = event.loaded / event.total;
  };
  xhr.onload = () => {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      body = null;
    }
    if (xhr.status === 202) {
      $("upload-progress").value = 1;
      pollJob(body.id);
    } else {
      if (xhr.status === 401) $("key-form").hidden = false;
      setStatus("video-status", `${file.name}: ${body && body.message ? body.message : `HTTP ${xhr.status}`}`, true);
    }
  };
  xhr.onerror = () => setStatus("video-status", "the upload failed (connection lost)", true);
  const form = new FormData();
  form.append("file", file, file.name);
  xhr.send(form);
}

async function pollJob(id) {
  let job;
  try {
    job = await api(`/v1/jobs/${id}`);
  } catch (err) {
    setStatus("video-status", err.message, true);
    return;
  }
  const bar = $("job-progress");
  if (job.progress == null) bar.removeAttribute("value");
  else bar.value = job.progress;
  const total = job.frames_total == null ? "?" : job.frames_total;
  setStatus("video-status", `${job.input_name}: ${job.status} · ${job.frames_done} / ${total} frames`);
  if (job.status === "done") showVideo(job);
  else if (job.status === "failed") setStatus("video-status", `${job.input_name}: failed: ${job.error}`, true);
  else setTimeout(pollJob, 500, id);
}

function showVideo(job) {
  const names = { report_html: "HTML report", timeline_csv: "timeline (CSV)", summary_json: "summary (JSON)", annotated_video: "annotated video" };
  const links = Object.entries(job.links)
    .filter(([name, href]) => name !== "status" && href)
    .map(([name, href]) => {
      const li = el("li");
      const a = el("a", "", names[name] || name);
      a.href = href;
      a.target = "_blank";
      li.append(a);
      return li;
    });
  $("video-links").replaceChildren(...links);
  const rows = Object.entries(job.summary || {})
    .filter(([, value]) => value === null || typeof value !== "object")
    .map(([name, value]) => {
      const tr = el("tr");
      tr.append(el("td", "", name), el("td", "", typeof value === "number" ? String(+value.toFixed(3)) : String(value)));
      return tr;
    });
  $("video-summary").replaceChildren(...rows);
  if (job.links.report_html) $("video-report").src = job.links.report_html;
  $("video-result").hidden = false;
}

$("video-form").addEventListener("submit", (event) => {
  event.preventDefault();
  uploadVideo();
});

loadModel();
