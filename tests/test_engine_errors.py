"""The engine's errors carry a message key and its values (generators/errors.py), never UI language: every raise
in generators/ is read here, each key must be a constant with a Chinese entry taking the same values
(ui/i18n/zh_CN_errors.py ENGINE), and the UI renders one in the reader's language while the CLI keeps English."""
from __future__ import annotations

import ast
import re
import pickle
import string
from pathlib import Path

import pytest

import generators
from generators.errors import CheckpointError, EngineError

ROOT = Path(__file__).resolve().parents[1]
KEYED = {"EngineError", "CheckpointError"}
# raises that are not messages for a user, each with why
NOT_MESSAGES = {
    "NotImplementedError": "a family that lacks an optional feature; the UI only offers what a family has",
    "argparse.ArgumentTypeError": "the CLI's own argument checks: the CLI keeps English",
}
NOT_MESSAGE_FILES = {
    "generators/__main__.py": "the CLI's own checks of its flags and output files: the CLI keeps English",
    "generators/datasets/build_emoji.py": "a build-time script maintainers run, never reached from a UI",
}


def _name(node) -> str:
    return ast.unparse(node.func if isinstance(node, ast.Call) else node)


def raises():
    """(file:line, exception name, call node) of every `raise X(...)` in generators/."""
    out = []
    for path in sorted((ROOT / "generators").rglob("*.py")):
        if str(path.relative_to(ROOT)) in NOT_MESSAGE_FILES:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                out.append((where, _name(node.exc), node.exc))
    return out


def placeholders(template: str) -> set[str]:
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(template) if f}


def keyed_messages() -> dict[str, list[tuple[str, set[str]]]]:
    """key → [(where, the names the raise fills)] for every keyed raise."""
    out: dict[str, list] = {}
    for where, name, call in raises():
        if name in KEYED and isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant):
            out.setdefault(call.args[0].value, []).append((where, {k.arg for k in call.keywords}))
    return out


def test_every_raise_in_the_engine_is_a_keyed_message():
    wrong = [f"{where}: raise {ast.unparse(call)[:90]}" for where, name, call in raises()
             if name not in NOT_MESSAGES and not (
                 name in KEYED and isinstance(call, ast.Call) and len(call.args) == 1
                 and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
                 and not any(k.arg is None for k in call.keywords))]       # no **values: the test reads the names
    assert wrong == [], "\n".join(wrong)


def test_each_raise_fills_exactly_its_keys_placeholders():
    wrong = [f"{where}: {key!r} takes {sorted(placeholders(key))}, the raise gives {sorted(given)}"
             for key, sites in keyed_messages().items() for where, given in sites if given != placeholders(key)]
    assert wrong == [], "\n".join(wrong)


def test_every_key_has_chinese_with_the_same_values_and_no_entry_is_stale():
    from ui.i18n.zh_CN_errors import ENGINE

    used = keyed_messages()
    missing = sorted(set(used) - set(ENGINE))
    assert missing == [], "no Chinese for:\n" + "\n".join(missing)
    assert sorted(set(ENGINE) - set(used)) == [], "Chinese for keys no raise uses"
    wrong = [k for k, zh in ENGINE.items() if placeholders(zh) != placeholders(k)]
    assert wrong == [], wrong


def test_an_engine_error_keeps_its_key_across_processes_and_prints_english():
    e = CheckpointError("{name} is not a safetensors file ({why})", name="x.safetensors", why="too short")
    assert str(e) == "x.safetensors is not a safetensors file (too short)"      # the CLI's text
    back = pickle.loads(pickle.dumps(e))                # a ZeroGPU worker's error reaches the app pickled
    assert type(back) is CheckpointError and back.key == e.key and back.values == e.values and str(back) == str(e)
    assert isinstance(back, ValueError)                 # callers that catch ValueError keep working


class _Request:
    def __init__(self, lang):
        self.headers = {"accept-language": lang}


def test_the_ui_renders_the_key_in_the_readers_language():
    from ui import i18n as I

    with pytest.raises(EngineError) as caught:
        generators.check_seed(-1)
    e = caught.value
    assert I.engine_message(e, _Request("en-US")) == str(e)
    zh, hant = I.engine_message(e, _Request("zh-CN")), I.engine_message(e, _Request("zh-TW"))
    assert zh != str(e) and "种子" in zh and str(generators.base.MAX_SEED) in zh, zh
    assert hant != zh and "種子" in hant, hant
    assert I.engine_message(ValueError("not ours"), _Request("zh-CN")) == "not ours"    # anything else: as it is



def test_a_quoted_value_is_shown_as_sent_and_a_plain_name_translated():
    """What a user typed ({token!r}) stays as typed even when it is a word the catalog knows ("hold"); a data
    set's name shown plain is in the reader's language."""
    from generators import data, music
    from ui import i18n as I

    with pytest.raises(EngineError) as typed:
        music.parse_notes("C4 hold")
    assert "'hold'" in I.engine_message(typed.value, _Request("zh-CN")) and "延长" not in I.engine_message(
        typed.value, _Request("zh-CN"))
    names = data.load_dataset("names", "heldout")
    with pytest.raises(EngineError) as named:
        generators.build("vae", "mnist").prepare_data(names)
    zh = I.engine_message(named.value, _Request("zh-CN"))
    assert zh == "这个 VAE 在 图像 上训练，而 'names' 是 文本", zh


def test_a_wrapped_message_is_rendered_by_its_own_key():
    """A checkpoint's config that fails a family's own check: "bad config: <that check's message>", both parts
    in the reader's language, and the same English as before; it survives a trip across processes."""
    from generators.base import config_from_json
    from ui import i18n as I

    with pytest.raises(CheckpointError) as e:
        config_from_json(generators.REGISTRY["gan"].Config, {"latent_dim": 0})
    assert str(e.value).startswith("bad config: latent_dim must be a whole number in"), str(e.value)
    back = pickle.loads(pickle.dumps(e.value))
    assert str(back) == str(e.value)
    zh = I.engine_message(back, _Request("zh-CN"))
    assert zh.startswith("配置有误：latent_dim 必须是") and "whole number" not in zh, zh
