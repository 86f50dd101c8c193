// Browser render path (issue 11): the GAN and VAE latent sliders are decoded in the page by onnxruntime-web
// (single-threaded WASM, served by the app: ui/static/ort, checkpoints/<name>.onnx), so a drag sends no request.
// Without WebAssembly, or until the model is loaded, the sliders ask the server (the hidden *_server_render
// button: api_name gan_render / vae_render). The picture is the server's: same latent, same uint8 rounding,
// same nearest-neighbour ×8 upscale as ui/common.py grid_image; grey or RGB, as the decoder's output shape says.
(() => {
  const LL = window.LatentLab;
  // in the page's language, as Gradio's I18n picks it (ui/i18n: Chinese for zh and zh-*; LatentLab.zh gives the
  // Traditional characters to zh-TW/HK/MO/Hant)
  const ZH = LatentLab.lang !== "en";
  const TEXT = ZH ? { server: "在服务器上渲染", browser: "在你的浏览器中渲染（WebAssembly）" }
    : { server: "Rendering on the server", browser: "Rendering in your browser (WebAssembly)" };
  const SCALE = 8;
  const f32 = Math.fround;
  const tabs = {};          // tab → {status, session, busy, pending, overlay, frames, …}
  let ortPromise = null;
  LL.renderPath = {};       // tab → "server" | "browser" (tests and the bench read it)
  LL.browserFrames = {};    // tab → pictures drawn in the browser

  function loadOrt(urls) {
    if (!ortPromise) ortPromise = (async () => {
      if (typeof WebAssembly !== "object" || typeof DecompressionStream !== "function") {
        throw new Error("this browser has no WebAssembly");
      }
      const ort = await import(new URL(urls.ort, location.href).href);
      ort.env.wasm.numThreads = 1;     // no cross-origin isolation on a Space: no SharedArrayBuffer threads
      ort.env.wasm.proxy = false;
      ort.env.logLevel = "error";
      // no env.wasm.wasmPaths: it would make the bundle import its Emscripten glue as a separate file
      const resp = await fetch(urls.wasm);
      if (!resp.ok) throw new Error(`onnxruntime WASM: HTTP ${resp.status}`);
      // shipped gzipped (3 MB instead of 12 MB); inflated here and handed over as bytes
      ort.env.wasm.wasmBinary = await new Response(resp.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
      return ort;
    })();
    return ortPromise;
  }
  LL.loadOrt = loadOrt;     // tests run a decoder with the page's own onnxruntime-web

  function setPath(tab, path, why) {
    LL.renderPath[tab] = path;
    const el = document.querySelector(`#${tab}_render_path .ll-render-path`);
    if (el && el.textContent !== LatentLab.zh(TEXT[path])) el.textContent = LatentLab.zh(TEXT[path]);
    if (el && why) el.title = why;
  }

  // Load the indicator's model (again when the tab switches checkpoint: a new data-urls, e.g. gan-emoji);
  // until it is ready, the server draws.
  async function start(tab, span) {
    const t = tabs[tab] = tabs[tab] || { frames: 0 };
    let urls;
    try { urls = JSON.parse(span.dataset.urls); } catch (e) { urls = {}; }
    if (t.model === urls.model) {                // loaded or loading already: a re-drawn indicator says which
      setPath(tab, LL.renderPath[tab] || "server");
      return;
    }
    t.model = urls.model;
    t.status = "loading";
    LL.browserFrames[tab] = 0;
    setPath(tab, "server");
    try {
      const ort = await loadOrt(urls);
      const session = await ort.InferenceSession.create(new URL(urls.model, location.href).href,
                                                        { executionProviders: ["wasm"] });
      if (t.model !== urls.model) return;        // another model was picked meanwhile
      t.ort = ort;
      t.session = session;
      t.status = "ready";
      setPath(tab, "browser");
    } catch (e) {
      if (t.model !== urls.model) return;
      t.status = "failed";
      setPath(tab, "server", String(e && e.message || e));
      console.warn(`Latent Lab: ${tab} renders on the server:`, e);
    }
  }

  for (const tab of ["gan", "vae"]) {
    LL.whenElement(`${tab}_render_path`, (el) => {
      const tryStart = () => {
        const span = el.querySelector(".ll-render-path");
        if (span) start(tab, span); else setTimeout(tryStart, 50);
      };
      tryStart();
      new MutationObserver(() => {               // the server re-rendered the indicator (another checkpoint)
        const span = el.querySelector(".ll-render-path");
        if (span) start(tab, span);
      }).observe(el, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-urls"] });
    });
  }

  // The latent the server would decode for these slider values (ui/gan.py render / interp_point, ui/vae.py render).
  function classFeed(ort, state, feeds) {
    if (state.classes) {
      const y = new Float32Array(state.classes);
      y[state.label] = 1;
      feeds.y = new ort.Tensor("float32", y, [1, state.classes]);
    }
    return feeds;
  }
  const TARGETS = {   // picture box → the model that draws it and how the inputs become its feeds
    gan: { model: "gan", feeds(ort, [state, psi, ...s]) {
      if (!state || !state.z) return null;
      const z = Float32Array.from(state.z), D = z.length, u = state.directions, k = u.length;
      for (let j = 0; j < D; j++) {          // z + Σ αᵢ·uᵢ (principal directions)
        let d = 0;
        for (let i = 0; i < k; i++) d += f32(s[i]) * u[i][j];
        z[j] = f32(z[j] + f32(d));
      }
      const off = s.slice(k);
      for (let i = 0; i < off.length; i++) z[i] = f32(z[i] + f32(off[i]));   // raw offsets on the first dims
      const p = f32(psi);
      for (let j = 0; j < D; j++) z[j] = f32(z[j] * p);                      // truncation ψ
      return classFeed(ort, state, { z: new ort.Tensor("float32", z, [1, D]) });
    } },
    gan_interp: { model: "gan", feeds(ort, [state, psi, t]) {
      if (!state || !state.za) return null;
      const a = state.za, b = state.zb, D = a.length, z = new Float32Array(D);
      let na = 0, nb = 0, dot = 0;
      for (let j = 0; j < D; j++) { na += a[j] * a[j]; nb += b[j] * b[j]; dot += a[j] * b[j]; }
      const omega = Math.acos(Math.min(1 - 1e-7, Math.max(-1 + 1e-7, dot / Math.sqrt(na * nb))));
      const so = Math.sin(omega);                                         // generators/base.py slerp
      const ca = Math.abs(so) < 1e-6 ? 1 - t : Math.sin((1 - t) * omega) / so;
      const cb = Math.abs(so) < 1e-6 ? t : Math.sin(t * omega) / so;
      const p = f32(psi);
      for (let j = 0; j < D; j++) z[j] = f32(f32(ca * a[j] + cb * b[j]) * p);
      return classFeed(ort, state, { z: new ort.Tensor("float32", z, [1, D]) });
    } },
    vae: { model: "vae", feeds(ort, [state, ...s]) {
      if (state && state.server) return null;    // the emoji VAE is conditional: its class goes in as y
      const z = Float32Array.from(s.slice(0, (state && state.dims) || s.length));   // the model's dims (render's _fit)
      return classFeed(ort, state || {}, { z: new ort.Tensor("float32", z, [1, z.length]) });
    } },
  };

  function toByte(v) {     // torch: (x.clamp(0, 1) * 255).round() in float32, round half to even
    const s = f32((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
    let r = Math.round(s);
    if (r - s === 0.5 && r % 2) r -= 1;
    return r;
  }

  // The decoder's output x (1, C, H, W) in [0, 1], C = 1 (grey digits) or 3 (RGB emoji), channel-major as
  // PyTorch's → RGBA bytes of the H·scale × W·scale picture, each pixel a scale × scale block.
  function toRGBA(dims, x, scale) {
    const [, ch, h, w] = dims, plane = h * w, W = w * scale;
    if (ch !== 1 && ch !== 3) throw new Error(`cannot draw ${ch}-channel images`);
    const px = new Uint8ClampedArray(h * scale * W * 4);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const k = i * w + j, r = toByte(x[k]);
        const g = ch === 3 ? toByte(x[plane + k]) : r, bl = ch === 3 ? toByte(x[2 * plane + k]) : r;
        for (let a = 0; a < scale; a++) {
          let o = ((i * scale + a) * W + j * scale) * 4;
          for (let b = 0; b < scale; b++, o += 4) { px[o] = r; px[o + 1] = g; px[o + 2] = bl; px[o + 3] = 255; }
        }
      }
    }
    return { width: W, height: h * scale, data: px };
  }
  LL.toRGBA = toRGBA;       // tests draw a decoder's output with it

  function paint(target, out) {
    const t = view(target);
    const pic = toRGBA(out.dims, out.data, SCALE);
    const c = t.canvas = t.canvas || document.createElement("canvas");
    c.width = pic.width;
    c.height = pic.height;
    const ctx = c.getContext("2d");
    const im = ctx.createImageData(c.width, c.height);
    im.data.set(pic.data);
    ctx.putImageData(im, 0, 0);
    show(target, c.toDataURL("image/png"));
    t.frames += 1;
    LL.browserFrames[target] = t.frames;
  }

  const views = {};           // picture box → {overlay, watch, wired, busy, pending, frames, …}
  function view(target) { return views[target] = views[target] || { frames: 0 }; }

  function serverImg(box, t) { return [...box.querySelectorAll("img")].find((i) => i !== t.overlay); }

  // Over the server's <img>, wherever the box's layout has put it (normal, or Gradio's fullscreen mode).
  function place(t, box) {
    const under = serverImg(box, t);
    if (!under || !t.overlay) return;
    const b = box.getBoundingClientRect(), r = under.getBoundingClientRect();
    Object.assign(t.overlay.style, { top: `${r.top - b.top}px`, left: `${r.left - b.left}px`,
                                     width: `${r.width}px`, height: `${r.height}px` });
  }

  // The browser's picture sits over the server's <img> (first <img> in the box) until the server draws again.
  function show(target, src) {
    const t = view(target), box = document.getElementById(`${target}_img`);
    if (!box) return;
    if (!t.overlay || !t.overlay.isConnected) {
      const img = t.overlay = document.createElement("img");
      img.className = "ll-browser-img";
      img.alt = ZH ? LatentLab.zh("在你的浏览器中绘制的图像") : "picture drawn in your browser";   // a digit or an emoji
      box.prepend(img);
      place(t, box);
      if (!t.wired) {
        t.wired = true;
        // Whatever resizes the box (Gradio's Fullscreen and its exit, a window or phone rotating), the
        // student's picture follows the server's <img> under it.
        new ResizeObserver(() => t.overlay?.isConnected && place(t, box)).observe(box);
        box.addEventListener("click", (ev) => {   // Download saves the picture the student sees, not the server's
          const a = ev.target.closest?.("a[download]");
          if (!a || !t.overlay || !t.overlay.isConnected) return;
          ev.preventDefault();
          ev.stopPropagation();
          const link = Object.assign(document.createElement("a"), { href: t.overlay.src,
                                                                    download: a.getAttribute("download") || "image.png" });
          document.body.append(link);
          link.click();
          link.remove();
        }, true);
        t.watch = new MutationObserver((muts) => {       // the server drew: its picture shows again
          const server = muts.some((m) => (m.type === "attributes" && m.target !== t.overlay) ||
            [...m.addedNodes].some((n) => n !== t.overlay && n.nodeType === 1 && (n.tagName === "IMG" || n.querySelector?.("img"))));
          if (server && t.overlay) t.overlay.remove();
        });
        t.watch.observe(box, { subtree: true, childList: true, attributes: true, attributeFilter: ["src"] });
      }
    }
    t.overlay.src = src;
  }

  async function pump(target) {
    const v = view(target), tab = TARGETS[target].model, m = tabs[tab];
    v.busy = true;
    try {
      while (v.pending) {
        const args = v.pending;
        v.pending = null;
        const feeds = TARGETS[target].feeds(m.ort, args);
        if (!feeds) {            // this session explores its own trained model (no ONNX file): the server draws
          setPath(tab, "server", "your model from the Train tab is drawn on the server");
          serverRender(target);
          continue;
        }
        const out = await m.session.run(feeds);
        paint(target, out.x);
      }
    } catch (e) {
      console.warn(`Latent Lab: browser render failed, back to the server:`, e);
      m.status = "failed";
      setPath(tab, "server", String(e && e.message || e));
      serverRender(target);
    } finally {
      v.busy = false;
    }
  }

  function serverRender(target) {
    const el = document.getElementById(`${target}_server_render`);
    const btn = el && (el.tagName === "BUTTON" ? el : el.querySelector("button"));
    if (btn) btn.click();
  }

  // A server event redrew the picture (seed, reset, …): the server's <img> is current again.
  LL.serverDrew = (target) => {
    const v = views[target];
    if (v) { v.pending = null; if (v.overlay) v.overlay.remove(); }
  };

  // The sliders' `input` event (ui/browser.py drag_js): never a server request while the browser path is live.
  LL.browserRender = (target, args) => {
    const tab = TARGETS[target].model, t = tabs[tab], v = view(target);
    if (t && t.status === "ready") {
      setPath(tab, "browser");
      v.pending = args;
      if (!v.busy) pump(target);
    } else {
      serverRender(target);
    }
  };
})();
