// awareness-kit kiosk: the device's own screen, or a projector, read from three metres (web/templates/kiosk.html).
// It reads /events (the status once a second, observations as they come: web/live.py) for the counters and a calm
// feed, shows the kit's view (status.kiosk_view, which the device's button cycles, unless the address asked for
// one: /kiosk?view=summary), and the admin PIN when the device's button asks for it.
// Uses window.t (i18n.js), window.sentences (feed.js) and window.watchCamera (camera.js).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const t = window.t;
  const { describe, clock, clockOf, pacer, showSince } = window.sentences;
  const kinds = JSON.parse($("kinds-data").textContent);   // each kind's title, in the page's language
  const body = document.body;

  function setText(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }

  // ---- the view: live, data or summary (class mode)
  const PANELS = { live: "panel-live", data: "panel-data", summary: "panel-summary" };
  function showView(view) {
    if (!(view in PANELS) || body.dataset.view === view) return;
    body.dataset.view = view;
    for (const [name, id] of Object.entries(PANELS)) $(id).hidden = name !== view;
    document.querySelector(".kiosk-camera").hidden = view === "summary";
    if (view === "live") placeLines();
    else askSummary();
  }

  // The summary's figures from the store (/kiosk/summary.json), while a view shows them.
  let asking = false, inferredShown = "";
  async function askSummary() {
    if (asking) return;
    asking = true;
    try {
      const response = await fetch(body.dataset.summaryUrl, { cache: "no-store" });
      if (response.ok) showSummary(await response.json());
    } catch (e) {
      // the kit restarting: the figures stay as they were until it answers again
    } finally {
      asking = false;
    }
  }

  // A figure that fits its box from three metres: 345 K past 99,999 (in the page's language).
  const compact = new Intl.NumberFormat(t.lang || document.documentElement.lang, { notation: "compact", maximumFractionDigits: 1 });
  const figure = (n) => (n > 99999 ? compact.format(n) : String(n));

  function showSummary(s) {
    setText("s-people-today", figure(s.people_today));
    setText("s-faces", figure(s.faces_today));
    setText("s-phones", figure(s.phones_linked));
    setText("s-stored", figure(s.stored));      // the same count, and the same word, as the data view's
    setText("c-stored", t.n("{n} observation stored", "{n} observations stored", s.stored));
    // "since 15:02": the later of the day's start and the last wipe, what the summary's figures count from.
    for (const el of document.querySelectorAll("time.since")) showSince(el, s.since);
    const top = s.inferred.slice(0, 3);
    if (JSON.stringify(top) === inferredShown) return;
    inferredShown = JSON.stringify(top);
    const lines = top.map(([kind, count]) => {
      const li = document.createElement("li");
      const title = document.createElement("span");
      title.textContent = kinds[kind] ? kinds[kind].title : kind;
      const many = document.createElement("b");
      many.textContent = figure(count);
      li.dataset.kind = kind;
      li.append(title, " ", many);
      return li;
    });
    if (!lines.length) { lines.push(document.createElement("li")); lines[0].textContent = "–"; }
    $("s-inferred").replaceChildren(...lines);
  }

  // "Wiped at ...": the last time everything was erased (the button held down, or /admin), on the summary and,
  // in a line of its own under what is recording, on the other views. The first status only fills them in.
  const wiped = $("s-wiped");
  let wipedAt;
  function showWiped(last) {
    const at = last ? last.at : null;
    if (at === wipedAt) return;
    const first = wipedAt === undefined;
    wipedAt = at;
    wiped.hidden = !last;
    const said = last ? t.n("Everything stored was erased at {when}: {n} item.", "Everything stored was erased at {when}: {n} items.",
      last.total, { when: clock(last.at) }) : "";
    if (last) wiped.textContent = said;
    setText("erased", said);
    if (last && !first) askSummary();      // the figures went with it (the server reads them anew after a wipe)
  }

  // ---- the counters: short values, so that each fits its box
  function presence(p) {
    if (!p.present) return t("no");
    return p.agree.length === 1 ? t("yes · 1 sensor") : t("yes · {n} sensors", { n: p.agree.length });
  }
  // A source that stopped (a file ended, a device offline) shows "–", not its last figures, as the live page does.
  let cameraOn = true;
  function showObservation(o) {
    if (o.kind === "face" && cameraOn) setText("c-faces", String(o.value.count));
    if (o.kind === "presence") setText("c-presence", presence(o.value));
  }

  // Line crossings since the counts last started (vision.counted_since: the start, or the last wipe).
  const since = $("inout-since");
  showSince(since, since && Number(since.dataset.at));

  function showStatus(s) {
    const vision = s.vision;
    const sources = s.sources || {};
    cameraOn = !sources.camera || sources.camera.capturing;
    if (!cameraOn) ["c-people", "c-faces", "s-people-now"].forEach((id) => setText(id, "–"));
    if (vision) {
      if (cameraOn) {
        setText("c-people", String(vision.people));
        setText("s-people-now", String(vision.people));
      }
      setText("c-inout", t("in {came} · out {left}", { came: vision["in"], left: vision.out }));
    }
    showSince(since, s.vision && s.vision.counted_since);
    if (s.now && s.now.face) showObservation(s.now.face);
    if (s.presence) setText("c-presence", presence(s.presence));
    const mic = s.microphone;
    const micOn = !sources.microphone || sources.microphone.capturing;
    if (!micOn) ["c-sound", "c-speaking"].forEach((id) => setText(id, "–"));
    else if (mic && mic.level_dbfs !== null && mic.level_dbfs !== undefined) {
      setText("c-sound", t.number(mic.level_dbfs, 0) + " dBFS");
      setText("c-speaking", mic.speaking ? t("yes") : t("no"));
    }
    showWiped(s.last_forget);
    showSources(s.sources || {});
    body.dataset.kitView = s.kiosk_view;       // the kit's view, as last heard (?view= may hold another)
    if (!body.dataset.pinned) showView(s.kiosk_view);
  }

  function showSources(sources) {
    const recording = Object.entries(sources).filter(([, src]) => src.state === "running" || src.state === "degraded");
    $("recording").classList.toggle("off", recording.length === 0);
    setText("recording-text", recording.length
      ? t("Recording:") + " " + recording.map(([key, src]) => t(key) + " (" + t(src.kind) + ")").join(", ")
      : t("Not recording anything"));
    const cam = sources.camera, note = $("camera-note");
    if (!cam) return;
    if (cam.state !== "running" && cam.state !== "starting") {
      note.hidden = false;
      setText("camera-note", t("Camera {name} {state} since {time}", { name: t(cam.name), state: t(cam.state), time: clock(cam.since) }) +
        (cam.error ? ": " + ((cam.error_says || {})[document.documentElement.lang] || cam.error) : ""));
    } else if (note.dataset.full !== "1") {     // camera.js's own note (the stream dropped) stays until a frame comes
      note.hidden = true;
    }
  }

  // ---- the feed, calm: observations are grouped by kind; at most one new line a second, the most telling kind
  // first; a kind just shown waits before it is shown again (the room's sound and light longest); whole lines only.
  const feed = $("feed");
  const calm = pacer({
    every: 1200,      // at most one a second, with room for a busy screen that draws one a little late
    levels: { person: 3, reid: 3, crossing: 3, correlation: 3, snapshot: 3, keyword: 3, loud_event: 3, voice: 3,
              plate: 3, plate_text: 3, audio_clip: 3, face: 2, presence: 2, speech_minute: 2 },   // others: 1
    again: { 3: 2000, 2: 6000, 1: 20000 },
    fresh: 10000,     // a kind not seen for this long is not shown late: the times go forward
    late: 2,          // how much older than the line above a line may be (s)
    draw: addLine,    // then placeLines: the line's time is taken once it is in place
  });

  function addLine(o, n) {
    const li = document.createElement("li");
    const time = clockOf(o.ts);
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = describe(o);
    li.append(time, what);
    if (n > 1) {
      const times = document.createElement("span");
      times.className = "times";
      times.textContent = "\u00d7" + n;      // "×3": three of this kind since its last line
      li.append(times);
    }
    li.className = "new";
    feed.prepend(li);
    placeLines();
    requestAnimationFrame(() => requestAnimationFrame(() => li.classList.remove("new")));   // fades in
  }

  // Each line at its place, newest at the top, as many as fit whole; the rest go.
  function placeLines() {
    const lines = Array.from(feed.children);
    const box = feed.getBoundingClientRect();
    const line = lines.length ? lines[0].getBoundingClientRect().height : 0;
    if (!box.height || !line) {           // not shown (another view): keep a few for when it is
      lines.slice(20).forEach((li) => li.remove());
      return;
    }
    const fit = Math.max(1, Math.floor(box.height / line + 0.01));
    lines.forEach((li, i) => {
      if (i >= fit) li.remove();
      else li.style.transform = "translateY(" + 100 * i + "%)";
    });
  }
  window.addEventListener("resize", placeLines);

  // ---- the live events
  function connect() {
    const source = new EventSource("/events");
    source.addEventListener("open", () => setText("feed-state", t("Live: new observations appear at the top.")));
    source.addEventListener("observation", (e) => {
      const o = JSON.parse(e.data);
      calm.take(o);
      showObservation(o);
    });
    source.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
    source.addEventListener("error", () => {
      setText("feed-state", t("The live feed dropped; reconnecting…"));
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);  // e.g. too many viewers
    });
  }
  connect();
  window.watchCamera($("camera"));      // camera.js
  setInterval(() => { if (body.dataset.view !== "live") askSummary(); }, 5000);
  if (body.dataset.view !== "live") askSummary();

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
    let asking = false;     // one question at a time: a slow kit is not asked again meanwhile
    async function ask() {
      if (asking) return;
      asking = true;
      try {
        const response = await fetch(box.dataset.pinUrl, { cache: "no-store" });
        show(response.ok ? await response.json() : { state: "hidden" });
      } catch (e) {
        show({ state: "hidden" });      // the kit restarting: show nothing
      } finally {
        asking = false;
      }
    }
    setInterval(() => {
      if (hideAt && Date.now() >= hideAt) show({ state: "hidden" });     // even if an answer is slow to come
      ask();
    }, 1000);
    ask();
  }
  watchAdminPin();

  // The dashboard's address on one line, whole: smaller type, down to 60%, when it would not fit its caption.
  function fitAddress() {
    for (const url of document.querySelectorAll(".kiosk-join .url")) {
      url.style.fontSize = "";
      const base = parseFloat(getComputedStyle(url).fontSize);
      for (let size = base; url.scrollWidth > url.clientWidth + 0.5 && size > 0.6 * base; ) {
        size *= 0.95;
        url.style.fontSize = size + "px";
      }
    }
  }
  fitAddress();
  window.addEventListener("resize", fitAddress);
})();
