// awareness-kit live dashboard: the camera (MJPEG, read by the page), counters and a feed from Server-Sent Events.
"use strict";
(function () {
  const kinds = JSON.parse(document.getElementById("kinds-data").textContent);
  const $ = (id) => document.getElementById(id);
  const feed = $("feed");
  const MAX_FEED = 60;

  const t = window.t;     // messages in the page's language (i18n.js)

  const SENSOR_NAMES = { pir: t("the infrared sensor"), camera: t("the camera"), distance: t("the distance sensor") };
  const DIRECTIONS = { left: t("left"), right: t("right"), "in": t("in"), out: t("out") };

  // One plain sentence per observation (value shapes: device/observations.py).
  function describe(o) {
    const v = o.value || {};
    switch (o.kind) {
      case "motion": return v.boxes && v.boxes.length
        ? t("Movement in {n} places ({p}% of the picture)", { n: v.boxes.length, p: (100 * v.area).toFixed(1) })
        : t("Everything is still");
      case "face": return v.count
        ? t("Faces in view: {n}; looking at the camera: {looking}; smiling: {smiling}", { n: v.count, looking: v.looking || 0, smiling: v.smiling || 0 })
        : t("No face in view any more");
      case "person": return personSentence(v);
      case "reid": return t("Person #{id} is back: they look like someone seen before (appearance match {p}%, not identity)", { id: v.id, p: Math.round(100 * v.confidence) });
      case "crossing": return t("Person #{id} went {direction} ({in} in, {out} out so far)", { id: (o.subject || "").replace("track:", ""), direction: DIRECTIONS[v.direction] || v.direction, "in": v["in"], out: v.out });
      case "plate": return v.count ? t("Licence plates in view: {n}", { n: v.count }) : t("No licence plate in view any more");
      case "sound_level": return t("Sound level {dbfs} dBFS, about {spl} dB SPL (loudest moment {peak} dBFS)", { dbfs: v.dbfs, spl: v.spl_db, peak: v.peak_dbfs });
      case "voice": return v.pitch_hz
        ? t("Someone spoke for {s} s, voice pitch {hz} Hz: {claim}", { s: v.duration_s, hz: Math.round(v.pitch_hz), claim: t(v.claimed) })
        : t("Someone spoke for {s} s", { s: v.duration_s });
      case "speech_minute": return t("In the last minute: {s} s of speech, in {n} turns", { s: v.speaking_s, n: v.turns });
      case "loud_event": return t("A loud sound: probably a {label} ({dbfs} dBFS, {ms} ms)", { label: t(v.label), dbfs: v.peak_dbfs, ms: v.duration_ms });
      case "keyword": return t("Heard the word \u201c{word}\u201d", { word: v.word });
      case "audio_clip": return t("Kept a {s} s recording of speech", { s: v.duration_s });
      case "presence": return v.present
        ? t("Someone is here, according to {sensors}", { sensors: v.agree.map((s) => SENSOR_NAMES[s] || s).join(", ") })
        : t("Nobody is here, all sensors agree");
      case "light": return v.on ? t("The lights are on (level {level})", { level: v.level }) : t("The lights are off (level {level})", { level: v.level });
      case "health": return t("The kit runs at {c} \u00b0C, load {load}", { c: v.temperature_c, load: v.load_1m });
      case "pir": return v.motion ? t("The infrared sensor feels someone moving") : t("The infrared sensor feels no one");
      case "distance": return t("The nearest person or object is {m} m away", { m: v.metres });
      case "snapshot": return t("Kept a picture of person #{id}", { id: (o.subject || "").replace("track:", "") });
      case "correlation": return t("A phone was linked to person #{id}", { id: (v.track || "").replace("track:", "") });
      default: return (kinds[o.kind] ? kinds[o.kind].title : o.kind) + ": " + JSON.stringify(v);
    }
  }

  function personSentence(v) {
    if (v.state === "new") return t("Person #{id} appeared", { id: v.id });
    const values = { id: v.id, s: Math.round(v.dwell_s), n: v.looked || 0, direction: DIRECTIONS[v.direction] || v.direction };
    if (v.state === "left") return t("Person #{id} left after {s} s; looked at the camera {n} times", values);
    let text = t("Person #{id} has been here {s} s, looked at the camera {n} times", values);
    if (v.direction !== "standing") text += t(", walking {direction}", values);
    if (v.looking) text += t(", and is looking now");
    if (v.smiling) text += t(", smiling");
    return text;
  }

  function clock(ts) {
    return new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function addToFeed(o) {
    const li = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = new Date(o.ts * 1000).toISOString();
    time.textContent = clock(o.ts);
    const link = document.createElement("a");
    link.href = "/data#kind-" + encodeURIComponent(o.kind);
    link.textContent = describe(o);
    link.title = kinds[o.kind] ? kinds[o.kind].reveals : "";
    li.append(time, link);
    feed.prepend(li);
    while (feed.children.length > MAX_FEED) feed.lastElementChild.remove();
  }

  // The live page and the kiosk share this script; each has only some of these elements.
  function setText(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }

  function showNow(now) {
    if (now.face) setText("c-faces", String(now.face.value.count));
    if (now.motion) setText("c-motion", now.motion.value.boxes.length ? (100 * now.motion.value.area).toFixed(1) + "%" : t("still"));
    if (now.pir) setText("c-pir", now.pir.value.motion ? t("someone") : t("no one"));
    if (now.distance) setText("c-distance", now.distance.value.metres + " m");
  }

  function showStatus(s) {
    showNow(s.now || {});
    if (s.presence) setText("c-presence", s.presence.present ? t("yes") + ": " + s.presence.agree.map((x) => SENSOR_NAMES[x] || x).join(", ") : t("no"));
    const sensors = s.sensors || {};
    const state = (key) => sensors[key] || { state: "failed" };
    const failed = (key) => state(key).state !== "ok" ? (state(key).state === "off" ? t("off") : t("not working")) : null;
    setText("c-light", failed("light") || (state("light").on ? t("on") : t("off")) + " (" + state("light").level + ")" +
      (state("light").on_since ? t(", since {time}", { time: clock(state("light").on_since) }) : ""));
    setText("c-temp", failed("temperature") || t("{c} \u00b0C, load {load}", { c: state("temperature").celsius, load: state("load").load_1m ?? "?" }));
    setText("c-led", failed("led") || (state("led").on ? t("on") : t("off")));
    if (failed("pir")) setText("c-pir", failed("pir"));
    if (failed("distance")) setText("c-distance", failed("distance"));
    if (s.vision) {
      setText("c-people", String(s.vision.people));
      setText("c-inout", s.vision["in"] + " / " + s.vision.out);
    }
    const mic = s.microphone;
    if (mic && mic.level_dbfs !== null) {
      setText("c-sound", mic.level_dbfs.toFixed(0) + " dBFS");
      setText("c-speaking", mic.speaking ? t("yes") : t("no"));
      setText("c-pitch", mic.pitch_hz ? mic.pitch_hz + " Hz" : "–");
      setText("c-talk", mic.this_minute.speaking_s + " s");
      setText("audio-kept", t("{analysed} s of sound analysed and thrown away; {kept} s kept.", { analysed: mic.seconds_analysed.toFixed(0), kept: mic.seconds_stored }) +
        " " + t("The spectrum is shown live and never stored."));
      const words = $("words-heard");
      if (words && mic.words.heard.length) setText("words-heard", mic.words.heard.map((w) => w.word).join(" "));
    }
    setText("c-stored", String(s.store.written));
    showStorage(s.store);
    const kiosk = document.body.classList.contains("kiosk");
    if (kiosk) {
      $("panel-live").hidden = s.kiosk_view !== "live";
      $("panel-data").hidden = s.kiosk_view === "live";
    }
    setText("fps", s.camera.capture_fps.toFixed(1));
    setText("afps", s.camera.analysis_fps.toFixed(1));
    setText("skipped", String(s.camera.frames_skipped));
    const cam = s.sources.camera;
    const note = $("camera-note");
    if (!note) return;
    if (cam.state !== "running" && cam.state !== "starting") {
      note.hidden = false;
      setText("camera-note", t("Camera {name} {state} since {time}", { name: cam.name, state: t(cam.state), time: clock(cam.since) }) + (cam.error ? ": " + cam.error : ""));
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
      addToFeed(o);
      const now = {}; now[o.kind] = o; showNow(now);
    });
    source.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
    source.addEventListener("spectrum", (e) => drawSpectrum(JSON.parse(e.data)));
    source.addEventListener("error", () => {
      setText("feed-state", t("The live feed dropped; reconnecting…"));
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);  // e.g. too many viewers
    });
  }
  connect();

  // The camera. The page reads /stream.mjpg itself rather than leaving it to an <img>, which shows the last
  // frame for ever, and says nothing, when a stream ends or stalls (the kit restarting, a phone waking up).
  // Here each part is shown as it arrives (the newest only, if the phone decodes slower than frames come),
  // and a stream that ends, fails or brings nothing for 15 s is started again.
  const img = $("camera");
  const streamUrl = img.dataset.stream;
  const STALL_MS = 15000;
  const CRLFCRLF = [13, 10, 13, 10];
  const ascii = new TextDecoder();
  let shown = null, waiting = null, decoding = false, lastPart = 0;

  function cameraTrouble(message) {
    const note = $("camera-note");
    note.dataset.full = "1";
    note.hidden = false;
    setText("camera-note", message);
  }
  function showNewest() {
    if (decoding || !waiting) return;
    const url = URL.createObjectURL(waiting);
    waiting = null;
    decoding = true;
    img.src = url;
  }
  img.addEventListener("load", () => {
    if (shown && shown !== img.src) URL.revokeObjectURL(shown);
    shown = img.src;
    decoding = false;
    img.dataset.frames = String(Number(img.dataset.frames || 0) + 1);   // parts shown so far
    const note = $("camera-note");
    if (note.dataset.full === "1") { note.dataset.full = "0"; note.hidden = true; }
    showNewest();
  });
  img.addEventListener("error", () => {       // a part that does not decode: skip it
    if (img.src !== shown) URL.revokeObjectURL(img.src);
    decoding = false;
    showNewest();
  });

  function indexOf(bytes, pattern, from) {
    outer: for (let i = from; i <= bytes.length - pattern.length; i++) {
      for (let j = 0; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
      return i;
    }
    return -1;
  }
  // Whole parts out of what has arrived: [jpegs, what is left over].
  function takeParts(bytes) {
    const jpegs = [];
    for (;;) {
      const headEnd = indexOf(bytes, CRLFCRLF, 0);
      if (headEnd < 0) break;
      const head = ascii.decode(bytes.subarray(0, headEnd));
      const length = Number((/Content-Length: *(\d+)/i.exec(head) || [])[1]);
      if (!(length > 0)) throw new Error("a part without its length");
      const end = headEnd + 4 + length;
      if (bytes.length < end + 2) break;
      jpegs.push(bytes.subarray(headEnd + 4, end));
      bytes = bytes.subarray(end + 2);
    }
    return [jpegs, bytes];
  }
  async function watchCamera() {
    let again = 3000, crowded = false;
    const stop = new AbortController();
    lastPart = Date.now();
    const watchdog = setInterval(() => { if (Date.now() - lastPart > STALL_MS) stop.abort(); }, 2500);
    try {
      const response = await fetch(streamUrl, { cache: "no-store", signal: stop.signal });
      if (!response.ok) {         // 503: as many viewers as the kit serves; it says when to come back
        again = 1000 * (Number(response.headers.get("Retry-After")) || 3);
        crowded = response.status === 503;
        throw new Error("HTTP " + response.status);
      }
      const reader = response.body.getReader();
      let rest = new Uint8Array(0);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const bytes = new Uint8Array(rest.length + value.length);
        bytes.set(rest);
        bytes.set(value, rest.length);
        let jpegs;
        [jpegs, rest] = takeParts(bytes);     // a view into this chunk's buffer: no copy
        if (jpegs.length) {
          lastPart = Date.now();
          waiting = new Blob([jpegs[jpegs.length - 1]], { type: "image/jpeg" });
          showNewest();
        }
      }
    } catch (e) {
      // ended, failed or stalled: say so below, and start again
    } finally {
      clearInterval(watchdog);
    }
    cameraTrouble(crowded
      ? t("So many phones are watching that the kit cannot show its camera to one more; trying again in {s} s.", { s: again / 1000 })
      : t("The camera view is not available right now (the kit may be busy or restarting); retrying…"));
    setTimeout(watchCamera, again);
  }
  if (window.ReadableStream && window.AbortController && "body" in Response.prototype) {
    watchCamera();
  } else {
    img.src = streamUrl;    // an old browser: the stream as a plain image, without the restarts
  }

  // The heatmap changes slowly: refresh it every ten seconds.
  // The charts too: every thirty seconds.
  setInterval(() => {
    for (const chart of document.querySelectorAll("img.chart")) {
      chart.src = chart.src.split("?")[0] + "?t=" + Date.now();
    }
  }, 30000);

  const heat = $("heatmap");
  if (heat) setInterval(() => { heat.src = "/heatmap.jpg?t=" + Date.now(); }, 10000);

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
