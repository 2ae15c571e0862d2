// The live preview of a text slide: the frame shows the page the server renders from what
// is typed, a moment after typing stops.
"use strict";
(function () {
  const form = document.getElementById("text-slide");
  const frame = document.getElementById("text-preview");
  if (!form || !frame) return;
  let timer = null;

  function refresh() {
    const query = new URLSearchParams({
      title: form.elements.title.value,
      text: form.elements.text.value,
      link: form.elements.link.value,
      slide: frame.dataset.slide || "",
    });
    frame.src = frame.dataset.base + "?" + query.toString();
  }

  form.addEventListener("input", (event) => {
    if (event.target.name === "picture") {
      document.getElementById("picture-note").hidden = !event.target.files.length;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
