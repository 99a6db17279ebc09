// The review page: brush/eraser over the photo, starting from the mask in force; decisions POST at once.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const canvas = $("mask"), ctx = canvas.getContext("2d", { willReadFrequently: true });
  const PAINT = "rgb(255,0,128)";
  let token = sessionStorage.getItem("prodseg-review-token") || "";
  let items = [], current = -1, tool = "brush", undo = [], edited = false, drawing = false, busy = false;
  // While a decision is saving or the next image loading, keys and clicks wait: no decision lands on the wrong image.
  const setBusy = (on) => { busy = on; $("stage").classList.toggle("loading", on); };

  const status = (text) => { $("status").textContent = text; };
  async function api(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(`/review/api/${path}`, { ...options, headers });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(`${response.status}: ${body.error || response.statusText}`);
    }
    return response;
  }

  async function loadQueue() {
    const data = await (await api("queue")).json();
    $("klass").replaceChildren(...data.classes.map((c) => new Option(c, c)));
    items = data.items;
    $("queue").replaceChildren(...items.map((item, i) => {
      const li = document.createElement("li");
      li.textContent = `${item.image_sha256.slice(0, 10)} ${item.decided_class || item.class_name}` +
        (item.accepted ? "" : " (teacher rejected)") + (item.flags ? ` ⚑${item.flags}` : "");
      if (item.decision) li.dataset.decision = item.decision;
      li.addEventListener("click", () => show(i));
      return li;
    }));
    $("work").hidden = false;
    status(`${items.length} images; ${items.filter((i) => !i.decision).length} to review`);
  }

  async function blobUrl(path) {
    const response = await api(path);
    return response.status === 204 ? null : URL.createObjectURL(await response.blob());
  }

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = reject;
      img.src = url;
    });
  }

  async function show(i) {
    if (i < 0 || i >= items.length) return;
    setBusy(true);
    current = i;
    const item = items[i];
    [...$("queue").children].forEach((li, j) => li.classList.toggle("current", j === i));
    const photo = await loadImage(await blobUrl(`image/${item.image_sha256}`));
    $("photo").src = photo.src;
    canvas.width = photo.naturalWidth;
    canvas.height = photo.naturalHeight;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const maskUrl = await blobUrl(`mask/${item.image_sha256}`);
    if (maskUrl) {  // class indices -> painted pixels (255 = "ignore" is not product)
      const mask = await loadImage(maskUrl);
      ctx.drawImage(mask, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
      for (let p = 0; p < data.data.length; p += 4) {
        const v = data.data[p];
        const on = v > 0 && v < 255;
        data.data.set(on ? [255, 0, 128, 255] : [0, 0, 0, 0], p);
      }
      ctx.putImageData(data, 0, 0);
    }
    undo = [];
    edited = false;
    $("klass").value = item.decided_class || item.class_name;
    $("info").textContent = `${item.image_sha256} · teacher: ${item.class_name}, score ${item.score}` +
      (item.reason ? `, ${item.reason}` : "") + (item.decision ? ` · decided: ${item.decision}` : "");
    setBusy(false);
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width,
            (event.clientY - box.top) * canvas.height / box.height];
  }
  function stroke(event, start) {
    const [x, y] = point(event);
    ctx.globalCompositeOperation = tool === "eraser" ? "destination-out" : "source-over";
    ctx.strokeStyle = ctx.fillStyle = PAINT;
    ctx.lineWidth = Number($("size").value) * canvas.width / canvas.getBoundingClientRect().width;
    ctx.lineCap = ctx.lineJoin = "round";
    if (start) { ctx.beginPath(); ctx.moveTo(x, y); }
    ctx.lineTo(x, y);
    ctx.stroke();
  }
  canvas.addEventListener("pointerdown", (event) => {
    if (current < 0 || busy) return;
    undo.push(ctx.getImageData(0, 0, canvas.width, canvas.height));
    drawing = edited = true;
    canvas.setPointerCapture(event.pointerId);
    stroke(event, true);
  });
  canvas.addEventListener("pointermove", (event) => { if (drawing) stroke(event, false); });
  canvas.addEventListener("pointerup", () => { drawing = false; });

  function undoLast() {
    const last = undo.pop();
    if (last) ctx.putImageData(last, 0, 0);
    edited = undo.length > 0;
  }
  function pick(name) {
    tool = name;
    $("brush").classList.toggle("on", name === "brush");
    $("eraser").classList.toggle("on", name === "eraser");
  }

  async function decide(decision) {
    if (current < 0 || busy) return;
    setBusy(true);
    const item = items[current];
    const body = { image_sha256: item.image_sha256, decision, class_name: $("klass").value,
                   who: $("who").value || "reviewer" };
    if (decision === "accept" && (edited || !item.has_mask)) {
      body.decision = "correct";
      body.mask_png = canvas.toDataURL("image/png");
    }
    try {
      await api("decision", { method: "POST", headers: { "Content-Type": "application/json" },
                              body: JSON.stringify(body) });
    } catch (error) { status(`not saved: ${error.message}`); setBusy(false); return; }
    item.decision = body.decision;
    item.decided_class = body.class_name;
    $("queue").children[current].dataset.decision = body.decision;
    status(`saved: ${body.decision} ${item.image_sha256.slice(0, 10)}`);
    if (current + 1 < items.length) await show(current + 1); else setBusy(false);
  }

  $("brush").addEventListener("click", () => pick("brush"));
  $("eraser").addEventListener("click", () => pick("eraser"));
  $("undo").addEventListener("click", undoLast);
  $("accept").addEventListener("click", () => decide("accept"));
  $("reject").addEventListener("click", () => decide("reject"));
  $("next").addEventListener("click", () => show(current + 1));
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "z") { undoLast(); event.preventDefault(); return; }
    const actions = { a: () => decide("accept"), r: () => decide("reject"), n: () => show(current + 1),
                      b: () => pick("brush"), e: () => pick("eraser"), u: undoLast };
    if (!event.ctrlKey && !event.metaKey && actions[event.key]) actions[event.key]();
  });
  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("prodseg-review-token", token);
    sessionStorage.setItem("prodseg-review-who", $("who").value);
    try { await loadQueue(); await show(0); } catch (error) { status(error.message); }
  });
  $("token").value = token;
  $("who").value = sessionStorage.getItem("prodseg-review-who") || $("who").value;
})();
