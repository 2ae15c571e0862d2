// Reordering an area's slides by dragging a handle (mouse, pen or finger) or with the
// arrow keys on a focused handle. Without this script the Up and Down buttons do the same.
"use strict";
(function () {
  const list = document.querySelector("ol.slides");
  if (!list) return;
  const status = document.querySelector(".saved-order");

  function save() {
    const order = Array.from(list.children, (item) => item.dataset.key).join("\n");
    const body = new URLSearchParams({ csrf_token: list.dataset.csrf, order: order });
    fetch(list.dataset.orderUrl, {
      method: "POST",
      body: body,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    }).then((response) => {
      status.textContent = response.ok ? list.dataset.saved : list.dataset.failed;
    }, () => {
      status.textContent = list.dataset.failed;
    });
  }

  function move(item, step) {
    const other = step < 0 ? item.previousElementSibling : item.nextElementSibling;
    if (!other) return false;
    list.insertBefore(item, step < 0 ? other : other.nextElementSibling);
    return true;
  }

  list.addEventListener("keydown", (event) => {
    const handle = event.target.closest(".handle");
    if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    if (move(handle.closest("li"), event.key === "ArrowUp" ? -1 : 1)) {
      handle.focus();
      save();
    }
  });

  let dragged = null;
  list.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".handle");
    if (!handle || event.button !== 0) return;
    event.preventDefault();
    dragged = handle.closest("li");
    dragged.classList.add("dragging");
    handle.setPointerCapture(event.pointerId);
  });
  list.addEventListener("pointermove", (event) => {
    if (!dragged) return;
    const previous = dragged.previousElementSibling;
    const next = dragged.nextElementSibling;
    if (previous && event.clientY < middle(previous)) move(dragged, -1);
    else if (next && event.clientY > middle(next)) move(dragged, 1);
  });
  function drop() {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    save();
  }
  list.addEventListener("pointerup", drop);
  list.addEventListener("pointercancel", drop);

  function middle(item) {
    const box = item.getBoundingClientRect();
    return box.top + box.height / 2;
  }
})();
