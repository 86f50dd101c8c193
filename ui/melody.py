"""Melodies in the family tabs (issue 31): the Autoregressive tab continues a melody and steps through it one note
at a time, the VAE tab interpolates between two held-out songs and decodes its latent sliders, the Diffusion tab
denoises piano rolls. Every melody shown is a piano roll with ▶: the page plays it with the Web Audio API and moves a
playhead (ui/js/60-melody.js: instant, no file); the server's WAV of the same notes sits in an audio player below,
and .mid and .wav downloads beside it (named by what they hold)."""
from __future__ import annotations

import base64
import html
import json

import gradio as gr
import numpy as np
import pandas as pd

from generators import music, music_files
from generators.base import make_generator, png_bytes
from generators.melody_metrics import melodies_of

from . import common as C
from . import i18n as I

AR_MODEL, VAE_MODEL, DIFFUSION_MODEL = "autoregressive-melodies", "vae-melodies", "diffusion-melodies"
COLLECTION = "han"
MAX_N = 8
START_STEPS = 16                     # a held-out song's first 2 bars (of 2/4) start a continuation
MAX_START = 48                       # 16ths a typed start may hold (the model writes 64)
VAE_DIMS = 4                         # latent sliders shown (the rest stay 0)
MAX_Z = 3.0
EMPTY = "<p class='mel-empty'>…</p>"

MELODY_CSS = """
.mel-list { display: flex; flex-wrap: wrap; gap: 12px; }
.mel { margin: 0; display: flex; flex-direction: column; gap: 4px; max-width: 100%; }     /* as wide as its roll */
.mel-roll { position: relative; line-height: 0; border: 1px solid var(--border-color-primary); border-radius: 4px;
            overflow: hidden; }
.mel-roll img { image-rendering: pixelated; max-width: 100%; }
.mel-head { position: absolute; top: 0; bottom: 0; left: 0; width: 2px; background: #f97316; pointer-events: none; }
.mel[data-state=stopped] .mel-head { opacity: 0; }
.mel figcaption { display: flex; align-items: center; gap: .5em; font-size: .9em; }
.mel-play { min-width: 2.2em; height: 2em; border-radius: 1em; border: 1px solid var(--border-color-primary);
            background: var(--button-secondary-background-fill); color: var(--body-text-color); cursor: pointer; }
.mel-notes { font-family: monospace; font-size: .75em; opacity: .8; width: 0; min-width: 100%;
             overflow-wrap: anywhere; }
"""


# ----------------------------------------------------------------------------- songs
def heldout_songs() -> list[music.Song]:
    """The held-out Han songs (song index % 10 == 0), from the cache the app fills after it starts."""
    from generators.data import split_indices

    if not music.is_cached(COLLECTION):
        raise I.error("The Han songs are still being read into the cache (about a minute, once after the app "
                      "first starts). Try again shortly.")
    songs = music.load_songs(COLLECTION)
    return [songs[i] for i in split_indices(len(songs), "heldout")]


def _song(value) -> music.Song:
    held = heldout_songs()
    return held[C.number(value, "Held-out song", 1, len(held), integer=True) - 1]


def song_title(value) -> str:
    s = _song(value)
    return f"{s.title} ({len(music.notes(s.events))} notes)"


# ----------------------------------------------------------------------------- what every melody view shows
def _roll_uri(events, steps: int) -> str:
    img = music.roll_image(events, steps, scale=6)
    return "data:image/png;base64," + base64.b64encode(png_bytes(img)).decode()


def figure(events, label: str) -> str:
    """One melody: its piano roll (with a playhead) and ▶, its label and its notes as text."""
    e = np.asarray(events)
    steps = max(len(e), 1)
    notes = json.dumps([list(n) for n in music.notes(e)])
    names = html.escape(music.format_notes(e))
    play = html.escape(I.tr("Play"))
    return (f"<figure class='mel' data-state='stopped' data-position='0' data-steps='{steps}' "
            f"data-step='{music.STEP_SECONDS}' data-notes='{notes}'>"
            f"<div class='mel-roll'><img src='{_roll_uri(e, steps)}' alt='{html.escape(label)}: {names}'>"
            f"<div class='mel-head'></div></div>"
            f"<figcaption><button class='mel-play' type='button' aria-label='{play}' aria-pressed='false'>▶</button>"
            f"<b>{html.escape(label)}</b></figcaption><span class='mel-notes'>{names}</span></figure>")


def gallery(mels, labels, intro: str = "") -> str:
    body = "".join(figure(m, lab) for m, lab in zip(mels, labels))
    head = f"<p>{html.escape(intro)}</p>" if intro else ""
    return f"<div class='mel-block'>{head}<div class='mel-list'>{body}</div></div>"


def sound(mels) -> tuple[int, np.ndarray]:
    """The melodies one after another (a bar of rest between) as the server's WAV samples, for gr.Audio."""
    gap = np.zeros(8, np.int8)
    seq = np.concatenate([x for m in mels for x in (np.asarray(m, np.int8), gap)][:-1])
    audio = music_files.synthesize(seq)
    return music_files.SAMPLE_RATE, (audio * 32767).round().astype(np.int16)


def files(mels, name: str, heard: tuple[int, np.ndarray]) -> list[str]:
    """The .mid and the .wav (of `heard`, sound()'s samples) to download, named by what they hold, each written once
    into a folder of its own."""
    rate, pcm = heard
    return [C.temp_file(music_files.midi_bytes(list(mels)), name + ".mid"),
            C.temp_file(music_files.wav_bytes(pcm.astype(np.float32) / 32767, rate), name + ".wav")]


def outputs(mels, labels, name: str, intro: str = ""):
    """(gallery HTML, the .wav for gr.Audio, [.mid, .wav] downloads). The player gets the download's file, not
    samples: Gradio writes samples to a content-addressed cache path in place, so two visitors who made the same
    melody could fetch it while it is rewritten (a truncated WAV, seen in the ZeroGPU test); a file is copied into
    the cache under a temporary name and renamed."""
    heard = sound(mels)
    mid, wav = files(mels, name, heard)
    return gallery(mels, labels, intro), wav, [mid, wav]


def reveal(event, outs) -> None:
    """After `event` has filled the outputs, show the player and the downloads (hidden until a first melody)."""
    event.success(lambda: (gr.update(visible=True),) * 2, None, outs[1:], api_name=False, queue=False,
                  show_progress="hidden")


def output_components(prefix: str) -> list:
    view = gr.HTML(EMPTY, elem_id=f"{prefix}_melodies", css_template=MELODY_CSS)
    with gr.Row():
        audio = gr.Audio(label="Hear them (the server's WAV)", type="filepath", interactive=False, visible=False,
                         elem_id=f"{prefix}_melody_audio", format="wav")
        dl = gr.File(label="Download .mid and .wav", file_count="multiple", interactive=False, visible=False,
                     elem_id=f"{prefix}_melody_files")
    return [view, audio, dl]


# ----------------------------------------------------------------------------- lessons
def diagram() -> str:
    """Two bars of a melody as a piano roll over its events, one column a sixteenth: the encoding every melody view
    shares (note names and symbols only: the same in every language)."""
    ev = music.parse_notes("C4:4 D4:2 E4:2 G4:3 r:1 A4:2 G4:2")
    rows = sorted({m for _, _, m in music.notes(ev)}, reverse=True)
    cw, rh, left, top = 34, 16, 36, 8
    out = []
    for i, m in enumerate(rows):
        y = top + i * rh
        out.append(f"<text x='{left - 6}' y='{y + 12}' text-anchor='end' font-size='11'>{music.midi_name(m)}</text>")
    for start, length, m in music.notes(ev):
        y = top + rows.index(m) * rh
        out.append(f"<rect x='{left + start * cw + 1}' y='{y + 2}' width='{length * cw - 2}' height='{rh - 4}' rx='3' "
                   f"fill='#3b82f6'/><rect x='{left + start * cw + 1}' y='{y + 2}' width='5' height='{rh - 4}' "
                   f"fill='#1e40af'/>")
    sym = {music.REST: "·", music.HOLD: "–"}
    y = top + len(rows) * rh + 16
    for t, e in enumerate(ev.tolist()):
        out.append(f"<text x='{left + t * cw + cw / 2}' y='{y}' text-anchor='middle' font-size='11'>"
                   f"{sym.get(e) or music.note_name(e)}</text>")
    w, h = left + len(ev) * cw + 4, y + 8
    grid = "".join(f"<line x1='{left + t * cw}' y1='{top}' x2='{left + t * cw}' y2='{y - 12}' stroke='#d1d5db' "
                   f"stroke-width='{2 if t % 8 == 0 else 0.5}'/>" for t in range(len(ev) + 1))
    return (f"<svg role='img' aria-label='C4 – – – D4 – E4 – G4 – – · A4 – G4 –' viewBox='0 0 {w} {h}' "
            f"style='max-width:{w}px;width:100%;color:var(--body-text-color)' fill='currentColor'>{grid}"
            f"{''.join(out)}</svg>")


def _lesson(text: str) -> None:
    with gr.Accordion("How it works", open=False):
        gr.Markdown(text, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(diagram())


# ----------------------------------------------------------------------------- Autoregressive: continue a melody
def _ar_model():
    return C.model_for("autoregressive", "melody", AR_MODEL)


def _ar_options(temperature, top_k, top_p):
    t = C.number(temperature, "Temperature", 0, 2.0)
    k = C.number(top_k, "Top-k", 0, music.N_EVENTS + 1, integer=True)
    p = C.number(top_p, "Top-p", 0.01, 1.0)
    return t, k, p


def _start(start) -> np.ndarray:
    s = C.text(start, "Start", 400).strip()
    return music.parse_notes(s, max_steps=MAX_START)


@C.engine_errors
def song_start(song):
    """The start box filled from a held-out song: its first 2 bars, as note names."""
    s = _song(song)
    return music.format_notes(s.events[:START_STEPS]), song_title(song)


@C.engine_errors
def continue_melody(start, seed, temperature, top_k, top_p, n):
    """n continuations of the start (note names) by the melody Transformer, each 8 bars of 2/4."""
    model = _ar_model()
    first, (t, k, p) = _start(start), _ar_options(temperature, top_k, top_p)
    n, s = C.number(n, "N", 1, MAX_N, integer=True), C.seed(seed)
    texts = model.sample(n, generator=make_generator(s, model.device), temperature=t, top_k=k, top_p=p,
                         prefix=music.to_text(first))
    mels = [music.from_text(x) for x in texts]
    known = model.training_items() if music.is_cached(COLLECTION) else frozenset()     # never parse in a request
    labels = [f"{i + 1}" + (" · " + I.tr("in training data") if x in known else "") for i, x in enumerate(texts)]
    bars = len(first) / 8
    intro = I.tr(f"The first {bars:g} bars are yours, the rest the model's.") if len(first) else ""
    return outputs(mels, labels, f"{AR_MODEL}_seed{s}_T{t:g}", intro)


def _labels() -> list[str]:
    return ["⏎ end", "rest", "hold"] + [music.note_name(e) for e in range(2, music.N_EVENTS)]


def _event_of_label(model, label: str) -> int:
    """A chart label → the model's token (0 = end)."""
    labels = _labels()
    if label not in labels:
        raise I.error("Pick one of the notes shown.")
    i = labels.index(label)
    return 0 if i == 0 else model.stoi[music.EVENT_CHARS[i - 1]]


def _bars(text: str, t, k, p) -> pd.DataFrame:
    from .autoregressive import MODEL, SAMPLED

    model = _ar_model()
    raw, cut = model.next_distribution(text, temperature=t, top_k=k, top_p=p)
    order = raw.argsort(descending=True, stable=True).tolist()
    by_token = {0: "⏎ end"} | {model.stoi[ch]: lab for ch, lab in zip(music.EVENT_CHARS, _labels()[1:])}
    letters = [by_token[i] for i in order]
    return pd.DataFrame({"letter": letters * 2, "series": [MODEL] * len(order) + [SAMPLED] * len(order),
                         "probability": raw[order].tolist() + cut[order].tolist(), "masked": [False] * len(order) * 2})


def _step_view(text: str, t, k, p, ended: bool = False):
    from .autoregressive import MODEL, TOP, _chart

    df = _bars(text, t, k, p)
    values = df.letter[df.series == MODEL].tolist()[:TOP]
    choices = [(I.tr(v), v) for v in values]                 # rest, hold, end in the page's language
    df = df.assign(letter=[I.tr(v) for v in df.letter])
    e = music.from_text(text)
    state = I.tr("— the model chose to end here") if ended else "…"
    so_far = (figure(e, I.tr(f"{len(e)} sixteenths so far")) if len(e) else "") + f"<p>{html.escape(state)}</p>"
    return text, _chart(df, t, k, p, unit="note"), gr.update(choices=choices, value=None), \
        f"<div class='mel-list'>{so_far}</div>"


@C.engine_errors
def step_start(start, temperature, top_k, top_p):
    """Begin a melody step-through at the start: the next-note bars."""
    return _step_view(music.to_text(_start(start)), *_ar_options(temperature, top_k, top_p))


def _so_far(text) -> str:
    t = C.text(text, "Melody", music.TEXT_STEPS + 1)
    music.from_text(t)
    if len(t) >= music.TEXT_STEPS:
        raise I.error("The melody is as long as the model allows (8 bars).")
    return t


@C.engine_errors
def step_sample(text, seed, temperature, top_k, top_p):
    """The model draws the next event (note, hold, rest or end)."""
    import torch

    text, (t, k, p) = _so_far(text), _ar_options(temperature, top_k, top_p)
    model = _ar_model()
    _, cut = model.next_distribution(text, temperature=t, top_k=k, top_p=p)
    g = make_generator(C.seed(seed) + len(text), model.device)
    i = int(cut.argmax()) if t == 0 else int(torch.multinomial(cut, 1, generator=g))
    return _advance(text, i, t, k, p)


@C.engine_errors
def step_force(text, choice, temperature, top_k, top_p):
    """The user clicked a note: append it, whatever its probability."""
    text, (t, k, p) = _so_far(text), _ar_options(temperature, top_k, top_p)
    return _advance(text, _event_of_label(_ar_model(), C.text(choice, "Note", 20)), t, k, p)


def _advance(text, token, t, k, p):
    if token == 0:
        return _step_view(text, t, k, p, ended=True)
    return _step_view(text + _ar_model().config.vocab[token - 1], t, k, p)


def build_autoregressive() -> None:
    from .autoregressive import CHART_CSS

    with gr.Accordion("Melodies: Han folk songs, one note at a time", open=False, elem_id="ar_melody_panel"):
        _lesson(AR_NOTE)
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                song = gr.Number(value=1, label="Held-out song (1–122)", precision=0, minimum=1,
                                 elem_id="ar_melody_song")
                title = gr.Markdown("", elem_id="ar_melody_title")
                start = gr.Textbox(value="D5:4 A4 C5 D5:4 D5:4", label="Start: note names (C4 = do), :length in 16ths",
                                   max_lines=2, elem_id="ar_melody_start")
                seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="ar_melody_seed")
                temp = gr.Slider(0, 2.0, value=1.0, step=0.05, label="Temperature", elem_id="ar_melody_temperature")
                top_k = gr.Slider(0, music.N_EVENTS + 1, value=0, step=1, label="Top-k (0 = off)",
                                  elem_id="ar_melody_top_k")
                top_p = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p", elem_id="ar_melody_top_p")
                n = gr.Slider(1, MAX_N, value=4, step=1, label="N", elem_id="ar_melody_n")
                go = gr.Button("Continue the melody", variant="primary", elem_id="ar_melody_go")
            with gr.Column(scale=2):
                outs = output_components("ar")
        opts = [temp, top_k, top_p]
        song.submit(song_start, song, [start, title], api_name="autoregressive_melody_song", queue=False)
        reveal(go.click(continue_melody, [start, seed, *opts, n], outs, api_name="autoregressive_melody",
                 api_description="n continuations of start (note names such as 'D5:4 A4 C5', C4 = do) by the melody "
                 "Transformer: (HTML piano rolls, the WAV, [.mid, .wav])."), outs)
        with gr.Row():
            s_start = gr.Button("Step through from the start", elem_id="ar_melody_step_start")
            s_sample = gr.Button("Let the model choose", elem_id="ar_melody_step")
            s_choice = gr.Radio([], label="…or click a note to force it", elem_id="ar_melody_step_choice")
        s_state = gr.State("")
        s_word = gr.HTML("", elem_id="ar_melody_step_word", css_template=MELODY_CSS)
        s_bars = gr.HTML("", css_template=CHART_CSS, elem_id="ar_melody_step_bars")
        s_outs = [s_state, s_bars, s_choice, s_word]
        s_start.click(step_start, [start, *opts], s_outs, api_name="autoregressive_melody_step_start", queue=False)
        s_sample.click(step_sample, [s_state, seed, *opts], s_outs, api_name="autoregressive_melody_step",
                       queue=False)
        force_inputs = [s_state, s_choice, *opts]
        C.api_signature(step_force, force_inputs)
        s_choice.input(step_force, force_inputs, s_outs, api_name="autoregressive_melody_force", queue=False)


AR_NOTE = r"""
**How it works.** A melody is a string of *events*, one per sixteenth note: a note starts (at one of 32 pitches,
counted from the key's do and shown in C), the sounding note *holds*, or *rest*. The chain rule writes a melody as
next-event choices, $p(e_1 \dots e_T) = \prod_t p(e_t \mid e_{<t})$, and the same Transformer as for names predicts
each one (MelodyRNN's idea, with attention in place of its LSTM). It was trained on 8-bar windows of 1,097 Han
folk songs of the Essen collection; the 122 songs whose index is a multiple of 10 are held out. Temperature, top-k
and top-p cut the next-event distribution as they cut the next letter.

**Try this:** ① Pick a held-out song (type its number, press Enter) and *Continue the melody*: the first 2 bars
are the song's, the rest the model's. Press ▶ on each roll. ② Set the temperature to 0.3, then 1.5: safe
pentatonic lines, then wandering ones with notes outside do re mi sol la. ③ *Step through from the start*: a note
is most often followed by *hold*; click a note the model finds unlikely and hear where it goes next.
"""


# ----------------------------------------------------------------------------- VAE: interpolate between songs
def _vae():
    return C.model_for("vae", "melody", VAE_MODEL)


def _window(song) -> np.ndarray:
    s = _song(song)
    w = music.windows(s, music.ROLL_STEPS, music.ROLL_STEPS)
    if w:
        return w[0]
    return np.pad(s.events[:music.ROLL_STEPS], (0, max(0, music.ROLL_STEPS - len(s.events))))


@C.engine_errors
def interpolate(song_a, song_b, steps):
    """Encode the first 4 bars of two held-out songs, walk the straight line between their latents, decode each
    point: originals at the ends, their reconstructions next to them."""
    import torch

    model = _vae()
    k = C.number(steps, "Steps", 2, 9, integer=True)
    a, b = _window(song_a), _window(song_b)
    x = torch.from_numpy(np.stack([music.to_roll(a), music.to_roll(b)])).to(model.device)
    z = model.encode(x)
    w = torch.linspace(0, 1, k, device=z.device)[:, None]
    mids = melodies_of(model.decode((1 - w) * z[0] + w * z[1]))
    mels = [a, *mids, b]
    labels = ([I.tr("A (the song)")] + [I.tr("A decoded")] + [f"{i}/{k - 1}" for i in range(1, k - 1)]
              + [I.tr("B decoded"), I.tr("B (the song)")])
    return outputs(mels, labels, f"{VAE_MODEL}_songs{int(song_a)}-{int(song_b)}_{k}steps",
                   I.tr("A and B are held-out songs the VAE never trained on; between them, the decoded points of "
                        "the line from A's latent to B's."))


@C.engine_errors
def decode_sliders(*zs):
    """The latent sliders (the first dimensions; the rest 0) decoded into one 4-bar melody."""
    import torch

    model = _vae()
    z = torch.zeros(1, model.config.latent_dim, device=model.device)
    for i, v in enumerate(zs[:VAE_DIMS]):
        z[0, i] = C.number(v, f"z[{i}]", -MAX_Z, MAX_Z)
    mel = melodies_of(model.decode(z))[0]
    name = "_".join(f"{float(v):+.1f}" for v in zs[:VAE_DIMS])
    return outputs([mel], [I.tr("decoded z")], f"{VAE_MODEL}_z{name}")


def build_vae() -> None:
    with gr.Accordion("Melodies: a MusicVAE in miniature", open=False, elem_id="vae_melody_panel"):
        _lesson(VAE_NOTE)
        with gr.Row():
            a = gr.Number(value=1, label="Song A (held out, 1–122)", precision=0, minimum=1, elem_id="vae_melody_a")
            b = gr.Number(value=2, label="Song B (held out, 1–122)", precision=0, minimum=1, elem_id="vae_melody_b")
            k = gr.Slider(2, 9, value=5, step=1, label="Points on the line", elem_id="vae_melody_steps")
            go = gr.Button("Interpolate A → B", variant="primary", elem_id="vae_melody_go")
        outs = output_components("vae")
        reveal(go.click(interpolate, [a, b, k], outs, api_name="vae_melody_interpolate",
                 api_description="Encodes the first 4 bars of held-out Han songs a and b and decodes `steps` points "
                 "between their latents: (HTML piano rolls, the WAV, [.mid, .wav])."), outs)
        with gr.Row():
            zs = [gr.Slider(-MAX_Z, MAX_Z, value=0, step=0.1, label=f"z[{i}]", elem_id=f"vae_melody_z{i + 1}")
                  for i in range(VAE_DIMS)]
        z_outs = output_components("vae_z")
        C.api_signature(decode_sliders, zs, [f"z{i}" for i in range(VAE_DIMS)])
        reveal(gr.on([z.release for z in zs], decode_sliders, zs, z_outs, api_name="vae_melody_decode",
                     queue=False, api_description="Decodes the latent (z0..z3, the rest 0) into one 4-bar melody: (HTML piano "
                     "roll, the WAV, [.mid, .wav])."), z_outs)


VAE_NOTE = r"""
**How it works.** MusicVAE in miniature: the same convolutional VAE, trained on 4-bar piano rolls (32 pitches ×
32 sixteenths: 1 where a note starts, ½ where it holds) of the Han songs. The encoder maps a melody to a Gaussian
$q(z \mid x)$ over 16 latent numbers, the decoder maps any $z$ back to a roll, and training maximises
$\text{ELBO} = \mathbb E_{q}[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x)\,\|\,\mathcal N(0, I))$. Each sixteenth's
brightest pitch in the decoded roll is read as the melody.

**Try this:** ① *Interpolate A → B*: the ends are the two held-out songs and their reconstructions; between them
the decoded points of the straight line from A's latent to B's. Press ▶ along the row: rhythm and contour change
bit by bit. ② Pick two songs of different character (a slow one, a busy one) and listen to the middle. ③ Move
the sliders (the first 4 latent numbers, the rest 0): which one changes the register, which the rhythm?
"""


# ----------------------------------------------------------------------------- Diffusion: denoise piano rolls
def _diffusion():
    return C.model_for("diffusion", "melody", DIFFUSION_MODEL)


@C.engine_errors
def denoise(seed, steps, n):
    """n melodies: a flow model's piano rolls from noise (a GPU call where there is one), read as melodies."""
    from .diffusion import _sample

    model = _diffusion()
    s, n = C.seed(seed), C.number(n, "N", 1, MAX_N, integer=True)
    k = C.number(steps, "Steps", 1, 50, integer=True)
    rolls = _sample(model, n, s, None, {"steps": k})
    mels = melodies_of(rolls)
    return outputs(mels, [f"{i + 1}" for i in range(n)], f"{DIFFUSION_MODEL}_seed{s}_{k}steps")


def build_diffusion() -> None:
    with gr.Accordion("Melodies: denoising piano rolls", open=False, elem_id="diffusion_melody_panel"):
        _lesson(DIFFUSION_NOTE)
        with gr.Row():
            seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="diffusion_melody_seed")
            steps = gr.Slider(1, 50, value=10, step=1, label="Steps", elem_id="diffusion_melody_steps")
            n = gr.Slider(1, MAX_N, value=4, step=1, label="N", elem_id="diffusion_melody_n")
            go = gr.Button("Denoise melodies", variant="primary", elem_id="diffusion_melody_go")
        outs = output_components("diffusion")
        reveal(go.click(denoise, [seed, steps, n], outs, api_name="diffusion_melody", **C.GPU,
                 api_description="n melodies denoised from seed's noise in `steps` Euler steps (a flow model on "
                 "4-bar piano rolls): (HTML piano rolls, the WAV, [.mid, .wav])."), outs)


DIFFUSION_NOTE = r"""
**How it works.** The diffusion family on pictures of music. A flow model learns the velocity
$v_\theta(x_t, t) \approx \varepsilon - x_0$ on the straight path $x_t = (1 - t)\,x_0 + t\,\varepsilon$ between
4-bar piano rolls of the Han songs ($x_0$) and noise ($\varepsilon$), and samples by integrating
$dx/dt = v_\theta$ from noise at $t = 1$ to a roll at $t = 0$ in Euler steps. Each sixteenth's brightest pitch is
read as the melody. We chose diffusion over the GAN here: a roll is nearly all empty, and a GAN's generator
settles on a few safe patterns there, while the denoiser is trained on every roll at every noise level.

**Try this:** ① *Denoise melodies* with 10 steps, then with 2: the melodies fall apart into scattered notes.
② Change the seed and listen: do the samples sound like the songs of the VAE and Autoregressive tabs? ③ Compare
the models' *notes in pentatonic* and *copies* columns in the Compare tab.
"""
