// prodseg web page: gallery -> cut-out -> place it over a room photo or the webcam -> download.
// Text from the server or the user only ever goes into textContent / attributes, never into HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const maxUploadBytes = Number(document.body.dataset.maxUploadMb) * 1e6;
const state = {products: [], cutoutUrl: null, roomUrl: null, background: null, x: 0, y: 0, width: 0, flipped: false};

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

// --- the served model ---------------------------------------------------------------------------
async function showModel() {
  try {
    const model = (await (await fetch("/health")).json()).model;
    $("model-label").textContent = `${model.name}${model.version ? " v" + model.version : ""} (${model.variant})`;
  } catch {
    $("model-label").textContent = "unavailable";
  }
}

// --- gallery ----------------------------------------------------------------------------------------
async function loadGallery() {
  const response = await fetch("/api/products");
  if (!response.ok) {
    setStatus("gallery-status", await errorText(response), true);
    return;
  }
  const body = await response.json();
  for (const category of body.categories) {
    const option = document.createElement("option");
    option.value = category;
    option.textContent = category;
    $("category").append(option);
  }
  state.products = body.products;
  renderGallery();
}

function productButton(product) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "product";
  button.dataset.sha = product.sha256;
  const image = document.createElement("img");
  image.src = product.image_url;
  image.alt = product.title;
  image.loading = "lazy";
  const title = document.createElement("span");
  title.className = "title";
  title.textContent = product.title;
  const category = document.createElement("span");
  category.className = "category";
  category.textContent = product.category || product.class_name;
  button.append(image, title, category);
  button.addEventListener("click", () => {
    document.querySelectorAll(".product.selected").forEach((b) => b.classList.remove("selected"));
    button.classList.add("selected");
    showCutout(fetch(product.cutout_url), product.title);
  });
  return button;
}

function renderGallery() {
  const category = $("category").value;
  const shown = state.products.filter((p) => !category || p.class_name === category);
  $("gallery").replaceChildren(...shown.map(productButton));
  setStatus("gallery-status", state.products.length
    ? `${shown.length} of ${state.products.length} products`
    : "No crawled products yet (run `make demo`); upload a photo instead.");
}

// --- the cut-out --------------------------------------------------------------------------------------
async function showCutout(request, name) {
  setStatus("cutout-status", `Cutting out ${name}…`);
  let response;
  try {
    response = await request;
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
  $("placed-image").src = state.cutoutUrl;
  await Promise.all([preview.decode(), $("placed-image").decode()]);
  preview.hidden = false;
  const score = Number(response.headers.get("X-Score"));
  setStatus("cutout-status", `${name}: ${response.headers.get("X-Label")} (score ${score.toFixed(2)})`);
  placeDefault();
}

$("category").addEventListener("change", renderGallery);
$("product-upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file || tooBig(file, "cutout-status")) return;
  const form = new FormData();
  form.append("image", file);
  form.append("crop", "true");
  document.querySelectorAll(".product.selected").forEach((b) => b.classList.remove("selected"));
  showCutout(fetch("/segment", {method: "POST", body: form}), file.name);
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
}

$("room-upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file || tooBig(file, "room-status")) return;
  stopWebcam();
  if (state.roomUrl) URL.revokeObjectURL(state.roomUrl);
  state.roomUrl = URL.createObjectURL(file);
  const photo = $("room-photo");
  photo.onload = () => {
    useBackground(photo);
    setStatus("room-status", `${file.name}: drag the product, resize it by its corner, flip it, then download.`);
  };
  photo.onerror = () => setStatus("room-status", `${file.name} is not an image this browser can show.`, true);
  photo.src = state.roomUrl;
});

$("webcam").addEventListener("click", async () => {
  const video = $("room-video");
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({video: true, audio: false});
    await video.play();
    useBackground(video);
    setStatus("room-status", "Webcam on: place the product, then download a snapshot.");
  } catch (error) {
    setStatus("room-status", `Webcam unavailable: ${error.message}`, true);
  }
});

// --- placing: drag, resize, flip ------------------------------------------------------------------------------
function ready() {
  return Boolean(state.background && state.cutoutUrl);
}

function render() {
  const placed = $("placed");
  placed.hidden = !ready();
  placed.style.left = `${state.x}px`;
  placed.style.top = `${state.y}px`;
  placed.style.width = `${state.width}px`;
  $("placed-image").classList.toggle("flipped", state.flipped);
  for (const id of ["flip", "size", "download"]) $(id).disabled = !ready();
  if (ready()) $("size").value = String(Math.round((100 * state.width) / Math.max(1, $("stage").clientWidth)));
}

function placeDefault() {
  if (!ready()) return render();
  const stage = $("stage");
  const image = $("placed-image");
  state.width = Math.round(stage.clientWidth * Number($("size").value) / 100);
  const height = (state.width * image.naturalHeight) / image.naturalWidth;
  state.x = Math.round((stage.clientWidth - state.width) / 2);
  state.y = Math.max(0, Math.round(stage.clientHeight - height - stage.clientHeight * 0.05));
  render();
}

function track(event, onMove) {
  event.preventDefault();
  const target = event.currentTarget;
  target.setPointerCapture(event.pointerId);
  const start = {x: event.clientX, y: event.clientY, left: state.x, top: state.y, width: state.width};
  const move = (e) => {
    onMove(start, e.clientX - start.x, e.clientY - start.y);
    render();
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
    state.width = Math.max(16, start.width + dx);
  });
});
$("size").addEventListener("input", () => {
  const centre = state.x + state.width / 2;
  state.width = Math.round(($("stage").clientWidth * Number($("size").value)) / 100);
  state.x = Math.round(centre - state.width / 2);
  render();
});
$("flip").addEventListener("click", () => {
  state.flipped = !state.flipped;
  render();
});

// --- download: the room at its own resolution with the product drawn where it sits on screen ----------
$("download").addEventListener("click", () => {
  const background = state.background;
  const width = background.naturalWidth || background.videoWidth;
  const height = background.naturalHeight || background.videoHeight;
  const scale = width / background.getBoundingClientRect().width;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.drawImage(background, 0, 0, width, height);
  const image = $("placed-image");
  const w = state.width * scale;
  const h = (w * image.naturalHeight) / image.naturalWidth;
  context.save();
  context.translate(state.x * scale + (state.flipped ? w : 0), state.y * scale);
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

window.addEventListener("resize", render);
showModel();
loadGallery();
