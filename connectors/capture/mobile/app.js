// The mobile capture page: camera -> pages (found, flattened, compressed on the phone)
// -> one PDF -> outbox -> upload API (`POST /v1/documents` with the user's API key).
import { findPage, rectify } from "./page.js";
import { jpegsToPdf } from "./pdf.js";
import { outbox, flush } from "./outbox.js";

const $ = (sel) => document.querySelector(sel);
const PAGE_DPI = 200;        // what the rectified page is declared as in the PDF
const MAX_SIDE = 2200;       // ~letter at 200 dpi: enough for OCR, small enough to send
const JPEG_QUALITY = 0.82;
const RETRY_MS = 15000;
const pages = [];            // {jpeg: Uint8Array, width, height, url, found}

function status(text, kind = "info") {
  const el = $("#status");
  el.textContent = text;
  el.dataset.kind = kind;
}

async function startCamera() {
  const video = $("#camera");
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 3840 }, height: { ideal: 2160 } },
      audio: false,
    });
    await video.play();
    document.body.dataset.camera = "ready";
  } catch (err) {
    document.body.dataset.camera = "none"; // the file picker below still works
    status(`No camera (${err.name}); choose photos instead.`, "warn");
  }
}

function toImageData(source, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(source, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

async function addPage(frame) {
  const quad = findPage(frame);
  const page = quad ? rectify(frame, quad, MAX_SIDE) : frame;
  const canvas = new OffscreenCanvas(page.width, page.height);
  canvas.getContext("2d").putImageData(new ImageData(page.data, page.width, page.height), 0, 0);
  const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: JPEG_QUALITY });
  pages.push({ jpeg: new Uint8Array(await blob.arrayBuffer()), width: page.width, height: page.height,
               url: URL.createObjectURL(blob), found: Boolean(quad) });
  renderPages();
  status(quad ? `Page ${pages.length} ready.` : `Page ${pages.length}: no page edges found, kept the whole photo.`,
         quad ? "info" : "warn");
}

function renderPages() {
  const list = $("#pages");
  list.replaceChildren(...pages.map((p, i) => {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.src = p.url;
    img.alt = `page ${i + 1}`;
    img.dataset.width = p.width;
    img.dataset.height = p.height;
    img.dataset.found = p.found;
    const drop = document.createElement("button");
    drop.textContent = "Remove";
    drop.onclick = () => { pages.splice(i, 1); renderPages(); };
    li.append(img, drop);
    return li;
  }));
  $("#send").disabled = pages.length === 0;
}

async function capture() {
  const video = $("#camera");
  if (!video.videoWidth) return status("The camera is not ready yet.", "warn");
  await addPage(toImageData(video, video.videoWidth, video.videoHeight));
}

async function pick(event) {
  for (const file of event.target.files) {
    const bitmap = await createImageBitmap(file);
    await addPage(toImageData(bitmap, bitmap.width, bitmap.height));
  }
  event.target.value = "";
}

async function upload(entry) {
  const form = new FormData();
  form.append("file", new Blob([entry.pdf], { type: "application/pdf" }), entry.filename);
  form.append("metadata", JSON.stringify({ channel: "mobile", pages: String(entry.pages) }));
  if (entry.crmRef) form.append("crm_ref", entry.crmRef);
  const resp = await fetch("/v1/documents", { method: "POST", body: form,
                                             headers: { "X-API-Key": localStorage.getItem("inkstream-key") || "" } });
  let body = {};
  try { body = await resp.json(); } catch (_) { /* a proxy's HTML error page */ }
  return { ok: resp.ok, status: resp.status, body };
}

async function sendQueued() {
  const done = await flush(upload);
  for (const entry of done) {
    const li = document.createElement("li");
    li.textContent = `${entry.filename}: uploaded as ${entry.docId}`;
    li.dataset.docId = entry.docId;
    $("#sent").append(li);
  }
  const left = await outbox.all();
  const queued = left.filter((e) => e.state === "queued").length;
  const refused = left.filter((e) => e.state === "refused");
  $("#queued").textContent = String(queued);
  $("#refused").replaceChildren(...refused.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${e.filename}: refused (${e.reason})`;
    const discard = document.createElement("button");
    discard.textContent = "Discard";
    discard.onclick = async () => { await outbox.remove(e.id); sendQueued(); };
    li.append(discard);
    return li;
  }));
  if (done.length) status(`Uploaded ${done.map((e) => e.docId).join(", ")}.`, "ok");
  else if (queued) status(`${queued} document(s) waiting: offline or the server is busy; they will be sent.`, "warn");
}

async function send() {
  if (!localStorage.getItem("inkstream-key")) return status("Enter your API key first.", "warn");
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  await outbox.add({ filename: `capture-${stamp}.pdf`, pages: pages.length, crmRef: $("#crm-ref").value || null,
                     pdf: jpegsToPdf(pages, PAGE_DPI) });
  pages.splice(0, pages.length);
  renderPages();
  await sendQueued();
}

function init() {
  const key = $("#api-key");
  key.value = localStorage.getItem("inkstream-key") || "";
  key.onchange = () => localStorage.setItem("inkstream-key", key.value.trim());
  $("#shoot").onclick = capture;
  $("#picker").onchange = pick;
  $("#send").onclick = send;
  window.addEventListener("online", sendQueued);
  setInterval(sendQueued, RETRY_MS);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});
  startCamera();
  sendQueued();
  document.body.dataset.ready = "true";
}

init();
