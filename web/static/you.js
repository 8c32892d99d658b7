// awareness-kit /you: read what the browser tells any site, show it, and store it with the visit.
"use strict";
(async function () {
  const facts = {
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    screen: screen.width + " x " + screen.height,
    pixel_ratio: String(window.devicePixelRatio),
    touch_points: String(navigator.maxTouchPoints || 0),
    cpu_cores: navigator.hardwareConcurrency ? String(navigator.hardwareConcurrency) : "",
    memory_gb: navigator.deviceMemory ? "about " + navigator.deviceMemory + " GB" : "",
    local_time: new Date().toString().slice(0, 33),
  };
  if (navigator.getBattery) {
    try {
      const battery = await navigator.getBattery();
      facts.battery = Math.round(battery.level * 100) + "%" + (battery.charging ? ", charging" : "");
    } catch (e) { /* not exposed */ }
  }
  const body = new URLSearchParams({ csrf: document.getElementById("csrf-holder").dataset.csrf });
  for (const [key, value] of Object.entries(facts)) {
    if (!value) continue;
    body.append(key, value);
    const cell = document.getElementById("f-" + key);
    if (cell) cell.textContent = value;
  }
  await fetch("/you/reveal", { method: "POST", body, credentials: "same-origin" });
})();
