"""`python -m bench`: measure training speed, browser latency, server costs and growth.

Writes BENCHMARKS.md (or --out) after every figure. Needs VAE_DATA_ROOT with MNIST and
checkpoints under VAE_CHECKPOINT_DIR (default checkpoints/); the browser sections need
Playwright and Chromium.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from bench.report import Report, Section, cores, cpu_model, load_average, num

FULL: dict[str, Any] = {
    "mlp_images": None,  # None: all 60 000
    "epochs": 3,  # MLP epochs per side
    "conv_images": 5_000,
    "conv_epochs": 3,
    "marks": [30.0, 60.0, 120.0],
    "moves": 24,  # server-path slider moves per app
    "live_moves": 60,
    "cold_repeats": 3,
    "nav_repeats": 3,
    "decode_repeats": 200,
    "grid_repeats": 20,
    "encode_repeats": 5,
    "tsne_points": 5000,
    "tsne_repeats": 1,  # about 2 minutes per run on a busy 2-core machine
    "projection_points": 10_000,
    "projection_repeats": 1,
    "stored_repeats": 20,
    "sessions": 5,
    "growth_sizes": [1_000, 10_000, 60_000],
    "growth_latents": [2, 20, 64],
    "growth_epochs": 2,
    "first_draw_repeats": 5,
    "inference_images": None,  # exact -log p(x) over all 10,000 test images
    "inference_repeats": 5,
    "onnx_images": 1_000,
    "onnx_repeats": 20,
    "class_sessions": 20,  # browser sessions at once in the classroom section
    "class_walks": 2,  # times each session walks every page
    "class_wait_ttl": True,  # measure memory again after the closed sessions' TTL
    "visit_runs": None,  # checkpoints walked in the page-visits section: None, all
    "map_repeats": 10,  # draws of each map variant in the map-drawing section
}
QUICK: dict[str, Any] = {
    **FULL,
    "mlp_images": 10_000,
    "epochs": 2,
    "conv_images": 2_000,
    "conv_epochs": 2,
    "marks": [5.0, 10.0],
    "moves": 6,
    "live_moves": 20,
    "cold_repeats": 1,
    "nav_repeats": 2,
    "decode_repeats": 20,
    "grid_repeats": 3,
    "encode_repeats": 2,
    "tsne_points": 1000,
    "tsne_repeats": 1,
    "projection_points": 2_000,
    "projection_repeats": 1,
    "stored_repeats": 5,
    "sessions": 2,
    "growth_sizes": [1_000, 5_000],
    "growth_latents": [2, 20],
    "growth_epochs": 2,
    "first_draw_repeats": 2,
    "inference_images": 500,  # extrapolated to the whole test set
    "inference_repeats": 2,
    "onnx_images": 200,
    "onnx_repeats": 3,
    "class_sessions": 2,
    "class_walks": 1,
    "class_wait_ttl": False,
    "visit_runs": 2,
    "map_repeats": 3,
}


def devices() -> list[str]:
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def _train(sec: Section, p: dict[str, Any]) -> None:
    from bench.train_speed import throughput

    for device in devices():
        throughput(sec, device, p["mlp_images"], p["epochs"], p["conv_images"], p["conv_epochs"])
    if not torch.cuda.is_available():
        sec.add("No CUDA GPU on this machine: the GPU figures were not measured.")


def _quality(sec: Section, p: dict[str, Any]) -> None:
    from bench.train_speed import quality

    for device in devices():
        quality(sec, device, p["marks"])


def _interaction(sec: Section, p: dict[str, Any]) -> None:
    from bench.browser import interaction

    interaction(sec, p["moves"], p["live_moves"])


def _startup(sec: Section, p: dict[str, Any]) -> None:
    from bench.browser import startup

    startup(sec, p["cold_repeats"], p["nav_repeats"])


def _maps(sec: Section, p: dict[str, Any]) -> None:
    from bench.map_drawing import map_drawing

    map_drawing(sec, p["map_repeats"])


def _server(sec: Section, p: dict[str, Any]) -> None:
    from bench.server_costs import server_costs

    server_costs(sec, p)


def _projection(sec: Section, p: dict[str, Any]) -> None:
    from bench.projection import projections

    projections(sec, p)


def _stored(sec: Section, p: dict[str, Any]) -> None:
    from bench.projection import stored_vs_computed

    stored_vs_computed(sec, p)


def _memory(sec: Section, p: dict[str, Any]) -> None:
    from bench.memory import memory

    memory(sec, p["sessions"])


def _growth(sec: Section, p: dict[str, Any]) -> None:
    from bench.growth import growth

    growth(sec, p["growth_sizes"], p["growth_latents"], p["growth_epochs"])


def _live(sec: Section, p: dict[str, Any]) -> None:
    from bench.live_weights import live_weights

    live_weights(sec, p["first_draw_repeats"], p["live_moves"])


def _inference(sec: Section, p: dict[str, Any]) -> None:
    from bench.inference import inference

    inference(sec, p["inference_images"], p["inference_repeats"], threads=None)


def _onnx(sec: Section, p: dict[str, Any]) -> None:
    from bench.onnx_import import onnx_import

    onnx_import(sec, p)


def _classroom(sec: Section, p: dict[str, Any]) -> None:
    from bench.classroom import classroom

    classroom(sec, p["class_sessions"], p["class_walks"], wait_ttl=p["class_wait_ttl"])


def _pages(sec: Section, p: dict[str, Any]) -> None:
    from bench.page_visits import page_visits

    page_visits(sec, p["visit_runs"])


SECTIONS: dict[str, tuple[str, Callable[[Section, dict[str, Any]], None]]] = {
    "train": ("1. Training throughput", _train),
    "quality": ("2. Quality per second of training", _quality),
    "interaction": ("3a. Slider move to new decoded image, in Chromium", _interaction),
    "startup": ("3b. Cold start and navigation to the Latent page, in Chromium", _startup),
    "pages": ("3c. Every page's first and later visits, per checkpoint, in Chromium", _pages),
    "maps": ("3d. Drawing a 10,000-point latent map in Chromium: WebGL pixel ratio", _maps),
    "server": ("4a. Server-side compute costs", _server),
    "memory": ("4b. App server memory with browser sessions", _memory),
    "projection": ("4c. Projections of 10,000 codes: openTSNE against scikit-learn", _projection),
    "stored": ("4d. Choosing t-SNE on a shipped model: stored with it against computed", _stored),
    "growth": ("5. Cost growth with data set and latent size", _growth),
    "live": ("6. In-browser decoder: weight transfer and first draw per checkpoint", _live),
    "inference": ("7. Inference: exact posterior, SVI, MCMC and the toy on mnist-2d", _inference),
    "onnx": ("8. Imported ONNX models: encode and decode against the same network in torch", _onnx),
    "classroom": (
        "9. A classroom: browser sessions at once walking every page while a job trains",
        _classroom,
    ),
}


def machine(threads: int, why: str, default: int) -> dict[str, str]:
    info = {
        "CPU": f"{cpu_model()}, {cores()} cores available ({os.cpu_count()} in the machine)",
        "System": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "torch": f"{torch.__version__}; {threads} thread(s) for the figures measured here "
        f"(torch.set_num_threads; {why}); the app server runs with torch's default "
        f"({default})",
        "Devices": ", ".join(devices()),
    }
    if torch.cuda.is_available():
        info["GPU"] = torch.cuda.get_device_name(0)
    ckpts = os.environ.get("VAE_CHECKPOINT_DIR", "checkpoints")
    info["Data, checkpoints"] = f"{os.environ.get('VAE_DATA_ROOT', 'data')}, {ckpts}"
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="few repeats, small sizes, to try it")
    ap.add_argument(
        "--only",
        default="",
        help=f"comma-separated sections to run: {', '.join(SECTIONS)}; they replace the same "
        "sections and goals of an existing report, which says so at the top",
    )
    ap.add_argument("--out", default="BENCHMARKS.md", help="report file (default BENCHMARKS.md)")
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads for training and server-side figures (default: the cores available "
        "on an idle machine, 1 on a busy one, where threads that wait for each other are "
        "several times slower)",
    )
    args = ap.parse_args(argv)
    names = [s for s in args.only.split(",") if s] or list(SECTIONS)
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.threads < 0:
        ap.error(f"--threads must be at least 1, got {args.threads}")
    threads, why = args.threads, "as asked with --threads"
    if threads == 0:
        busy = load_average() > 0.5 * cores()
        threads = 1 if busy else cores()
        why = f"chosen: load average {num(load_average())} on {cores()} cores" + (
            ", so one thread" if busy else ", so one per core"
        )
    default = torch.get_num_threads()
    torch.set_num_threads(threads)
    params = QUICK if args.quick else FULL
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    out = Path(args.out)
    # A partial run updates an earlier full report in place of overwriting it.
    previous = (
        out.read_text(encoding="utf-8") if args.only and not args.quick and out.is_file() else ""
    )
    report = Report(
        out, args.quick, machine(threads, why, default), command.strip(), previous=previous
    )
    failed = 0
    for name in names:
        title, run = SECTIONS[name]
        sec = report.section(title)
        t0 = time.perf_counter()
        print(f"[bench] {name}: {title}", file=sys.stderr, flush=True)
        try:
            run(sec, params)
        except Exception as exc:
            failed += 1
            sec.fail(exc)
            traceback.print_exc()
            print(f"[bench] {name} FAILED: {exc!r}", file=sys.stderr, flush=True)
        sec.done = True
        sec.add(f"*Section time: {time.perf_counter() - t0:.0f} s.*")
    print(f"[bench] wrote {args.out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
