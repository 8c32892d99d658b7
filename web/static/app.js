// awareness-kit live dashboard: the camera (MJPEG), counters and a feed from Server-Sent Events.
"use strict";
(function () {
  const kinds = JSON.parse(document.getElementById("kinds-data").textContent);
  const $ = (id) => document.getElementById(id);
  const feed = $("feed");
  const MAX_FEED = 60;

  const SENSOR_NAMES = { pir: "the infrared sensor", camera: "the camera", distance: "the distance sensor" };

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // One plain sentence per observation (value shapes: device/observations.py).
  function describe(o) {
    const v = o.value || {};
    switch (o.kind) {
      case "motion": return v.boxes && v.boxes.length
        ? "Movement in " + plural(v.boxes.length, "place", "places") + " (" + (100 * v.area).toFixed(1) + "% of the picture)"
        : "Everything is still";
      case "face": return v.count
        ? plural(v.count, "face", "faces") + " in view" + (v.looking ? ", " + v.looking + " looking at the camera" : "") + (v.smiling ? ", " + v.smiling + " smiling" : "")
        : "No face in view any more";
      case "person": return personSentence(v);
      case "reid": return "Person #" + v.id + " is back: they look like the person seen before (appearance match " + Math.round(100 * v.confidence) + "%, not identity)";
      case "crossing": return "Person #" + (o.subject || "").replace("track:", "") + " went " + v.direction + " (" + v["in"] + " in, " + v.out + " out so far)";
      case "plate": return v.count ? plural(v.count, "licence plate", "licence plates") + " in view" : "No licence plate in view any more";
      case "sound_level": return "Sound level " + v.dbfs + " dBFS, about " + v.spl_db + " dB SPL (loudest moment " + v.peak_dbfs + " dBFS)";
      case "voice": return "Someone spoke for " + v.duration_s + " s" + (v.pitch_hz ? ", voice pitch " + Math.round(v.pitch_hz) + " Hz: " + v.claimed : "");
      case "speech_minute": return "In the last minute: " + v.speaking_s + " s of speech in " + plural(v.turns, "turn", "turns");
      case "loud_event": return "A loud sound: probably a " + v.label + " (" + v.peak_dbfs + " dBFS, " + v.duration_ms + " ms)";
      case "keyword": return "Heard the word \u201c" + v.word + "\u201d";
      case "audio_clip": return "Kept a " + v.duration_s + " s recording of speech";
      case "presence": return v.present ? "Someone is here, according to " + v.agree.map((s) => SENSOR_NAMES[s] || s).join(" and ") : "Nobody is here, all sensors agree";
      case "light": return v.on ? "The lights are on (level " + v.level + ")" : "The lights are off (level " + v.level + ")";
      case "health": return "The kit runs at " + v.temperature_c + " \u00b0C, load " + v.load_1m;
      case "pir": return v.motion ? "The infrared sensor feels someone moving" : "The infrared sensor feels no one";
      case "distance": return "The nearest person or object is " + v.metres + " m away";
      default: return (kinds[o.kind] ? kinds[o.kind].title : o.kind) + ": " + JSON.stringify(v);
    }
  }

  function personSentence(v) {
    const who = "Person #" + v.id;
    if (v.state === "new") return who + " appeared";
    const time = Math.round(v.dwell_s) + " s";
    if (v.state === "left") return who + " left after " + time + (v.looked ? ", having looked at the camera " + plural(v.looked, "time", "times") : "");
    let text = who + " has been here " + time;
    if (v.direction !== "standing") text += ", walking " + v.direction;
    if (v.looked) text += ", looked at the camera " + plural(v.looked, "time", "times");
    if (v.looking) text += ", and is looking now";
    if (v.smiling) text += ", smiling";
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
    if (now.motion) setText("c-motion", now.motion.value.boxes.length ? (100 * now.motion.value.area).toFixed(1) + "%" : "still");
    if (now.pir) setText("c-pir", now.pir.value.motion ? "someone" : "no one");
    if (now.distance) setText("c-distance", now.distance.value.metres + " m");
  }

  function showStatus(s) {
    showNow(s.now || {});
    if (s.presence) setText("c-presence", s.presence.present ? "yes: " + s.presence.agree.join(", ") : "no");
    const sensors = s.sensors || {};
    const state = (key) => sensors[key] || { state: "failed" };
    const failed = (key) => state(key).state !== "ok" ? (state(key).state === "off" ? "off" : "not working") : null;
    setText("c-light", failed("light") || (state("light").on ? "on" : "off") + " (" + state("light").level + ")" +
      (state("light").on_since ? ", since " + clock(state("light").on_since) : ""));
    setText("c-temp", failed("temperature") || state("temperature").celsius + " \u00b0C, load " + (state("load").load_1m ?? "?"));
    setText("c-led", failed("led") || (state("led").on ? "on" : "off"));
    if (failed("pir")) setText("c-pir", failed("pir"));
    if (failed("distance")) setText("c-distance", failed("distance"));
    if (s.vision) {
      setText("c-people", String(s.vision.people));
      setText("c-inout", s.vision["in"] + " / " + s.vision.out);
    }
    const mic = s.microphone;
    if (mic && mic.level_dbfs !== null) {
      setText("c-sound", mic.level_dbfs.toFixed(0) + " dBFS");
      setText("c-speaking", mic.speaking ? "yes" : "no");
      setText("c-pitch", mic.pitch_hz ? mic.pitch_hz + " Hz" : "–");
      setText("c-talk", mic.this_minute.speaking_s + " s");
      setText("audio-kept", mic.seconds_analysed.toFixed(0) + " s of sound analysed and thrown away; " + mic.seconds_stored + " s kept" +
        (mic.recording ? "" : " (recording is off)") + ". The spectrum is shown live and never stored.");
      const words = $("words-heard");
      if (words && mic.words.heard.length) setText("words-heard", mic.words.heard.map((w) => w.word).join(" "));
    }
    setText("c-stored", String(s.store.written));
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
      setText("camera-note", "Camera " + cam.name + " " + cam.state + " since " + clock(cam.since) + (cam.error ? ": " + cam.error : ""));
    } else if (note.dataset.full !== "1") {
      note.hidden = true;
    }
    const recording = Object.entries(s.sources).filter(([, src]) => src.state === "running" || src.state === "degraded");
    $("recording").classList.toggle("off", recording.length === 0);
    setText("recording-text", recording.length
      ? "Recording: " + recording.map(([key, src]) => key + " (" + src.kind + ")").join(", ")
      : "Not recording anything");
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
    source.addEventListener("open", () => setText("feed-state", "Live: new observations appear at the top."));
    source.addEventListener("observation", (e) => {
      const o = JSON.parse(e.data);
      addToFeed(o);
      const now = {}; now[o.kind] = o; showNow(now);
    });
    source.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
    source.addEventListener("spectrum", (e) => drawSpectrum(JSON.parse(e.data)));
    source.addEventListener("error", () => {
      setText("feed-state", "The live feed dropped; reconnecting…");
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);  // e.g. too many viewers
    });
  }
  connect();

  // The camera: if the stream fails (too many viewers, the kit restarting), say so and retry.
  const img = $("camera");
  const streamUrl = img.getAttribute("src");
  img.addEventListener("error", () => {
    const note = $("camera-note");
    note.dataset.full = "1";
    note.hidden = false;
    setText("camera-note", "The camera view is not available right now (the kit may be busy or restarting); retrying…");
    setTimeout(() => { img.src = streamUrl + (streamUrl.includes("?") ? "&" : "?") + "retry=" + Date.now(); }, 5000);
  });
  img.addEventListener("load", () => { $("camera-note").dataset.full = "0"; });

  // The heatmap changes slowly: refresh it every ten seconds.
  // The charts too: every thirty seconds.
  setInterval(() => {
    for (const chart of document.querySelectorAll("img.chart")) {
      chart.src = chart.src.split("?")[0] + "?t=" + Date.now();
    }
  }, 30000);

  const heat = $("heatmap");
  if (heat) setInterval(() => { heat.src = "/heatmap.jpg?t=" + Date.now(); }, 10000);
})();
