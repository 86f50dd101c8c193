"""Rebuild generators/datasets/poems.txt: Tang quatrains (4 lines of 5 or 7 characters), Simplified characters.

    python -m generators.datasets.build_poems                      # runs `npm pack chinese-poetry@2.0.1` itself
    python -m generators.datasets.build_poems --package chinese-poetry-2.0.1.tgz   # or an unpacked package folder

Source: the npm package `chinese-poetry` **2.0.1** (MIT, https://github.com/chinese-poetry/chinese-poetry),
`dist/quantangshi/poet.tang.*.json` (57,607 Tang poems, Traditional characters), read in file order
(0, 1000, 2000, …). A poem is kept when its lines, joined and converted to Simplified characters by OpenCC's
`t2s` (the pure-Python `opencc-python-reimplemented`, a build-time dependency only, not in requirements.txt),
read exactly `XXXXX，XXXXX。XXXXX，XXXXX。` (or 7 characters a line) with every X a CJK ideograph (U+4E00–U+9FFF:
a missing character □, a note in brackets, or other punctuation drops the poem). Duplicates (after conversion)
keep their first occurrence. One poem per line, UTF-8. This runs at build time only: the app reads the text file.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "chinese-poetry"
VERSION = "2.0.1"                     # the version poems.txt was built from
OUT = Path(__file__).resolve().parent / "poems.txt"
MEMBER = re.compile(r"(?:^|/)dist/quantangshi/poet\.tang\.(\d+)\.json$")
QUATRAIN = re.compile(r"^(?:[\u4e00-\u9fff]{5}，[\u4e00-\u9fff]{5}。){2}$"          # 4 lines of 5 characters
                      r"|^(?:[\u4e00-\u9fff]{7}，[\u4e00-\u9fff]{7}。){2}$")        # or of 7


def _tang_files(package: Path) -> tuple[str, list[bytes]]:
    """(the package's version, the poet.tang.*.json files' bytes in numeric order) from a .tgz or a folder."""
    if package.is_dir():
        version = json.loads((package / "package.json").read_text())["version"]
        files = sorted((int(MEMBER.search(p.as_posix()).group(1)), p.read_bytes())
                       for p in (package / "dist" / "quantangshi").glob("poet.tang.*.json"))
        return version, [b for _, b in files]
    with tarfile.open(package, "r:gz") as tar:
        version, files = None, []
        for m in tar:
            if m.name.endswith("package/package.json"):
                version = json.load(tar.extractfile(m))["version"]
            elif (hit := MEMBER.search(m.name)) and m.isfile():
                files.append((int(hit.group(1)), tar.extractfile(m).read()))
    return version, [b for _, b in sorted(files)]


def quatrains(files: list[bytes], convert) -> tuple[list[str], int]:
    """The kept poems (Simplified, deduplicated, in corpus order) and how many poems were read."""
    out, seen, read = [], set(), 0
    for blob in files:
        for poem in json.load(io.BytesIO(blob)):
            read += 1
            text = re.sub(r"\s+", "", "".join(poem.get("paragraphs") or []))
            if len(text) not in (24, 32):              # 4 × (5 + 1) or 4 × (7 + 1): skip the rest before OpenCC
                continue
            text = convert(text)
            if QUATRAIN.match(text) and text not in seen:
                seen.add(text)
                out.append(text)
    return out, read


def _npm_pack(folder: Path) -> Path:
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    return folder / f"{PACKAGE}-{VERSION}.tgz"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default=None, help=f"the {PACKAGE} .tgz or unpacked folder (default: npm pack it)")
    ap.add_argument("--out", default=str(OUT), help=f"where to write (default {OUT})")
    args = ap.parse_args(argv)
    try:
        from opencc import OpenCC
    except ImportError:
        print("pip install opencc-python-reimplemented (a build-time dependency)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(args.package) if args.package else _npm_pack(Path(tmp))
        version, files = _tang_files(package)
    if version != VERSION:
        print(f"warning: {PACKAGE} {version} read, poems.txt documents {VERSION}", file=sys.stderr)
    poems, read = quatrains(files, OpenCC("t2s").convert)
    out = Path(args.out)
    tmp_out = out.with_suffix(".txt.tmp")
    tmp_out.write_text("".join(p + "\n" for p in poems), encoding="utf-8")
    tmp_out.replace(out)
    five = sum(len(p) == 24 for p in poems)
    print(f"{PACKAGE} {version}: {read} Tang poems read, {len(poems)} quatrains kept ({five} of 5 characters a line, "
          f"{len(poems) - five} of 7), {len(set(''.join(poems)))} distinct characters, "
          f"{out.stat().st_size / 1e6:.2f} MB → {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
