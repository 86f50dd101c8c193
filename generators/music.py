"""Melodies: folk songs from the Essen collection, an event encoding on a 16th-note grid, piano rolls, and the cache
of parsed collections. The files in and out (MIDI, WAV, ABC; music21's parser) are generators/music_files.py, the
measures generators/melody_metrics.py.

A melody is a sequence of events, one per 16th note: REST, HOLD (the sounding note goes on) or a note-on at one of
N_PITCH pitches, counted in semitones from the key signature's do (the tonic of its major key: Han songs are
pentatonic on do, re, mi, sol, la) from LOW to LOW + N_PITCH − 1. This is MelodyRNN's and MusicVAE's encoding, made
smaller. Every melody is shown and played in C (do = C4, MIDI 60). The same melody is also a piano roll, a
1 × N_PITCH × steps picture (high pitches on top): 1 where a note starts, HOLD_LEVEL where it is held.

Parsing is slow (music21 reads ~35 songs a second), so a collection is parsed once into the user's cache folder
(`melodies/<name>-<music21 version>-v1.npz`) and read from there; the app never parses at start or in a request.
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import EngineError

REST, HOLD = 0, 1
LOW, N_PITCH = -7, 32                  # relative pitches −7 … 24: F3 … C6 with do = C4
N_EVENTS = 2 + N_PITCH
EVENT_CHARS = "_-" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"    # one character per event (the autoregressive vocabulary)
DO_MIDI = 60                           # do is shown and played as C4
STEPS_PER_QUARTER = 4                  # the grid: 16th notes
STEP_SECONDS = 0.125                   # a 16th at ♩ = 120
ROLL_STEPS = 32                        # a piano-roll window: 32 16ths = 4 bars of 2/4 (2 of 4/4)
TEXT_STEPS = 64                        # an autoregressive item: 64 16ths = 8 bars of 2/4, room for a continuation
HOLD_LEVEL = 0.5
# collection → its files in music21's corpus/essenFolksong (Essen Folksong Collection, non-commercial use)
COLLECTIONS = {"han": ("han1.abc", "han2.abc"), "german": ("altdeu10.abc", "altdeu20.abc"),
               "lorraine": ("lot.abc",), "luxembourg": ("lux.abc",)}
CACHE_VERSION = 1
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True)
class Song:
    title: str
    events: np.ndarray                 # int8 (T,), values in 0 … N_EVENTS − 1
    steps_per_bar: int = 8


# ----------------------------------------------------------------------------- events
def pitch_of(event: int) -> int:
    """The relative pitch (semitones from do) of a note-on event."""
    return LOW + int(event) - 2


def midi_of(event: int) -> int:
    return DO_MIDI + pitch_of(event)


def note_name(event: int) -> str:
    """'C4', 'D#5', '–' (hold) or '·' (rest)."""
    if event == REST:
        return "rest"
    if event == HOLD:
        return "hold"
    return midi_name(midi_of(event))


def midi_name(m: int) -> str:
    return f"{NAMES[m % 12]}{m // 12 - 1}"


def to_text(events) -> str:
    return "".join(EVENT_CHARS[int(e)] for e in events)


def from_text(text: str) -> np.ndarray:
    bad = sorted({ch for ch in text if ch not in EVENT_CHARS})
    if bad:
        raise EngineError("not melody events: {chars!r}", chars="".join(bad))
    return np.array([EVENT_CHARS.index(ch) for ch in text], dtype=np.int8)


def check_events(events) -> np.ndarray:
    e = np.asarray(events)
    if e.ndim != 1 or not np.issubdtype(e.dtype, np.integer) or (e.size and (e.min() < 0 or e.max() >= N_EVENTS)):
        raise EngineError("a melody is a 1-D sequence of events 0 … {hi}", hi=N_EVENTS - 1)
    return e.astype(np.int8)


def notes(events) -> list[tuple[int, int, int]]:
    """(start step, length in steps, MIDI pitch) of each note; a HOLD after a rest (or at the start) is a rest."""
    out, cur = [], None
    for t, e in enumerate(np.asarray(events).tolist()):
        if e >= 2:
            if cur:
                out.append(tuple(cur))
            cur = [t, 1, midi_of(e)]
        elif e == HOLD and cur:
            cur[1] += 1
        else:
            if cur:
                out.append(tuple(cur))
            cur = None
    if cur:
        out.append(tuple(cur))
    return out


def parse_notes(text: str, default_steps: int = 2, max_steps: int = TEXT_STEPS) -> np.ndarray:
    """Typed note names → events: 'C4 D4:4 r E4' — a note name with its octave (C4 = do), or r for a rest, each
    with an optional :length in 16ths (default 2, an eighth). Pitches outside the model's range are refused."""
    out: list[int] = []
    for tok in text.replace(",", " ").split():
        name, _, length = tok.partition(":")
        try:
            steps = int(length) if length else default_steps
        except ValueError:
            raise EngineError("{token!r}: the length after ':' is a whole number of 16ths", token=tok) from None
        if not 1 <= steps <= 16:
            raise EngineError("{token!r}: a length is 1 … 16 sixteenths", token=tok)
        if name.lower() in ("r", "rest"):
            out += [REST] * steps
            continue
        letter, rest = name[:1].upper(), name[1:]
        acc = 0
        while rest[:1] in ("#", "b"):
            acc += 1 if rest[0] == "#" else -1
            rest = rest[1:]
        if letter not in "CDEFGAB" or not letter or not rest.lstrip("-").isdigit():
            raise EngineError("{token!r} is not a note: write a name and an octave (C4, F#4, Bb3) or r for a rest",
                              token=tok)
        midi = (int(rest) + 1) * 12 + NAMES.index(letter) + acc
        rel = midi - DO_MIDI
        if not LOW <= rel < LOW + N_PITCH:
            raise EngineError("{token!r} is outside the range {lo} … {hi}", token=tok, lo=note_name(2),
                              hi=note_name(N_EVENTS - 1))
        out += [rel - LOW + 2] + [HOLD] * (steps - 1)
        if len(out) > max_steps:
            raise EngineError("at most {n} sixteenths can be typed", n=max_steps)
    if len(out) > max_steps:
        raise EngineError("at most {n} sixteenths can be typed", n=max_steps)
    return np.array(out, dtype=np.int8)


def format_notes(events) -> str:
    """Events → the typed form parse_notes reads ('C4:4 D4 r:2'), one token a note or rest."""
    parts, t, e = [], 0, np.asarray(events).tolist()
    while t < len(e):
        n = 1
        while t + n < len(e) and e[t + n] == HOLD and e[t] != REST:
            n += 1
        if e[t] in (REST, HOLD):
            while t + n < len(e) and e[t + n] in (REST,) and e[t] == REST:
                n += 1
            parts.append("r" + (f":{n}" if n != 2 else ""))
        else:
            parts.append(note_name(e[t]) + (f":{n}" if n != 2 else ""))
        t += n
    return " ".join(parts)


# ----------------------------------------------------------------------------- piano rolls
def to_roll(events, steps: int = ROLL_STEPS) -> np.ndarray:
    """Events (padded with rests / cut to `steps`) → float32 (1, N_PITCH, steps): 1 at onsets, HOLD_LEVEL held."""
    roll = np.zeros((1, N_PITCH, steps), np.float32)
    row = None
    for t, e in enumerate(np.asarray(events).tolist()[:steps]):
        if e >= 2:
            row = N_PITCH - 1 - (e - 2)
            roll[0, row, t] = 1.0
        elif e == HOLD and row is not None:
            roll[0, row, t] = HOLD_LEVEL
        else:
            row = None
    return roll


def from_roll(roll, threshold: float = 0.25) -> np.ndarray:
    """A (1, N_PITCH, T) roll in [0, 1] (a model's, so blurred) → events: each column's brightest pitch sounds if
    above `threshold`; it holds the previous note when it is the same pitch and dimmer than (1 + HOLD_LEVEL) / 2."""
    r = np.asarray(roll, dtype=np.float32).reshape(N_PITCH, -1)
    out, prev = [], None
    split = (1 + HOLD_LEVEL) / 2
    for t in range(r.shape[1]):
        row = int(r[:, t].argmax())
        v = float(r[row, t])
        if v < threshold:
            out.append(REST)
            prev = None
        elif prev == row and v < split:
            out.append(HOLD)
        else:
            out.append(N_PITCH - 1 - row + 2)
            prev = row
    return np.array(out, dtype=np.int8)


def roll_image(events, steps: int | None = None, scale: int = 6, playhead: int | None = None) -> np.ndarray:
    """A piano roll to look at: uint8 RGB, pitch rows (do rows shaded), notes as bars with a darker onset."""
    e = np.asarray(events)
    steps = steps or max(len(e), 1)
    H, W = N_PITCH * scale, steps * scale
    img = np.full((H, W, 3), 250, np.uint8)
    for p in range(N_PITCH):
        if (LOW + p) % 12 in (1, 3, 6, 8, 10):         # black keys: a darker band
            img[(N_PITCH - 1 - p) * scale:(N_PITCH - p) * scale] = 236
        if (LOW + p) % 12 == 0:                        # do: a line under its row
            img[(N_PITCH - p) * scale - 1] = 200
    for b in range(0, steps, 8):
        img[:, b * scale] = 205
    for start, length, midi in notes(e[:steps]):
        row = N_PITCH - 1 - (midi - DO_MIDI - LOW)
        y0, y1 = row * scale + 1, (row + 1) * scale - 1
        img[y0:y1, start * scale + 1:(start + length) * scale - 1] = (59, 130, 246)
        img[y0:y1, start * scale + 1:start * scale + 3] = (30, 64, 175)
    if playhead is not None and 0 <= playhead < steps:
        img[:, playhead * scale] = (249, 115, 22)
    return img


# ----------------------------------------------------------------------------- the cache
def corpus_dir() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus" / "essenFolksong"


def cache_path(collection: str, cache_dir=None) -> Path:
    import music21

    from .data import default_cache_dir

    root = Path(cache_dir or default_cache_dir()) / "melodies"
    return root / f"{collection}-{music21.__version__}-v{CACHE_VERSION}.npz"


def build_collection(collection: str, cache_dir=None, limit: int | None = None, progress=None) -> Path:
    """Parse a collection's ABC files once into the cache (atomic); `limit` tunes a file (tests)."""
    from .music_files import parse_abc            # music_files imports this module: so here, not at the top

    if collection not in COLLECTIONS:
        raise EngineError("unknown melody collection {name!r} (use {options})", name=collection,
                          options=", ".join(COLLECTIONS))
    songs = []
    files = COLLECTIONS[collection]
    for k, fn in enumerate(files):
        text = (corpus_dir() / fn).read_text(encoding="latin-1")
        part, _ = parse_abc(text, limit, (lambda i, n, k=k: progress(k, len(files), i, n)) if progress else None)
        songs += part
    path = cache_path(collection, cache_dir)
    save_songs(songs, path)
    _cached_songs.cache_clear()
    return path


def save_songs(songs: list[Song], path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lengths = np.array([len(s.events) for s in songs], np.int64)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        np.savez(f, events=np.concatenate([s.events for s in songs]) if songs else np.zeros(0, np.int8),
                 lengths=lengths, steps_per_bar=np.array([s.steps_per_bar for s in songs], np.int64),
                 titles=np.array([s.title for s in songs], dtype=str))
    os.replace(tmp, path)


@lru_cache(maxsize=8)
def _cached_songs(path: str, mtime: float) -> tuple[Song, ...]:
    with np.load(path, allow_pickle=False) as z:
        ev, lengths, spb, titles = z["events"], z["lengths"], z["steps_per_bar"], z["titles"]
    ends = np.cumsum(lengths)
    return tuple(Song(str(t), check_events(ev[e - n:e]), int(b)) for t, n, e, b in zip(titles, lengths, ends, spb))


def warm(collections=("han",), cache_dir=None):
    """Parse the collections not in the cache yet, one after another, in a background thread (the app calls this
    as it starts serving: its requests never parse, they read the cache or say it is still being read). The
    thread, or None when all are there."""
    import threading

    missing = [c for c in collections if not is_cached(c, cache_dir)]
    if not missing:
        return None
    t = threading.Thread(target=lambda: [build_collection(c, cache_dir) for c in missing], name="melodies",
                         daemon=True)
    t.start()
    return t


def is_cached(collection: str, cache_dir=None) -> bool:
    return cache_path(collection, cache_dir).exists()


def load_songs(collection: str, cache_dir=None, build: bool = False, progress=None) -> tuple[Song, ...]:
    """A collection's songs from the cache; with `build`, parse them first when missing (slow: ~35 s for Han)."""
    path = cache_path(collection, cache_dir)
    if not path.exists():
        if not build:
            # the command is one value: a UI translates a value it knows ("han"), and the command must stay as typed
            raise EngineError("the {collection} songs are not read yet: run `{command}` (or train on them) once; it "
                              "parses them with music21 into {folder}", collection=collection,
                              command=f"python -m generators data {collection}", folder=str(path.parent))
        build_collection(collection, cache_dir, progress=progress)
    try:
        return _cached_songs(str(path), path.stat().st_mtime)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as err:
        raise EngineError("{name} is not a melody cache ({why}); delete it to read the songs again", name=path.name,
                          why=str(err)) from None


# ----------------------------------------------------------------------------- windows
def windows(song: Song, steps: int, hop: int) -> list[np.ndarray]:
    """Windows of `steps` 16ths starting on bar lines every `hop` 16ths (rounded to whole bars) at a note-on,
    the last one padded with rests; windows with fewer than 3 notes are dropped."""
    e, bar = song.events, song.steps_per_bar
    hop = max(bar, hop // bar * bar)
    out = []
    for s in range(0, max(1, len(e) - steps // 2), hop):
        if e[s] < 2:
            continue
        w = e[s:s + steps]
        if len(w) < steps:
            w = np.concatenate([w, np.zeros(steps - len(w), np.int8)])
        if (w >= 2).sum() >= 3:
            out.append(w)
    return out
