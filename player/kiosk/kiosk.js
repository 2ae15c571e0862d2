// The kiosk page. The player daemon says what to show over a local websocket;
// when the daemon is gone (restarting), the page goes on by itself with the
// snapshot it has, applying the schedule windows with its own clock.
"use strict";

(function () {
  const FALLBACK_TICK_MS = 500;
  const FADE_MS = 1000;
  // A picture or page not loaded by then counts as one that cannot be had.
  const LOAD_TIMEOUT_MS = 10000;
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 5000;
  // How often the headlines' windows are checked: an ended event leaves on time.
  const TICKER_CHECK_MS = 1000;
  // The ticker's speed, in hundredths of the screen's shorter side per second
  // (about 130 px/s on a 1080p screen), the same for any length of text.
  const TICKER_SPEED_VMIN = 12;
  const TICKER_SEPARATOR = " • ";

  const stage = document.getElementById("stage");
  const titleEl = document.getElementById("title");
  const timeEl = document.getElementById("time");
  const dateEl = document.getElementById("date");
  const offlineEl = document.getElementById("offline");
  const mainEl = document.getElementById("main");
  const emptyEl = document.getElementById("empty");
  const emptyText = document.getElementById("empty-text");
  const tickerEl = document.getElementById("ticker");
  const trackEl = document.getElementById("ticker-track");
  const pairingEl = document.getElementById("pairing");

  // Danish first; ?lang=en gives English (the texts the page itself writes).
  const LANG = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "da";
  const TEXTS = {
    da: {
      pairingTitle: "Tilknyt denne skærm",
      pairingHow: function (server) { return "Gå til Skærme på " + server + " og skriv koden"; },
      pairingExpires: function (time) { return "Koden gælder til kl. " + time + ". Der kommer en ny af sig selv."; },
      pairingWait: function (server) { return "Venter på serveren … (" + server + ")"; },
      pairingQr: "QR-kode til siden, hvor koden skrives",
    },
    en: {
      pairingTitle: "Pair this screen",
      pairingHow: function (server) { return "Go to Screens on " + server + " and type the code"; },
      pairingExpires: function (time) { return "The code is valid until " + time + ". A new one follows by itself."; },
      pairingWait: function (server) { return "Waiting for the server … (" + server + ")"; },
      pairingQr: "QR code of the page that takes the code",
    },
  };
  const T = TEXTS[LANG];

  const state = {
    snapshot: null,
    items: new Map(),
    current: null, // id of the item on screen
    currentAsset: null,
    skip: null, // an item whose picture or page could not be loaded while the daemon was away
    shownAt: 0,
    daemon: false, // local websocket open
    socket: null, // the local websocket
    server: false, // daemon connected to the server
    front: null, // the layer on screen
    upcoming: null, // the next item's layer, loading beneath: see createLayer
    wanted: null, // the latest { id, next } asked for
    busy: false, // a slide is loading or fading in
    overtake: null, // called when a newer slide is asked for while one loads
    reconnectMs: RECONNECT_MIN_MS,
  };
  const ticker = {
    texts: [], // the headlines visible now, in order
    animation: null, // the loop under way
  };

  // --- clock, header and layout ---------------------------------------------------

  function timezone() {
    return (state.snapshot && state.snapshot.area.timezone) || undefined;
  }

  function formatters() {
    const zone = timezone();
    try {
      return {
        time: new Intl.DateTimeFormat("da-DK", { timeZone: zone, hour: "2-digit", minute: "2-digit" }),
        date: new Intl.DateTimeFormat("da-DK", { timeZone: zone, weekday: "long", day: "numeric", month: "long" }),
      };
    } catch (error) {
      return {
        time: new Intl.DateTimeFormat("da-DK", { hour: "2-digit", minute: "2-digit" }),
        date: new Intl.DateTimeFormat("da-DK", { weekday: "long", day: "numeric", month: "long" }),
      };
    }
  }

  function updateClock() {
    const now = new Date();
    const format = formatters();
    timeEl.textContent = format.time.format(now);
    const date = format.date.format(now);
    dateEl.textContent = date.charAt(0).toUpperCase() + date.slice(1);
  }

  function updateOffline() {
    const online = state.daemon && state.server;
    offlineEl.hidden = online;
    document.body.dataset.online = online ? "yes" : "no";
  }

  // Returns whether the stage changed its layout.
  function applyLayout() {
    const layout = (state.snapshot && state.snapshot.area.layout) || "landscape";
    const windowPortrait = window.innerHeight > window.innerWidth;
    const classes = (layout === "portrait") !== windowPortrait ? layout + " rotated" : layout;
    if (stage.className === classes) return false;
    stage.className = classes;
    return true;
  }

  // --- snapshots and items -------------------------------------------------------

  // An item or a headline may show now: no windows, or now in one of them.
  function visible(entry, nowSeconds) {
    const windows = entry.windows || [];
    if (!Array.isArray(windows)) return false;
    if (windows.length === 0) return true;
    return windows.some(function (span) {
      if (!Array.isArray(span)) return false;
      const start = span[0];
      const end = span[1];
      return (start === null || start <= nowSeconds) && (end === null || nowSeconds < end);
    });
  }

  function nextItem(afterId, nowSeconds) {
    const items = state.snapshot ? state.snapshot.items : [];
    if (items.length === 0) return null;
    let start = 0;
    const index = items.findIndex(function (item) { return item.id === afterId; });
    if (index >= 0) start = index + 1;
    for (let offset = 0; offset < items.length; offset += 1) {
      const item = items[(start + offset) % items.length];
      if (visible(item, nowSeconds)) return item;
    }
    return null;
  }

  function setSnapshot(snapshot) {
    state.snapshot = snapshot;
    state.items = new Map(snapshot.items.map(function (item) { return [item.id, item]; }));
    titleEl.textContent = snapshot.area.name;
    document.title = snapshot.area.name + " · Lokalskærm";
    document.body.dataset.version = snapshot.version;
    updateTicker(applyLayout());
    updateClock();
    const current = state.items.get(state.current);
    if (!current || current.asset !== state.currentAsset) {
      if (!state.daemon) fallbackStep(true);
    }
  }

  // --- slides: pictures and pages ---------------------------------------------------

  // Each slide is a layer in #main: an <img>, or a page in an <iframe> with an
  // empty sandbox (no scripts, no origin of its own, no forms, no navigating the
  // kiosk). The next one loads transparent beneath the one on screen and fades
  // in only once loaded; the old one stays whole beneath it until the fade is
  // done. So there is never an empty frame between slides, whatever their kinds.

  function assetUrl(item) {
    return "/assets/" + item.asset;
  }

  function delay(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function timeout(ms) {
    return delay(ms).then(function () { throw new Error("not loaded within " + ms + " ms"); });
  }

  function createLayer(item) {
    const url = assetUrl(item);
    let element;
    let loaded;
    if (item.kind === "page") {
      element = document.createElement("iframe");
      element.setAttribute("sandbox", "");
      element.referrerPolicy = "no-referrer";
      element.tabIndex = -1;
      element.title = item.title || "";
      const loadEvent = new Promise(function (resolve) {
        element.addEventListener("load", resolve, { once: true });
      });
      // A missing page (404, say) fires `load` too, as an error page: ask for it as well.
      const found = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      });
      element.src = url; // before the frame is in the page, so it never loads about:blank
      loaded = Promise.all([found, loadEvent]);
    } else {
      element = document.createElement("img");
      element.alt = item.title || "";
      element.src = url;
      loaded = element.decode();
    }
    element.className = "layer";
    mainEl.insertBefore(element, emptyEl);
    const layer = { asset: item.asset, element: element, failed: false };
    layer.ready = Promise.race([loaded, timeout(LOAD_TIMEOUT_MS)]);
    layer.ready.catch(function () { layer.failed = true; });
    return layer;
  }

  // The layer for `item`: the one preloaded, if it is that one and did not fail.
  function layerFor(item) {
    const upcoming = state.upcoming;
    state.upcoming = null;
    if (upcoming && upcoming.asset === item.asset && !upcoming.failed) return upcoming;
    if (upcoming) upcoming.element.remove();
    return createLayer(item);
  }

  function preload(item) {
    if (item && item.asset !== state.currentAsset) state.upcoming = layerFor(item);
  }

  // Waits until the layer loaded or failed, or until another slide is asked for
  // (the daemon moved on while this one was still loading).
  function loadedOrOvertaken(layer) {
    return new Promise(function (resolve) {
      state.overtake = function () { resolve("overtaken"); };
      layer.ready.then(
        function () { resolve("loaded"); },
        function () { resolve("failed"); },
      );
    });
  }

  function showEmpty(text) {
    const old = state.front;
    if (old) {
      old.classList.remove("current"); // fades out
      setTimeout(function () { old.remove(); }, FADE_MS + 100);
    }
    state.front = null;
    state.current = null;
    state.currentAsset = null;
    delete document.body.dataset.item;
    emptyText.textContent = text;
    emptyEl.hidden = false;
  }

  // Only the latest request counts: while a slide loads or fades in, a newer
  // request replaces an older one. One transition at a time.
  function show(id, nextId) {
    state.wanted = { id: id, next: nextId };
    if (state.overtake) state.overtake();
    if (!state.busy) runShows();
  }

  async function runShows() {
    state.busy = true;
    while (state.wanted) {
      const wanted = state.wanted;
      state.wanted = null;
      try {
        await showNow(wanted.id, wanted.next);
      } catch (error) {
        console.error(error);
      }
    }
    state.busy = false;
  }

  async function showNow(id, nextId) {
    const item = id ? state.items.get(id) : null;
    if (!item) {
      showEmpty(state.snapshot ? "Ingen opslag lige nu" : "Venter på indhold …");
      return;
    }
    const next = state.items.get(nextId);
    state.shownAt = Date.now();
    if (item.id === state.current && item.asset === state.currentAsset) {
      preload(next);
      return;
    }
    const layer = layerFor(item);
    const outcome = await loadedOrOvertaken(layer);
    state.overtake = null;
    if (outcome === "overtaken") {
      state.upcoming = layer; // it may still be asked for again
      return;
    }
    if (outcome === "failed") {
      // The picture or page cannot be had (the daemon is gone and it was never
      // shown, or it does not load): keep what is on screen rather than go
      // black, and move on past it next time.
      layer.element.remove();
      state.skip = item.id;
      return;
    }
    state.skip = null;
    const old = state.front;
    if (old) {
      old.classList.remove("current");
      old.classList.add("leaving");
    }
    void getComputedStyle(layer.element).opacity; // so that the fade starts from transparent
    layer.element.classList.add("current");
    state.front = layer.element;
    state.current = item.id;
    state.currentAsset = item.asset;
    state.shownAt = Date.now();
    emptyEl.hidden = true;
    document.body.dataset.item = item.id;
    preload(next);
    await delay(FADE_MS + 100);
    if (old) old.remove();
  }

  // --- the ticker ----------------------------------------------------------------

  // The track holds the headlines once (the head), followed by copies of the
  // headlines visible now, enough to fill the bar. One loop scrolls the head out
  // past the left edge, at a constant speed; it ends when the first copy stands
  // where the head began, and the next loop starts there with that copy as its
  // head, so the text never jumps. New headlines thus join a loop or two later;
  // a headline that may no longer show (its event ended) makes the ticker start
  // again at once, and with none left the bar goes and the slides take its room.

  function tickerTexts(nowSeconds) {
    const zones = (state.snapshot && state.snapshot.zones) || {};
    const entries = zones.ticker && Array.isArray(zones.ticker.entries) ? zones.ticker.entries : [];
    return entries
      .filter(function (entry) {
        return entry && typeof entry.text === "string" && visible(entry, nowSeconds);
      })
      .map(function (entry) { return entry.text.replace(/\s+/g, " ").trim(); })
      .filter(function (text) { return text !== ""; });
  }

  // `restart`: the bar changed its size, so start the text again from the right.
  function updateTicker(restart) {
    const texts = tickerTexts(Date.now() / 1000);
    const same = texts.length === ticker.texts.length &&
      texts.every(function (text, index) { return text === ticker.texts[index]; });
    if (same && !restart) return;
    const removed = ticker.texts.some(function (text) { return !texts.includes(text); });
    ticker.texts = texts;
    if (texts.length === 0) {
      stopTicker();
    } else if (restart || removed || !ticker.animation) {
      tickerEl.hidden = false;
      scrollTicker(texts, tickerEl.clientWidth);
    }
  }

  function stopTicker() {
    if (ticker.animation) ticker.animation.cancel();
    ticker.animation = null;
    trackEl.replaceChildren();
    tickerEl.hidden = true;
  }

  // The headlines as text only (never markup), each followed by a separator.
  function tickerRun(texts) {
    const run = document.createElement("span");
    run.className = "run";
    texts.forEach(function (text) {
      const entry = document.createElement("span");
      entry.className = "entry";
      entry.textContent = text;
      const separator = document.createElement("span");
      separator.className = "separator";
      separator.textContent = TICKER_SEPARATOR;
      run.append(entry, separator);
    });
    return run;
  }

  // The width as laid out, in px, unaffected by the stage's rotation.
  function widthOf(element) {
    return parseFloat(getComputedStyle(element).width) || 0;
  }

  // One loop: `head` scrolls from `from` px (from the bar's left edge) out to the left.
  function scrollTicker(head, from) {
    const tail = ticker.texts;
    const headRun = tickerRun(head);
    trackEl.replaceChildren(headRun);
    const headWidth = widthOf(headRun);
    for (let filled = 0; filled < tickerEl.clientWidth; ) {
      const width = widthOf(trackEl.appendChild(tickerRun(tail)));
      if (width <= 0) break;
      filled += width;
    }
    const speed = (TICKER_SPEED_VMIN * Math.min(window.innerWidth, window.innerHeight)) / 100;
    const previous = ticker.animation;
    // A transform only: the compositor moves the text, smoothly also on a Raspberry Pi.
    // `forwards` holds the end until the next loop replaces it, in the same task.
    const animation = trackEl.animate(
      [{ transform: "translateX(" + from + "px)" }, { transform: "translateX(" + -headWidth + "px)" }],
      { duration: ((from + headWidth) / speed) * 1000, easing: "linear", fill: "forwards" },
    );
    if (previous) previous.cancel();
    animation.onfinish = function () { scrollTicker(tail, 0); };
    ticker.animation = animation;
  }

  // --- on our own, while the daemon is away ----------------------------------------

  function fallbackStep(force) {
    if (state.daemon || !state.snapshot || state.busy) return;
    const now = Date.now() / 1000;
    const current = state.items.get(state.current);
    const due =
      force ||
      !current ||
      !visible(current, now) ||
      Date.now() - state.shownAt >= current.duration * 1000;
    if (!due) return;
    const following = nextItem(state.skip || state.current, now);
    const afterThat = following ? nextItem(following.id, now + following.duration) : null;
    show(following ? following.id : null, afterThat ? afterThat.id : null);
  }

  // --- pairing: a screen without a token ------------------------------------------

  // "K7M4QX" → "K7M-4QX", as the daemon's STATUS line (player/pairing.py) shows it.
  function displayCode(code) {
    return /^[0-9A-Za-z]{6}$/.test(code) ? code.slice(0, 3) + "-" + code.slice(3) : code;
  }

  // The QR code is an SVG document from the server: shown as a picture (data: URL),
  // never put into the page as markup.
  function svgDataUrl(svg) {
    const bytes = new TextEncoder().encode(svg);
    let binary = "";
    for (let index = 0; index < bytes.length; index += 1) binary += String.fromCharCode(bytes[index]);
    return "data:image/svg+xml;base64," + btoa(binary);
  }

  function showPairing(message) {
    if (!message.active) {
      pairingEl.hidden = true;
      delete document.body.dataset.pairing;
      return;
    }
    const server = typeof message.server === "string" ? message.server : "";
    const code = typeof message.code === "string" && message.code !== "" ? message.code : null;
    const codeEl = document.getElementById("pairing-code");
    const qrEl = document.getElementById("pairing-qr");
    const howEl = document.getElementById("pairing-how");
    const expiryEl = document.getElementById("pairing-expiry");
    const waitEl = document.getElementById("pairing-wait");
    document.getElementById("pairing-title").textContent = T.pairingTitle;
    codeEl.textContent = code ? displayCode(code) : "";
    howEl.textContent = T.pairingHow(server);
    howEl.hidden = !code;
    if (code && typeof message.qr === "string" && message.qr !== "") {
      const url = svgDataUrl(message.qr);
      if (qrEl.getAttribute("src") !== url) qrEl.src = url;
      qrEl.alt = T.pairingQr;
      qrEl.hidden = false;
    } else {
      qrEl.removeAttribute("src");
      qrEl.hidden = true;
    }
    if (code && typeof message.expires_at === "number") {
      const time = new Intl.DateTimeFormat(LANG === "en" ? "en-GB" : "da-DK", {
        hour: "2-digit", minute: "2-digit",
      }).format(new Date(message.expires_at * 1000));
      expiryEl.textContent = T.pairingExpires(time);
      expiryEl.hidden = false;
    } else {
      expiryEl.hidden = true;
    }
    waitEl.textContent = T.pairingWait(server);
    waitEl.hidden = Boolean(code);
    document.body.dataset.pairing = code || "waiting";
    pairingEl.hidden = false;
  }

  // --- the local websocket -------------------------------------------------------

  // The socket sits beside the page: /ws on a screen's daemon; the server's preview
  // serves the page from a folder of its own (signage_server/web/preview.py).
  function socketUrl() {
    const url = new URL("ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  function connect() {
    const socket = new WebSocket(socketUrl());
    socket.onopen = function () {
      state.daemon = true;
      state.reconnectMs = RECONNECT_MIN_MS;
      updateOffline();
    };
    socket.onmessage = function (event) {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type === "snapshot") {
        setSnapshot(message.snapshot);
      } else if (message.type === "show") {
        show(message.item, message.next);
      } else if (message.type === "connection") {
        state.server = Boolean(message.connected);
        updateOffline();
      } else if (message.type === "announcements") {
        window.dispatchEvent(new CustomEvent("announcements", { detail: message.active }));
      } else if (message.type === "pairing") {
        showPairing(message);
      }
    };
    state.socket = socket;
    socket.onclose = function () {
      const wasOpen = state.daemon;
      state.daemon = false;
      updateOffline();
      if (wasOpen) fallbackStep(false);
      setTimeout(connect, state.reconnectMs);
      state.reconnectMs = Math.min(RECONNECT_MAX_MS, state.reconnectMs * 2);
    };
  }

  // announce.js says what it put on screen; the daemon tells the server.
  window.addEventListener("announcement-shown", function (event) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify({ type: "shown", id: event.detail }));
    }
  });

  window.addEventListener("resize", function () {
    applyLayout();
    updateTicker(true);
  });
  applyLayout();
  updateClock();
  updateOffline();
  setInterval(updateClock, 1000);
  setInterval(function () { fallbackStep(false); }, FALLBACK_TICK_MS);
  setInterval(function () { updateTicker(false); }, TICKER_CHECK_MS);
  connect();
})();
