// Links that reproduce a picture (ui/share.py): the server builds the query string of the tab's state; this
// turns it into a full link, copies it when the page may use the clipboard, and returns it for the link box.
window.LatentLab = window.LatentLab || {};
window.LatentLab.shareLink = function (qs) {
  if (!qs || qs.indexOf('=') < 0) return qs;              // an error message, not a query: show it as it is
  const url = location.origin + location.pathname + '?' + qs;
  try { history.replaceState(null, '', url); } catch (e) { /* sandboxed frame: the link box is enough */ }
  try {
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {});
  } catch (e) { /* no clipboard permission: the link box still shows it */ }
  return url;
};
