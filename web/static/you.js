// awareness-kit /you: read what the browser tells any site, show it, and store it with the visit.
"use strict";
(async function () {
  const t = window.t;     // messages in the page's language (i18n.js)
  const lang = document.documentElement.lang === "sr" ? "sr-Latn" : document.documentElement.lang;
  // Stored as the browser gives them (what /data shows); shown in the page's language.
  const facts = {
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    screen: screen.width + " x " + screen.height,
    pixel_ratio: String(window.devicePixelRatio),
    touch_points: String(navigator.maxTouchPoints || 0),
    cpu_cores: navigator.hardwareConcurrency ? String(navigator.hardwareConcurrency) : "",
    memory_gb: navigator.deviceMemory ? String(navigator.deviceMemory) : "",
    local_time: new Date().toLocaleString(lang, { dateStyle: "medium", timeStyle: "medium" }),
  };
  const shown = {
    memory_gb: (gb) => t("about {n} GB", { n: gb }),
    battery: (p) => (facts.charging === "yes" ? t("{p}%, charging", { p }) : t("{p}%, not charging", { p })),
  };
  if (navigator.getBattery) {
    try {
      const battery = await navigator.getBattery();
      facts.battery = String(Math.round(battery.level * 100));
      facts.charging = battery.charging ? "yes" : "no";
    } catch (e) { /* not exposed */ }
  }
  const body = new URLSearchParams({ csrf: document.getElementById("csrf-holder").dataset.csrf });
  for (const [key, value] of Object.entries(facts)) {
    if (!value) continue;
    body.append(key, value);
    const cell = document.getElementById("f-" + key);
    if (cell) cell.textContent = shown[key] ? shown[key](value) : value;
  }
  await fetch("/you/reveal", { method: "POST", body, credentials: "same-origin" });
})();
