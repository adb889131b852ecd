// /gi/check: after htmx swaps in an answer, its error summary takes focus (as app.js does on a
// page load); and where the browser has BarcodeDetector, a photo of the label's QR code fills
// in the credit code it holds. Without BarcodeDetector the scan panel stays hidden: the code is
// typed. The photo never leaves the phone.

const CODE = /[0-9A-HJ-NP-RTUW-Y]{18}/; // the credit-code alphabet (no I, O, S, V, Z)

document.body.addEventListener("htmx:after:swap", () => {
  document.querySelector("#gi-check [data-autofocus]")?.focus();
  setUpScanner();
});

function setUpScanner() {
  const panel = document.querySelector("[data-code-scanner]");
  if (!panel || !("BarcodeDetector" in window) || panel.dataset.ready) return;
  panel.dataset.ready = "1";
  const photo = panel.querySelector("[data-code-scanner-photo]");
  const message = panel.querySelector("[data-code-scanner-message]");
  panel.querySelector("[data-code-scanner-button]").addEventListener("click", () => photo.click());
  photo.addEventListener("change", async () => {
    message.textContent = "";
    try {
      const image = await createImageBitmap(photo.files[0]);
      const found = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(image);
      const code = found.map((barcode) => (barcode.rawValue || "").toUpperCase().match(CODE)).find(Boolean);
      if (!code) throw new Error("no code");
      const form = document.querySelector("#gi-check form");
      form.querySelector("[name=code]").value = code[0];
      form.requestSubmit();
    } catch {
      message.textContent = panel.dataset.unreadableText;
    }
  });
  panel.hidden = false;
}

setUpScanner();
