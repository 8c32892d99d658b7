// awareness-kit live dashboard: counters and a feed from Server-Sent Events; the camera is camera.js.
"use strict";
(function () {
  const kinds = JSON.parse(document.getElementById("kinds-data").textContent);
  const $ = (id) => document.getElementById(id);
  const feed = $("feed");
  const MAX_FEED = 60;

  const t = window.t;     // messages in the page's language (i18n.js)
  const { describe, clock, clockOf, pacer, showSince, SENSOR_NAMES } = window.sentences;     // feed.js

  // The feed, readable on a phone: five or more observations come every second, so at most one line a second
  // is added, for the most telling kind waiting (a kind just shown waits a few seconds, and a kind waits its
  // turn the more surely the longer it has waited), with how many of that kind came since its last line. Each
  // line is a plain sentence with its kind's name; what a kind reveals is one link per kind, above the feed.
  const calm = pacer({
    every: 1000, tick: 250, again: 4000, waited: 1,      // ten seconds of waiting count as a level
    levels: { keyword: 5, loud_event: 5, correlation: 5, reid: 4, snapshot: 4, voice: 4, plate_text: 4,
              crossing: 4, audio_clip: 4, person: 3, face: 3, plate: 3, presence: 2, speech_minute: 2, pir: 2 },
    draw: addLine,
  });
  const legend = new Set();

  function addLine(o, n) {
    const li = document.createElement("li");
    const time = clockOf(o.ts);
    const label = document.createElement("span");
    label.className = "kind";
    const title = kinds[o.kind] ? kinds[o.kind].title : o.kind;
    label.textContent = n > 1 ? title + " \u00d7" + n : title;     // "Movement ×3": three since its last line
    const text = describe(o);
    li.append(time);
    if (text !== title) li.append(text, " ");      // a value without a sentence: its kind's name once
    li.append(label);
    feed.prepend(li);
    while (feed.children.length > MAX_FEED) feed.lastElementChild.remove();
    addToLegend(o.kind, title);
  }
  function addToLegend(kind, title) {
    if (legend.has(kind) || !kinds[kind]) return;
    legend.add(kind);
    const line = $("feed-kinds");
    const link = document.createElement("a");
    link.href = "/data#kind-" + encodeURIComponent(kind);
    link.textContent = title;
    const list = line.querySelector("span");
    if (list.children.length) list.append(" \u00b7 ");
    list.append(link);
    line.hidden = false;
  }

  function setText(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }

  // A source that stopped (a file ended, a device offline) shows "–" and a note saying so, not its last figures.
  let cameraOn = true;
  const NOTES = {
    camera: { offline: (v) => t("Camera {name} offline since {time}", v), ended: (v) => t("Camera {name} ended at {time}", v),
              other: (v) => t("Camera {name} {state} since {time}", v) },
    microphone: { offline: (v) => t("Microphone {name} offline since {time}", v),
                  ended: (v) => t("Microphone {name} ended at {time}", v),
                  other: (v) => t("Microphone {name} {state} since {time}", v) },
  };
  function sourceNote(key, src) {
    const said = (src.error ? ": " + ((src.error_says || {})[document.documentElement.lang] || src.error) : "");
    return (NOTES[key][src.state] || NOTES[key].other)({ name: t(src.name), state: t(src.state), time: clock(src.since) }) + said;
  }

  function showNow(now) {
    if (now.face && cameraOn) setText("c-faces", String(now.face.value.count));
    if (now.motion && cameraOn) setText("c-motion", now.motion.value.boxes.length ? t.number(100 * now.motion.value.area, 1) + "%" : t("still"));
    if (now.pir) setText("c-pir", now.pir.value.motion ? t("someone") : t("no one"));
    if (now.distance) setText("c-distance", t.number(now.distance.value.metres, 2) + " m");
  }

  // Line crossings since the counts last started (vision.counted_since: the start, or the last wipe), and the people
  // first seen already inside, who may go out without having come in.
  const crossings = (v) => t("in {came} · out {left}", { came: v["in"], left: v.out }) +
    (v.first_inside ? " · " + t.n("{n} person already inside", "{n} people already inside", v.first_inside) : "");
  const since = $("inout-since");
  showSince(since, since && Number(since.dataset.at));

  function showStatus(s) {
    showNow(s.now || {});
    if (s.presence) setText("c-presence", s.presence.present ? t("yes") + ": " + s.presence.agree.map((x) => SENSOR_NAMES[x] || x).join(", ") : t("no"));
    const sensors = s.sensors || {};
    const state = (key) => sensors[key] || { state: "failed" };
    const failed = (key) => state(key).state !== "ok" ? (state(key).state === "off" ? t("off") : t("not working")) : null;
    setText("c-light", failed("light") || (state("light").on ? t("on") : t("off")) + " (" + t.number(state("light").level, 2) + ")" +
      (state("light").on_since ? t(", since {time}", { time: clock(state("light").on_since) }) : ""));
    setText("c-temp", failed("temperature") || t("{c} \u00b0C, load {load}", { c: state("temperature").celsius, load: state("load").load_1m ?? "?" }));
    setText("c-led", failed("led") || (state("led").on ? t("on") : t("off")));
    // The infrared sensor is published only when it changes (gpiozero reports no first state), so a sensor that has
    // felt someone since the kit started has no observation: its state comes with the status, every second.
    setText("c-pir", failed("pir") || (state("pir").motion ? t("someone") : t("no one")));
    if (failed("distance")) setText("c-distance", failed("distance"));
    const cam = s.sources.camera;
    cameraOn = cam.capturing;
    if (!cameraOn) ["c-people", "c-faces", "c-motion"].forEach((id) => setText(id, "–"));
    if (s.vision) {
      if (cameraOn) setText("c-people", String(s.vision.people));
      setText("c-inout", crossings(s.vision));
    }
    showSince(since, s.vision && s.vision.counted_since);
    const mic = s.microphone;
    const micSource = s.sources.microphone;
    const micOn = !micSource || micSource.capturing;
    const micNote = $("mic-note");
    if (micNote) {
      micNote.hidden = micOn;
      if (!micOn) setText("mic-note", sourceNote("microphone", micSource));
    }
    if ($("words-line")) $("words-line").hidden = !micOn;
    if (!micOn) ["c-sound", "c-speaking", "c-pitch", "c-talk"].forEach((id) => setText(id, "–"));
    else if (mic && mic.level_dbfs !== null) {
      setText("c-sound", t.number(mic.level_dbfs, 0) + " dBFS");
      setText("c-speaking", mic.speaking ? t("yes") : t("no"));
      setText("c-pitch", mic.pitch_hz ? t.number(mic.pitch_hz, 0) + " Hz" : "–");
      setText("c-talk", t.number(mic.this_minute.speaking_s, 1) + " s");
      setText("audio-kept", t("{analysed} s of sound analysed and thrown away; {kept} s kept.", { analysed: t.number(mic.seconds_analysed, 0), kept: t.number(mic.seconds_stored, 1) }) +
        " " + t("The spectrum is shown live and never stored."));
      const words = $("words-heard");
      if (words && mic.words.heard.length) setText("words-heard", mic.words.heard.map((w) => w.word).join(" "));
    }
    setText("c-stored", String(s.store.written));
    showStorage(s.store);
    setText("fps", t.number(s.camera.capture_fps, 1));
    setText("afps", t.number(s.camera.analysis_fps, 1));
    setText("skipped", String(s.camera.frames_skipped));
    const note = $("camera-note");
    if (cam.state !== "running" && cam.state !== "starting") {
      note.hidden = false;
      setText("camera-note", sourceNote("camera", cam));
    } else if (note.dataset.full !== "1") {
      note.hidden = true;
    }
    const recording = Object.entries(s.sources).filter(([, src]) => src.state === "running" || src.state === "degraded");
    $("recording").classList.toggle("off", recording.length === 0);
    setText("recording-text", recording.length
      ? t("Recording:") + " " + recording.map(([key, src]) => t(key) + " (" + t(src.kind) + ")").join(", ")
      : t("Not recording anything"));
  }

  // Storing, from the store's status (device/store/health.py): a line while storing is paused (the disk full,
  // the database read-only), or once observations have been lost; hidden while all is well.
  const STORE_STATES = {
    "paused: disk full": t("storing paused: disk full"),
    "paused: database read-only": t("storing paused: database read-only"),
    "paused: database locked": t("storing paused: database locked"),
  };
  function showStorage(store) {
    const line = $("store-state");
    if (!line || !store || !store.state) return;
    const paused = store.state !== "storing";
    line.hidden = !paused && !store.lost;
    setText("store-state", paused
      ? (STORE_STATES[store.state] || t("storing paused: the database cannot be written")) + " " +
        t("(since {time}; {waiting} observations waiting to be written, {lost} lost)",
          { time: clock(store.since), waiting: store.waiting, lost: store.lost })
      : t("Storing; {lost} observations could not be stored since the kit started.", { lost: store.lost }));
  }

  // The scrolling spectrogram: each column is 0.1 s; bands low to high, bottom to top; brighter is louder.
  const canvas = $("spectrogram");
  const paint = canvas ? canvas.getContext("2d") : null;
  if (paint) {
    paint.fillStyle = "#000";
    paint.fillRect(0, 0, canvas.width, canvas.height);
  }
  function drawSpectrum(columns) {
    if (!paint) return;
    const w = 2;
    for (const [, bands] of columns) {
      paint.drawImage(canvas, -w, 0);
      const h = canvas.height / bands.length;
      bands.forEach((value, i) => {
        const level = Math.max(0, Math.min(1, (value - 20) / 70));
        paint.fillStyle = "hsl(" + (240 - 240 * level) + ",90%," + (10 + 50 * level) + "%)";
        paint.fillRect(canvas.width - w, canvas.height - (i + 1) * h, w, Math.ceil(h));
      });
    }
  }

  let source = null;
  function connect() {
    source = new EventSource("/events");
    source.addEventListener("open", () => setText("feed-state", t("Live: new observations appear at the top.")));
    source.addEventListener("observation", (e) => {
      const o = JSON.parse(e.data);
      calm.take(o);
      showNow({ [o.kind]: o });
    });
    source.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
    source.addEventListener("spectrum", (e) => drawSpectrum(JSON.parse(e.data)));
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) {       // the stream dropped: the browser reconnects by itself
        setText("feed-state", t("The live feed dropped; reconnecting…"));
        return;
      }
      // Refused (a 503 closes an EventSource, which cannot read why): ask once more, read only the answer's
      // headers (a stream given this time is let go at once: a place has freed, so connect again now), say the
      // true reason, and come back when the answer says (Retry-After), 3 to 30 s.
      setText("feed-state", t("The live feed dropped; reconnecting…"));
      const asking = new AbortController();
      let wait = 5000;
      fetch("/events", { cache: "no-store", signal: asking.signal }).then((response) => {
        asking.abort();
        if (response.ok) { wait = 0; return; }
        const after = Number(response.headers.get("Retry-After"));
        if (after > 0) wait = 1000 * Math.min(30, Math.max(3, after));
        const reason = response.headers.get("Refusal-Reason");
        if (reason === "address") {
          setText("feed-state", t("Too many screens from this network address are watching already; close one of them."));
        } else if (reason === "full") {
          setText("feed-state", t("So many phones are watching that the live feed cannot take one more; trying again shortly."));
        }
      }).catch(() => {}).finally(() => setTimeout(connect, wait));
    });
  }
  // The live events once the page is shown (as the camera: camera.js), so that they do not hold up its first paint.
  const begin = () => requestAnimationFrame(() => setTimeout(connect, 0));
  if (document.readyState === "complete") begin();
  else window.addEventListener("load", begin, { once: true });

  window.watchCamera($("camera"));      // camera.js

  // The heatmap changes slowly: it is fetched again every ten seconds, the charts every thirty, while they can be seen.
  const seen = new Set();
  const watcher = window.IntersectionObserver ? new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting) seen.add(entry.target); else seen.delete(entry.target);
  }) : null;
  function refresh(pictures, every) {
    for (const picture of pictures) if (watcher) watcher.observe(picture); else seen.add(picture);
    setInterval(() => {
      for (const picture of pictures) {
        if (!document.hidden && seen.has(picture)) picture.src = picture.src.split("?")[0] + "?t=" + Date.now();
      }
    }, every);
  }
  refresh(document.querySelectorAll("img.chart"), 30000);
  refresh(document.querySelectorAll("#heatmap"), 10000);
})();
