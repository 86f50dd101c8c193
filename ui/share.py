"""Links that reproduce a picture: a tab's state lives in the URL query (`/?tab=gan&seed=7&label=3&z0=1.5`).

Each tab's build() calls `register(tab, [(param, component, parse), …])` and puts a `link_row(tab)` ("Copy link"
button + a textbox showing the link) where it likes; app.py calls `wire(demo, tabs)` once every tab is built: on
page load the query is validated on the server (a bad value is ignored and named in the tab's link box, never a
crash) and written into the components, and the tabs' first renders run after it (so they draw the linked picture).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable
from urllib.parse import urlencode

import gradio as gr

import generators

from . import common as C
from . import i18n as I

TAB_IDS = (*generators.REGISTRY, "train", "compare")     # app.py's tabs: every family's, then Train and Compare
MAX_PARAMS = 64
MAX_VALUE = 100
GRADIO_KEYS = {"view", "deep_link"}     # query keys Gradio itself reads (and __theme etc.)


@dataclasses.dataclass
class Param:
    name: str
    component: Any
    parse: Callable[[Any], Any]       # query text or a component value → the component's value; gr.Error if bad
    default: Any


_PARAMS: dict[str, list[Param]] = {}   # filled by the tabs' build() (the last build wins), read by wire()
PARAMS = _PARAMS
_LINKS: dict[str, tuple[Any, Any]] = {}


# ----------------------------------------------------------------------------- parsers (server-side validation)
def number(name: str, lo: float, hi: float, integer: bool = False) -> Callable:
    return lambda v: C.number(v, name, lo, hi, integer=integer)


def choice(name: str, options) -> Callable:
    opts = [str(o) for o in options]
    return lambda v: C.choice(str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v, name, opts)


def flag(name: str) -> Callable:
    """A checkbox's value in a link: true/false (1/0, yes/no, on/off), or a bool from the page."""
    def parse(v):
        if isinstance(v, bool):
            return v
        word = str(v).strip().lower()
        if word in ("true", "1", "yes", "on"):
            return True
        if word in ("false", "0", "no", "off"):
            return False
        raise I.error(f"{name} must be true or false.")
    return parse


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format(v, ".10g")
    return str(v)


# ----------------------------------------------------------------------------- the tabs' side
def link_row(tab: str):
    """The "Copy link" button (elem_id <tab>_copy_link) and the textbox that shows the link (<tab>_link)."""
    with gr.Row(elem_classes=["ll-link-row"]):
        btn = gr.Button("🔗 Copy link to this picture", size="sm", elem_id=f"{tab}_copy_link", scale=0,
                        min_width=200)
        box = gr.Textbox(label="Link (opens this tab with the same picture)", elem_id=f"{tab}_link",
                         interactive=False, buttons=["copy"], max_lines=2, scale=3, min_width=200)
    _LINKS[tab] = (btn, box)
    return btn, box


def register(tab: str, params: list[tuple[str, Any, Callable]]) -> None:
    """The URL parameters of `tab`: name, component, parser. Wires the tab's Copy link button if it has one."""
    if tab not in TAB_IDS:
        raise ValueError(f"unknown tab {tab!r}")
    ps = _PARAMS[tab] = [Param(n, c, p, p(c.value)) for n, c, p in params]
    if tab in _LINKS:
        btn, box = _LINKS[tab]
        inputs = [p.component for p in ps]
        link = C.api_signature(lambda *v: query_string(tab, v, ps), inputs, [p.name for p in ps])  # the link's names
        btn.click(link, inputs, box, api_name=f"{tab}_link", queue=False, show_progress="hidden",
                  api_description=f"The query of a link that opens the {tab} tab with these settings (tab={tab}&…: "
                  "only the values that differ from the page's); the parameters are the link's.").success(
            None, box, box, js="(q) => window.LatentLab.shareLink(q)", queue=False)


def query_string(tab: str, values, params: list[Param]) -> str:
    """The query for `tab` with these component values: only the parameters that differ from their default."""
    if len(values) != len(params):
        raise I.error(f"expected {len(params)} values, got {len(values)}")
    q = [("tab", tab)]
    for p, v in zip(params, values):
        v = p.parse(v)
        if v != p.default:
            q.append((p.name, _fmt(v)))
    return urlencode(q)


# ----------------------------------------------------------------------------- page load
def apply_query(query, params: dict[str, list[Param]]) -> tuple[str | None, dict[str, Any], list[str]]:
    """(tab, {param name: value}, notes on what was ignored) from a query mapping, every value validated."""
    notes: list[str] = []
    keys = [k for k in query.keys() if not k.startswith("__") and k not in GRADIO_KEYS][:MAX_PARAMS]
    if not keys:
        return None, {}, notes
    tab = query.get("tab", TAB_IDS[0])
    if tab not in TAB_IDS:
        notes.append(f"unknown tab {str(tab)[:20]!r} (one of {', '.join(TAB_IDS)})")
        return None, {}, notes
    by_name = {p.name: p for p in params.get(tab, [])}
    values = {}
    for k in keys:
        if k == "tab":
            continue
        raw = query.get(k)
        if k not in by_name:
            notes.append(f"{k[:20]} (not a parameter of this tab)")
        elif raw is None or len(raw) > MAX_VALUE:
            notes.append(f"{k} (too long)")
        else:
            try:
                values[k] = by_name[k].parse(raw)
            except Exception as e:                       # a bad link is never a crash: name it, skip it
                notes.append(f"{k}={raw[:20]} ({getattr(e, 'message', None) or 'not a valid value'})")
    return tab, values, notes


def wire(demo: gr.Blocks, tabs: gr.Tabs):
    """The page-load event that reads the URL; returns it, so the tabs' first renders can run `.then`."""
    params, links = dict(_PARAMS), {t: box for t, (_, box) in _LINKS.items()}
    order = [(t, p) for t, ps in params.items() for p in ps]
    link_tabs = list(links)

    def from_url(request: gr.Request):
        tab, values, notes = apply_query(getattr(request, "query_params", None) or {}, params)
        out = [gr.Tabs(selected=tab) if tab else gr.skip()]
        out += [values[p.name] if t == tab and p.name in values else gr.skip() for t, p in order]
        msg = "Ignored from the link: " + "; ".join(notes) if notes else None
        out += [msg if msg and (t == tab or (tab is None and t == TAB_IDS[0])) else gr.skip() for t in link_tabs]
        return out

    return demo.load(from_url, None, [tabs, *(p.component for _, p in order), *links.values()], api_name=False,
                     queue=False, show_progress="hidden")
