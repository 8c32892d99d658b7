// awareness-kit /you: read what the browser tells any site, show it, and store it with the visit.
// The page is rendered once: the reply to the report (POST /you/reveal) carries the parts that changed.
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
    local_time: kitTime(new Date(), lang),
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
  const holder = document.getElementById("csrf-holder");
  const body = new URLSearchParams({ csrf: holder.dataset.csrf });
  for (const [key, value] of Object.entries(facts)) {
    if (!value) continue;
    body.append(key, value);
    const cell = document.getElementById("f-" + key);
    if (cell) cell.textContent = shown[key] ? shown[key](value) : value;
  }
  // After "forget me" the page stores nothing until the visitor presses "Start a new record"; after an answer
  // (the same visit) it reports nothing again.
  if (holder.dataset.report !== "yes") {
    followErasure(document.getElementById("everywhere"));
    awaitPicture();
    return;
  }
  try {
    const reply = await fetch("/you/reveal", { method: "POST", body, credentials: "same-origin" });
    if (!reply.ok) return;
    // The visit is stored now (and perhaps a guess made): the reply has the page's parts that say so, made
    // on the kit with the page's own templates (everything a visitor sent in them is escaped there).
    const parts = (await reply.json()).parts || {};
    for (const [id, html] of Object.entries(parts)) {
      const now = document.getElementById(id);
      if (!now || now.contains(document.activeElement)) continue;
      const next = document.createElement("template");
      next.innerHTML = html;
      now.replaceChildren(next.content);
    }
  } catch (e) { /* the page was left meanwhile */ }
  awaitPicture();
})();

// A time as the kit writes one in the page's language (web/i18n.py DATETIME): 30 Nov 2026, 15:19:36 /
// 30. nov 2026. 15:19:36; the phone's own clock, so its time zone shows.
function kitTime(date, lang) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", year: "numeric", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(date)) parts[p.type] = p.value;
  const month = parts.month.replace(/\.$/, "");
  const clock = parts.hour + ":" + parts.minute + ":" + parts.second;
  return lang.startsWith("sr") ? parts.day + ". " + month + " " + parts.year + ". " + clock
    : parts.day + " " + month + " " + parts.year + ", " + clock;
}

// The guessed person has no picture yet (the camera keeps one a little after it first sees a face): ask again
// every few seconds, for two minutes at most, and show the guess's part once the picture is there.
async function awaitPicture() {
  for (let tries = 0; tries < 40; tries++) {
    const part = document.getElementById("you-guess");
    if (!part || !part.querySelector(".no-picture")) return;
    await new Promise((done) => setTimeout(done, 3000));
    try {
      const reply = await fetch("/you/guess", { credentials: "same-origin", cache: "no-store" });
      if (!reply.ok) return;
      const answer = await reply.json();
      if (!answer.picture || part.contains(document.activeElement)) continue;
      const next = document.createElement("template");
      next.innerHTML = answer.parts["you-guess"];
      part.replaceChildren(next.content);
      return;
    } catch (e) { return; }
  }
}

// "Forget me" on a kit of an exhibition: the other kits acknowledge as they erase; show how many have.
async function followErasure(line) {
  if (!line) return;
  const t = window.t;
  for (let tries = 0; tries < 60; tries++) {
    try {
      const reply = await fetch("/api/exhibition/forget/" + line.dataset.command, { credentials: "same-origin" });
      if (!reply.ok) return;
      const progress = await reply.json();
      line.textContent = t("Erased on {n} of {m} kits.", { n: progress.erased_on, m: progress.of });
      if (progress.done) return;
    } catch (e) { return; }
    await new Promise((done) => setTimeout(done, 1000));
  }
}
