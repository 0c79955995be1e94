"""Section 6: the in-browser decoder's weights, their first draw and pointer moves, per model."""

from __future__ import annotations

import json

from bench.browser import checkpoint_dir, chromium, live_latencies, new_page
from bench.report import Section, cell, num, stat

# Mount the component the way Streamlit does, without a server (as in the e2e tests).
MOUNT_JS = """async ([code, data]) => {
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const mod = await import(url);
    const host = document.body.appendChild(document.createElement("div"));
    mod.default({ data, parentElement: host, setStateValue: () => {} });
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
}"""


def live_weights(sec: Section, repeats: int, moves: int) -> None:
    """Per checkpoint: the decoder spec's size, first draw in a fresh page, move latency."""
    from components.live_decoder import JS, Mode, view_data
    from vae.runfolder.checkpoint import load_checkpoint
    from vae.runfolder.runs import list_runs
    from vae.web.decoder_spec import FLOAT16_ABOVE_BYTES, UnsupportedDecoder, decoder_spec

    rows = []
    with chromium() as browser:
        for run in [r for r in list_runs() if r.ok]:
            model = load_checkpoint(checkpoint_dir() / run.name).model
            try:
                spec = decoder_spec(model)
            except UnsupportedDecoder as exc:
                rows.append([run.name, f"server path only: {exc}", "", "", ""])
                continue
            raw = json.dumps(spec).encode()
            mode: Mode = "pad" if spec["latent_dim"] >= 2 else "sliders"
            data = view_data(spec, mode, [0.0] * spec["latent_dim"])
            parse, first = [], []
            page = None
            for _ in range(repeats):
                if page is not None:
                    page.context.close()
                page = new_page(browser)
                page.set_content("<!doctype html><title>live decoder</title><body></body>")
                page.evaluate(MOUNT_JS, [JS, data])
                got = page.evaluate("() => globalThis.liveDecoderStats.firstDraw")[spec["id"]]
                parse.append(got["parseMs"])
                first.append(got["firstDrawMs"])
            if page is None:
                raise ValueError(f"repeats must be at least 1, got {repeats}")
            lat = live_latencies(page, moves)
            page.context.close()
            size = f"{num(len(raw) / 1024)} KiB {spec['weight_dtype']}"
            if spec["weight_dtype"] != "float32":
                exact = len(json.dumps(decoder_spec(model, "float32")).encode())
                size += f" (float32 would be {num(exact / 1024)} KiB)"
            move = cell(lat, "ms")
            name = f"{run.name} ({run.arch}, z = {run.latent_dim})"
            rows.append([name, size, cell(stat(parse), "ms"), cell(stat(first), "ms"), move])
    sec.add(
        "For each checkpoint: the decoder spec the component receives once per session (JSON, "
        "weights in base64: float32, or float16 for decoders above "
        f"{FLOAT16_ABOVE_BYTES / 1e6:g} MB of float32 weights; Streamlit's websocket sends it "
        "uncompressed by default), then, in "
        f"a fresh Chromium page each time (n = {repeats}), the time to parse the weights and "
        "to the first drawn image, from the component's own timings; then pointer moves over "
        "the pad to the canvas drawn in the same page (no server)."
    )
    sec.table(
        ["checkpoint", "weights sent", "parse", "first draw", f"move → drawn (n = {moves})"], rows
    )
