"""course_lib.metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib import metrics


def test_snr_hand_computed():
    ref = torch.tensor([3.0, 4.0])  # energy 25
    est = torch.tensor([3.0, 3.0])  # error energy 1
    assert metrics.snr(ref, est).item() == pytest.approx(10 * math.log10(25), abs=1e-5)


def test_snr_batched():
    ref = torch.ones(3, 100)
    est = ref + torch.tensor([0.1, 0.01, 1.0]).unsqueeze(1)
    torch.testing.assert_close(metrics.snr(ref, est), torch.tensor([20.0, 40.0, 0.0]), atol=1e-4, rtol=0)


def test_si_sdr_hand_computed_and_scale_invariant():
    ref = torch.tensor([1.0, -1.0, 1.0, -1.0])  # zero-mean
    noise = torch.tensor([1.0, 1.0, -1.0, -1.0])  # orthogonal to ref, zero-mean
    est = ref + 0.5 * noise
    # projection of est on ref is ref itself; residual 0.5*noise: 10 log10(4 / 1) = 6.0206
    assert metrics.si_sdr(ref, est).item() == pytest.approx(10 * math.log10(4.0), abs=1e-4)
    assert metrics.si_sdr(ref, 7.3 * est).item() == pytest.approx(metrics.si_sdr(ref, est).item(), abs=1e-4)
    assert metrics.snr(ref, 7.3 * est) < 0  # SNR is not scale invariant


def test_log_spectral_distance_of_gain_is_constant():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4000, generator=g)
    assert metrics.log_spectral_distance(x, x).item() == pytest.approx(0.0, abs=1e-4)
    # a gain of 2 shifts every log power by 10 log10(4) = 6.02 dB
    assert metrics.log_spectral_distance(x, 2 * x).item() == pytest.approx(20 * math.log10(2), abs=1e-2)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        metrics.snr(torch.zeros(10), torch.zeros(11))
    with pytest.raises(ValueError, match="same shape"):
        metrics.si_sdr(torch.zeros(2, 10), torch.zeros(10))


# ---------------------------------------------------------------- generative-model metrics


def test_mode_coverage_counts_modes_and_quality():
    from course_lib.data import ring_mixture

    real, centers = ring_mixture(2500, std=0.01, seed=0)
    modes, hq = metrics.mode_coverage(real, centers, std=0.01)
    counts, good = metrics.mode_counts(real, centers, std=0.01)
    assert modes == 8 and hq > 0.98 and counts.sum() == good.sum() == round(hq * 2500)
    collapsed = centers[0] + 0.01 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0))
    assert metrics.mode_coverage(collapsed, centers, std=0.01)[0] == 1
    far = torch.zeros(2500, 2)  # the centre of the ring is 1 away from every mode
    assert metrics.mode_coverage(far, centers, std=0.01) == (0, 0.0)


def test_mode_report_balance_and_fair_count():
    from course_lib.data import grid_mixture

    real, centers = grid_mixture(2500, seed=0)
    rep = metrics.mode_report(real, centers, std=0.05)
    assert rep["modes"] == rep["modes_fair"] == 25 and rep["hq"] > 0.98 and rep["kl"] < 0.02
    assert rep["min_count"] >= 50  # fair share 100
    one = centers[3] + 0.05 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(1))
    rep = metrics.mode_report(one, centers, std=0.05)
    assert rep["modes"] == rep["modes_fair"] == 1 and rep["min_count"] == 0
    assert rep["kl"] == pytest.approx(math.log(25))  # all HQ mass on one of 25 modes
    # uniform noise over the bounding box touches most modes once or twice, but no fair share
    box = (torch.rand(2500, 2, generator=torch.Generator().manual_seed(2)) - 0.5) * 2 * 4.15
    rep = metrics.mode_report(box, centers, std=0.05)
    assert rep["modes"] >= 15 and rep["modes_fair"] == 0 and rep["hq"] < 0.05
    # two-mode split 3:1 -> KL = sum q log(k q) computed by hand
    two = torch.cat([centers[0].expand(300, 2), centers[1].expand(100, 2)])
    q = torch.tensor([0.75, 0.25], dtype=torch.float64)
    assert metrics.mode_report(two, centers, std=0.05)["kl"] == pytest.approx(
        float((q * (25 * q).log()).sum())
    )
    assert math.isnan(metrics.mode_report(torch.full((10, 2), 99.0), centers, std=0.05)["kl"])
    with pytest.raises(ValueError, match="min_share"):
        metrics.mode_report(real, centers, std=0.05, min_share=0.0)


def test_frechet_distance_closed_form():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 3, generator=g, dtype=torch.float64)
    b = 2 * torch.randn(20000, 3, generator=g, dtype=torch.float64) + 1
    # N(0, I) vs N(1, 4I) in 3-D: |mu|^2 = 3, trace term 3 * (1 + 4 - 2*2) = 3 -> 6
    assert metrics.frechet_distance(a, b) == pytest.approx(6.0, rel=0.05)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_precision_recall_detects_quality_and_coverage():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(1000, 2, generator=g)
    same = torch.randn(1000, 2, generator=g)
    p, r = metrics.precision_recall(real, same)
    assert p > 0.9 and r > 0.9
    half = real[real[:, 0] > 0] + 0.01 * torch.randn((real[:, 0] > 0).sum(), 2, generator=g)
    p, r = metrics.precision_recall(real, half)
    assert p > 0.9 and r < 0.65  # good samples, half the data missed
    p, r = metrics.precision_recall(real, real + 10)
    assert p == 0.0 and r == 0.0


def test_frechet_distance_matches_scipy_sqrtm_on_small_case():
    import numpy as np
    from scipy import linalg

    g = torch.Generator().manual_seed(1)
    a = torch.randn(50, 4, generator=g, dtype=torch.float64)
    b = torch.randn(60, 4, generator=g, dtype=torch.float64) @ torch.randn(
        4, 4, generator=g, dtype=torch.float64
    )
    mu_a, mu_b = a.mean(0).numpy(), b.mean(0).numpy()
    cov_a, cov_b = np.cov(a.numpy().T), np.cov(b.numpy().T)
    covmean = linalg.sqrtm(cov_a @ cov_b).real  # the usual (non-symmetric) FID formula
    want = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean)
    assert metrics.frechet_distance(a, b) == pytest.approx(want, rel=1e-6)
