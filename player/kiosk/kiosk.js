// The kiosk page. The player daemon says what to show over a local websocket;
// when the daemon is gone (restarting), the page goes on by itself with the
// snapshot it has, applying the schedule windows with its own clock.
"use strict";

(function () {
  const FALLBACK_TICK_MS = 500;
  const FADE_MS = 1000;
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 5000;

  const stage = document.getElementById("stage");
  const titleEl = document.getElementById("title");
  const timeEl = document.getElementById("time");
  const dateEl = document.getElementById("date");
  const offlineEl = document.getElementById("offline");
  const emptyEl = document.getElementById("empty");
  const emptyText = document.getElementById("empty-text");
  const layers = Array.from(document.querySelectorAll("#main .layer"));

  const state = {
    snapshot: null,
    items: new Map(),
    current: null, // id of the item on screen
    currentAsset: null,
    skip: null, // an item whose picture could not be loaded while the daemon was away
    shownAt: 0,
    daemon: false, // local websocket open
    server: false, // daemon connected to the server
    front: 0,
    showing: Promise.resolve(),
    reconnectMs: RECONNECT_MIN_MS,
  };

  // --- clock and header -------------------------------------------------------

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

  function applyLayout() {
    const layout = (state.snapshot && state.snapshot.area.layout) || "landscape";
    const windowPortrait = window.innerHeight > window.innerWidth;
    stage.className = layout;
    if ((layout === "portrait") !== windowPortrait) {
      stage.classList.add("rotated");
    }
  }

  // --- snapshots and items -------------------------------------------------------

  function visible(item, nowSeconds) {
    if (!item.windows || item.windows.length === 0) return true;
    return item.windows.some(function (window) {
      const start = window[0];
      const end = window[1];
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
    applyLayout();
    updateClock();
    const current = state.items.get(state.current);
    if (!current || current.asset !== state.currentAsset) {
      if (!state.daemon) fallbackStep(true);
    }
  }

  function assetUrl(item) {
    return "/assets/" + item.asset;
  }

  function preload(item) {
    if (!item) return;
    const image = new Image();
    image.src = assetUrl(item);
    image.decode().catch(function () {});
  }

  function showEmpty(text) {
    layers.forEach(function (layer) { layer.classList.remove("current"); });
    state.current = null;
    state.currentAsset = null;
    delete document.body.dataset.item;
    emptyText.textContent = text;
    emptyEl.hidden = false;
  }

  // Decode the next picture in the back layer before fading, so there is never
  // a black frame between slides. Calls are chained: one transition at a time.
  function show(id, nextId) {
    state.showing = state.showing.then(function () { return showNow(id, nextId); });
    return state.showing;
  }

  async function showNow(id, nextId) {
    const item = id ? state.items.get(id) : null;
    if (!item) {
      showEmpty(state.snapshot ? "Ingen opslag lige nu" : "Venter på indhold …");
      return;
    }
    state.shownAt = Date.now();
    if (item.id === state.current && item.asset === state.currentAsset) {
      preload(state.items.get(nextId));
      return;
    }
    const back = layers[1 - state.front];
    const front = layers[state.front];
    back.src = assetUrl(item);
    try {
      await back.decode();
    } catch (error) {
      // The picture cannot be had (the daemon is gone and it was never shown):
      // keep what is on screen rather than go black, and move on past it next time.
      state.skip = item.id;
      return;
    }
    state.skip = null;
    back.alt = item.title || "";
    // The new picture fades in on top of the old one, which stays fully visible
    // underneath until the fade is done: no dip towards the background.
    front.classList.remove("current");
    front.classList.add("leaving");
    back.classList.remove("leaving");
    back.classList.add("current");
    state.front = 1 - state.front;
    setTimeout(function () { front.classList.remove("leaving"); }, FADE_MS + 100);
    state.current = item.id;
    state.currentAsset = item.asset;
    state.shownAt = Date.now();
    emptyEl.hidden = true;
    document.body.dataset.item = item.id;
    preload(state.items.get(nextId));
  }

  // --- on our own, while the daemon is away ----------------------------------------

  function fallbackStep(force) {
    if (state.daemon || !state.snapshot) return;
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

  setInterval(function () { fallbackStep(false); }, FALLBACK_TICK_MS);

  // --- the local websocket -------------------------------------------------------

  function connect() {
    const socket = new WebSocket("ws://" + location.host + "/ws");
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
      }
    };
    socket.onclose = function () {
      const wasOpen = state.daemon;
      state.daemon = false;
      updateOffline();
      if (wasOpen) fallbackStep(false);
      setTimeout(connect, state.reconnectMs);
      state.reconnectMs = Math.min(RECONNECT_MAX_MS, state.reconnectMs * 2);
    };
  }

  window.addEventListener("resize", applyLayout);
  applyLayout();
  updateClock();
  updateOffline();
  setInterval(updateClock, 1000);
  connect();
})();
