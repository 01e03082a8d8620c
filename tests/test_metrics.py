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
