// awareness-kit: the camera, read by the page (the live page and the kiosk).
// watchCamera(img): shows the stream img.dataset.stream in a <canvas> that takes the place of img (its id, class,
// size and, as role="img", its alt text), says what goes wrong in #camera-note, waits its turn when the kit has as
// many viewers as it serves, and reads nothing while it is off screen or the page is in the background.
"use strict";
window.watchCamera = function (img) {
  const t = window.t;     // messages in the page's language (i18n.js)
  const $ = (id) => document.getElementById(id);
  function setText(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }

  // The page reads /stream.mjpg itself rather than leaving it to an <img>, which shows the last frame for ever,
  // and says nothing, when a stream ends or stalls (the kit restarting, a phone waking up), and which makes
  // every frame a new "largest contentful paint". Each part is decoded off the main thread (createImageBitmap)
  // and drawn into a canvas of a fixed size: the newest only, if the phone decodes slower than frames come. A
  // stream that ends, fails or brings nothing for 15 s is started again.
  const streamUrl = img.dataset.stream;
  const label = img.alt;
  const STALL_MS = 15000;
  const CRLFCRLF = [13, 10, 13, 10];
  const ascii = new TextDecoder();
  const canvas = document.createElement("canvas");
  const paint = canvas.getContext && canvas.getContext("2d");
  if (!paint || !window.ReadableStream || !window.AbortController || !("body" in Response.prototype)) {
    img.src = streamUrl;    // an old browser: the stream as a plain image, without the restarts
    return;
  }
  canvas.id = img.id;
  canvas.className = img.className;
  canvas.width = Number(img.getAttribute("width")) || 640;
  canvas.height = Number(img.getAttribute("height")) || 480;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  Object.assign(canvas.dataset, img.dataset);
  img.replaceWith(canvas);

  const decode = window.createImageBitmap ? (blob) => createImageBitmap(blob) : (blob) => new Promise((resolve, reject) => {
    const picture = new Image();
    const url = URL.createObjectURL(blob);
    picture.onload = () => { URL.revokeObjectURL(url); resolve(picture); };
    picture.onerror = () => { URL.revokeObjectURL(url); reject(new Error("a part that does not decode")); };
    picture.src = url;
  });
  let waiting = null, drawing = false, lastPart = 0;
  async function showNewest() {
    if (drawing || !waiting) return;
    const blob = waiting;
    waiting = null;
    drawing = true;
    try {
      const picture = await decode(blob);
      if (canvas.width !== picture.width || canvas.height !== picture.height) {
        canvas.width = picture.width;
        canvas.height = picture.height;
      }
      paint.drawImage(picture, 0, 0);
      if (picture.close) picture.close();
      canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);   // parts shown so far
      if (canvas.getAttribute("aria-label") !== label) canvas.setAttribute("aria-label", label);
      const note = $("camera-note");
      if (note && note.dataset.full === "1") { note.dataset.full = "0"; note.hidden = true; }
    } catch (e) {
      // a part that does not decode: skip it
    }
    drawing = false;
    showNewest();
  }

  function cameraTrouble(message) {
    const note = $("camera-note");
    if (!note) return;
    note.dataset.full = "1";
    note.hidden = false;
    setText("camera-note", message);
  }

  // Waiting in line: the kit serves as many phones as it can, and the next free place goes to the phone that has
  // waited longest. It gave this one a ticket (sent back with each try), its place and the estimated wait, shown
  // in the picture's place with a countdown.
  let ticket = null, place = 0, turnAt = 0, countdown = null;
  function waitInLine(answer, againMs) {
    const now = Date.now();
    if (!answer.ticket) turnAt = now + againMs;     // not in the line (this phone has all its places): try again then
    else if (answer.place !== place || turnAt <= now) turnAt = now + 1000 * Math.max(1, answer.wait || againMs / 1000);
    ticket = answer.ticket;
    place = answer.place;
    const say = () => {
      const s = Math.max(1, Math.round((turnAt - Date.now()) / 1000));
      placeholder(answer.reason === "address"    // not the kit's limit: this network address has all its places
        ? t("Too many screens from this network address are watching already; close one of them. Trying again in {s} s.", { s: s })
        : ticket
        ? t("So many phones are watching that the kit cannot show its camera to one more; you are number {n} in line, your turn in about {s} s.", { n: place, s: s })
        : t("So many phones are watching that the kit cannot show its camera to one more; trying again in {s} s.", { s: s }));
    };
    say();
    clearInterval(countdown);
    countdown = setInterval(say, 1000);
  }
  function leaveLine() {
    clearInterval(countdown);
    countdown = null;
  }
  // A message in the picture's place (and as its accessible name): never a broken image.
  function placeholder(message) {
    canvas.setAttribute("aria-label", message);
    const w = canvas.width, h = canvas.height, size = Math.round(w / 22);
    paint.fillStyle = "#1b2128";
    paint.fillRect(0, 0, w, h);
    paint.fillStyle = "#eef2f5";
    paint.font = size + "px system-ui, sans-serif";
    paint.textAlign = "center";
    paint.textBaseline = "middle";
    const lines = [];
    for (const word of message.split(" ")) {
      const line = lines.length ? lines[lines.length - 1] + " " + word : word;
      if (lines.length && paint.measureText(line).width <= w * 0.85) lines[lines.length - 1] = line;
      else lines.push(word);
    }
    lines.forEach((line, i) => paint.fillText(line, w / 2, h / 2 + (i - (lines.length - 1) / 2) * size * 1.4));
  }

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

  // The stream is read only while the picture can be seen: off screen (IntersectionObserver) or with the page in
  // the background (visibilitychange), the reading stops, and the kit gives the place to another phone.
  // It starts once the page's own styles, scripts and pictures are in: a phone on a busy network shows the page sooner.
  let reading = null, retry = null, onScreen = true, loaded = false;
  const wanted = () => loaded && onScreen && !document.hidden;
  function start() {
    if (!reading && !retry && wanted()) read();
  }
  function pause() {
    const stop = reading;
    reading = null;
    if (stop) stop.abort();
    clearTimeout(retry);
    retry = null;
    leaveLine();
  }
  function again() {
    if (wanted()) start(); else pause();
  }

  async function read() {
    let wait = 3000, answer = null;
    const stop = new AbortController();
    reading = stop;
    lastPart = Date.now();
    const watchdog = setInterval(() => { if (Date.now() - lastPart > STALL_MS) stop.abort(); }, 2500);
    try {
      const url = ticket ? streamUrl + (streamUrl.includes("?") ? "&" : "?") + "ticket=" + encodeURIComponent(ticket) : streamUrl;
      const response = await fetch(url, { cache: "no-store", signal: stop.signal });
      if (!response.ok) {         // 503: as many viewers as the kit serves; it says when to come back
        wait = 1000 * (Number(response.headers.get("Retry-After")) || 3);
        if (response.status === 503) {
          answer = { ticket: response.headers.get("Queue-Ticket"), place: Number(response.headers.get("Queue-Place")) || 0,
                     wait: Number(response.headers.get("Queue-Wait")) || 0,
                     reason: response.headers.get("Refusal-Reason") || "full" };
        }
        throw new Error("HTTP " + response.status);
      }
      ticket = null;
      place = 0;
      leaveLine();
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
      // ended, failed, stalled or paused: see below
    } finally {
      clearInterval(watchdog);
    }
    if (reading !== stop) return;       // paused: start() reads again when the picture can be seen
    reading = null;
    if (answer) {
      waitInLine(answer, wait);
    } else {
      cameraTrouble(t("The camera view is not available right now (the kit may be busy or restarting); retrying…"));
    }
    retry = setTimeout(() => { retry = null; start(); }, wait);
  }

  document.addEventListener("visibilitychange", again);
  if (window.IntersectionObserver) {
    new IntersectionObserver((entries) => {
      onScreen = entries[entries.length - 1].isIntersecting;
      again();
    }).observe(canvas);
  }
  // After the page's first paint, too: Lighthouse's simulation otherwise counts the stream's bytes, which never
  // end, as something the page's first picture waited for.
  const begin = () => requestAnimationFrame(() => setTimeout(() => { loaded = true; start(); }, 0));
  if (document.readyState === "complete") begin();
  else window.addEventListener("load", begin, { once: true });
};
