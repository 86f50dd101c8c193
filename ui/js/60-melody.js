// Melody players (ui/melody.py): ▶ on a piano roll plays its notes in the page with the Web Audio API (nothing
// downloads: a plucked triangle tone a note, as the server's WAV) and moves the roll's playhead; ■ stops it.
// Playback starts on the click, as browsers require. One melody plays at a time.
(() => {
  let current = null;
  function stop() {
    if (!current) return;
    const c = current;
    current = null;
    cancelAnimationFrame(c.raf);
    try { c.master.disconnect(); } catch (e) { /* already gone */ }
    c.fig.dataset.state = "stopped";
    c.btn.textContent = "▶";
    c.btn.setAttribute("aria-pressed", "false");
  }
  function play(fig, btn) {
    stop();
    const notes = JSON.parse(fig.dataset.notes || "[]");
    const step = Number(fig.dataset.step), steps = Number(fig.dataset.steps);
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    const ctx = window.LatentLab.audio || (window.LatentLab.audio = new Ctx());
    ctx.resume();
    const t0 = ctx.currentTime + 0.05, total = steps * step;
    const master = ctx.createGain();
    master.gain.value = 0.22;
    master.connect(ctx.destination);
    for (const [s, len, midi] of notes) {
      const start = t0 + s * step, end = start + len * step;
      const g = ctx.createGain();
      g.gain.setValueAtTime(0, start);
      g.gain.linearRampToValueAtTime(1, start + 0.005);
      g.gain.setTargetAtTime(0.05, start + 0.005, 0.4);          // the pluck's decay
      g.gain.setTargetAtTime(0, Math.max(start + 0.006, end - 0.02), 0.006);
      g.connect(master);
      const o = ctx.createOscillator();
      o.type = "triangle";
      o.frequency.value = 440 * 2 ** ((midi - 69) / 12);
      o.connect(g);
      o.start(start);
      o.stop(end + 0.05);
    }
    const head = fig.querySelector(".mel-head");
    const c = { fig, btn, master, raf: 0 };
    current = c;
    fig.dataset.state = "playing";
    btn.textContent = "■";
    btn.setAttribute("aria-pressed", "true");
    const tick = () => {
      if (current !== c) return;
      const p = (ctx.currentTime - t0) / total;
      if (p >= 1) { head.style.left = "100%"; fig.dataset.position = "1"; stop(); return; }
      const q = Math.max(0, p);
      head.style.left = (100 * q).toFixed(2) + "%";
      fig.dataset.position = q.toFixed(3);
      c.raf = requestAnimationFrame(tick);
    };
    tick();
  }
  document.addEventListener("click", (e) => {
    const btn = e.target.closest && e.target.closest(".mel-play");
    if (!btn) return;
    const fig = btn.closest(".mel");
    if (current && current.fig === fig) stop();
    else play(fig, btn);
  });
})();
