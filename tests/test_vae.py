"""Tests for course_lib.vae: KL, reparameterisation, likelihoods, ELBO/IWAE order, training, RNG, errors."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
import torch

from course_lib.vae import (
    LIKELIHOODS,
    VAE,
    VAEConfig,
    VAETrainConfig,
    active_units,
    bernoulli_log_prob,
    discretized_gaussian_log_prob,
    discretized_logistic_log_prob,
    draw_vae,
    elbo,
    elbo_terms,
    gaussian_kl,
    iwae_bound,
    kl_warmup,
    reparameterize,
    show_images,
    train_autoencoder,
    train_vae,
)
from tests.conftest import assert_rng_untouched


def tiny(**kw) -> VAEConfig:
    """Smallest model that exercises every code path."""
    return VAEConfig(**{"x_shape": (1, 4, 4), "z_dim": 2, "hidden": 16, "n_layers": 1, **kw})


def _images(n: int, side: int = 4, levels: int = 17, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, levels, (n, 1, side, side), generator=g).float() / (levels - 1)


def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    mu_p, logvar_p = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(mu_p, (0.5 * logvar_p).exp())
    expected = torch.distributions.kl_divergence(q, p)
    torch.testing.assert_close(gaussian_kl(mu, logvar, mu_p, logvar_p), expected)
    std_normal = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    torch.testing.assert_close(gaussian_kl(mu, logvar), torch.distributions.kl_divergence(q, std_normal))


def test_gaussian_kl_matches_monte_carlo_estimate():
    mu, logvar = torch.tensor([0.7, -1.2]), torch.tensor([-0.5, 0.8])
    g = torch.Generator().manual_seed(1)
    z = reparameterize(mu.expand(1, 2), logvar.expand(1, 2), k=200_000, seed=g)[:, 0]  # (n, 2)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(0.0, 1.0)
    log_ratio = q.log_prob(z) - p.log_prob(z)  # (n, 2): E_q[log q - log p] = KL
    mc, se = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(len(z))
    exact = gaussian_kl(mu, logvar)
    assert torch.all((mc - exact).abs() < 4 * se), (mc, exact, se)


def test_gaussian_kl_is_zero_only_at_the_prior():
    assert gaussian_kl(torch.zeros(4), torch.zeros(4)).abs().max() < 1e-7
    assert torch.all(gaussian_kl(torch.full((4,), 0.1), torch.zeros(4)) > 0)


def test_reparameterized_sample_has_the_right_mean_and_variance():
    mu, logvar = torch.tensor([[1.5, -2.0, 0.0]]), torch.tensor([[0.0, math.log(4.0), math.log(0.01)]])
    z = reparameterize(mu, logvar, k=100_000, seed=0)  # (k, 1, 3)
    assert z.shape == (100_000, 1, 3)
    torch.testing.assert_close(z.mean(0)[0], mu[0], atol=0.02, rtol=0)
    torch.testing.assert_close(z.var(0)[0], logvar.exp()[0], rtol=0.02, atol=0)


def test_reparameterized_sample_is_differentiable_in_mu_and_logvar():
    mu = torch.zeros(2, 3, requires_grad=True)
    logvar = torch.zeros(2, 3, requires_grad=True)
    reparameterize(mu, logvar).sum().backward()
    assert mu.grad is not None and torch.all(mu.grad == 1)
    assert logvar.grad is not None and logvar.grad.abs().sum() > 0


@pytest.mark.parametrize("fn", [discretized_logistic_log_prob, discretized_gaussian_log_prob])
def test_discretized_likelihoods_sum_to_one_over_the_levels(fn):
    levels = 17
    grid = torch.linspace(0, 1, levels)
    for loc, log_scale in [(0.0, -3.0), (0.4, -1.0), (1.0, -5.0), (0.53, 0.5)]:
        lp = fn(grid, torch.tensor(loc), torch.tensor(log_scale), levels)
        assert torch.all(lp <= 1e-6)
        torch.testing.assert_close(lp.exp().sum(), torch.tensor(1.0), atol=1e-5, rtol=0)


def test_bernoulli_likelihood_is_minus_bce():
    x, logits = torch.tensor([[0.0, 1.0, 1.0]]), torch.tensor([[-1.0, 2.0, 0.0]])
    expected = -torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
    torch.testing.assert_close(bernoulli_log_prob(x, logits), expected)


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_shapes_for_every_likelihood(likelihood):
    cfg = tiny(likelihood=likelihood)
    model = VAE(cfg)
    x = _images(5)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, cfg.z_dim)
    t = elbo(model, x)
    assert t.elbo.shape == t.rec.shape == t.kl.shape == (5,)
    assert t.kl_per_dim.shape == (5, cfg.z_dim) and t.loss.dim() == 0
    assert model.log_px_z(x.flatten(1), torch.zeros(3, 5, cfg.z_dim)).shape == (3, 5)
    assert iwae_bound(model, x, 7, chunk=3).shape == (5,)
    for mean in (False, True):
        s = model.sample(3, seed=0, mean=mean)
        assert s.shape == (3, 1, 4, 4) and s.min() >= 0 and s.max() <= 1
    assert model.reconstruct(x).shape == x.shape
    assert model.decode_mean(torch.zeros(2, cfg.z_dim)).shape == (2, 1, 4, 4)


def test_dlogistic_samples_lie_on_the_grey_levels_and_the_mean_is_their_average():
    model = VAE(tiny())
    levels = model.sample(200, seed=1) * 16
    torch.testing.assert_close(levels, levels.round())
    z = torch.zeros(1, 2)
    params = model.decode(z)  # E[x|z] is the exact mean of the distribution over the 17 levels
    grid = torch.linspace(0, 1, 17)
    lp = discretized_logistic_log_prob(grid, params[0, 0, :, None], params[0, 1, :, None])  # (N, L)
    torch.testing.assert_close(model.decode_mean(z).flatten(), (lp.exp() * grid).sum(-1))


def test_vae_init_is_seeded_and_leaves_the_global_rng_alone():
    a = assert_rng_untouched(VAE, tiny(), seed=3)
    b, c = VAE(tiny(), seed=3), VAE(tiny(), seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.encoder[0].weight, c.encoder[0].weight)


def test_trainers_and_samplers_leave_the_global_rng_alone_and_are_reproducible():
    x = _images(16, seed=2)
    cfg = VAETrainConfig(epochs=2, batch_size=8, seed=5)
    models = [VAE(tiny()), VAE(tiny())]
    h1 = assert_rng_untouched(train_vae, models[0], x, cfg)
    h2 = train_vae(models[1], x, cfg)
    assert h1.losses == h2.losses  # same seed, same run
    assert_rng_untouched(train_autoencoder, VAE(tiny()), x, cfg)
    model = models[0]
    assert torch.equal(assert_rng_untouched(model.sample, 4, seed=1), model.sample(4, seed=1))
    assert_rng_untouched(model.sample, 4, seed=1, mean=True)
    assert_rng_untouched(elbo, model, x, seed=2)
    assert_rng_untouched(iwae_bound, model, x, 5, seed=2)
    assert_rng_untouched(reparameterize, torch.zeros(2, 3), torch.zeros(2, 3), k=4, seed=0)


def test_elbo_below_iwae_which_grows_with_k():
    """E[ELBO] <= E[IWAE_k] <= E[IWAE_k'] for k < k'. Estimated over 64 images x 40 repeats;
    the tolerance is 4 standard errors of the difference of the means."""
    model = VAE(tiny(likelihood="dlogistic"))
    x = _images(64).repeat(40, 1, 1, 1)  # each image 40 times: independent samples per copy
    g = torch.Generator().manual_seed(0)
    est = {k: iwae_bound(model, x, k, seed=g) for k in (1, 5, 50)}
    est["elbo"] = elbo(model, x, seed=g).elbo.detach()
    order = ["elbo", 1, 5, 50]
    for lo, hi in zip(order[:-1], order[1:], strict=True):
        diff = est[hi] - est[lo]
        se = diff.std() / math.sqrt(len(diff))
        assert diff.mean() > -4 * se, (lo, hi, diff.mean(), se)
    # IWAE_1 is the ELBO (same estimator); IWAE_50 is strictly above it for an untrained model
    d1 = est[1] - est["elbo"]
    assert d1.mean().abs() < 4 * d1.std() / math.sqrt(len(d1))
    assert (est[50] - est["elbo"]).mean() > 0.5


def test_iwae_chunking_does_not_change_the_estimate():
    """Chunks of 4 (and a last chunk of 2) combined by a running logsumexp estimate the same
    IWAE_10 as one pass: equal means within 4 standard errors over 64 images x 30 repeats."""
    model = VAE(tiny())
    x = _images(64).repeat(30, 1, 1, 1)
    one_pass = iwae_bound(model, x, 10, chunk=10, seed=5)
    chunked = iwae_bound(model, x, 10, chunk=4, seed=6)
    diff = chunked - one_pass
    assert diff.mean().abs() < 4 * diff.std() / math.sqrt(len(diff))
    again = iwae_bound(model, x, 10, chunk=4, seed=6)
    torch.testing.assert_close(again, chunked)  # deterministic given the generator


def test_elbo_terms_beta_and_free_bits():
    rec = torch.tensor([-10.0, -12.0])
    kl_per_dim = torch.tensor([[0.5, 0.01], [1.5, 0.03]])
    t = elbo_terms(rec, kl_per_dim)
    torch.testing.assert_close(t.elbo, torch.tensor([-10.51, -13.53]))
    torch.testing.assert_close(t.loss, -t.elbo.mean())
    t2 = elbo_terms(rec, kl_per_dim, beta=2.0)
    torch.testing.assert_close(t2.loss, torch.tensor(11.0 + 2 * 1.02))
    t3 = elbo_terms(rec, kl_per_dim, free_bits=0.5)  # dim 0 mean 1.0 kept; dim 1 mean 0.02 -> 0.5
    torch.testing.assert_close(t3.loss, torch.tensor(11.0 + 1.0 + 0.5))
    torch.testing.assert_close(t3.elbo, t.elbo)  # the reported bound is unchanged


def test_kl_warmup_is_linear_then_flat():
    assert kl_warmup(0, 100) == 0.0
    assert kl_warmup(50, 100) == 0.5
    assert kl_warmup(500, 100, beta_max=2.0) == 2.0
    assert kl_warmup(3, 0) == 1.0


def test_training_improves_the_elbo_and_autoencoder_loss():
    x = _images(64, seed=3)
    model = VAE(tiny(hidden=32))
    before = elbo(model, x).elbo.mean().item()
    cfg = VAETrainConfig(epochs=30, batch_size=32, lr=3e-3)
    hist = train_vae(model, x, cfg)
    after = elbo(model, x).elbo.mean().item()
    assert after > before + 5, (before, after)
    assert set(hist.losses) == {"loss", "elbo", "rec", "kl"} and hist.steps == 30 * 2  # 2 batches/epoch
    assert hist.wall_s > 0 and not model.training
    torch.testing.assert_close(hist.last("loss"), -hist.last("elbo"), atol=1e-4, rtol=0)  # beta = 1
    ae = VAE(tiny(hidden=32))
    h = train_autoencoder(ae, x, cfg)
    assert list(h.losses) == ["loss"] and h.losses["loss"][-1] < h.losses["loss"][0] - 5


def test_kl_warmup_and_free_bits_change_only_the_loss():
    x = _images(32, seed=4)
    h = train_vae(VAE(tiny()), x, VAETrainConfig(epochs=1, batch_size=32, beta=4.0, warmup_steps=10))
    torch.testing.assert_close(
        h.losses["loss"][0], -h.losses["rec"][0], atol=1e-4, rtol=0
    )  # beta = 0 at step 0
    h = train_vae(VAE(tiny()), x, VAETrainConfig(epochs=1, batch_size=32, free_bits=5.0))
    assert h.losses["loss"][0] >= -h.losses["rec"][0] + 2 * 5.0 - 1e-4  # 2 dims, each floored at 5 nats


def test_active_units_counts_dimensions_that_vary_with_x():
    torch.manual_seed(0)
    model = VAE(tiny(z_dim=3))
    last = model.encoder[-1]
    with torch.no_grad():  # mean of z_1 and z_2 ignore x: only z_0 is active
        last.weight[1:3].zero_()
        last.bias[1:3].zero_()
        last.weight[0].mul_(50.0)
    n, var = active_units(model, _images(32))
    assert n == 1 and var.shape == (3,)


def test_bad_inputs_raise_helpful_errors():
    model = VAE(tiny())
    with pytest.raises(ValueError, match="shape"):
        model.encode(torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match="dtype"):
        model.encode(torch.ones(2, 1, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.encode(torch.full((2, 1, 4, 4), 2.0))
    with pytest.raises(ValueError, match="positive integer"):
        iwae_bound(model, _images(2), 0)
    with pytest.raises(ValueError, match="same shape"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="likelihood"):
        VAEConfig(likelihood="poisson")
    with pytest.raises(ValueError, match="beta"):
        elbo_terms(torch.zeros(2), torch.zeros(2, 3), beta=-1.0)
    with pytest.raises(ValueError, match="at least 2"):
        active_units(model, _images(1))
    with pytest.raises(ValueError, match="last dimension"):
        model.decode(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="positive"):
        VAETrainConfig(epochs=0)
    with pytest.raises(ValueError, match="grey images"):
        show_images(None, torch.zeros(2, 3, 4, 4), 2)


def test_show_images_tiles_in_rows():
    fig, ax = plt.subplots()
    im = show_images(ax, torch.ones(5, 1, 4, 4), nrow=3, title="t")
    assert im.get_array().shape == (2 * 5 + 1, 3 * 5 + 1)  # 2 rows of 3 tiles of 4 + separators
    plt.close(fig)


def test_conditional_vae_concatenates_the_one_hot_label_to_encoder_and_decoder_inputs():
    cfg = tiny(n_classes=3)
    model = VAE(cfg)
    assert model.encoder[0].in_features == cfg.n_pixels + 3 and model.decoder[0].in_features == cfg.z_dim + 3
    x, y = _images(4), torch.tensor([0, 1, 2, 1])
    z = torch.zeros(2, 4, cfg.z_dim)  # (K, B, D): the label broadcasts over the samples
    assert model.decode(z, y).shape == (2, 4, 2, cfg.n_pixels)
    assert not torch.allclose(model.decode_mean(z[0], y)[0], model.decode_mean(z[0], y.roll(1))[0])
    t = elbo(model, x, y=y)
    assert t.elbo.shape == (4,) and iwae_bound(model, x, 5, y=y).shape == (4,)
    assert model.sample(4, seed=0, y=y).shape == (4, 1, 4, 4) and model.reconstruct(x, y).shape == x.shape
    with pytest.raises(ValueError, match="needs labels"):
        model.encode(x)
    with pytest.raises(ValueError, match="int64 labels"):
        model.encode(x, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="unconditional"):
        VAE(tiny()).encode(x, y)


def test_conditional_vae_training_is_reproducible_and_improves_the_conditional_elbo():
    x, y = _images(32, seed=3), torch.arange(32) % 2
    cfg = VAETrainConfig(epochs=30, batch_size=16, lr=3e-3, seed=1)
    models = [VAE(tiny(n_classes=2)), VAE(tiny(n_classes=2))]
    before = elbo(models[0], x, y=y).elbo.mean()
    h1 = assert_rng_untouched(train_vae, models[0], x, cfg, labels=y)
    assert h1.losses == train_vae(models[1], x, cfg, labels=y).losses
    assert elbo(models[0], x, y=y).elbo.mean() > before + 5
    with pytest.raises(ValueError, match="one label per image"):
        train_vae(VAE(tiny(n_classes=2)), x, cfg, labels=y[:5])


@pytest.mark.parametrize("n_classes", [0, 10])
def test_draw_vae_labels_the_real_shapes_of_the_batch(n_classes):
    model = VAE(VAEConfig(z_dim=5, hidden=16, n_classes=n_classes))
    x, y = _images(12, side=8), (torch.arange(12) % 10 if n_classes else None)
    fig = draw_vae(model, x, y)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for expected in ("(B=12, C=1, H=8, W=8)", "(B=12, D=5)", "(B=12, 2D=10)", "(B=12, P=2, N=64)", "(B=12)"):
        assert expected in texts, expected
    assert ("(B=12, C=10)" in texts) == bool(n_classes) and "no gradient" in texts
    assert fig.axes[0].get_title().startswith("Conditional VAE" if n_classes else "VAE")
    plt.close(fig)
