// awareness-kit: messages in the page's language (web/translations/*.po, given to the page as JSON by web/i18n.py).
// t(text, { name: value })           -> the translation of text, with each {name} in it replaced by its value
//                                        (a number as the language writes it: t.number(value))
// t.n(singular, plural, n, values)   -> the form for the count n (Serbian has three), {n} replaced by n
// t.lang                              -> the page's language for Intl ("en", "sr-Latn")
// t.time(ts)                          -> a Unix time as the page's language writes a time of day: 14:05:09
// t.number(x, digits)                 -> a number as the page's language writes it, to digits decimals: 1.234,5
"use strict";
window.t = (function () {
  const holder = document.getElementById("messages-data");
  const data = holder ? JSON.parse(holder.textContent) : {};
  const messages = data.messages || {};
  const plurals = data.plurals || {};        // singular -> { CLDR plural category: form }
  const lang = data.lang || (document.documentElement.lang === "sr" ? "sr-Latn" : document.documentElement.lang || "en");
  const rules = new Intl.PluralRules(lang);
  const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

  // A value that is a number is written as the language writes it (49,7 in Serbian), as the server's pages do.
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (_, key) => (values && key in values
      ? (typeof values[key] === "number" ? t.number(values[key]) : values[key]) : "{" + key + "}"));
  }
  function t(text, values) {
    return fill(messages[text] || text, values);
  }
  t.n = function (singular, plural, n, values) {
    const forms = plurals[singular];
    const text = forms ? forms[rules.select(n)] || forms.other : (n === 1 ? singular : plural);
    return fill(text, Object.assign({ n: n }, values));
  };
  t.lang = lang;
  t.time = (ts) => clock.format(new Date(ts * 1000));
  const numbers = {};
  t.number = function (x, digits) {
    const key = digits === undefined ? "" : digits;
    numbers[key] = numbers[key] || new Intl.NumberFormat(lang, digits === undefined ? { maximumFractionDigits: 3 }
      : { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return numbers[key].format(x);
  };
  return t;
})();
