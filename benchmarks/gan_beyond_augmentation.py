"""GAN data augmentation on 8x8 digits (10 % labelled): does a conditional GAN's output help a classifier?

The course's digit CNN (:class:`course_lib.evaluators.DigitImageClassifier`) is trained on a
class-stratified 10 % of the training images, with and without samples of a class-conditional
GAN {cite}`mirza2014cgan` trained on that 10 % only, and with and without classic augmentation
(random shifts by up to one pixel). Seed k draws its own labelled subset and trains its own
GAN; every classifier gets the same number of updates, so a difference comes from the data.
chapters/gan_beyond/02_noisy_data_and_augmentation reads the committed table.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/gan_beyond_augmentation.py --seeds 3
    python benchmarks/gan_beyond_augmentation.py --dry-run --out /tmp/x          # smoke test
"""

from __future__ import annotations

import functools
import time
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from _runner import Benchmark
from torch import nn

from course_lib.data import load_digits_images
from course_lib.evaluators import DigitImageClassifier
from course_lib.gan import GANTrainConfig, train_gan
from course_lib.utils import make_generator, seeded

FRACTION, CLASSES, LATENT, HIDDEN = 0.1, 10, 16, 256
FULL = dict(gan_steps=1000, clf_steps=300)
DRY = dict(gan_steps=5, clf_steps=5)


class CondGenerator(nn.Module):
    """[z, onehot(y)] → MLP → sigmoid → an 8x8 image; as ``train_gan`` sees it, the label comes
    from the noise too (argmax of its last 10 coordinates: uniform over the classes), and the
    output is the pair [image (64), onehot(y) (10)] that the discriminator judges."""

    def __init__(self) -> None:
        super().__init__()
        self.cfg = SimpleNamespace(latent_dim=LATENT + CLASSES)
        self.net = nn.Sequential(
            nn.Linear(LATENT + CLASSES, HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, 64),
            nn.Sigmoid(),
        )

    def image(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 64)`` of classes ``y`` ``(B,)`` from noise ``(B, LATENT)``."""
        return self.net(torch.cat([z, F.one_hot(y, CLASSES).float()], 1))

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        y = noise[:, LATENT:].argmax(1)
        return torch.cat([self.image(noise[:, :LATENT], y), F.one_hot(y, CLASSES).float()], 1)


def cond_discriminator() -> nn.Module:
    """[image (64), onehot(y) (10)] → LeakyReLU MLP with dropout → logit ``(B,)``."""
    return nn.Sequential(
        nn.Linear(64 + CLASSES, HIDDEN),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.3),
        nn.Linear(HIDDEN, HIDDEN),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.3),
        nn.Linear(HIDDEN, 1),
        nn.Flatten(0),
    )


def labelled_subset(y: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """Indices of a class-stratified subset, ``round(fraction * n_c)`` (at least 1) per class c."""
    g, out = make_generator(seed), []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).squeeze(1)
        out.append(idx[torch.randperm(len(idx), generator=g)[: max(1, round(fraction * len(idx)))]])
    return torch.cat(out).sort().values


def shift_augment(x: torch.Tensor, g: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Translate each image ``(B, 1, H, W)`` by a random shift in [-max_shift, max_shift]², zero-filled."""
    b, _, h, w = x.shape
    p = max_shift
    padded = F.pad(x, (p, p, p, p))  # (B, 1, H + 2p, W + 2p)
    dy, dx = (torch.randint(0, 2 * p + 1, (b, 1), generator=g) for _ in range(2))
    rows = (dy + torch.arange(h)).view(b, 1, h, 1).expand(b, 1, h, w + 2 * p)
    cols = (dx + torch.arange(w)).view(b, 1, 1, w).expand(b, 1, h, w)
    return padded.gather(2, rows).gather(3, cols)


@functools.cache
def subset_and_gan(seed: int, dry_run: bool) -> tuple:
    """The seed's labelled subset and the conditional GAN trained on it (cached: rows share it)."""
    d = load_digits_images()
    idx = labelled_subset(d.y_train, FRACTION, seed)
    x, y = d.x_train[idx], d.y_train[idx]
    with seeded(seed):
        gen, disc = CondGenerator(), cond_discriminator()
    steps = (DRY if dry_run else FULL)["gan_steps"]
    config = GANTrainConfig(steps=steps, batch_size=64, lr=2e-4, label_smoothing=0.1, seed=seed)
    t0 = time.process_time()
    train_gan((gen, disc), torch.cat([x.flatten(1), F.one_hot(y, CLASSES).float()], 1), config)
    return d, x, y, gen, time.process_time() - t0


def fit_classifier(x, y, seed: int, steps: int, augment: bool) -> DigitImageClassifier:
    """The digit CNN after ``steps`` Adam updates on batches of 64 drawn from ``(x, y)``."""
    g = make_generator(seed)
    with seeded(seed):
        model = DigitImageClassifier()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(steps):
            idx = torch.randint(len(x), (64,), generator=g)
            loss = F.cross_entropy(model(shift_augment(x[idx], g) if augment else x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def measure(row: dict, seed: int, dry_run: bool) -> dict:
    """Test accuracy of one classifier of the seed."""
    d, x, y, gen, gan_cpu = subset_and_gan(seed, dry_run)
    per_class = 2 if dry_run and row["per_class"] else row["per_class"]
    labels = torch.arange(CLASSES).repeat_interleave(per_class)
    with torch.no_grad():
        z = torch.randn(len(labels), LATENT, generator=make_generator(seed))
        fakes = gen.image(z, labels).view(-1, 1, 8, 8)
    xs, ys = torch.cat([x, fakes]), torch.cat([y, labels])
    model = fit_classifier(xs, ys, seed, (DRY if dry_run else FULL)["clf_steps"], row["augment"])
    with torch.no_grad():
        acc = float((model(d.x_test).argmax(1) == d.y_test).float().mean())
    return {"labelled": len(x), "gan_samples": len(labels), "test_acc": acc, "gan_cpu_s": round(gan_cpu, 1)}


ROWS = [
    {"row": "none", "per_class": 0, "augment": False},
    {"row": "classic", "per_class": 0, "augment": True},
    {"row": "gan", "per_class": 50, "augment": False},
    {"row": "gan+classic", "per_class": 50, "augment": True},
    {"row": "gan_10", "per_class": 10, "augment": False},  # fewer and more GAN samples per class
    {"row": "gan_200", "per_class": 200, "augment": False},
]
NOTES = f"""
Settings: {FRACTION:.0%} of the 1,437 training images labelled; conditional GAN {FULL["gan_steps"]}
steps (`course_lib.gan.train_gan`, batch 64, Adam 2e-4, betas (0.5, 0.999), one-sided label
smoothing 0.1; its labels drawn uniformly); classifiers {FULL["clf_steps"]} updates of batch 64,
Adam 1e-3; `per_class` GAN samples of each digit added to the labelled images. Rows `gan_10` and
`gan_200` vary that number (50 in `gan`). The committed table of an earlier version of this script
has the columns `condition` (now `row`), `labelled`, `gan_samples`, `test_acc` and `gan_cpu_s`.
"""

BENCH = Benchmark(
    "gan_beyond_augmentation", __doc__, ROWS, measure, ["test_acc", "gan_cpu_s"], seeds=3, notes=NOTES
)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())
