"""Derivatives of each channel's steady current with respect to its stimuli
and to the four trainable properties (`shared/PHYSICS.md`).

A channel at steady state carries i = g0 * q * dV, where q = g_inf / g0 is

    q = 1 - s <I>(a) + c dV r <phi>(a),    a = r (Pe_V dV + Pe_P dP)

with s = drho / rho_b, c = rho_in / (2 rho_b dV), r = Rt / Rb and <.> the
quadrature mean of `memspec.physics` (weights depending on r only). What each
property touches, read off PHYSICS.md:

- node pressure: only dP, through a;
- node concentration: g0 ~ rho_b and c ~ 1 / rho_b cancel in g0 c, so with
  K = g0 / rho_b, i = K dV [rho_b (1 - <I>) + rho_tip <I> + g0 c / K dV r <phi>]
  and di/d rho_base = K dV (1 - <I>), di/d rho_tip = K dV <I>;
- edge length: g0 ~ 1 / L, while Q ~ 1 / L and Pe ~ Q L leave a, c and r
  untouched, so di/dL = -i / L;
- edge base radius: g0 ~ Rb, r, the quadrature weights, c r ~ 1 - Rt / Rb and
  r Pe_P all move; r Pe_V = -eps psi0 / (eta D) does not.

Every derivative is analytic: the a-derivatives of the profiles follow
`memspec.physics.profile_means`, and the weights' r-derivative is written out here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memspec.physics import Channels, chunks, profile_means, quadrature_weights


@dataclass(frozen=True)
class CurrentDerivatives:
    """Steady current of each edge and its partial derivatives (SI units).

    `d_rho_base` holds the tip concentration fixed and `d_rho_tip` the base
    concentration, so they are derivatives with respect to node values.
    """

    ratio: np.ndarray  # g_inf / g0
    current: np.ndarray  # A, base to tip
    d_dv: np.ndarray  # S, the differential conductance
    d_dp: np.ndarray  # A / Pa
    d_rho_base: np.ndarray  # A / (mol/m^3)
    d_rho_tip: np.ndarray  # A / (mol/m^3)
    d_length: np.ndarray  # A / m
    d_base_radius: np.ndarray  # A / m


def _slice(channels: Channels, part: slice) -> Channels:
    def cut(a: np.ndarray) -> np.ndarray:
        return a[part] if a.ndim else a

    return Channels(
        length=cut(channels.length),
        base_radius=cut(channels.base_radius),
        tip_radius=cut(channels.tip_radius),
        device=channels.device,
    )


def current_derivatives(
    channels: Channels,
    dV: np.ndarray,
    dP: np.ndarray,
    drho: np.ndarray,
    rho_base: np.ndarray,
    floor: float | None = None,
) -> CurrentDerivatives:
    """Current and its derivatives for flat (E,) arrays of stimuli.

    `channels` carries (E,) lengths and base radii. With `floor`, g_inf / g0
    is set to that value wherever it is not positive (the `clamp` choice of PHYSICS.md's
    validity range), and the derivatives are those of the clamped law.
    """
    fields = {name: np.empty(dV.shape) for name in CurrentDerivatives.__annotations__}
    for part in chunks(dV.size):
        values = _derivatives(
            _slice(channels, part),
            dV[part],
            dP[part],
            drho[part],
            rho_base[part],
            floor,
        )
        for name, value in values.items():
            fields[name][part] = value
    return CurrentDerivatives(**fields)


def _derivatives(channels, dv, dp, drho, rho_base, floor) -> dict[str, np.ndarray]:
    rb, rt, length = channels.base_radius, channels.tip_radius, channels.length
    r = rt / rb
    g0 = channels.ohmic_conductance(rho_base)
    c = channels.inflow_per_volt(rho_base)  # rho_in / (2 rho_b) per volt
    salt = drho / rho_base
    a_per_volt = r * channels.peclet_per_volt
    a_per_pascal = r * channels.peclet_per_pascal
    a = a_per_volt * dv + a_per_pascal * dp

    weights = quadrature_weights(r, dv.size)
    d_weights = quadrature_weights(r, dv.size, derivative=True)
    (m_profile, m_phi, m_d_profile, m_d_phi), (w_profile, w_phi, _, _) = profile_means(
        a, [weights, d_weights]
    )
    cr = c * r
    ratio = 1 - salt * m_profile + cr * dv * m_phi
    d_ratio_d_a = -salt * m_d_profile + cr * dv * m_d_phi
    d_ratio_d_dv = d_ratio_d_a * a_per_volt + cr * m_phi

    # Base radius: d(a)/dRb through r Pe_P only; d(c r)/dRb = c r^2 / (Rb - Rt).
    mean_square = rb**2 + rb * rt + rt**2
    d_a_d_rb = dp * a_per_pascal * (2 / rb - (2 * rb + rt) / mean_square)
    d_cr_d_rb = c * r**2 / (rb - rt)
    d_r_d_rb = -r / rb
    d_ratio_d_rb = (
        d_ratio_d_a * d_a_d_rb
        + (-salt * w_profile + cr * dv * w_phi) * d_r_d_rb
        + d_cr_d_rb * dv * m_phi
    )

    per_rho = g0 / rho_base  # K in the module docstring
    derivatives = {
        "ratio": ratio,
        "current": g0 * ratio * dv,
        "d_dv": g0 * (ratio + dv * d_ratio_d_dv),
        "d_dp": g0 * dv * d_ratio_d_a * a_per_pascal,
        "d_rho_base": per_rho * dv * (1 - m_profile),
        "d_rho_tip": per_rho * dv * m_profile,
        "d_length": -g0 * ratio * dv / length,
        "d_base_radius": g0 * dv * (ratio / rb + d_ratio_d_rb),
    }
    if floor is not None:
        _clamp(derivatives, floor, g0, dv, per_rho, length, rb)
    return derivatives


def _clamp(derivatives, floor, g0, dv, per_rho, length, rb) -> None:
    """Replace, where g_inf / g0 < floor, the law by i = g0 * floor * dV."""
    low = derivatives["ratio"] <= 0
    clamped = g0 * floor * dv
    replacements = {
        "ratio": floor,
        "current": clamped,
        "d_dv": g0 * floor,
        "d_dp": 0.0,
        "d_rho_base": per_rho * floor * dv,
        "d_rho_tip": 0.0,
        "d_length": -clamped / length,
        "d_base_radius": clamped / rb,
    }
    for name, value in replacements.items():
        derivatives[name] = np.where(low, value, derivatives[name])
