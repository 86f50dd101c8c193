"""Melodies (issue 31): music21's parser on the real Essen files and on hostile uploads, the event encoding's round
trips, the audio and MIDI files, the measures, the three families training on songs, the CLI, the tab events
through real HTTP and playback in Chromium."""
from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import generators
from generators import music, music_files
from generators.base import make_generator
from generators.melody_metrics import CopyIndex, NGram, scale_share

MODELS = ("autoregressive-melodies", "vae-melodies", "diffusion-melodies")


def _clean(events) -> np.ndarray:
    """Any event list made canonical: a hold after a rest (or first) is a rest, as `notes` reads it."""
    out, sounding = [], False
    for e in events:
        if e == music.HOLD and not sounding:
            e = music.REST
        sounding = e >= 2 or (e == music.HOLD and sounding)
        out.append(e)
    return np.array(out, np.int8)


events = st.lists(st.integers(0, music.N_EVENTS - 1), min_size=1, max_size=64).map(_clean)


# ----------------------------------------------------------------------------- parsing real files
def test_music21_reads_the_han_and_german_files(melodies):
    han = music.load_songs("han")
    first = han[0]
    assert first.title == "Renmin gongshe shizai hao" and first.steps_per_bar == 8      # M: 2/4, L: 1/16
    # d4A2c2 | d4d4 in C: D5 for 4 sixteenths, A4 for 2, C5 for 2, D5, D5
    assert music.notes(first.events)[:5] == [(0, 4, 74), (4, 2, 69), (6, 2, 72), (8, 4, 74), (12, 4, 74)]
    assert all(len(s.events) and s.events.max() < music.N_EVENTS for s in han)
    german = music.load_songs("german")
    assert len(german) >= 30 and {s.steps_per_bar for s in german} - {8}           # not only 2/4 there
    # pentatonic Han songs: nearly every note in the scale, as measured on the held-out songs
    assert np.mean([scale_share(s.events) for s in han]) > 0.9


def test_the_held_out_rule_splits_songs_not_windows(melodies):
    from generators.data import load_dataset

    train, held = load_dataset("han", "train"), load_dataset("han", "heldout")
    songs = music.load_songs("han")
    assert held.songs == tuple(songs[i] for i in range(0, len(songs), 10))
    assert len(train.songs) + len(held.songs) == len(songs)
    assert not {music.to_text(s.events) for s in held.songs} & {music.to_text(s.events) for s in train.songs}
    assert train.x.shape[1:] == (1, music.N_PITCH, music.ROLL_STEPS) and len(train.texts) > 0
    assert all(len(t) == music.TEXT_STEPS for t in train.texts)


def test_a_cache_is_atomic_and_a_broken_one_says_so(tmp_path):
    song = music.Song("x", np.array([2, 1, 0, 5], np.int8), 8)
    path = music.cache_path("han", tmp_path)
    music.save_songs([song], path)
    assert not list(path.parent.glob("*.part"))
    assert music.load_songs("han", tmp_path)[0].events.tolist() == [2, 1, 0, 5]
    path.write_bytes(b"PK\x03\x04 not a zip")
    music._cached_songs.cache_clear()
    with pytest.raises(ValueError, match="not a melody cache"):
        music.load_songs("han", tmp_path)
    with pytest.raises(ValueError, match="not read yet"):
        music.load_songs("lorraine", tmp_path / "empty")


HOSTILE = {
    "binary.abc": (bytes(range(256)) * 50, "not an ABC text file"),
    "empty.abc": (b"", "could not read it as ABC|holds no melody"),
    "prose.abc": (b"Dear teacher, here are my songs.\n", "could not read it as ABC|holds no melody"),
    "too-wide.abc": (b"X:1\nM:2/4\nL:1/16\nK:C\nC,,,4 c''''4 |]\n", "holds no melody that fits F3"),
    "huge.abc": (b"X:1\nK:C\n" + b"C" * (3 * 1024 * 1024), "larger than 2 MB"),
    "not-midi.mid": (b"RIFF....WAVEfmt ", "not a MIDI file"),
    "truncated.mid": (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\xff\xff",
                      "could not read it|holds no melody"),
    "song.exe": (b"MZ", ".abc or .mid"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_melody_file_gets_one_line(tmp_path, name):
    from ui import train as T

    data, says = HOSTILE[name]
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(ValueError, match=says) as e:
        music_files.read_melody_file(p)
    assert "\n" not in str(e.value) and len(str(e.value)) < 200
    if p.suffix in (".abc", ".mid"):                 # the Train tab's upload: the same sentence, as a gr.Error
        import gradio as gr
        with pytest.raises(gr.Error, match=says):
            T.load_upload(str(p))


def test_a_file_of_too_many_tunes_says_so(tmp_path, monkeypatch):
    """parse_abc's own sentence reaches the reader as it is, not as "music21 could not read it"."""
    monkeypatch.setattr(music_files, "MAX_SONGS", 2)
    p = tmp_path / "three.abc"
    p.write_text("".join(f"X:{i}\nT:t{i}\nM:2/4\nL:1/16\nK:C\nC4D4|E4G4|]\n\n" for i in (1, 2, 3)))
    with pytest.raises(ValueError, match="holds 3 tunes; at most 2 can be read"):
        music_files.read_melody_file(p)


def test_music21s_own_complaint_becomes_our_sentence(tmp_path):
    """A header music21 cannot split raises its own ValueError ("not enough values to unpack"): the reader gets
    the file's one-line error, keyed, not Python's words."""
    from generators.errors import EngineError

    p = tmp_path / "odd.abc"
    p.write_text("X:1\n-K3KyM:G<0\n")
    with pytest.raises(EngineError) as e:
        music_files.read_melody_file(p)
    assert str(e.value) == "odd.abc: music21 could not read it as ABC"


def test_a_collections_splits_are_built_once_and_again_when_its_songs_change(tmp_path, monkeypatch):
    """load_melodies keeps the splits it built (Compare's evaluate reads one several times a model), one build
    when requests ask at once, and builds again when the song cache is rewritten; what it keeps is a fresh build."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from generators.data import load_melodies, melody_dataset

    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    path = music.cache_path("han")
    tune = music.parse_notes("C4 D4 E4 G4 A4 C5 A4 G4 " * 4, max_steps=64)
    music.save_songs([music.Song(f"s{i}", tune) for i in range(12)], path)
    first = load_melodies("han", "train")
    assert load_melodies("han", "train") is first                   # from the cache
    fresh = melody_dataset("han", music.load_songs("han"), "train")
    assert torch.equal(first.x, fresh.x) and first.texts == fresh.texts and first.songs == fresh.songs
    with ThreadPoolExecutor(4) as pool:
        held = list(pool.map(lambda _: load_melodies("han", "heldout"), range(4)))
    assert len({id(d) for d in held}) == 1 and len(held[0].songs) == 2
    other = music.parse_notes("D4 E4 F#4 A4 B4 D5 B4 A4 " * 4, max_steps=64)
    music.save_songs([music.Song(f"t{i}", other) for i in range(12)], path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))      # a new mtime, whatever the clock's grain
    rebuilt = load_melodies("han", "train")
    assert rebuilt is not first and rebuilt.texts[0] == music.to_text(other) != first.texts[0]
    assert load_melodies("han", "train") is rebuilt


def test_a_users_abc_and_midi_train(tmp_path):
    from generators.data import load_dataset

    abc = tmp_path / "mine.abc"
    abc.write_text(music_files.abc_text([np.tile(np.array([2 + 7, 1, 2 + 9, 1, 2 + 11, 1, 1, 1], np.int8), 12)] * 4))
    d = load_dataset(str(abc), "train")
    assert d.kind == "melody" and len(d.x) and len(d.texts)
    mid = tmp_path / "mine.mid"
    mid.write_bytes(music_files.midi_bytes([np.tile(np.array([9, 1, 11, 13, 1, 1, 0, 0], np.int8), 48)]))
    assert len(load_dataset(str(mid), "train").x)            # one long song: cut into 4-bar pieces
    assert generators.REGISTRY["autoregressive"].config_for(str(mid)).melody


# ----------------------------------------------------------------------------- the encoding
@settings(max_examples=200, deadline=None)
@given(events)
def test_tokens_rolls_and_typed_notes_round_trip(e):
    assert (music.from_text(music.to_text(e)) == e).all()
    assert music.notes(music.from_roll(music.to_roll(e, len(e)))) == music.notes(e)
    typed = music.format_notes(e)
    back = music.parse_notes(typed, max_steps=len(e) + 16) if typed else np.zeros(0, np.int8)
    assert music.notes(back) == music.notes(e)


def test_abc_written_here_reads_back_through_music21(melodies):
    for song in music.load_songs("han")[:12]:
        back, bad = music_files.parse_abc(music_files.abc_text([song.events]))
        assert bad == 0
        first = music.notes(song.events)[0][0]
        assert music.notes(back[0].events) == [(s - first, n, m) for s, n, m in music.notes(song.events)]


def test_typed_notes_refuse_what_is_not_a_note():
    for bad, says in (("H4", "not a note"), ("C9", "outside the range"), ("C4:0", "1 … 16"), ("C4:x", "whole"),
                      ("C4:16 " * 5, "at most")):
        with pytest.raises(ValueError, match=says):
            music.parse_notes(bad)


# ----------------------------------------------------------------------------- sound and files
def test_the_audio_lasts_the_melody_at_its_rate_and_never_clips(melodies):
    e = music.load_songs("han")[1].events[:64]
    a = music_files.synthesize(e)
    assert len(a) == round(len(e) * music.STEP_SECONDS * music_files.SAMPLE_RATE)
    assert 0.79 < np.abs(a).max() <= 0.8 + 1e-6
    with wave.open(io.BytesIO(music_files.wav_bytes(a))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (music_files.SAMPLE_RATE, 1, 2)
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert len(pcm) == len(a) and np.abs(pcm).max() < 32767
    rest = music_files.synthesize(np.array([9, 1, 0, 0, 9, 1], np.int8))        # a rest is silent
    step = round(music.STEP_SECONDS * music_files.SAMPLE_RATE)
    assert np.abs(rest[2 * step:4 * step]).max() == 0 and np.abs(rest[:step]).max() > 0.1


def test_midi_written_here_reads_back_through_music21(melodies):
    from music21 import converter

    e = music.load_songs("han")[2].events[:64]
    score = converter.parseData(music_files.midi_bytes([e]), format="midi")
    got = [(round(float(n.offset) * 4), round(float(n.quarterLength) * 4), n.pitch.midi)
           for n in score.flatten().notes]
    first = music.notes(e)[0][0]
    assert got == [(s - first, n, m) for s, n, m in music.notes(e)]


# ----------------------------------------------------------------------------- measures
def test_the_measures():
    penta = music.parse_notes("C4 D4 E4 G4 A4 C5 A4 G4")
    assert scale_share(penta) == 1.0
    assert scale_share(music.parse_notes("C4 C#4 D4 D#4 E4 F4 F#4 G4")) < 0.7
    idx = CopyIndex([music.parse_notes("C4 D4 E4 G4 A4 G4 E4 D4 C4")])
    assert idx.longest(music.parse_notes("B3 E4 G4 A4 G4 B3")) == 4
    ng = NGram([music.to_text(penta)] * 20, 3)
    assert ng.nll([music.to_text(penta)]) < 0.5 < ng.nll([music.to_text(music.parse_notes("F#4 B4 C#5 D#5"))])


# ----------------------------------------------------------------------------- the families
@pytest.fixture(scope="module")
def tiny_models(melodies):
    """One tiny model of each melody family, trained 3 steps on the Han songs by the shared loop."""
    from generators.data import load_dataset
    from generators.train import train

    data = load_dataset("han", "train")
    tiny = {"autoregressive": dict(n_layer=1, n_embd=16, n_head=2), "vae": dict(width=4, hidden=16, latent_dim=4),
            "diffusion": dict(channels=8)}
    out = {}
    for fam, over in tiny.items():
        m = generators.build(fam, "han", seed=0, **over)
        for ev in train(m, data, steps=3, batch_size=8, seed=0):
            pass
        m.meta = {"dataset": "han"}
        out[fam] = m
    return out


def test_every_melody_family_trains_samples_and_repeats_its_seed(tiny_models):
    from generators.melody_metrics import sample_melodies

    for fam, m in tiny_models.items():
        assert m.data_kind == "melody", fam
        opts = {"steps": 2} if fam == "diffusion" else {}
        a = sample_melodies(m, 3, generator=make_generator(5), **opts)
        b = sample_melodies(m, 3, generator=make_generator(5), **opts)
        assert len(a) == 3 and all(x.dtype == np.int8 and x.max() < music.N_EVENTS for x in a), fam
        assert all((x == y).all() for x, y in zip(a, b)), fam


def test_the_melody_evaluator_reports_every_measure(tiny_models):
    from generators.metrics import evaluate

    ar = evaluate(tiny_models["autoregressive"], n=8)
    for k in ("nll_per_event", "ngram_nll_per_event", "scale_share", "scale_share_heldout", "copy_share"):
        assert np.isfinite(ar[k]), k
    assert ar["ngram_order"] == 5 and ar["copy_run"] == 16
    vae = evaluate(tiny_models["vae"], n=8)
    assert 0 <= vae["reconstruction_event_accuracy"] <= 1 and "nll_per_event" not in vae


def test_a_melody_model_refuses_other_data(tiny_models):
    from generators.data import load_dataset

    with pytest.raises(ValueError, match="melody"):
        tiny_models["vae"].prepare_data(load_dataset("mnist", "train"))
    with pytest.raises(ValueError):
        generators.REGISTRY["gan"].config_for("han")


# ----------------------------------------------------------------------------- the Train tab
def test_the_train_tab_trains_melodies_and_plays_their_samples(melodies, tmp_path):
    """A live run on the Han songs through the Train tab's own Start (its samples shown as note names), then its
    samples heard: piano rolls, the WAV and the downloads; a user's .abc trains the same way."""
    import gradio as gr
    from conftest import sync_stream

    from ui import train as T

    base = dict(family="autoregressive", dataset="han", upload=None, lr=None, batch=8, steps=4, latent=None,
                loss=None, n_critic=None, beta=1.0, schedule=None, timesteps=None, n_layer=1, n_embd=16, seed=0,
                every=2, components=None)
    with pytest.raises(gr.Error, match="Train a melody model"):
        T.hear(None)
    outs = list(sync_stream(T.start(None, *base.values())))
    r = outs[-1][0]
    assert r.phase == "finished" and r.model.data_kind == "melody"
    texts = [o[5] for o in outs if isinstance(o[5], dict) and o[5].get("value")][-1]["value"].splitlines()
    assert texts and all(music.parse_notes(t, max_steps=200) is not None for t in texts if t)   # note names
    view, wav, files = T.hear(r)
    assert view.count("class='mel'") == 8 and wav in files and _wav_seconds(wav) > 0 and len(files) == 2
    abc = tmp_path / "mine.abc"
    abc.write_text(music_files.abc_text([music.load_songs("han")[i].events for i in range(12)]))
    outs = list(sync_stream(T.start(None, *{**base, "family": "vae", "dataset": T.UPLOAD, "upload": str(abc),
                                           "n_layer": None, "n_embd": None, "latent": 2, "beta": 0.25}.values())))
    r = outs[-1][0]
    assert r.phase == "finished" and r.model.data_kind == "melody" and T.hear(r)[0].count("class='mel'") == 8


# ----------------------------------------------------------------------------- shipped models and the CLI
@pytest.mark.parametrize("name", MODELS)
def test_the_shipped_melody_models_load_without_pickle_and_are_small(name):
    from generators.base import checkpoint_paths

    m = generators.load(name, device="cpu")
    assert m.data_kind == "melody" and m.meta["dataset"] == "han"
    for p in checkpoint_paths(generators.resolve_checkpoint(name)):
        assert p.stat().st_size <= 10 * 1024 * 1024
    for k in ("scale_share", "scale_share_heldout", "copy_share"):
        assert k in m.meta["metrics"], (name, k)


def _cli(capsys, *args) -> tuple[int, str, str]:
    """The CLI's own entry point in this process (test_conformance runs it as a subprocess for every family)."""
    from generators.__main__ import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_writes_midi_wav_and_abc(tmp_path, capsys):
    for ext in ("mid", "wav", "abc", "txt"):
        out = tmp_path / f"tunes.{ext}"
        code, _, err = _cli(capsys, "sample", "autoregressive", "--checkpoint", "autoregressive-melodies", "--n", "2",
                            "--prefix", "D5:4 A4 C5", "--out", str(out))
        assert code == 0, err
        data = out.read_bytes()
        assert data[:4] == {"mid": b"MThd", "wav": b"RIFF"}.get(ext, data[:4]) and len(data) > 40
    songs, bad = music_files.parse_abc((tmp_path / "tunes.abc").read_text())
    assert len(songs) == 2 and bad == 0
    assert all(music.notes(s.events)[:3] == [(0, 4, 74), (4, 2, 69), (6, 2, 72)] for s in songs)   # the prefix
    code, _, err = _cli(capsys, "sample", "vae", "--checkpoint", "vae-melodies", "--n", "2", "--out",
                        str(tmp_path / "x.gif"))
    assert code == 2 and "melodies are written to" in err


def test_the_cli_trains_and_evaluates_on_han(tmp_path, melodies, capsys):
    out = tmp_path / "ar"
    code, _, err = _cli(capsys, "train", "autoregressive", "--dataset", "han", "--steps", "2", "--n-layer", "1",
                        "--n-embd", "16", "--n-head", "2", "--batch-size", "4", "--out", str(out))
    assert code == 0, err
    code, stdout, err = _cli(capsys, "eval", "autoregressive", "--checkpoint", str(out), "--n", "4")
    assert code == 0, err
    got = json.loads(stdout)
    assert got["dataset"] == "han" and "ngram_nll_per_event" in got
    code, _, err = _cli(capsys, "data", "han")
    assert code == 0 and "already in" in err


# ----------------------------------------------------------------------------- the tabs, through HTTP
@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def _wav_seconds(path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_the_melody_events_answer_over_http(client):
    view, audio, files = client.predict("D5:4 A4 C5", 3, 0.8, 0, 0.95, 2, api_name="/autoregressive_melody")
    assert view.count("class='mel'") == 2 and "data-notes" in view
    assert sorted(Path(f).suffix for f in files) == [".mid", ".wav"] and "seed3" in Path(files[0]).name
    assert abs(_wav_seconds(audio) - (sum(_steps(view)) + 8) * music.STEP_SECONDS) < 0.01   # the two, a bar between
    again = client.predict("D5:4 A4 C5", 3, 0.8, 0, 0.95, 2, api_name="/autoregressive_melody")
    assert again[0] == view                                                        # seed → the same melodies
    start, title = client.predict(1, api_name="/autoregressive_melody_song")
    assert music.parse_notes(start).size == 16 and "notes" in title
    view, *_ = client.predict(1, 2, 4, api_name="/vae_melody_interpolate")
    assert view.count("class='mel'") == 6
    view, *_ = client.predict(1.0, -0.5, 0, 2, api_name="/vae_melody_decode")
    assert view.count("class='mel'") == 1
    view, audio, _ = client.predict(1, 4, 2, api_name="/diffusion_melody")
    assert view.count("class='mel'") == 2 and _steps(view) == [32, 32]
    assert abs(_wav_seconds(audio) - (2 * 32 + 8) * music.STEP_SECONDS) < 0.01


def _steps(view: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r"data-steps='(\d+)'", view)]


def _so_far(word_html: str) -> list:
    """The notes of the step-through's melody so far, from its figure's data-notes (the API keeps the text in the
    session's state)."""
    import html
    import re

    m = re.search(r"data-notes='([^']*)'", word_html)
    return [tuple(n) for n in json.loads(html.unescape(m.group(1)))] if m else []


def test_visitors_who_make_the_same_melody_at_once_each_get_the_whole_wav(app_url):
    """The same seed from several visitors at once: every one downloads a complete WAV (the player's file is written
    once and copied into Gradio's cache atomically, not rewritten in place at a shared path)."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    def visit(_):
        return Client(app_url, verbose=False).predict(7, 1, 1, api_name="/diffusion_melody")

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(visit, range(4)))
    assert len({view for view, _, _ in got}) == 1                                  # the same melody for all
    assert {_wav_seconds(wav) for _, wav, _ in got} == {32 * music.STEP_SECONDS}   # each file whole


def test_the_melody_step_through_forces_and_draws(client):
    chart, choice, word = client.predict("C4:2 D4", 1.0, 0, 1.0, api_name="/autoregressive_melody_step_start")
    assert _so_far(word) == [(0, 2, 60), (2, 2, 62)] and "Next note" in chart
    _, _, word = client.predict("G4", 1.0, 0, 1.0, api_name="/autoregressive_melody_force")
    assert _so_far(word)[-1] == (4, 1, 67)                              # forced, whatever its probability
    _, _, word2 = client.predict(0, 1.0, 0, 1.0, api_name="/autoregressive_melody_step")
    assert "end" in word2 or _steps(word2) == [_steps(word)[0] + 1]     # one more sixteenth, or the end


HTTP_HOSTILE = [                                  # what Gradio lets through to the handlers, and what they say
    ("/autoregressive_melody", ("Z9 " * 3, 0, 1, 0, 1, 2), "not a note"),
    ("/autoregressive_melody", ("C4 " * 40, 0, 1, 0, 1, 2), "at most 48 sixteenths"),
    ("/autoregressive_melody", ("x" * 10_000, 0, 1, 0, 1, 2), "Start is longer than 400"),
    ("/autoregressive_melody_song", (10**6,), "Held-out song must be between 1 and"),
    ("/vae_melody_interpolate", (500, 2, 4), "Held-out song must be between 1 and"),
    ("/vae_melody_interpolate", (1, 2, 500), "greater than maximum value 9"),       # Gradio's own range check
]


@pytest.mark.parametrize("api, args, says", HTTP_HOSTILE)
def test_hostile_melody_values_over_http_get_a_clear_error(client, api, args, says):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=says):
        client.predict(*args, api_name=api)
    assert client.predict(1, 4, 1, api_name="/diffusion_melody")[0].count("class='mel'") == 1   # still serving


BYPASS = [float("nan"), float("inf"), -1e300, 10**12, "x", None, True, [1]]


def test_every_melody_handler_refuses_what_bypasses_the_sliders(melodies):
    """The handlers themselves, called with the raw values an API caller can send (sliders bypassed): every
    parameter refuses some of them with a one-line gr.Error, and the next good request is served."""
    import gradio as gr

    from ui import melody as M

    calls = {M.continue_melody: ["C4", 0, 1.0, 0, 1.0, 2], M.interpolate: [1, 2, 3], M.decode_sliders: [0, 0, 0, 0],
             M.denoise: [0, 4, 1], M.step_start: ["C4", 1.0, 0, 1.0], M.song_start: [1],
             M.step_force: ["", "C4", 1.0, 0, 1.0], M.step_sample: ["", 0, 1.0, 0, 1.0]}
    for fn, good in calls.items():
        for i in range(len(good)):
            refused = 0
            for bad in BYPASS:
                try:
                    fn(*good[:i], bad, *good[i + 1:])
                except gr.Error as e:
                    assert e.message and "Traceback" not in e.message and "\n" not in e.message, e.message
                    refused += 1
            assert refused, (fn.__name__, i)
        assert fn(*good) is not None, fn.__name__


# ----------------------------------------------------------------------------- playback in Chromium
def test_a_melody_plays_in_the_page_with_a_moving_playhead(page):
    from conftest import open_tab, wait_until_idle

    open_tab(page, "Autoregressive")
    page.locator("#ar_melody_panel").get_by_text("Melodies: Han folk songs").first.click()
    page.locator("#ar_melody_go").click()
    fig = page.locator("#ar_melodies .mel").first
    fig.wait_for()
    wait_until_idle(page)
    page.locator("#ar_melody_audio audio, #ar_melody_audio button").first.wait_for()   # the server's WAV, shown
    fig.locator(".mel-play").click()                                     # a click starts it, as browsers require
    page.wait_for_function("() => { const f = document.querySelector('#ar_melodies .mel');"
                           " return f.dataset.state === 'playing' && Number(f.dataset.position) > 0.02; }")
    fig.locator(".mel-play").click()
    page.wait_for_function("() => document.querySelector('#ar_melodies .mel').dataset.state === 'stopped'")
    assert not page.errors
