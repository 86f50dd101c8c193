// Accessibility fixes of Gradio's markup (axe-core, tests/test_a11y.py): an output image sits in a <button>
// with no name, and an empty output is a <div aria-label> without a role. Each picture gets alt text that says
// what it shows, from its tab's settings (e.g. "gan-mnist, seed 7, class 3").
(() => {
  const val = (id) => document.querySelector(`#${id} input, #${id} textarea`)?.value ?? "";
  // in the page's language (Chinese as in ui/i18n: zh and zh-*; Traditional characters for zh-TW/HK/MO/Hant)
  const ZH = LatentLab.lang !== "en";
  const ALT = ZH ? {
    gan_img: () => `gan-mnist 数字，种子 ${val("gan_seed")}，类别 ${val("gan_label")}`,
    gan_grid: () => `gan-mnist 样本网格，种子 ${val("gan_seed")}，类别 ${val("gan_label")}`,
    vae_img: () => "vae-mnist 根据潜在变量滑块解码出的数字",
    diff_img: () => `diffusion-mnist 样本，种子 ${val("diff_seed")}，类别 ${val("diff_label")}`,
    cmp_img: () => `同一种子 ${val("cmp_seed")}、类别 ${val("cmp_label")} 经过每一类图像模型`,
  } : {
    gan_img: () => `gan-mnist digit, seed ${val("gan_seed")}, class ${val("gan_label")}`,
    gan_grid: () => `gan-mnist sample grid, seed ${val("gan_seed")}, class ${val("gan_label")}`,
    vae_img: () => "vae-mnist digit decoded from the latent sliders",
    diff_img: () => `diffusion-mnist sample, seed ${val("diff_seed")}, class ${val("diff_label")}`,
    cmp_img: () => `the same seed ${val("cmp_seed")} and class ${val("cmp_label")} through every image family`,
  };
  function label(el) {
    const block = el.closest("[id]");
    const alt = block && ALT[block.id] ? LatentLab.zh(ALT[block.id]()) : "";
    const text = block?.querySelector("[data-testid=block-label], label")?.textContent?.trim();
    return alt || text || (ZH ? LatentLab.zh("图像") : "image");
  }
  function mend(root) {
    root.querySelectorAll(".image-container > button:not([aria-label]), .image-container > button[data-ll]")
      .forEach((b) => { b.setAttribute("aria-label", label(b)); b.dataset.ll = "1"; });
    root.querySelectorAll(".image-container img, img.ll-browser-img").forEach((img) => {
      const a = label(img);
      if (img.alt !== a) img.alt = a;
    });
    root.querySelectorAll("div.empty[aria-label]:not([role])").forEach((d) => d.setAttribute("role", "img"));
  }
  let queued = false;
  const obs = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; mend(document); });
  });
  const start = () => { mend(document); obs.observe(document.body, { childList: true, subtree: true,
                                                                      attributes: true, attributeFilter: ["src"] }); };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
