// "Near me" on /outlets: the location is asked for only when the button is tapped, then the
// page of outlets nearest to it is loaded (/outlets?near=lat,lon; the server sorts them).
// Refused, unavailable or too slow: the region chooser below stays, with a plain message.
// The sentences come translated in the panel's data-* attributes.

const panel = document.querySelector("[data-near-me]");
const message = document.querySelector("[data-near-me-message]");

function showMessage(text) {
  message.textContent = text;
  message.hidden = false;
  message.focus();
}

if (panel && message) {
  const button = panel.querySelector("[data-near-me-button]");
  if (!("geolocation" in navigator)) {
    panel.hidden = true;
  } else {
    button.addEventListener("click", () => {
      button.disabled = true;
      message.textContent = panel.dataset.locatingText;
      message.hidden = false;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          // About 100 m: enough to sort outlets, and no more of the person's position is sent.
          const near = `${position.coords.latitude.toFixed(3)},${position.coords.longitude.toFixed(3)}`;
          window.location.assign(`/outlets?near=${encodeURIComponent(near)}`);
        },
        () => {
          button.disabled = false;
          showMessage(panel.dataset.refusedText);
        },
        { timeout: 20000, maximumAge: 600000 },
      );
    });
  }
}
