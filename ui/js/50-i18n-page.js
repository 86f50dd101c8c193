// Texts Gradio's I18n cannot key, translated in the page: the Compare table's headers and floor rows, the Gaussian
// summary and the lessons' SVG diagrams keep English values (what the API returns). On a Chinese page (zh and
// zh-*) each text node there whose whole trimmed text is an entry of window.LatentLab.pageZh (ui/i18n/zh_CN.py
// PAGE, put in <head> by app.py) — pageZhHant, its Traditional form, for zh-TW/HK/MO/Hant, as ui/i18n decides —
// or matches one of its {placeholder} templates, shows the Chinese; Gradio re-rendering a cell brings back
// English, which is translated again.
(() => {
  const lang = navigator.language || "";
  if (!/^zh(-|$)/i.test(lang)) return;
  const KEY = /^zh-(tw|hk|mo|hant)/i.test(lang) ? "pageZhHant" : "pageZh";
  const SCOPE = "#cmp_table, #gaussian_summary, .ll-diagram";
  let dict = null;
  let templates = [];
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  function load() {
    dict = window.LatentLab?.[KEY] || {};
    templates = Object.entries(dict).filter(([en]) => /\{\w+\}/.test(en)).map(([en, zh]) => {
      const names = [];
      const source = en.split(/(\{\w+\})/).filter(Boolean).map((part) => {
        const m = /^\{(\w+)\}$/.exec(part);
        if (!m) return escape(part);
        names.push(m[1]);
        return "(.*?)";
      }).join("");
      return { rx: new RegExp(`^${source}$`, "s"), names, zh, length: en.length };
    }).sort((a, b) => b.length - a.length);              // longest first, as ui/i18n's translate()
  }

  function translate(text) {
    if (!text) return null;
    if (Object.prototype.hasOwnProperty.call(dict, text)) return dict[text];
    for (const t of templates) {
      const m = t.rx.exec(text);
      if (!m) continue;
      return t.zh.replace(/\{(\w+)\}/g, (_, k) => { const v = m[t.names.indexOf(k) + 1]; return translate(v) ?? v; });
    }
    return null;
  }

  function mend(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const raw = node.data;
      const zh = translate(raw.trim());
      if (zh !== null && zh !== raw.trim()) node.data = raw.replace(raw.trim(), zh);
    }
    root.querySelectorAll?.("svg[aria-label]").forEach((svg) => {
      const zh = translate(svg.getAttribute("aria-label"));
      if (zh !== null) svg.setAttribute("aria-label", zh);
    });
  }

  // For a page (and its tests) to wait on: how many texts in scope still show English that has a translation
  // (0 once the queued pass has run; Gradio re-rendering a cell makes it > 0 until the next one).
  window.LatentLab.pageUntranslated = () => {
    if (dict === null || (!Object.keys(dict).length && window.LatentLab?.[KEY])) load();
    let n = 0;
    document.querySelectorAll(SCOPE).forEach((root) => {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const t = node.data.trim(), zh = translate(t);
        if (zh !== null && zh !== t) n += 1;
      }
    });
    return n;
  };

  let queued = false;
  function schedule() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      if (dict === null || (!Object.keys(dict).length && window.LatentLab?.[KEY])) load();   // its script comes later
      document.querySelectorAll(SCOPE).forEach(mend);
    });
  }
  const inScope = (node) => {
    const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return !!el && (!!el.closest(SCOPE) || !!el.querySelector?.(SCOPE));
  };
  const obs = new MutationObserver((records) => {
    if (records.some((r) => inScope(r.target) || [...r.addedNodes].some(inScope))) schedule();
  });
  const start = () => {
    schedule();
    obs.observe(document.body, { childList: true, subtree: true, characterData: true });
  };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
