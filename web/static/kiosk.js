// awareness-kit kiosk: what only the device's own screen does.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);

  // The admin PIN, on the device's own screen only, and only for the few seconds after the device's button asked
  // for it: the page never holds it; /kiosk/pin gives it (to 127.0.0.1 only) while that window is open.
  function watchAdminPin() {
    const box = $("pin");
    if (!box || !box.dataset.pinUrl) return;
    let hideAt = 0;
    function show(state) {
      for (const name of ["hidden", "shown", "unknown"]) $("pin-" + name).hidden = name !== state.state;
      $("pin-value").textContent = state.state === "shown" ? state.pin : "";
      hideAt = state.state === "hidden" ? 0 : Date.now() + 1000 * state.left_s;
    }
    async function ask() {
      try {
        const response = await fetch(box.dataset.pinUrl, { cache: "no-store" });
        show(response.ok ? await response.json() : { state: "hidden" });
      } catch (e) {
        show({ state: "hidden" });      // the kit restarting: show nothing
      }
    }
    setInterval(() => {
      if (hideAt && Date.now() >= hideAt) show({ state: "hidden" });     // even if an answer is slow to come
      ask();
    }, 1000);
    ask();
  }
  watchAdminPin();
})();
