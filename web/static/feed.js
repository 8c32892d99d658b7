// awareness-kit: the live feed's sentences, times and calm pacing, for the live page (app.js) and the kiosk (kiosk.js).
// window.sentences = { describe(o), clock(ts), clockOf(ts), pacer(options), showSince(el, at), SENSOR_NAMES }
"use strict";
window.sentences = (function () {
  const holder = document.getElementById("kinds-data");
  const kinds = holder ? JSON.parse(holder.textContent) : {};
  const t = window.t;     // messages in the page's language (i18n.js)
  const lang = document.documentElement.lang || "en";

  // The infrared sensor, the camera...: app.js names the sensors that agree someone is here.
  const SENSOR_NAMES = { pir: t("the infrared sensor"), camera: t("the camera"), distance: t("the distance sensor") };

  // One plain sentence per observation: the kit says it in every language it speaks (web/sentences.py, the same
  // sentence /data shows), as o.says; a value without a sentence is shown by its kind's title.
  function describe(o) {
    return (o.says && o.says[lang]) || (kinds[o.kind] ? kinds[o.kind].title : o.kind);
  }

  // A time of day in the page's language (not the phone's): 14:05:09.
  const clock = (ts) => t.time(ts);
  // An observation's time as a <time> element for a feed line: 14:05:09, its moment in dateTime.
  function clockOf(ts) {
    const time = document.createElement("time");
    time.dateTime = new Date(ts * 1000).toISOString();
    time.textContent = clock(ts);
    return time;
  }

  // Hours and minutes in the page's language (14:05), for the "since" of counts.
  const hourMinute = new Intl.DateTimeFormat(t.lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  // The in/out counter's start (status vision.counted_since: the kit's start or the last wipe) in its <time>;
  // *at*: Unix seconds; the first render gives it as data-at.
  function showSince(el, at) {
    if (!el || !at || Number(el.dataset.shown) === at) return;
    el.dataset.shown = String(at);
    el.dateTime = new Date(at * 1000).toISOString();
    el.textContent = hourMinute.format(new Date(at * 1000));
  }

  // The calm feed: observations grouped by kind, at most one line every `every` ms, the most telling kind first, a
  // kind just shown waiting before it is shown again; each page gives its own levels and draws its own lines.
  //   const calm = pacer({ every: 1000, tick: 250, levels: { keyword: 5, ... } (others: 1),
  //                        again: 4000 or { 3: 2000, 2: 6000, 1: 20000 } (ms a kind waits after its line, by level),
  //                        waited: 1 (levels added per ten seconds since the kind's last line, up to a minute),
  //                        fresh: 10000 (ms after which a kind not seen again is dropped, not shown late),
  //                        late: 2 (s a line may be older than the line above it), draw(o, n) });
  //   calm.take(o)      // each observation as it comes; draw(o, n) gets the newest of a kind and how many came
  // Timed on the page's monotonic clock (performance.now): the wall clock (Date.now) can be stepped by the system's
  // time keeping, and a step would let two lines come closer than `every`. The wait is counted from the last line,
  // not trusted to the timer: a timer that fires late and then on time would put two lines too close.
  function pacer(options) {
    const every = options.every, levels = options.levels || {}, waited = options.waited || 0;
    const again = typeof options.again === "number" ? () => options.again : (level) => options.again[level] || 0;
    const fresh = options.fresh ?? Infinity, late = options.late ?? Infinity;
    const pending = new Map();    // kind -> { o: the newest, n: how many since its last line, last: its arrival }
    const shownAt = new Map();    // kind -> when its last line was in place; a kind never shown: -Infinity
    let lastLine = -Infinity, lastTs = -Infinity;

    function take(o) {
      const waiting = pending.get(o.kind);
      pending.set(o.kind, { o, n: waiting ? waiting.n + 1 : 1, last: performance.now() });
    }

    function next() {
      const now = performance.now();
      if (now - lastLine < every) return;
      let best = null;
      for (const [kind, waiting] of pending) {
        if (now - waiting.last > fresh) { pending.delete(kind); continue; }
        const level = levels[kind] || 1;
        const since = now - (shownAt.get(kind) ?? -Infinity);
        // Not before its time, and not much older than the line above it: the feed's times go forward (give or
        // take the second or two a sound or a voice is reported after it began).
        if (since < again(level) || waiting.o.ts < lastTs - late) continue;
        const score = level + waited * Math.min(since, 60000) / 10000;
        if (!best || score > best.score || (score === best.score && waiting.o.ts < best.waiting.o.ts)) {
          best = { kind, score, waiting };
        }
      }
      if (!best) return;
      pending.delete(best.kind);
      lastTs = Math.max(lastTs, best.waiting.o.ts);
      options.draw(best.waiting.o, best.waiting.n);
      // Timed from when the line is in place, not from when it was chosen: on a busy screen placing it can take a
      // few hundred milliseconds, which would otherwise come off the next line's wait.
      const placed = performance.now();
      shownAt.set(best.kind, placed);
      lastLine = placed;
    }
    setInterval(next, options.tick || 200);
    return { take, next };
  }

  return { describe, clock, clockOf, pacer, showSince, SENSOR_NAMES };
})();
