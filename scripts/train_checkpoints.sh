#!/usr/bin/env bash
# Train the shipped checkpoints from scratch with fixed seeds (CPU is enough).
# Usage: VAE_DATA_ROOT=/path/to/data bash scripts/train_checkpoints.sh [OUT_DIR]
# OUT_DIR defaults to checkpoints/. Each run writes its folder, then the resume state
# (optimiser moments, only needed to continue training) is removed to keep the repo small.
set -euo pipefail
out="${1:-checkpoints}"
py="${PYTHON:-python}"
run() {  # NAME ARGS... [--then ARGS...]: train NAME; each --then stage resumes the one before
  local name="$1"; shift
  if [ -f "$out/$name/model.safetensors" ] && [ ! -f "$out/$name/resume.safetensors" ]; then
    echo "$out/$name is already trained; skipping"; return
  fi
  local stage=() arg
  for arg in "$@" --then; do
    if [ "$arg" != --then ]; then stage+=("$arg"); continue; fi
    local resume=()
    [ -f "$out/$name/resume.safetensors" ] && resume=(--resume)
    "$py" -m vae.train --out "$out/$name" --seed 0 "${stage[@]}" "${resume[@]}"
    stage=()
  done
  rm -f "$out/$name/resume.safetensors" "$out/$name/status.json" "$out/$name/.lock"
}
run digits-2d --dataset digits --arch mlp --hidden-dims 256,128 --latent-dim 2 --epochs 200 --batch-size 64
run frey-2d --dataset frey --arch mlp --hidden-dims 200 --latent-dim 2 --likelihood gaussian \
  --epochs 300 --batch-size 100 --lr 1e-3
# A 2-D code needs a strong decoder: a wide MLP beats the small conv net here.
run mnist-2d --dataset mnist --arch mlp --hidden-dims 1024,512 --latent-dim 2 --epochs 50 \
  --lr-anneal-epochs 12
# mnist-20d in three stages: 105 epochs with the last 25 annealed, then two warm restarts
# of the learning rate, each annealed again: 25 epochs, then 40 (the lr of each epoch is in
# history.jsonl).
run mnist-20d --dataset mnist --arch conv --hidden-dims 32,64 --latent-dim 20 --epochs 105 \
  --lr-anneal-epochs 25 --then --epochs 130 --lr-anneal-epochs 25 \
  --then --epochs 170 --lr-anneal-epochs 40
# The beta family (Higgins et al. 2017; Alemi et al. 2018): one architecture, latent size and
# seed, five values of beta, so the rate falls and the distortion rises along the family and
# dimensions collapse (active units fall below 16) as beta grows; and a 2-D model with
# beta = 4 beside mnist-2d, whose map is pulled into the prior.
for beta in 0.5 1 2 4 8; do
  run "mnist-16d-beta$beta" --dataset mnist --arch mlp --hidden-dims 500 --latent-dim 16 \
    --beta "$beta" --epochs 30 --lr-anneal-epochs 8 --snapshot-points 500
done
run mnist-2d-beta4 --dataset mnist --arch mlp --hidden-dims 1024,512 --latent-dim 2 --beta 4 \
  --epochs 30 --lr-anneal-epochs 8
# Their weights (and mnist-2d's) are stored in float16 where that moves the test -ELBO by < 0.05 nats.
for name in mnist-16d-beta0.5 mnist-16d-beta1 mnist-16d-beta2 mnist-16d-beta4 mnist-16d-beta8 \
  mnist-2d-beta4 mnist-2d; do
  "$py" scripts/shrink_checkpoint.py "$out/$name" --tol 0.05 || true
done
# The t-SNE and UMAP projections of the test codes of each run above 2-D, stored with it (after
# the shrink: they are matched to the weights file as stored), so the Latent page shows them at once.
"$py" scripts/store_projections.py "$out/mnist-20d" "$out"/mnist-16d-beta*
# The IWAE estimate of -log p(x) with K = 1000 importance samples, on the first 1000 test
# images (a full-test-set run takes about ten times as long on a CPU).
for name in mnist-2d mnist-20d; do
  "$py" -m vae.evaluate "$out/$name" --iwae-samples 1000 --limit 1000 --write
done
