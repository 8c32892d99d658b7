// awareness-kit: the camera, read by the page (the live page and the kiosk).
// watchCamera(img): shows img.dataset.stream in img, and says what goes wrong in #camera-note.
"use strict";
window.watchCamera = function (img) {
  const t = window.t;     // messages in the page's language (i18n.js)
  const $ = (id) => document.getElementById(id);
  function setText(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }

  // The camera. The page reads /stream.mjpg itself rather than leaving it to an <img>, which shows the last
  // frame for ever, and says nothing, when a stream ends or stalls (the kit restarting, a phone waking up).
  // Here each part is shown as it arrives (the newest only, if the phone decodes slower than frames come),
  // and a stream that ends, fails or brings nothing for 15 s is started again.
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

};
