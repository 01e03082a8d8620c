"""VAE: β sweep and posterior-collapse remedies (test set, nats per image).

For each seed: VAEs (8 latents, MLP decoder, discretised logistic; 30 epochs, batch 64, Adam
2e-3) trained with β in {0.5, 1, 2, 4, 8}, and the β = 4 model retrained with KL warm-up over
the first half of training and with free bits (0.5 nat per latent dimension). Measured on the
360 test digits: rate KL(q(z|x) || p(z)), distortion -E_q[log p(x|z)], the ELBO, and the active
units (of 8). chapters/vae/02_beta_vae_and_collapse reads the committed table.

    python benchmarks/vae_collapse.py --seeds 3             # the committed run (about 2 CPU-minutes)
    python benchmarks/vae_collapse.py --dry-run --out /tmp/x
"""

from __future__ import annotations

from _runner import Benchmark

from course_lib.data import load_digits_images
from course_lib.vae import VAE, VAEConfig, VAETrainConfig, active_units, elbo, train_vae

EPOCHS, BATCH = 30, 64
ROWS = [{"row": f"beta={b:g}", "beta": b} for b in (0.5, 1.0, 2.0, 4.0, 8.0)]
ROWS += [
    {"row": "beta=4 + warm-up", "beta": 4.0, "warmup": 0.5},  # warm-up over this fraction of the steps
    {"row": "beta=4 + free bits 0.5", "beta": 4.0, "free_bits": 0.5},
]


def measure(row: dict, seed: int, dry_run: bool) -> dict:
    """Train one VAE of ``row`` with ``seed``; its test rate, distortion, ELBO and active units."""
    data = load_digits_images()
    x_train = data.x_train[:128] if dry_run else data.x_train
    epochs = 1 if dry_run else EPOCHS
    steps = epochs * -(-len(x_train) // BATCH)
    config = VAETrainConfig(
        epochs=epochs,
        batch_size=BATCH,
        lr=2e-3,
        seed=seed,
        beta=row["beta"],
        warmup_steps=int(steps * row.get("warmup", 0)),
        free_bits=row.get("free_bits"),
    )
    model = VAE(VAEConfig(z_dim=8, hidden=128), seed=seed)
    train_vae(model, x_train, config)
    t = elbo(model, data.x_test, seed=0)
    return {
        "rate": t.kl.mean().item(),
        "distortion": -t.rec.mean().item(),
        "elbo": t.elbo.mean().item(),
        "active_units": active_units(model, data.x_test)[0],
    }


BENCH = Benchmark(
    name="vae_collapse",
    doc=__doc__,
    rows=ROWS,
    measure=measure,
    metrics=["rate", "distortion", "elbo", "active_units"],
    seeds=3,
    check_rows=["beta=1", "beta=4 + free bits 0.5"],
    tolerance={"rate": 0.01, "distortion": 0.01, "elbo": 0.01},
    notes="Scaled down from the papers' settings (small MLPs, 30 epochs); one CPU thread.",
)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
