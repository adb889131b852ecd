// Trademark image search (/search/image): the person frames the mark in a crop box, and the
// browser sends only what is inside it, at most 1024 px on its long side, as a JPEG of about
// 0.85 quality — a few dozen KB over 3G instead of a several-MB photo. Without this script the
// form posts the whole photo and the server shrinks it.
//
// Hand-written rather than a cropping library: those show the photo in an <img> from a blob:
// URL, which the pages' CSP (img-src 'self' data:) does not allow; a canvas needs no such URL.
// The crop box is four corner handles and a move area, each a button: dragged with a finger or
// a mouse (pointer events), or moved with the arrow keys (Shift: larger steps).

const LONG_SIDE = 1024;
const QUALITY = 0.85;
const SHOWN_SIDE = 1024; // the canvas on the page: enough for any phone's screen
const MIN_SIDE = 0.08; // the box keeps at least 8% of the photo's width and height
const STEP = 0.02;
const BIG_STEP = 0.1;

let photo = null; // the chosen photo, decoded and upright (the browser applies EXIF)
let box = { x: 0, y: 0, w: 1, h: 1 }; // in fractions of the photo
let cropSent = false; // the cropped file is in the form: let this submit go through
let drag = null;

const byId = (id) => document.getElementById(id);
const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

async function choose(input) {
  const file = input.files?.[0];
  for (const other of document.querySelectorAll('#mark-form input[type="file"]')) {
    if (other !== input) other.value = ""; // one photo at a time: the last one chosen
  }
  photo = null;
  if (file) {
    try {
      photo = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch {
      photo = null; // not one the browser reads (HEIC outside Safari): sent as it is
    }
  }
  box = { x: 0, y: 0, w: 1, h: 1 };
  show();
  // In the middle of the screen, where no bottom navigation covers a corner.
  if (photo) byId("mark-crop-stage")?.scrollIntoView({ block: "center" });
}

function show() {
  const crop = byId("mark-crop");
  if (!crop) return;
  crop.hidden = !photo;
  if (!photo) return;
  const canvas = byId("mark-crop-canvas");
  const scale = Math.min(1, SHOWN_SIDE / Math.max(photo.width, photo.height));
  canvas.width = Math.round(photo.width * scale);
  canvas.height = Math.round(photo.height * scale);
  canvas.getContext("2d").drawImage(photo, 0, 0, canvas.width, canvas.height);
  place();
}

function place() {
  const element = byId("mark-crop-box");
  if (!element) return;
  element.style.left = `${box.x * 100}%`;
  element.style.top = `${box.y * 100}%`;
  element.style.width = `${box.w * 100}%`;
  element.style.height = `${box.h * 100}%`;
}

// Moves the box (part "move") or one corner ("nw", "ne", "sw", "se") by dx, dy (fractions of
// the photo) from where it was, keeping it inside the photo and at least MIN_SIDE.
function moved(from, part, dx, dy) {
  if (part === "move") {
    return { ...from, x: clamp(from.x + dx, 0, 1 - from.w), y: clamp(from.y + dy, 0, 1 - from.h) };
  }
  let { x, y, w, h } = from;
  if (part.includes("w")) {
    x = clamp(from.x + dx, 0, from.x + from.w - MIN_SIDE);
    w = from.x + from.w - x;
  } else {
    w = clamp(from.w + dx, MIN_SIDE, 1 - from.x);
  }
  if (part.includes("n")) {
    y = clamp(from.y + dy, 0, from.y + from.h - MIN_SIDE);
    h = from.y + from.h - y;
  } else {
    h = clamp(from.h + dy, MIN_SIDE, 1 - from.y);
  }
  return { x, y, w, h };
}

document.addEventListener("change", (event) => {
  if (event.target.matches?.('#mark-form input[type="file"]')) choose(event.target);
});

document.addEventListener("pointerdown", (event) => {
  const part = event.target.closest?.("[data-crop]");
  if (!part || !photo) return;
  event.preventDefault();
  part.setPointerCapture(event.pointerId);
  part.focus();
  const stage = byId("mark-crop-stage").getBoundingClientRect();
  drag = { id: event.pointerId, part: part.dataset.crop, x: event.clientX, y: event.clientY, stage, from: box };
});

document.addEventListener("pointermove", (event) => {
  if (!drag || event.pointerId !== drag.id) return;
  const dx = (event.clientX - drag.x) / drag.stage.width;
  const dy = (event.clientY - drag.y) / drag.stage.height;
  box = moved(drag.from, drag.part, dx, dy);
  place();
});

for (const type of ["pointerup", "pointercancel"]) {
  document.addEventListener(type, (event) => {
    if (drag && event.pointerId === drag.id) drag = null;
  });
}

const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

document.addEventListener("keydown", (event) => {
  const part = event.target.closest?.("[data-crop]");
  const arrow = ARROWS[event.key];
  if (!part || !arrow || !photo) return;
  event.preventDefault();
  const step = event.shiftKey ? BIG_STEP : STEP;
  box = moved(box, part.dataset.crop, arrow[0] * step, arrow[1] * step);
  place();
});

document.addEventListener("click", (event) => {
  if (event.target.closest?.("#mark-crop-reset")) {
    box = { x: 0, y: 0, w: 1, h: 1 };
    place();
  }
});

// The crop, drawn at most LONG_SIDE on its long side onto white (a transparent PNG would turn
// black as a JPEG).
function cropped() {
  const sx = box.x * photo.width, sy = box.y * photo.height;
  const sw = box.w * photo.width, sh = box.h * photo.height;
  const scale = Math.min(1, LONG_SIDE / Math.max(sw, sh));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(sw * scale));
  canvas.height = Math.max(1, Math.round(sh * scale));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(photo, sx, sy, sw, sh, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
}

// Before htmx (or the browser) sends the form, the photo input is given the crop in place of
// the photo; then the form is submitted again, as the person asked, and goes through.
document.addEventListener(
  "submit",
  async (event) => {
    const form = event.target;
    if (form.id !== "mark-form" || !photo) return;
    if (cropSent) {
      cropSent = false;
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    try {
      const blob = await cropped();
      const files = new DataTransfer();
      files.items.add(new File([blob], "photo.jpg", { type: "image/jpeg" }));
      byId("photo").files = files.files;
      byId("photo-camera").value = "";
    } catch (error) {
      console.warn("the photo is sent whole", error); // the server shrinks it
    }
    cropSent = true;
    form.requestSubmit(event.submitter?.form === form ? event.submitter : undefined);
  },
  true,
);

// After htmx swaps in the results, their heading takes focus (screen readers read it) and what
// an earlier refusal left on the form goes; after it swaps in the form again (something to
// fix), its error summary takes focus, and the crop box comes back around the same photo unless
// the photo itself was refused.
function clearErrors() {
  document.querySelector("#mark-search .app-error-summary")?.remove();
  for (const message of document.querySelectorAll("#mark-form .app-field-error")) message.remove();
  for (const field of document.querySelectorAll("#mark-form .app-field--error")) {
    field.classList.remove("app-field--error");
  }
  for (const input of document.querySelectorAll("#mark-form [aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
  for (const element of document.querySelectorAll("#mark-form [aria-describedby]")) {
    const ids = element.getAttribute("aria-describedby").split(" ").filter((id) => byId(id));
    if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
    else element.removeAttribute("aria-describedby");
  }
}

document.addEventListener("htmx:after:swap", () => {
  const heading = byId("mark-results-title");
  if (heading) {
    clearErrors();
    heading.focus();
    return;
  }
  const summary = document.querySelector("#mark-search [data-autofocus]");
  if (summary) {
    if (byId("photo-error")) photo = null;
    show();
    summary.focus();
  }
});
