"""Melodies: folk songs from the Essen collection (read with music21's ABC parser), an event encoding on a 16th-note
grid, piano rolls, and the ways out (MIDI, WAV, ABC).

A melody is a sequence of events, one per 16th note: REST, HOLD (the sounding note goes on) or a note-on at one of
N_PITCH pitches, counted in semitones from the key signature's do (the tonic of its major key: Han songs are
pentatonic on do, re, mi, sol, la) from LOW to LOW + N_PITCH − 1. This is MelodyRNN's and MusicVAE's encoding, made
smaller. Every melody is shown and played in C (do = C4, MIDI 60). The same melody is also a piano roll, a
1 × N_PITCH × steps picture (high pitches on top): 1 where a note starts, HOLD_LEVEL where it is held.

Parsing is slow (music21 reads ~35 songs a second), so a collection is parsed once into the user's cache folder
(`melodies/<name>-<music21 version>-v1.npz`) and read from there; the app never parses at start or in a request.
"""
from __future__ import annotations

import io
import math
import os
import struct
import wave
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
SAMPLE_RATE = 22_050
ROLL_STEPS = 32                        # a piano-roll window: 32 16ths = 4 bars of 2/4 (2 of 4/4)
TEXT_STEPS = 64                        # an autoregressive item: 64 16ths = 8 bars of 2/4, room for a continuation
HOLD_LEVEL = 0.5
# collection → its files in music21's corpus/essenFolksong (Essen Folksong Collection, non-commercial use)
COLLECTIONS = {"han": ("han1.abc", "han2.abc"), "german": ("altdeu10.abc", "altdeu20.abc"),
               "lorraine": ("lot.abc",), "luxembourg": ("lux.abc",)}
MELODY_EXT = (".abc", ".mid", ".midi")
MAX_MELODY_UPLOAD = 2 * 1024 * 1024    # bytes of a user's .abc or .mid
MAX_SONGS = 3000                       # tunes in one user file
MAX_SONG_STEPS = 4096                  # 16ths in one song (4 minutes at ♩ = 120)
CACHE_VERSION = 1
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
PENTATONIC = (0, 2, 4, 7, 9)           # major pentatonic: do re mi sol la


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


# ----------------------------------------------------------------------------- sound and files
def synthesize(events, sample_rate: int = SAMPLE_RATE, step_seconds: float = STEP_SECONDS) -> np.ndarray:
    """The melody as float32 mono audio of exactly len(events) × step_seconds: a plucked tone a note (four
    harmonics, 5 ms attack, exponential decay, 20 ms release before the next note), peak 0.8, never clipping."""
    e = np.asarray(events)
    n = int(round(len(e) * step_seconds * sample_rate))
    out = np.zeros(n, np.float32)
    for start, length, midi in notes(e):
        a, b = int(round(start * step_seconds * sample_rate)), min(n, int(round((start + length) * step_seconds * sample_rate)))
        t = np.arange(b - a, dtype=np.float32) / sample_rate
        f = 440.0 * 2 ** ((midi - 69) / 12)
        tone = sum(w * np.sin(2 * np.pi * f * h * t) for h, w in ((1, 1.0), (2, 0.45), (3, 0.25), (4, 0.12)))
        env = np.minimum(1.0, t / 0.005) * np.exp(-2.5 * t)
        rel = np.clip((t[-1] - t) / 0.02, 0, 1) if len(t) else t
        out[a:b] += (tone * env * rel).astype(np.float32)
    peak = float(np.abs(out).max()) if n else 0.0
    return out * (0.8 / peak) if peak > 0 else out


def wav_bytes(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """float audio in [−1, 1] → a 16-bit PCM mono WAV file."""
    pcm = (np.clip(audio, -1, 1) * 32767).round().astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    while n > 0x7F:
        n >>= 7
        out.insert(0, (n & 0x7F) | 0x80)
    return bytes(out)


def midi_bytes(melodies, step_seconds: float = STEP_SECONDS, program: int = 73, gap_steps: int = 8) -> bytes:
    """One or more melodies (event sequences) → a type-0 Standard MIDI File, one after another with `gap_steps`
    of silence between; tempo from step_seconds (♩ = 120 at 0.125 s), a flute (General MIDI 74) by default."""
    if len(melodies) and np.ndim(melodies[0]) == 0:
        melodies = [melodies]
    tpq = 480
    tick = tpq // STEPS_PER_QUARTER
    tempo = int(round(step_seconds * STEPS_PER_QUARTER * 1_000_000))
    evs, offset = [], 0
    for m in melodies:
        for start, length, midi in notes(m):
            evs.append(((offset + start) * tick, 1, 0x90, midi, 80))
            evs.append(((offset + start + length) * tick, 0, 0x80, midi, 0))
        offset += len(m) + gap_steps
    evs.sort()
    track = b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big") + b"\x00\xc0" + bytes([program])
    now = 0
    for t, _, status, midi, vel in evs:
        track += _vlq(t - now) + bytes([status, midi, vel])
        now = t
    track += b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, tpq) + b"MTrk" + struct.pack(">I", len(track)) + track


def _abc_pitch(midi: int, bar_accidentals: dict) -> str:
    """ABC for a MIDI pitch; an accidental stays for the rest of the bar in ABC, so a natural after a sharp of the
    same note in the bar is written =."""
    name = NAMES[midi % 12]
    letter = name[0]
    octave = midi // 12 - 1
    note = letter.lower() + "'" * (octave - 5) if octave >= 5 else letter + "," * (4 - octave)
    acc = "^" if "#" in name else ""
    if bar_accidentals.get(note, "") != acc:
        bar_accidentals[note] = acc
        acc = acc or "="
    else:
        acc = ""
    return acc + note


def abc_text(melodies, title: str = "Latent Lab", steps_per_bar: int = 8) -> str:
    """Melodies → an ABC file (one tune each, in C, L:1/16, 2/4), notes tied across bar lines."""
    if len(melodies) and np.ndim(melodies[0]) == 0:
        melodies = [melodies]
    tunes = []
    meter = f"{steps_per_bar // 4}/4" if steps_per_bar % 4 == 0 else f"{steps_per_bar // 2}/8"
    for i, m in enumerate(melodies):
        m = np.asarray(m).tolist()
        body, t = [], 0
        spans = []                                     # (start, length, symbol or None for a rest)
        for start, length, midi in notes(m):
            if start > t:
                spans.append((t, start - t, None))
            spans.append((start, length, midi))
            t = start + length
        if t < len(m):
            spans.append((t, len(m) - t, None))
        bar: dict = {}
        for start, length, midi in spans:
            while length > 0:
                room = steps_per_bar - start % steps_per_bar
                piece = min(length, room)
                sym = "z" if midi is None else _abc_pitch(midi, bar)
                body.append(sym + (str(piece) if piece != 1 else ""))
                length -= piece
                start += piece
                if length > 0 and midi is not None:
                    body[-1] += "-"
                if start % steps_per_bar == 0:
                    body.append("|")
                    bar = {}
        tunes.append(f"X:{i + 1}\nT:{title} {i + 1}\nM:{meter}\nL:1/16\nK:C\n{' '.join(body).rstrip(' |')} |]\n")
    return "\n".join(tunes)


# ----------------------------------------------------------------------------- parsing (music21)
def _do_of(score) -> int:
    """The key signature's do as a pitch class shift into −5 … 6 (so songs stay near C4)."""
    from music21 import key

    ks = score.recurse().getElementsByClass(key.KeySignature).first()
    do = (7 * ks.sharps) % 12 if ks is not None else 0
    return do if do <= 6 else do - 12


def _score_to_song(score, title: str = "") -> Song | None:
    """A music21 score → its first part's melody on the 16th grid, relative to do, moved by octaves into range;
    None when it has no notes or cannot fit."""
    from music21 import meter

    part = score.parts[0] if getattr(score, "parts", None) else score
    flat = part.flatten().stripTies()                  # a note tied over a bar line is one note
    items = []
    for el in flat.notesAndRests:
        if el.isRest:
            continue
        pitch = max(el.pitches, key=lambda p: p.midi) if el.isChord else el.pitch
        start = int(round(float(el.offset) * STEPS_PER_QUARTER))
        end = int(round(float(el.offset + el.quarterLength) * STEPS_PER_QUARTER))
        items.append((start, end, pitch.midi))
    if not items:
        return None
    do = _do_of(score)
    rel = [m - DO_MIDI - do for _, _, m in items]
    shift = 0
    while min(rel) + shift < LOW and max(rel) + shift + 12 < LOW + N_PITCH:
        shift += 12
    while max(rel) + shift >= LOW + N_PITCH and min(rel) + shift - 12 >= LOW:
        shift -= 12
    if min(rel) + shift < LOW or max(rel) + shift >= LOW + N_PITCH:
        return None
    first = min(s for s, _, _ in items)
    length = max(e for _, e, _ in items) - first
    if length > MAX_SONG_STEPS or length <= 0:
        return None
    ev = np.zeros(length, np.int8)
    for (s, e, _), r in zip(items, rel):
        s, e = s - first, e - first
        if e <= s or ev[s] >= 2:                        # grace notes and grid collisions: the first note wins
            continue
        ev[s] = r + shift - LOW + 2
        ev[s + 1:e] = np.where(ev[s + 1:e] >= 2, ev[s + 1:e], HOLD)
    ts = flat.getElementsByClass(meter.TimeSignature).first() or score.recurse().getElementsByClass(
        meter.TimeSignature).first()
    spb = int(round(ts.barDuration.quarterLength * STEPS_PER_QUARTER)) if ts is not None else 8
    return Song(title[:80], ev, max(1, min(64, spb)))


def parse_abc(text: str, limit: int | None = None, progress=None) -> tuple[list[Song], int]:
    """An ABC file's tunes → (songs, tunes that could not be read), one tune at a time with music21's parser;
    `limit` reads only the first tunes; progress(i, n) after each."""
    from music21 import abcFormat
    from music21.abcFormat import translate

    handler = abcFormat.ABCFile().readstr(text)
    books = handler.splitByReferenceNumber() if handler.definesReferenceNumbers() else {1: handler}
    tunes = list(books.values())[:limit]
    if len(tunes) > MAX_SONGS:
        raise EngineError("the file holds {n} tunes; at most {max} can be read", n=len(tunes), max=MAX_SONGS)
    songs, bad = [], 0
    for i, h in enumerate(tunes):
        try:
            score = translate.abcToStreamScore(h)
            title = score.metadata.title if score.metadata is not None and score.metadata.title else f"tune {i + 1}"
            song = _score_to_song(score, str(title))
        except Exception:      # music21 raises many kinds on a malformed tune; count it and go on
            song = None
        if song is None:
            bad += 1
        else:
            songs.append(song)
        if progress:
            progress(i + 1, len(tunes))
    return songs, bad


def read_melody_file(path) -> list[Song]:
    """A user's .abc or .mid → its songs; any problem is one ValueError sentence."""
    p = Path(path)
    if p.suffix.lower() not in MELODY_EXT:
        raise EngineError("{name}: a melody file is .abc or .mid", name=p.name)
    try:
        size = p.stat().st_size
    except OSError:
        raise EngineError("{name}: cannot be read", name=p.name) from None
    if size > MAX_MELODY_UPLOAD:
        raise EngineError("{name} is larger than {n} MB", name=p.name, n=MAX_MELODY_UPLOAD // 1024 // 1024)
    data = p.read_bytes()
    if p.suffix.lower() == ".abc":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        if "\x00" in text:
            raise EngineError("{name} is not an ABC text file", name=p.name)
        try:
            songs, _ = parse_abc(text)
        except ValueError:
            raise
        except Exception:
            raise EngineError("{name}: music21 could not read it as ABC", name=p.name) from None
    else:
        if not data.startswith(b"MThd"):
            raise EngineError("{name} is not a MIDI file (it does not start with MThd)", name=p.name)
        try:
            from music21 import converter
            score = converter.parseData(data, format="midi")
            song = _score_to_song(score, p.stem)
        except Exception:
            raise EngineError("{name}: music21 could not read it as MIDI", name=p.name) from None
        songs = [song] if song is not None else []
    if not songs:
        raise EngineError("{name} holds no melody that fits {lo} … {hi}", name=p.name, lo=note_name(2),
                          hi=note_name(N_EVENTS - 1))
    return songs


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


# ----------------------------------------------------------------------------- measures
def scale_share(events) -> float:
    """The share of notes inside a major-pentatonic scale that holds the melody's last note (the best of the five
    such scales); nan for a melody without notes."""
    pcs = [m % 12 for _, _, m in notes(events)]
    if not pcs:
        return float("nan")
    last = pcs[-1]
    best = 0
    for deg in PENTATONIC:
        root = (last - deg) % 12
        scale = {(root + d) % 12 for d in PENTATONIC}
        best = max(best, sum(p in scale for p in pcs))
    return best / len(pcs)


class CopyIndex:
    """The longest run of consecutive notes (pitches, rhythm ignored) a melody shares with any training song."""

    def __init__(self, melodies):
        self.seqs = [tuple(m for _, _, m in notes(e)) for e in melodies]
        self._grams: dict[int, set] = {}

    def _has(self, run: tuple) -> bool:
        k = len(run)
        if k not in self._grams:
            self._grams[k] = {s[i:i + k] for s in self.seqs for i in range(len(s) - k + 1)}
        return run in self._grams[k]

    def longest(self, events) -> int:
        seq = tuple(m for _, _, m in notes(events))
        best = 0
        for i in range(len(seq)):
            k = best + 1
            while i + k <= len(seq) and self._has(seq[i:i + k]):
                best = k
                k += 1
        return best


class NGram:
    """An interpolated (Witten–Bell) n-gram model of event texts with an end token: the baseline every melody
    model's held-out NLL is compared with."""

    def __init__(self, texts, n: int = 5):
        from collections import Counter, defaultdict

        self.n, self.V = n, N_EVENTS + 1
        self.counts = defaultdict(Counter)
        for t in texts:
            seq = [N_EVENTS] * (n - 1) + [EVENT_CHARS.index(c) for c in t] + [N_EVENTS]
            for i in range(n - 1, len(seq)):
                for k in range(n):
                    self.counts[tuple(seq[i - k:i])][seq[i]] += 1

    def prob(self, ctx: tuple, x: int) -> float:
        p = 1.0 / self.V
        for k in range(0, len(ctx) + 1):
            c = self.counts.get(ctx[len(ctx) - k:] if k else ())
            if not c:
                break
            total, types = sum(c.values()), len(c)
            lam = total / (total + types)
            p = lam * c[x] / total + (1 - lam) * p
        return p

    def nll(self, texts) -> float:
        """Mean −log p per event (the end token counted), in nats."""
        tot, cnt = 0.0, 0
        for t in texts:
            seq = [N_EVENTS] * (self.n - 1) + [EVENT_CHARS.index(c) for c in t] + [N_EVENTS]
            for i in range(self.n - 1, len(seq)):
                tot -= math.log(self.prob(tuple(seq[i - self.n + 1:i]), seq[i]))
                cnt += 1
        return tot / max(cnt, 1)
