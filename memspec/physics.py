"""The conical memristor model of `shared/PHYSICS.md`, vectorised over edges.

A channel of length L narrows linearly from base radius Rb to tip radius Rt.
Its steady-state conductance is

    g_inf / g0 = (1/L) int_0^L [1 - (drho/rho_b) I(x)
                                + rho_in / (2 rho_b Pe) (F(x) - I(x))] dx

with every stimulus taken as base minus tip. Substituting u = F(x), with
r = Rt / Rb and a = Pe r, turns the integrand into smooth functions of (a, u):

    I   = expm1(a u) / expm1(a)
    phi = (u - I) / a                  so that (F - I) / Pe = r phi
    dx / L = w(u) du,  w(u) = r / (r + (1 - r) u)^2,  int_0^1 w du = 1

and so g_inf / g0 = 1 - (drho/rho_b) <I> + (rho_in / 2 rho_b) r <phi>, where
<.> is the w-weighted integral over u in [0, 1].

`phi` is regular at a = 0 (Pe = 0 is everyday input: equal pressures and
zero voltage). Near a = 0 it is summed from its series in Bernoulli
polynomials, a e^{au} / (e^a - 1) = sum_n B_n(u) a^n / n!, which gives
phi = -sum_{k>=0} a^k (B_{k+2}(u) - B_{k+2}(0)) / (k+2)!. Away from 0, I is
written so that no large positive number is exponentiated. The integrand has
boundary layers about 1/|a| wide at both ends of [0, 1], so the quadrature is
Gauss-Legendre on panels graded geometrically toward both ends. The same fixed
nodes are used for every edge and stimulus, which makes g_inf a smooth
function of its arguments: finite differences of it are clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb, factorial

import numpy as np
from scipy.constants import Avogadro, Boltzmann, elementary_charge

from memspec.models import Device

_SERIES_TERMS = 9
_SERIES_RADIUS = 0.05  # |a| below which phi is summed from its series
_GL_ORDER = 8
# Panel edges at 1e-1, 10^-1.5, ..., 1e-6 from each end. Against 30-digit
# quadrature this keeps g_inf / g0 within 3e-11 for |Pe| up to 5000.
_GRADING = 10.0 ** -(np.arange(2, 13) / 2)


def _quadrature() -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1], graded toward both ends."""
    inner = np.linspace(0.1, 0.9, 5)
    edges = np.unique(np.concatenate([[0.0, 1.0], _GRADING, 1 - _GRADING, inner]))
    x, wx = np.polynomial.legendre.leggauss(_GL_ORDER)
    lo, hi = edges[:-1, None], edges[1:, None]
    nodes = lo + (hi - lo) * (x + 1) / 2
    weights = (hi - lo) * wx / 2
    return nodes.ravel(), weights.ravel()


def _phi_series_coefficients(u: np.ndarray) -> np.ndarray:
    """c_k(u) with phi(a, u) = sum_k c_k(u) a^k, shape (terms, len(u))."""
    from scipy.special import bernoulli

    numbers = bernoulli(_SERIES_TERMS + 2)

    def bernoulli_polynomial(n: int) -> np.ndarray:
        return sum(comb(n, j) * numbers[j] * u ** (n - j) for j in range(n + 1))

    return np.array(
        [
            -(bernoulli_polynomial(k + 2) - numbers[k + 2]) / factorial(k + 2)
            for k in range(_SERIES_TERMS)
        ]
    )


QUAD_U, QUAD_W = _quadrature()
_PHI_SERIES = _phi_series_coefficients(QUAD_U)


@dataclass(frozen=True)
class Channels:
    """Per-edge constants of the model, as arrays broadcastable over edges.

    Build it with `Channels.from_device`; every field is in SI units.
    """

    length: np.ndarray
    base_radius: np.ndarray
    tip_radius: np.ndarray
    device: Device

    @classmethod
    def from_device(
        cls,
        device: Device,
        length: np.ndarray | float | None = None,
        base_radius: np.ndarray | float | None = None,
    ) -> Channels:
        return cls(
            length=np.asarray(device.length if length is None else length, float),
            base_radius=np.asarray(
                device.base_radius if base_radius is None else base_radius, float
            ),
            tip_radius=np.asarray(device.tip_radius, float),
            device=device,
        )

    @property
    def radius_ratio(self) -> np.ndarray:
        return self.tip_radius / self.base_radius

    @property
    def peclet_per_volt(self) -> np.ndarray:
        """Pe per volt of dV, from electro-osmotic flow Q_V."""
        d = self.device
        # Q_V L / (D pi Rt^2) with Q_V = -pi Rb Rt eps psi0 dV / (L eta)
        return (
            -self.base_radius
            * d.permittivity
            * d.wall_potential
            / (d.viscosity * d.diffusivity * self.tip_radius)
        )

    @property
    def peclet_per_pascal(self) -> np.ndarray:
        """Pe per pascal of dP, from Poiseuille flow Q_P in a linear cone."""
        d = self.device
        rb, rt = self.base_radius, self.tip_radius
        mean_square_radius = (rb**2 + rb * rt + rt**2) / 3
        return rb**3 * rt / (8 * d.viscosity * d.diffusivity * mean_square_radius)

    def inflow_per_volt(self, rho_base: np.ndarray) -> np.ndarray:
        """rho_in / (2 rho_b) per volt of dV; `rho_base` in mol/m^3."""
        d = self.device
        rt = self.tip_radius
        thermal = Boltzmann * d.temperature
        rho_in = 2 * (self.base_radius - rt) * d.surface_charge * elementary_charge
        return rho_in / (rt**2 * thermal) / (2 * rho_base * Avogadro)

    def ohmic_conductance(self, rho_base: np.ndarray) -> np.ndarray:
        """g0 in siemens: the conductance of the cone at rest."""
        d = self.device
        density = 2 * rho_base * Avogadro
        geometry = np.pi * self.base_radius * self.tip_radius / self.length
        return (
            geometry
            * density
            * elementary_charge**2
            * d.diffusivity
            / (Boltzmann * d.temperature)
        )

    @property
    def time_constant(self) -> np.ndarray:
        """tau = L^2 / (12 D), the relaxation time of each channel."""
        return self.length**2 / (12 * self.device.diffusivity)

    def peclet(self, dV: np.ndarray, dP: np.ndarray) -> np.ndarray:
        return self.peclet_per_volt * dV + self.peclet_per_pascal * dP


def _profiles(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """I, phi and their derivatives in a, at every quadrature node.

    `a` has any shape S; the results have shape S + (nodes,).
    """
    a = np.asarray(a, float)[..., None]
    u = QUAD_U
    small = np.abs(a) < _SERIES_RADIUS
    big = np.where(small, 1.0, a)  # keeps the direct branch away from 0/0

    # Direct forms, written with m = -|a| <= 0 so that nothing large and
    # positive is exponentiated. For a > 0, I = e^{a (u - 1)} expm1(m u) / expm1(m).
    positive = big > 0
    m = -np.abs(big)
    ratio = np.expm1(m * u) / np.expm1(m)
    shift = np.exp(np.where(positive, big * (u - 1), 0.0))
    profile = np.where(positive, shift * ratio, ratio)
    # dI/da = (u e^{au} - I e^a) / expm1(a), rescaled by e^{-a} when a > 0.
    d_profile = np.where(
        positive,
        (u * shift - profile) / -np.expm1(m),
        (u * np.exp(m * u) - profile * np.exp(m)) / np.expm1(m),
    )
    phi = (u - profile) / big
    d_phi = -(d_profile + phi) / big

    # Series near a = 0.
    powers = np.where(small, a, 0.0)[..., None, :] ** np.arange(_SERIES_TERMS)[:, None]
    phi_s = np.sum(_PHI_SERIES * powers, axis=-2)
    k = np.arange(1, _SERIES_TERMS)[:, None]
    d_phi_s = np.sum(k * _PHI_SERIES[1:] * powers[..., :-1, :], axis=-2)
    a_s = np.where(small, a, 0.0)
    profile_s = u - a_s * phi_s
    d_profile_s = -phi_s - a_s * d_phi_s

    return (
        np.where(small, profile_s, profile),
        np.where(small, phi_s, phi),
        np.where(small, d_profile_s, d_profile),
        np.where(small, d_phi_s, d_phi),
    )


@dataclass(frozen=True)
class SteadyState:
    """g_inf / g0 per edge, and its derivative with respect to dV (1/V)."""

    ratio: np.ndarray
    d_ratio_d_dv: np.ndarray


def steady_ratio(
    channels: Channels,
    dV: np.ndarray,
    dP: np.ndarray,
    drho: np.ndarray,
    rho_base: np.ndarray,
) -> SteadyState:
    """g_inf / g0 of every edge for stimuli taken base minus tip (SI units).

    All arguments broadcast together; the result has their common shape.
    """
    dV = np.asarray(dV, float)
    r = channels.radius_ratio
    pe_v = channels.peclet_per_volt
    a = r * channels.peclet(dV, dP)
    inflow = channels.inflow_per_volt(rho_base)
    salt = np.asarray(drho, float) / rho_base

    profile, phi, d_profile, d_phi = _profiles(a)
    weights = _weights(r)
    mean = lambda f: np.sum(f * weights, axis=-1)  # noqa: E731

    phi_mean = mean(phi)
    ratio = 1 - salt * mean(profile) + inflow * dV * r * phi_mean
    da_dv = r * pe_v
    d_ratio = (
        -salt * mean(d_profile) * da_dv
        + inflow * r * phi_mean
        + inflow * dV * r * mean(d_phi) * da_dv
    )
    return SteadyState(ratio=ratio, d_ratio_d_dv=d_ratio)


def _weights(r: np.ndarray) -> np.ndarray:
    """Quadrature weights times dx/(L du), shape broadcastable to profiles."""
    r = np.asarray(r, float)[..., None]
    return QUAD_W * r / (r + (1 - r) * QUAD_U) ** 2
