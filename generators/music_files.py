"""Melody files, in and out: WAV audio (a plucked tone a note), MIDI and ABC written here, and a user's .abc or
.mid (or an Essen collection's ABC) read with music21's parser onto the event grid of generators/music.py.

Reading is guarded: a user's file is size-capped, its tunes counted and each song's length bounded.
"""
from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import numpy as np

from .errors import EngineError
from .music import (DO_MIDI, HOLD, LOW, N_EVENTS, N_PITCH, NAMES, STEP_SECONDS, STEPS_PER_QUARTER, Song, note_name,
                    notes)

SAMPLE_RATE = 22_050
MELODY_EXT = (".abc", ".mid", ".midi")
MAX_MELODY_UPLOAD = 2 * 1024 * 1024    # bytes of a user's .abc or .mid
MAX_SONGS = 3000                       # tunes in one user file
MAX_SONG_STEPS = 4096                  # 16ths in one song (4 minutes at ♩ = 120)


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
        except EngineError:    # parse_abc's own sentence (too many tunes) as it is, not "could not read it"
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

