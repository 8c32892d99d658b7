// awareness-kit: one plain sentence per observation, and times, for the live page and the kiosk.
// window.sentences = { describe(o), clock(ts), SENSOR_NAMES, DIRECTIONS }
"use strict";
window.sentences = (function () {
  const holder = document.getElementById("kinds-data");
  const kinds = holder ? JSON.parse(holder.textContent) : {};
  const t = window.t;     // messages in the page's language (i18n.js)

  const SENSOR_NAMES = { pir: t("the infrared sensor"), camera: t("the camera"), distance: t("the distance sensor") };
  const DIRECTIONS = { left: t("left"), right: t("right"), "in": t("in"), out: t("out") };
  const track = (subject) => (subject || "").replace("track:", "");
  const num = (x, digits) => (typeof x === "number" ? t.number(x, digits) : x);   // 1,5 in Serbian

  // One plain sentence per observation (value shapes: device/observations.py). Texts the kit puts in a value
  // (a sound's label, the pitch's claim) are translated too: web/i18n.py sends the page their translations.
  function describe(o) {
    const v = o.value || {};
    switch (o.kind) {
      case "motion": return v.boxes && v.boxes.length
        ? t.n("Movement in {n} place ({p}% of the picture)", "Movement in {n} places ({p}% of the picture)",
          v.boxes.length, { p: num(100 * v.area, 1) })
        : t("Everything is still");
      case "face": return v.count
        ? t("Faces in view: {n}; looking at the camera: {looking}; smiling: {smiling}", { n: v.count, looking: v.looking || 0, smiling: v.smiling || 0 })
        : t("No face in view any more");
      case "person": return personSentence(v);
      case "reid": return t("Person #{id} is back: they look like someone seen before (appearance match {p}%, not identity)", { id: v.id, p: Math.round(100 * v.confidence) });
      case "crossing": return t("Person #{id} went {direction} ({in} in, {out} out so far)", { id: track(o.subject), direction: DIRECTIONS[v.direction] || v.direction, "in": v["in"], out: v.out });
      case "plate": return v.count ? t("Licence plates in view: {n}", { n: v.count }) : t("No licence plate in view any more");
      case "plate_text": return t("Read a licence plate: {text} ({p}% sure)", { text: v.text, p: Math.round(100 * (o.confidence || 0)) });
      case "sound_level": return t("Sound level {dbfs} dBFS, about {spl} dB SPL (loudest moment {peak} dBFS)", { dbfs: num(v.dbfs), spl: num(v.spl_db), peak: num(v.peak_dbfs) });
      case "voice": return v.pitch_hz
        ? t("Someone spoke for {s} s, voice pitch {hz} Hz: {claim}", { s: num(v.duration_s), hz: Math.round(v.pitch_hz), claim: t(v.claimed) })
        : t("Someone spoke for {s} s", { s: num(v.duration_s) });
      case "speech_minute": return t.n("In the last minute: {s} s of speech, in {n} turn", "In the last minute: {s} s of speech, in {n} turns",
        v.turns, { s: num(v.speaking_s) });
      case "loud_event": return t("A loud sound: probably a {label} ({dbfs} dBFS, {ms} ms)", { label: t(v.label), dbfs: num(v.peak_dbfs), ms: v.duration_ms });
      case "keyword": return t("Heard the word \u201c{word}\u201d", { word: v.word });
      case "audio_clip": return t("Kept a {s} s recording of speech", { s: num(v.duration_s) });
      case "presence": return v.present
        ? t("Someone is here, according to {sensors}", { sensors: v.agree.map((s) => SENSOR_NAMES[s] || s).join(", ") })
        : t("Nobody is here, all sensors agree");
      case "light": return v.on ? t("The lights are on (level {level})", { level: num(v.level) }) : t("The lights are off (level {level})", { level: num(v.level) });
      case "health": return t("The kit runs at {c} \u00b0C, load {load}", { c: num(v.temperature_c), load: num(v.load_1m) });
      case "pir": return v.motion ? t("The infrared sensor feels someone moving") : t("The infrared sensor feels no one");
      case "distance": return t("The nearest person or object is {m} m away", { m: num(v.metres) });
      case "snapshot": return t("Kept a picture of person #{id}", { id: track(o.subject) });
      case "correlation": return t("A phone was linked to person #{id}", { id: track(v.track) });
      default: return (kinds[o.kind] ? kinds[o.kind].title : o.kind) + ": " + JSON.stringify(v);
    }
  }

  function personSentence(v) {
    if (v.state === "new") return t("Person #{id} appeared", { id: v.id });
    const values = { id: v.id, s: Math.round(v.dwell_s), direction: DIRECTIONS[v.direction] || v.direction };
    const looked = v.looked || 0;
    if (v.state === "left") {
      return t.n("Person #{id} left after {s} s; looked at the camera once", "Person #{id} left after {s} s; looked at the camera {n} times", looked, values);
    }
    let text = t.n("Person #{id} has been here {s} s, looked at the camera once", "Person #{id} has been here {s} s, looked at the camera {n} times", looked, values);
    if (v.direction !== "standing") text += t(", walking {direction}", values);
    if (v.looking) text += t(", and is looking now");
    if (v.smiling) text += t(", smiling");
    return text;
  }

  // A time of day in the page's language (not the phone's): 14:05:09.
  const clock = (ts) => t.time(ts);

  return { describe, clock, SENSOR_NAMES, DIRECTIONS };
})();
