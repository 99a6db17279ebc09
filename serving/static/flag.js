// "wrong cut-out?": a shopper flags the shown catalog cut-out; only its sha256 and a listed reason are sent.
"use strict";
(() => {
  const cutout = document.getElementById("cutout");
  const form = document.getElementById("flag");
  const status = document.getElementById("flag-status");
  const sync = () => {
    form.hidden = !cutout.dataset.sha;
    status.textContent = "";
  };
  new MutationObserver(sync).observe(cutout, { attributes: true, attributeFilter: ["data-sha"] });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/flag", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image_sha256: cutout.dataset.sha, reason: document.getElementById("flag-reason").value }),
    }).catch((error) => ({ ok: false, json: async () => ({ error: error.message }) }));
    const body = await response.json().catch(() => ({}));
    status.textContent = response.ok ? "Thank you: someone will look at it." : `Not sent: ${body.error || response.status}`;
    form.querySelector("details").open = false;
  });
})();
