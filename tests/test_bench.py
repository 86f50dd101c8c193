"""bench.gpu's code paths on CPU (real, tiny training runs): its figures are only meaningful on a GPU, which CI
never has, so this checks that the rows it would print there are measured and parsed — never how fast."""
from __future__ import annotations

import re
import sys
import textwrap

import torch

from bench import gpu


def test_gpu_bench_smoke_run_on_cpu_prints_every_row(capsys):
    gpu.main(["--device", "cpu", "--quick"])
    out = capsys.readouterr().out
    rows = dict(re.findall(r"^\| ((?:GAN|diffusion|diffusers)[^|]*) \| ([^|]+) \|$", out, re.M))
    assert any(r.startswith("GAN engine, DCGAN 64×64×3") for r in rows)
    assert any(r.startswith("GAN engine, our 28×28") for r in rows)
    assert any(r.startswith("diffusion engine") for r in rows)
    for row, value in rows.items():
        if not value.startswith("not measured"):
            assert float(value.replace(",", "")) > 0, row


def test_gpu_bench_without_cuda_says_so(capsys):
    if torch.cuda.is_available():
        return
    gpu.main([])
    assert "not measured — no CUDA GPU" in capsys.readouterr().out


def test_pytorch_examples_rate_is_read_from_its_log(tmp_path):
    """The comparison runs pytorch/examples' script as a subprocess and times its per-iteration log lines; a
    stand-in script that logs like it (20 iterations, 10 ms apart) must read as ~batch/0.01 images/s."""
    fake = tmp_path / "main.py"
    fake.write_text(textwrap.dedent("""
        import argparse, pathlib, time
        ap = argparse.ArgumentParser()
        for a in ("--dataset", "--dataroot", "--batchSize", "--niter", "--outf"):
            ap.add_argument(a)
        o = ap.parse_args()
        assert len(list(pathlib.Path(o.dataroot, "digits").glob("*.png"))) == 64
        for i in range(20):
            time.sleep(0.01)
            print(f"[0/1][{i}/20] Loss_D: 1.0 Loss_G: 1.0 D(x): 0.5 D(G(z)): 0.5 / 0.5", flush=True)
    """))
    name, rate = gpu.theirs(fake, torch.device("cpu"), 8, 64, "")
    assert "batch 8" in name and isinstance(rate, float) and 8 / 0.05 < rate < 8 / 0.01 * 1.05
    broken = tmp_path / "broken.py"
    broken.write_text("import sys; sys.exit(3)\n")
    assert gpu.theirs(broken, torch.device("cpu"), 8, 64, "")[1].startswith("not measured: 0 iterations")


def test_time_to_digits_smoke_prints_the_table_plot_and_both_rates(tmp_path, capsys):
    """bench.time_to_digits' paths on a 1-second names run: the default run's table row and curve, the PNG, and
    the CLI's and the Train tab's steps/s (a few steps each) — figures only, no thresholds on them."""
    from bench import time_to_digits as ttd

    png = tmp_path / "curves.png"
    ttd.main(["--family", "autoregressive", "--seconds", "1", "--every", "0.5", "--plot", str(png),
              "--ratio-seconds", "0"])
    out = capsys.readouterr().out
    assert re.search(r"^\| autoregressive \| 154,587 params, batch 64, 500 steps, lr 0.005, warmup 50, cosine", out, re.M)
    assert re.search(r"^\| autoregressive \| \d+ \| [\d.]+ \| [\d.]+ \|$", out, re.M)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ttd.cli_rate("autoregressive", 3) > 0
    rate, spent = ttd.tab_rate("autoregressive", 3, every=2)
    assert rate > 0 and set(spent) == {"steps", "previews", "page updates (outputs)", "the tab's own bookkeeping"}
