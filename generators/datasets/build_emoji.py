"""Rebuild generators/datasets/emoji.npz from the npm package emoji-datasource-twitter (Twemoji graphics).

    python -m generators.datasets.build_emoji                         # runs `npm pack` into a temporary folder
    python -m generators.datasets.build_emoji --package PKG.tgz|DIR   # or an already fetched package

Build time only: the app and the tests read the shipped .npz and never this script's inputs. Each emoji's 64 px PNG
is composited onto white and resized to 32×32 RGB (Pillow, LANCZOS); emoji are ordered by the package's
`sort_order`, classes are the nine Unicode emoji groups (`category`; the five skin-tone swatches of "Component"
are skipped), and an image whose 32×32 pixels equal an earlier one's is dropped (kept: the first in sort order).
Skin-tone variants are separate files in the package (`skin_variations`) and are never read.

Twemoji graphics: Copyright Twitter, Inc. and other contributors, CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/); changed here: composited onto white and resized to 32×32.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from .emoji import EMOJI_GROUPS, EMOJI_NPZ, IMAGE_SIZE

PACKAGE = "emoji-datasource-twitter"
VERSION = "16.0.0"
GRAPHICS_LICENSE = "CC-BY-4.0"
GRAPHICS_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
ATTRIBUTION = ("Twemoji graphics by Twitter, Inc. and other contributors (https://github.com/jdecked/twemoji), "
               "CC BY 4.0; composited onto white and resized to 32×32 RGB")


def _fetch(dest: Path) -> Path:
    """`npm pack PACKAGE@VERSION` into `dest` → the .tgz (the npm registry's ordinary client)."""
    out = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=dest, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return dest / out


class _Package:
    """Read files of the npm package from its .tgz or an unpacked folder (its `package/` root or that folder)."""

    def __init__(self, path: Path):
        self.path = path
        if path.is_file():
            self.tar = tarfile.open(path, "r:gz")
            self.members = {m.name.split("/", 1)[1]: m for m in self.tar.getmembers() if m.isfile() and "/" in m.name}
        else:
            self.tar = None
            self.root = path / "package" if (path / "package" / "package.json").exists() else path

    def read(self, name: str) -> bytes:
        if self.tar is not None:
            return self.tar.extractfile(self.members[name]).read()
        return (self.root / name).read_bytes()


def emoji_image(png: bytes, size: int = IMAGE_SIZE) -> np.ndarray:
    """A (transparent) PNG → uint8 size×size×3 RGB, composited onto white, resized with LANCZOS."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, rgba).convert("RGB")
    return np.asarray(rgb.resize((size, size), Image.LANCZOS), dtype=np.uint8)


def build(package: Path, out: Path = EMOJI_NPZ) -> dict:
    """Build the .npz from the package at `package`; returns a summary (counts) and writes `out` atomically."""
    pkg = _Package(package)
    meta = json.loads(pkg.read("package.json"))
    if meta.get("name") != PACKAGE:
        raise ValueError(f"{package} is {meta.get('name')!r}, not {PACKAGE}")
    entries = sorted(json.loads(pkg.read("emoji.json")), key=lambda e: e["sort_order"])    # stable sort
    group_of = {g: i for i, g in enumerate(EMOJI_GROUPS)}
    skipped = Counter(e["category"] for e in entries if e["category"] not in group_of)
    xs, ys, names, codes, seen, dups = [], [], [], [], {}, []
    for e in entries:
        if e["category"] not in group_of:
            continue
        img = emoji_image(pkg.read(f"img/twitter/64/{e['image']}"))
        key = hashlib.sha256(img.tobytes()).hexdigest()
        if key in seen:                              # the same 32×32 pixels as an earlier emoji
            dups.append((e["short_name"], seen[key]))
            continue
        seen[key] = e["short_name"]
        xs.append(img)
        ys.append(group_of[e["category"]])
        names.append((e.get("name") or e["short_name"]).lower())
        codes.append(e["unified"])
    x, y = np.stack(xs), np.asarray(ys, np.int64)
    info = {"package": PACKAGE, "version": meta["version"], "package_license": meta.get("license", ""),
            "graphics_license": GRAPHICS_LICENSE, "graphics_license_url": GRAPHICS_LICENSE_URL,
            "attribution": ATTRIBUTION, "entries": len(entries), "skipped_categories": dict(skipped),
            "duplicates_dropped": len(dups), "duplicates": dups, "images": len(x),
            "per_group": {g: int((y == i).sum()) for i, g in enumerate(EMOJI_GROUPS)}}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp.npz")
    os.close(fd)
    try:
        # every array is numeric or fixed-width unicode: np.load(..., allow_pickle=False) reads it all
        np.savez_compressed(tmp, x=x, y=y, groups=np.asarray(EMOJI_GROUPS), names=np.asarray(names),
                            codepoints=np.asarray(codes), info=np.asarray(json.dumps(info, ensure_ascii=False)))
        os.chmod(tmp, 0o644)                         # mkstemp makes it private; the shipped file is not
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return info


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m generators.datasets.build_emoji", description=__doc__.split("\n")[0])
    ap.add_argument("--package", help=f"{PACKAGE} as a .tgz or an unpacked folder (default: npm pack {PACKAGE}@{VERSION})")
    ap.add_argument("--out", default=str(EMOJI_NPZ), help="the .npz to write")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        package = Path(args.package) if args.package else _fetch(Path(d))
        info = build(package, Path(args.out))
    print(json.dumps({k: v for k, v in info.items() if k != "duplicates"}, indent=2, ensure_ascii=False))
    print("duplicates dropped (dropped, kept):", ", ".join(f"{a} = {b}" for a, b in info["duplicates"]) or "none")


if __name__ == "__main__":
    main()
