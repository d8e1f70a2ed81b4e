"""The memristor model against shared/PHYSICS.md and independent quadrature."""

import mpmath
import numpy as np
import pytest
from scipy.integrate import quad

from memspec.models import Device
from memspec.physics import Channels, steady_ratio

BAR = 1e5
RHO = 0.2  # mol/m^3, the default 0.2 mM

# g_inf / g0 from PHYSICS.md, rows dV = -1 .. 2 V, columns dP = -1, 0, +1 bar.
REFERENCE_DV = [-1.0, -0.5, 0.0, 0.5, 1.0, 2.0]
REFERENCE_DP = [-BAR, 0.0, BAR]
REFERENCE = [
    [1.106087, 1.484796, 1.056003],
    [1.055263, 1.261553, 1.026575],
    [1.000000, 1.000000, 1.000000],
    [0.939693, 0.780261, 0.975883],
    [0.873618, 0.649095, 0.953900],
    [0.720521, 0.551846, 0.915292],
]


@pytest.fixture
def channel() -> Channels:
    return Channels.from_device(Device())


def ratio(channel, dv, dp=0.0, drho=0.0, rho=RHO):
    return steady_ratio(channel, dv, dp, drho, rho).ratio


def quad_ratio(channel, dv, dp, drho=0.0, rho=RHO):
    """g_inf / g0 straight from the published integral in x, by adaptive quadrature."""
    d = channel.device
    length, rb, rt = d.length, d.base_radius, d.tip_radius
    pe = float(channel.peclet(dv, dp))
    inflow = float(channel.inflow_per_volt(rho)) * dv

    def integrand(x):
        radius = rb - (rb - rt) * x / length
        profile = np.expm1(pe * (x / length) * rt**2 / (rb * radius)) / np.expm1(
            pe * rt / rb
        )
        shape = (x / length) * rt / radius
        return 1 - drho / rho * profile + inflow / pe * (shape - profile)

    layers = [length * 1e-3, length * (1 - 1e-3)]
    value, _ = quad(
        integrand, 0, length, limit=400, points=layers, epsabs=1e-13 * length
    )
    return value / length


def mpmath_ratio(channel, dv, dp, drho=0.0, rho=RHO):
    """The published integral at 30 digits, where doubles would overflow."""
    mpmath.mp.dps = 30
    d = channel.device
    rb, rt = mpmath.mpf(d.base_radius), mpmath.mpf(d.tip_radius)
    pe = mpmath.mpf(float(channel.peclet(dv, dp)))
    inflow = mpmath.mpf(float(channel.inflow_per_volt(rho))) * dv

    def integrand(s):
        radius = rb - (rb - rt) * s
        profile = mpmath.expm1(pe * s * rt**2 / (rb * radius)) / mpmath.expm1(
            pe * rt / rb
        )
        return 1 - drho / rho * profile + inflow / pe * (s * rt / radius - profile)

    layers = [mpmath.mpf(10) ** -k for k in range(8, 0, -1)]
    points = [0, *layers, 0.5, *[1 - x for x in reversed(layers)], 1]
    return float(mpmath.quad(integrand, points))


def test_reference_table_matches(channel):
    dv = np.array(REFERENCE_DV)[:, None]
    dp = np.array(REFERENCE_DP)[None, :]
    np.testing.assert_allclose(ratio(channel, dv, dp), REFERENCE, atol=1e-6)


def test_derived_constants_match_physics_md(channel):
    assert channel.peclet_per_volt == pytest.approx(16.07, abs=0.005)
    assert channel.peclet_per_pascal * BAR == pytest.approx(161.6, abs=0.05)
    assert channel.inflow_per_volt(RHO) == pytest.approx(-29.58, abs=0.005)
    assert channel.ohmic_conductance(RHO) == pytest.approx(8.3994e-12, rel=1e-4)
    assert channel.time_constant == pytest.approx(4.762e-3, rel=1e-3)


def test_slope_at_rest_matches_physics_md(channel):
    state = steady_ratio(channel, 0.0, 0.0, 0.0, RHO)
    assert state.d_ratio_d_dv == pytest.approx(-0.510240, abs=1e-6)


@pytest.mark.parametrize(
    ("dv", "dp", "drho"),
    [(1.0, 0.0, 0.0), (3.0, BAR, 0.0), (-4.0, -BAR, 0.05), (0.5, 2 * BAR, -0.1)],
)
def test_agrees_with_adaptive_quadrature_of_the_published_integral(
    channel, dv, dp, drho
):
    assert ratio(channel, dv, dp, drho) == pytest.approx(
        quad_ratio(channel, dv, dp, drho), rel=1e-9
    )


def test_ohmic_limit_without_surface_charge_or_salt_gradient():
    neutral = Channels.from_device(Device(surface_charge=0.0))
    dv = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(ratio(neutral, dv, 0.3 * BAR), 1.0, atol=1e-14)


def test_smooth_through_zero_peclet_off_the_origin(channel):
    """Along Q_V + Q_P = 0 with dV != 0, g_inf is finite and not 1."""
    dv = 1.0
    balancing_dp = -channel.peclet_per_volt * dv / channel.peclet_per_pascal
    offsets = np.array([-1e-3, -1e-6, -1e-9, 0.0, 1e-9, 1e-6, 1e-3])
    values = ratio(channel, dv, balancing_dp * (1 + offsets))
    assert np.all(np.isfinite(values))
    assert abs(values[3] - 1.0) > 0.1
    # A smooth curve: second differences are tiny compared with the values.
    fine = ratio(channel, dv, balancing_dp * (1 + np.linspace(-1e-2, 1e-2, 41)))
    assert np.max(np.abs(np.diff(fine, 2))) < 1e-6


def test_series_and_direct_branches_meet(channel):
    """phi switches from its series to the direct form at |a| = 0.05."""
    r = float(channel.radius_ratio)
    switch = 0.05 / (r * float(channel.peclet_per_volt))
    dv = switch * (1 + np.array([-1e-9, 1e-9]))
    state = steady_ratio(channel, dv, 0.0, 0.02, RHO)
    expected_step = state.d_ratio_d_dv[0] * np.diff(dv)[0]
    assert np.diff(state.ratio)[0] == pytest.approx(expected_step, abs=1e-14)
    assert np.diff(state.d_ratio_d_dv)[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("dp", [-30 * BAR, -5 * BAR, 5 * BAR, 30 * BAR])
def test_large_peclet_neither_overflows_nor_loses_the_boundary_layer(channel, dp):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = ratio(channel, 2.0, dp, 0.05)
    assert np.isfinite(value)
    assert value == pytest.approx(mpmath_ratio(channel, 2.0, dp, 0.05), abs=1e-10)


def test_voltage_derivative_matches_central_differences(channel):
    dv = np.array([-3.0, -0.2, 1e-4, 0.7, 2.5])
    dp, drho, h = 0.3 * BAR, 0.05, 1e-6
    exact = steady_ratio(channel, dv, dp, drho, RHO).d_ratio_d_dv
    numeric = (ratio(channel, dv + h, dp, drho) - ratio(channel, dv - h, dp, drho)) / (
        2 * h
    )
    np.testing.assert_allclose(exact, numeric, rtol=1e-7, atol=1e-9)


def test_vectorised_over_edges_and_batches(channel):
    dv = np.linspace(-2, 2, 12).reshape(3, 4)
    together = ratio(channel, dv, 0.1 * BAR)
    one_by_one = [[ratio(channel, v, 0.1 * BAR) for v in row] for row in dv]
    np.testing.assert_allclose(together, one_by_one, rtol=1e-15)


def test_reversing_a_channel_flips_every_stimulus(channel):
    """g_inf is not symmetric in dV: orientation matters (PHYSICS.md)."""
    assert ratio(channel, 1.0) < 1 < ratio(channel, -1.0)


def test_per_edge_geometry_in_chunks_matches_edges_one_by_one():
    """Thousands of edges of different geometry, across the series radius and
    both signs of Pe, evaluated together and in chunks, equal each edge alone."""
    rng = np.random.default_rng(0)
    n = 2500  # more than one chunk
    lengths = rng.uniform(5e-6, 15e-6, n)
    radii = rng.uniform(100e-9, 300e-9, n)
    many = Channels.from_device(Device(), lengths, radii)
    dv = rng.uniform(-3, 3, n)
    dv[:300] *= 1e-3
    dv[300:310] = 0.0
    dp = rng.uniform(-0.3, 0.3, n) * BAR
    rho = rng.uniform(0.1, 0.3, n)
    drho = rho - rng.uniform(0.1, 0.3, n)
    together = steady_ratio(many, dv, dp, drho, rho)
    for k in rng.choice(n, 40, replace=False).tolist() + [0, 305]:
        alone = steady_ratio(
            Channels.from_device(Device(), lengths[k], radii[k]),
            dv[k],
            dp[k],
            drho[k],
            rho[k],
        )
        assert together.ratio[k] == pytest.approx(alone.ratio, rel=1e-13)
        assert together.d_ratio_d_dv[k] == pytest.approx(alone.d_ratio_d_dv, rel=1e-11)
