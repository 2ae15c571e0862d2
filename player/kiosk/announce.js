// Announcements on the kiosk page: an urgent one covers the whole stage until it ends or is
// cancelled; info ones run as a banner above the slides. The daemon sends the set that is
// active now ({"type": "announcements"}, via kiosk.js as an "announcements" event); this
// script draws it and says which announcements are on screen ("announcement-shown" events,
// which kiosk.js passes on to the daemon, and the daemon to the server).
"use strict";
(function () {
  const stage = document.getElementById("stage");
  const reported = new Set();
  let overlay = null;
  let banner = null;

  function element(tag, className, text) {
    const made = document.createElement(tag);
    made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function urgentLayer(announcement) {
    const layer = element("section", "urgent");
    layer.setAttribute("role", "alert");
    const body = element("div", "urgent-body");
    body.append(element("p", "urgent-kicker", "Vigtig meddelelse"));
    body.append(element("h1", "urgent-title", announcement.title));
    if (announcement.text) body.append(element("p", "urgent-text", announcement.text));
    layer.append(body);
    if (announcement.picture) {
      const picture = element("img", "urgent-picture");
      picture.alt = "";
      picture.src = "/assets/" + announcement.picture.sha256;
      picture.onerror = function () { picture.remove(); };
      layer.append(picture);
    }
    return layer;
  }

  function render(active) {
    const urgent = active.filter(function (a) { return a.severity === "urgent"; });
    const info = active.filter(function (a) { return a.severity !== "urgent"; });
    const onScreen = [];
    if (overlay) overlay.remove();
    overlay = null;
    if (urgent.length) {
      // Urgent ones come first from the server; the first covers the screen.
      overlay = urgentLayer(urgent[0]);
      stage.append(overlay);
      onScreen.push(urgent[0].id);
    }
    if (banner) banner.remove();
    banner = null;
    if (info.length) {
      banner = element("div", "banner", info.map(function (a) { return a.title; }).join("   ·   "));
      stage.insertBefore(banner, document.getElementById("main"));
      if (!overlay) info.forEach(function (a) { onScreen.push(a.id); });
    }
    // Reported once painted, and once per announcement.
    requestAnimationFrame(function () {
      onScreen.forEach(function (id) {
        if (reported.has(id)) return;
        reported.add(id);
        window.dispatchEvent(new CustomEvent("announcement-shown", { detail: id }));
      });
    });
  }

  window.addEventListener("announcements", function (event) { render(event.detail || []); });
})();
