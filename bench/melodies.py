"""python -m bench.melodies [--repeat 8] — how long each melody view takes on this machine (issue 31).

Prints the median and worst of `--repeat` calls of each melody handler as the server runs it (model, audio,
piano rolls, .mid/.wav files; no HTTP), the music engine's pieces (synthesis, MIDI, rolls) and music21's parse
rate on the Han file. Figures, never pass/fail; the melody cache must hold the Han songs
(`python -m generators data han`).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()                                                     # warm: the model loads, caches fill
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000, max(ts) * 1000


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.melodies")
    ap.add_argument("--repeat", type=int, default=8, help="calls of each (default 8)")
    args = ap.parse_args(argv)

    import torch

    from generators import music, music_files
    from ui import melody as M

    rows = [
        ("continue a melody, N 4 (8 bars each)", lambda: M.continue_melody("D5:4 A4 C5", 0, 1.0, 0, 0.95, 4)),
        ("continue a melody, N 8", lambda: M.continue_melody("D5:4 A4 C5", 0, 1.0, 0, 0.95, 8)),
        ("step through: start", lambda: M.step_start("D5:4 A4 C5", 1.0, 0, 1.0)),
        ("step through: the model draws", lambda: M.step_sample(music.to_text(music.parse_notes("D5:4 A4")), 0,
                                                                1.0, 0, 1.0)),
        ("VAE: interpolate A → B, 5 points", lambda: M.interpolate(1, 2, 5)),
        ("VAE: decode the sliders", lambda: M.decode_sliders(0.5, -1.0, 0, 0)),
        ("diffusion: 4 melodies, 10 Euler steps", lambda: M.denoise(0, 10, 4)),
    ]
    e = music.load_songs("han")[0].events[:64]
    rows += [("synthesise 8 bars (8 s of audio)", lambda: music_files.synthesize(e)),
             ("MIDI of 8 bars", lambda: music_files.midi_bytes([e])),
             ("piano roll → melody (32 steps)", lambda: music.from_roll(music.to_roll(e)))]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    print("| call | median ms | worst ms |\n|---|---|---|")
    for name, fn in rows:
        med, worst = timed(fn, args.repeat)
        print(f"| {name} | {med:.1f} | {worst:.1f} |")
    text = (music.corpus_dir() / "han1.abc").read_text(encoding="latin-1")
    t = time.perf_counter()
    songs, _ = music_files.parse_abc(text, limit=60)
    rate = len(songs) / (time.perf_counter() - t)
    print(f"\nmusic21 parses {rate:.0f} Han songs a second here (the whole collection, 1,224 tunes: "
          f"~{1224 / rate:.0f} s, once, into the cache)")


if __name__ == "__main__":
    main()
