// Page-side helpers shared by the ui/js/*.js files (inlined into <head> by app.py, in name order).
window.LatentLab = window.LatentLab || {
  ready: true,
  // Calls fn once the element with this elem_id exists (Gradio renders tab contents lazily).
  whenElement(id, fn) {
    const el = document.getElementById(id);
    if (el) return fn(el);
    const obs = new MutationObserver(() => {
      const e = document.getElementById(id);
      if (e) { obs.disconnect(); fn(e); }
    });
    obs.observe(document.documentElement, { childList: true, subtree: true });
  },
  // The page's language as ui/i18n decides it: "zh-Hant" (zh-TW/HK/MO/Hant), "zh" (zh and any other zh-*), "en".
  lang: /^zh-(tw|hk|mo|hant)/i.test(navigator.language || "") ? "zh-Hant"
    : /^zh(-|$)/i.test(navigator.language || "") ? "zh" : "en",
  // A Chinese text of ui/js in the page's characters: on a Traditional page each run of Chinese characters
  // becomes its OpenCC form (window.LatentLab.hantRuns, ui/i18n/zh_TW.py JS_RUNS, put in <head> by app.py).
  zh(text) {
    if (this.lang !== "zh-Hant") return text;
    const runs = this.hantRuns || {};
    return text.replace(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/g, (r) => runs[r] ?? r);
  },
};
