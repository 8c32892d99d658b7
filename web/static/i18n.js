// awareness-kit: messages in the page's language (web/translations/*.po, given to the page as JSON).
// t(text, { name: value }) -> the translation of text, with each {name} in it replaced by its value.
"use strict";
window.t = (function () {
  const holder = document.getElementById("messages-data");
  const messages = holder ? JSON.parse(holder.textContent) : {};
  return function t(text, values) {
    const translated = messages[text] || text;
    return translated.replace(/\{(\w+)\}/g, (_, key) => (values && key in values ? values[key] : "{" + key + "}"));
  };
})();
