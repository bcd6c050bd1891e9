// The live board: the tenant's presence stream says when something changed, and the live
// part of the page (counts, warnings, rows) is fetched again and swapped in place. The search
// field is outside that part, so what the receptionist types stays, and it filters as they
// type. Without JavaScript the page refreshes itself every 15 seconds instead.
(function () {
  "use strict";
  var live = document.getElementById("board-live");
  if (!live || !window.EventSource || !window.fetch) {
    return;
  }
  var search = document.getElementById("f-q");
  var lost = document.getElementById("board-lost");
  var timer = null;
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    var q = search ? search.value : "";
    fetch("/presence?part=live&q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { accept: "text/html" }
    }).then(function (res) {
      if (res.redirected || !res.ok) {
        // Signed out meanwhile: the full page takes the receptionist to sign in.
        if (res.redirected) { window.location.reload(); }
        throw new Error("HTTP " + res.status);
      }
      return res.text();
    }).then(function (html) {
      live.innerHTML = html;
    }).catch(function () {
      // The next event or the periodic refresh tries again.
    }).then(function () {
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 100);
  }

  var source = new EventSource(live.getAttribute("data-stream"));
  source.addEventListener("presence", soon);
  source.addEventListener("snapshot", soon);
  source.addEventListener("open", function () { if (lost) { lost.hidden = true; } });
  source.addEventListener("error", function () { if (lost) { lost.hidden = false; } });
  if (search) {
    search.addEventListener("input", soon);
  }
  // The warnings depend on time passing, not only on events.
  setInterval(refresh, 30000);
})();
