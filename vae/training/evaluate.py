"""Test-set figures of a trained VAE; its command is `python -m vae.evaluate DIR`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import torch

from vae.model.inputs import to_input
from vae.model.networks import VAE
from vae.model.objectives import active_units, elbo_terms, iwae_bound


@torch.inference_mode()
def evaluate_model(
    model: VAE,
    images: torch.Tensor,
    binarize: bool = False,
    iwae_samples: int = 0,
    batch_size: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """-ELBO, its terms and active units over images (N, C, H, W) uint8; IWAE if asked.

    Sampling is seeded, so the same model and data give the same figures. A binarised
    model is evaluated on one fixed stochastic binarisation of the test set.
    """
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    # The noise from a generator of its own (seeded as torch's global one would be, so the
    # figures are the same): the global one is shared by a server's threads, where loading
    # another model (its layers' initial weights) or another evaluation draws from it too.
    noise = torch.Generator(device=device).manual_seed(seed)
    sums = {"loss": 0.0, "recon": 0.0, "kl": 0.0, "iwae": 0.0}
    mus = []
    for start in range(0, len(images), batch_size):
        x = to_input(images[start : start + batch_size], binarize, gen).to(device)
        loss, recon, kl = elbo_terms(model, x, generator=noise)
        sums["loss"] += loss.sum().item()
        sums["recon"] += recon.sum().item()
        sums["kl"] += kl.sum().item()
        mus.append(model.encode(x)[0].cpu())
        if iwae_samples > 0:
            step = max(1, batch_size // 10)
            for s in range(0, len(x), step):
                bound = iwae_bound(model, x[s : s + step], iwae_samples, generator=noise)
                sums["iwae"] -= bound.sum().item()
    n = max(1, len(images))
    out: dict[str, Any] = {
        "test_elbo": sums["loss"] / n,
        "test_recon": sums["recon"] / n,
        "test_kl": sums["kl"] / n,
        "active_units": active_units(torch.cat(mus)) if mus else 0,
        "iwae_nll": sums["iwae"] / n if iwae_samples > 0 else None,
        "iwae_samples": iwae_samples or None,
        "test_images": len(images),
        "binarized": binarize,
    }
    return out


def exact_figure(
    model: VAE, images: torch.Tensor, binarize: bool, seed: int = 0, workers: int = 1
) -> dict[str, Any]:
    """exact_nll: the mean exact -log p(x) in nats over uint8 images (N, C, H, W) of a 2-D model.

    By quadrature (vae.inference.exact) in `workers` processes; a binarised model sees one
    seeded binarisation.
    """
    from vae.inference import exact_nll

    x = to_input(images, binarize, torch.Generator().manual_seed(seed))
    return {"exact_nll": exact_nll(model, x, workers=workers), "exact_images": len(images)}


def evaluate_imported(args: argparse.Namespace) -> int:
    """The command on an imported-model folder (vae.json): its images.npz or named test split."""
    from vae.onnx.load import evaluate_folder
    from vae.runfolder.checkpoint import CheckpointError

    refused = [o for o, v in (("--write", args.write), ("--dataset", args.dataset)) if v]
    if refused:
        print(
            f"error: {args.dir} is an imported model (vae.json); {' and '.join(refused)} "
            "cannot be used on it: its figures are never written into the folder, and it is "
            "evaluated on its images.npz or the test split vae.json names",
            file=sys.stderr,
        )
        return 2
    try:
        m = evaluate_folder(args.dir, args.iwae_samples, args.limit)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    keys = ("test_elbo", "test_recon", "test_kl", "active_units", "iwae_nll")
    if args.json:
        print(json.dumps({k: m[k] for k in keys}))
        return 0
    rows = [
        ("imported model", f"{args.dir} (onnx-vae/1)"),
        ("images", f"{m['test_images']} (its images.npz or the named test split)"),
        ("test -ELBO", f"{m['test_elbo']:.2f} nats/image"),
        ("reconstruction", f"{m['test_recon']:.2f}"),
        ("KL", f"{m['test_kl']:.2f}"),
        ("active units", m["active_units"]),
    ]
    if m["iwae_nll"] is not None:
        rows.append(("IWAE -log p(x)", f"{m['iwae_nll']:.2f} (K={args.iwae_samples})"))
    print("\n".join(f"{label:<15} {value}" for label, value in rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    from vae.data import DatasetError, load_dataset
    from vae.onnx import is_onnx_folder
    from vae.runfolder.checkpoint import CheckpointError, load_checkpoint

    p = argparse.ArgumentParser(prog="python -m vae.evaluate", description=__doc__)
    p.add_argument("dir", help="checkpoint folder, or an imported-model folder (vae.json)")
    p.add_argument("--dataset", help="data set to evaluate on (default: the run's own)")
    p.add_argument(
        "--iwae-samples",
        type=int,
        default=0,
        metavar="K",
        help="also estimate -log p(x) with K importance samples (Burda et al. 2015)",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=0,
        metavar="N",
        help="use only the first N test images (0: all)",
    )
    p.add_argument(
        "--write", action="store_true", help="also store the figures in the folder's metrics.json"
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="also the exact -log p(x) by quadrature (2-D models only), as exact_nll",
    )
    p.add_argument(
        "--images",
        type=int,
        default=None,
        metavar="N",
        help="with --exact: over the first N test images (default: all)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="with --exact: processes sharing the images (default: one per CPU core)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.images is not None and (not args.exact or args.images < 1):
        p.error("--images N needs --exact and N >= 1")
    if args.workers is not None and (not args.exact or args.workers < 1):
        p.error("--workers N needs --exact and N >= 1")
    if args.iwae_samples < 0:
        p.error(f"--iwae-samples must be 0 or more, got {args.iwae_samples}")
    if args.limit < 0:
        p.error(f"--limit must be 0 or more, got {args.limit}")
    if is_onnx_folder(args.dir):
        if args.exact:
            print(
                f"error: {args.dir} is an imported model; --exact needs a checkpoint trained here "
                "with a 2-D latent space",
                file=sys.stderr,
            )
            return 2
        return evaluate_imported(args)
    try:
        ckpt = load_checkpoint(args.dir)
        train = ckpt.config.train
        data = load_dataset(
            args.dataset or ckpt.config.dataset,
            image_size=train.image_size,
            channels=train.channels,
        )
    except (CheckpointError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if data.image_shape != ckpt.config.model.image_shape:
        print(
            f"error: {data.name} images are {data.image_shape}, the model expects "
            f"{ckpt.config.model.image_shape}",
            file=sys.stderr,
        )
        return 2
    if args.exact and ckpt.config.model.latent_dim != 2:
        from vae.inference import NeedsTwoDimensions, VAEModel, require_2d

        try:
            require_2d(VAEModel(ckpt.model))
        except NeedsTwoDimensions as exc:
            print(f"error: --exact cannot be used on {ckpt.path}: {exc}", file=sys.stderr)
            return 2
    images = data.test_x[: args.limit] if args.limit else data.test_x
    m = evaluate_model(ckpt.model, images, train.binarize, args.iwae_samples)
    if args.write:
        from vae.runfolder.files import METRICS_FILE, write_json

        # A subset run stores only its IWAE figures, so the full-test-set ELBO stays.
        keep = {"iwae_nll", "iwae_samples"} if args.limit else set(m)
        new = {k: v for k, v in m.items() if k in keep} | {"iwae_images": len(images)}
        write_json(ckpt.path / METRICS_FILE, {**ckpt.metrics, **new})
    from vae.inference.evidence import cores

    exact = (
        exact_figure(
            ckpt.model, data.test_x[: args.images], train.binarize, workers=args.workers or cores()
        )
        if args.exact
        else {}
    )
    if args.json:
        keys = ("test_elbo", "test_recon", "test_kl", "active_units", "iwae_nll")
        print(json.dumps({k: m[k] for k in keys} | exact))
    else:
        print(f"checkpoint      {ckpt.path} (epoch {ckpt.epoch})")
        print(
            f"data            {data.name} test set, {m['test_images']} images"
            + (" (binarised)" if m["binarized"] else "")
        )
        print(f"test -ELBO      {m['test_elbo']:.2f} nats/image")
        print(f"reconstruction  {m['test_recon']:.2f}")
        print(f"KL              {m['test_kl']:.2f}")
        print(f"active units    {m['active_units']} of {ckpt.config.model.latent_dim}")
        if m["iwae_nll"] is not None:
            print(f"IWAE -log p(x)  {m['iwae_nll']:.2f} (K={args.iwae_samples})")
        if exact:
            print(
                f"exact -log p(x) {exact['exact_nll']:.2f} (first {exact['exact_images']} images)"
            )
    return 0
