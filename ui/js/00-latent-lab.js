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
};
