// awareness-kit: one plain sentence per observation, and times, for the live page and the kiosk.
// window.sentences = { describe(o), clock(ts), SENSOR_NAMES, DIRECTIONS }
"use strict";
window.sentences = (function () {
  const holder = document.getElementById("kinds-data");
  const kinds = holder ? JSON.parse(holder.textContent) : {};
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

  return { describe, clock, SENSOR_NAMES, DIRECTIONS };
})();
