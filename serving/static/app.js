// prodseg web page: gallery -> cut-out -> place it over a room photo or the webcam -> download.
// Text from the server or the user only ever goes into textContent / attributes, never into HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const maxUploadBytes = Number(document.body.dataset.maxUploadMb) * 1e6;
const ROOM_HINT = "drag the product, resize it by its corner, flip it, then download.";
// The placed product lives in fractions of the room as shown (x, y: its top-left corner; width), so a
// resized window, a phone's narrow screen or a download at the room's own pixels all put it in one place.
const state = {products: [], classLabels: {}, cutoutUrl: null, roomUrl: null, background: null, roomName: "",
               x: 0, y: 0, width: 0.4, flipped: false, selected: null, served: {}};

function setStatus(id, text, isError = false) {
  const element = $(id);
  element.textContent = text;
  element.classList.toggle("error", isError);
}

async function errorText(response) {
  try {
    const body = await response.json();
    return body.error || `${response.status} ${response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function tooBig(file, statusId) {
  if (file.size <= maxUploadBytes) return false;
  setStatus(statusId, `${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${(maxUploadBytes / 1e6).toFixed(0)} MB.`, true);
  return true;
}

// --- the served model: name in the footer with its figures from /model ------------------------------
function modelFigures(model) {
  const metrics = model.metrics || {};
  const variant = model.variant;
  const iou = metrics[`tflite_${variant}_mean_iou`] ?? metrics.test_mean_iou;
  const size = model.sizes_mb?.[variant] ?? model.file_bytes / 1e6;
  const latency = metrics[`latency_ms.${variant}`];
  const figures = [];
  if (iou !== undefined) figures.push(`test IoU ${Number(iou).toFixed(3)}`);
  if (Number.isFinite(size)) figures.push(size < 1 ? `${Math.round(size * 1000)} kB` : `${size.toFixed(1)} MB`);
  if (latency !== undefined) figures.push(`${Number(latency).toFixed(1)} ms/image`);
  const {width, height} = model.input_size || {};
  if (width) figures.push(`input ${width}x${height}`);
  return figures.join(" · ");
}

async function showModel() {
  try {
    const response = await fetch("/model");
    if (!response.ok) throw new Error(await errorText(response));
    const model = await response.json();
    $("model-label").textContent = `${model.name}${model.version ? " v" + model.version : ""} (${model.variant})`;
    $("model-figures").textContent = modelFigures(model);
    // The classes the served model names, in people's words (its own list, never a constant here).
    Object.assign(state.classLabels, model.class_labels);
    $("model-classes").textContent = (model.classes || []).map((c) => state.classLabels[c] || c).join(", ");
  } catch {
    $("model-label").textContent = "unavailable";
  }
}

// --- gallery: grouped by the shop's categories, searchable --------------------------------------------
async function loadGallery() {
  const response = await fetch("/api/products");
  if (!response.ok) {
    setStatus("gallery-status", await errorText(response), true);
    return;
  }
  const body = await response.json();
  state.products = body.products;
  Object.assign(state.classLabels, body.class_labels);
  for (const shelf of [...new Set(state.products.map((p) => p.shelf))].sort()) {
    const option = document.createElement("option");
    option.value = shelf;
    option.textContent = shelf;
    $("category").append(option);
  }
  renderGallery();
}

function warningsOf(product) {
  return state.served[product.sha256] ?? product.warnings;
}

function setBadge(button, warnings) {
  let badge = button.querySelector(".badge");
  if (!warnings.length) return badge?.remove();
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "⚠ weak cut-out";
    button.prepend(badge);
  }
  badge.title = warnings.map((w) => w.text).join("\n");
}

function productButton(product) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "product";
  button.dataset.sha = product.sha256;
  button.classList.toggle("selected", state.selected?.id === product.id);
  const image = document.createElement("img");
  image.src = product.image_url;
  image.alt = product.title;
  image.loading = "lazy";
  const title = document.createElement("span");
  title.className = "title";
  title.textContent = product.title;
  const category = document.createElement("span");
  category.className = "category";
  category.textContent = product.category || product.class_label;
  button.append(image, title, category);
  setBadge(button, warningsOf(product));
  button.addEventListener("click", () => {
    document.querySelectorAll(".product.selected").forEach((b) => b.classList.remove("selected"));
    button.classList.add("selected");
    state.selected = product;
    showCutout(cutoutOf(product.photos[0]), product.title, product.photos[0]);
  });
  return button;
}

function matches(product, words) {
  const text = `${product.title} ${product.category} ${product.shelf} ${product.class_label}`.toLowerCase();
  return words.every((word) => text.includes(word));
}

function renderGallery() {
  const shelf = $("category").value;
  const words = $("search").value.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = state.products.filter((p) => (!shelf || p.shelf === shelf) && matches(p, words));
  const groups = new Map();
  for (const product of shown) groups.set(product.shelf, [...(groups.get(product.shelf) || []), product]);
  const sections = [...groups.keys()].sort().map((name) => {
    const section = document.createElement("section");
    section.className = "shelf";
    const heading = document.createElement("h3");
    heading.textContent = `${name} (${groups.get(name).length})`;
    const grid = document.createElement("div");
    grid.className = "grid";
    grid.append(...groups.get(name).map(productButton));
    section.append(heading, grid);
    return section;
  });
  $("gallery").replaceChildren(...sections);
  setStatus("gallery-status", state.products.length
    ? `${shown.length} of ${state.products.length} products`
    : "No crawled products yet (run `make demo`); upload a photo instead.");
}

// --- the cut-out, its warnings and the product's other photos -------------------------------------------
function headerWarnings(response) {
  const codes = (response.headers.get("X-Cutout-Warnings") || "").split(",").filter(Boolean);
  const texts = (response.headers.get("X-Cutout-Warning-Text") || "").split("; ");
  return codes.map((code, i) => ({code, text: texts[i] || code}));
}

function showWarnings(warnings) {
  $("cutout-reasons").replaceChildren(...warnings.map((w) => {
    const item = document.createElement("li");
    item.textContent = w.text;
    item.dataset.code = w.code;
    return item;
  }));
  $("cutout-warning").hidden = !warnings.length;
}

function showOtherPhotos(product, shown) {
  const others = product ? product.photos : [];
  $("other-photos").hidden = others.length < 2;
  $("other-photos-title").textContent = $("cutout-warning").hidden
    ? "Other photos of this product:" : "Try another photo of this product:";
  $("photo-choices").replaceChildren(...others.map((photo, i) => {
    const choice = document.createElement("button");
    choice.type = "button";
    choice.className = "choice";
    choice.classList.toggle("selected", photo.sha256 === shown.sha256);
    choice.setAttribute("aria-label", `photo ${i + 1} of ${product.title}`);
    const image = document.createElement("img");
    image.src = photo.image_url;
    image.alt = "";
    choice.append(image);
    choice.addEventListener("click", () => showCutout(cutoutOf(photo), product.title, photo));
    return choice;
  }));
}

// --- where a cut-out is computed: on this device (device.js) or by the server ---------------------------
// On the device the photo never leaves the browser. When the device runtime cannot run, the shopper is asked
// before a photo goes to the server; "no" leaves it uncut and unsent.
async function cutoutRequest(server, photo, name) {
  if ($("where").value === "device") {
    try {
      const device = window.prodsegDevice;
      if (!device) throw new Error("the device script did not load");
      try {
        const cut = await device.cutout(await photo());
        const headers = {"X-Label": cut.label, "X-Score": String(cut.score), "X-Crop-Box": cut.cropBox.join(",")};
        return {response: new Response(cut.blob, {headers}), computed: `on this device in ${Math.round(cut.ms)} ms`};
      } catch (error) {
        if (error instanceof device.NoProduct) {
          return {response: Response.json({error: error.message}, {status: 422}), computed: "on this device"};
        }
        throw error;
      }
    } catch (error) {
      const reason = `The cut-out cannot be computed on this device: ${error.message}.`;
      if (!window.confirm(`${reason} Send ${name} to the server to be cut out there?`)) {
        return {response: Response.json({error: `${reason} Not sent.`}, {status: 409}), computed: ""};
      }
      $("where").value = "server";
    }
  }
  const started = performance.now();
  const response = await server();
  return {response, computed: `by the server in ${Math.round(performance.now() - started)} ms`};
}

function cutoutOf(photo) {  // a catalog photo: the device cuts out the shop's photo, the server its own copy
  return cutoutRequest(() => fetch(photo.cutout_url), async () => (await fetch(photo.image_url)).blob(), "the photo");
}

async function showCutout(request, name, photo = null) {
  setStatus("cutout-status", `Cutting out ${name}…`);
  showWarnings([]);
  if (!photo) state.selected = null;
  let response, computed;
  try {
    ({response, computed} = await request);
  } catch (error) {
    setStatus("cutout-status", `Network error: ${error.message}`, true);
    return;
  }
  if (!response.ok) {
    setStatus("cutout-status", `${name}: ${await errorText(response)}`, true);
    return;
  }
  if (state.cutoutUrl) URL.revokeObjectURL(state.cutoutUrl);
  state.cutoutUrl = URL.createObjectURL(await response.blob());
  const preview = $("cutout");
  preview.src = state.cutoutUrl;
  preview.dataset.cropBox = response.headers.get("X-Crop-Box") || "";  // where the PNG sits in the photo
  preview.dataset.computed = computed;
  preview.dataset.sha = photo ? photo.sha256 : "";  // a catalog photo's cut-out can be flagged (flag.js)
  $("placed-image").src = state.cutoutUrl;
  await Promise.all([preview.decode(), $("placed-image").decode()]);
  preview.hidden = false;
  const score = Number(response.headers.get("X-Score"));
  const label = response.headers.get("X-Label");
  const labelText = state.classLabels[label] || label;
  setStatus("cutout-status", `${name}: ${labelText} (score ${score.toFixed(2)}), computed ${computed}`);
  const warnings = headerWarnings(response);
  showWarnings(warnings);
  if (photo) {
    state.served[photo.sha256] = warnings;  // the card says what the served cut-out said
    const card = document.querySelector(`.product[data-sha="${photo.sha256}"]`);
    if (card) setBadge(card, warnings);
  }
  showOtherPhotos(state.selected, photo || {});
  state.flipped = false;  // a new product starts unflipped, at the default place
  placeDefault();
}

$("category").addEventListener("change", renderGallery);
$("search").addEventListener("input", renderGallery);
$("product-upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file || tooBig(file, "cutout-status")) return;
  const form = new FormData();
  form.append("image", file);
  form.append("crop", "true");
  document.querySelectorAll(".product.selected").forEach((b) => b.classList.remove("selected"));
  showCutout(cutoutRequest(() => fetch("/segment", {method: "POST", body: form}), async () => file, file.name),
             file.name);
});

// --- the room: a photo (never uploaded) or the webcam ------------------------------------------------------
function stopWebcam() {
  const video = $("room-video");
  if (video.srcObject) video.srcObject.getTracks().forEach((track) => track.stop());
  video.srcObject = null;
}

function useBackground(element) {
  $("room-photo").hidden = element.id !== "room-photo";
  $("room-video").hidden = element.id !== "room-video";
  state.background = element;
  $("stage").hidden = false;
  placeDefault();
  $("stage").scrollIntoView({block: "nearest"});  // the stage fits the window: bring all of it into view
}

$("room-upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file || tooBig(file, "room-status")) return;
  stopWebcam();
  if (state.roomUrl) URL.revokeObjectURL(state.roomUrl);
  state.roomUrl = URL.createObjectURL(file);
  const photo = $("room-photo");
  photo.onload = () => {
    state.roomName = file.name;
    useBackground(photo);
  };
  photo.onerror = () => setStatus("room-status", `${file.name} is not an image this browser can show.`, true);
  photo.src = state.roomUrl;
});

$("webcam").addEventListener("click", async () => {
  const video = $("room-video");
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({video: true, audio: false});
    await video.play();
    state.roomName = "Webcam on";
    useBackground(video);
  } catch (error) {
    setStatus("room-status", `Webcam unavailable: ${error.message}`, true);
  }
});

// --- placing: drag, resize, flip; positions are fractions of the stage ---------------------------------------
function ready() {
  return Boolean(state.background && state.cutoutUrl);
}

function stageSize() {
  const stage = $("stage");
  return {width: Math.max(1, stage.clientWidth), height: Math.max(1, stage.clientHeight)};
}

function aspect() {  // the cut-out's height over its width
  const image = $("placed-image");
  return image.naturalWidth ? image.naturalHeight / image.naturalWidth : 1;
}

// The stage shows the room as large as the panel and the window allow, never past the room's own pixels.
function fitStage() {
  const background = state.background;
  const width = background && (background.naturalWidth || background.videoWidth);
  const height = background && (background.naturalHeight || background.videoHeight);
  if (!width || !height) return;
  const panel = $("room-panel");
  const style = getComputedStyle(panel);
  const room = panel.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const scale = Math.min(1, room / width, (window.innerHeight - 16) / height);
  $("stage").style.width = `${Math.floor(width * scale)}px`;
}

function render() {
  fitStage();
  const placed = $("placed");
  placed.hidden = !ready();
  const {width, height} = stageSize();
  placed.style.left = `${state.x * width}px`;
  placed.style.top = `${state.y * height}px`;
  placed.style.width = `${state.width * width}px`;
  $("placed-image").classList.toggle("flipped", state.flipped);
  for (const id of ["flip", "size", "download"]) $(id).disabled = !ready();
  if (ready()) $("size").value = String(Math.round(100 * state.width));
}

// Anything that changes the picture makes an earlier "Saved composite.png" untrue: back to the hint.
function changed() {
  if (state.background) setStatus("room-status", `${state.roomName}: ${ROOM_HINT}`);
  render();
}

function placeDefault() {
  if (ready()) {
    const {width, height} = stageSize();
    state.width = Number($("size").value) / 100;
    const tall = (state.width * width * aspect()) / height;  // the product's height as a share of the stage's
    state.x = (1 - state.width) / 2;
    state.y = Math.max(0, 1 - tall - 0.05);
  }
  changed();
}

function track(event, onMove) {
  event.preventDefault();
  const target = event.currentTarget;
  target.setPointerCapture(event.pointerId);
  const start = {x: event.clientX, y: event.clientY, left: state.x, top: state.y, width: state.width};
  const move = (e) => {
    const {width, height} = stageSize();
    onMove(start, (e.clientX - start.x) / width, (e.clientY - start.y) / height);
    changed();
  };
  const end = () => {
    target.removeEventListener("pointermove", move);
    target.removeEventListener("pointerup", end);
    target.removeEventListener("pointercancel", end);
  };
  target.addEventListener("pointermove", move);
  target.addEventListener("pointerup", end);
  target.addEventListener("pointercancel", end);
}

$("placed").addEventListener("pointerdown", (event) => {
  if (event.target.id === "resize-handle") return;
  track(event, (start, dx, dy) => {
    state.x = start.left + dx;
    state.y = start.top + dy;
  });
});
$("resize-handle").addEventListener("pointerdown", (event) => {
  event.stopPropagation();
  track(event, (start, dx) => {
    state.width = Math.max(16 / stageSize().width, start.width + dx);
  });
});
$("size").addEventListener("input", () => {
  const centre = state.x + state.width / 2;
  state.width = Number($("size").value) / 100;
  state.x = centre - state.width / 2;
  changed();
});
$("flip").addEventListener("click", () => {
  state.flipped = !state.flipped;
  changed();
});

// --- download: the room at its own resolution with the product drawn where it sits on screen ----------
$("download").addEventListener("click", () => {
  const background = state.background;
  const width = background.naturalWidth || background.videoWidth;
  const height = background.naturalHeight || background.videoHeight;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.drawImage(background, 0, 0, width, height);
  const image = $("placed-image");
  const w = state.width * width;
  const h = w * aspect();
  context.save();
  context.translate(state.x * width + (state.flipped ? w : 0), state.y * height);
  if (state.flipped) context.scale(-1, 1);
  context.drawImage(image, 0, 0, w, h);
  context.restore();
  canvas.toBlob((blob) => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "composite.png";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    setStatus("room-status", `Saved composite.png (${width}x${height}).`);
  }, "image/png");
});

// The stage follows the window (and the photo's own size): lay the product out again in its fractions.
new ResizeObserver(() => requestAnimationFrame(render)).observe($("room-panel"));  // next frame: no resize loop
showModel();
loadGallery();
