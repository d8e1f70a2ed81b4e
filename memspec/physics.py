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
CHUNK = 2048  # edges evaluated at once: bounds the (edges, nodes) temporaries
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


def profile_means(
    a: np.ndarray, weight_sets: list[np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Weighted means of I, phi, dI/da and dphi/da over u, for (n,) values of a.

    Each weight set is (n, Q), or (1, Q) when shared by every a. Near a = 0
    the means are summed from the series of phi, whose coefficients are
    averaged once. Elsewhere only I and one exponential per node are formed,
    because the rest are linear in them: with E = e^{a (u - 1)} for a > 0
    and E = e^{a u} for a < 0,
    <dI/da> = (<u E> - <I>) / -expm1(-a)  or  (<u E> - e^a <I>) / expm1(a),
    <phi> = (<u> - <I>) / a  and  <dphi/da> = -(<dI/da> + <phi>) / a.
    The direct forms use m = -|a| <= 0, so nothing large and positive is
    ever exponentiated.
    """
    n = a.size
    out = [tuple(np.empty(n) for _ in range(4)) for _ in weight_sets]
    small = np.abs(a) < _SERIES_RADIUS
    groups = [
        np.nonzero(small)[0],
        np.nonzero(a >= _SERIES_RADIUS)[0],
        np.nonzero(a <= -_SERIES_RADIUS)[0],
    ]
    for kind, index in enumerate(groups):
        if not index.size:
            continue
        ai = a[index][:, None]
        if kind == 0:
            powers = ai ** np.arange(_SERIES_TERMS)
        else:
            m = -np.abs(ai)
            t = np.expm1(m * QUAD_U)
            den = np.expm1(m)[:, 0]
            if kind == 1:
                e = np.exp(ai * (QUAD_U - 1))
                profile = e * t / den[:, None]
            else:
                e = t + 1
                profile = t / den[:, None]
            ue = QUAD_U * e
        for weights, means in zip(weight_sets, out, strict=True):
            w = weights if len(weights) == 1 else weights[index]
            m_u = np.sum(w * QUAD_U, axis=-1)
            if kind == 0:
                # phi = sum_k c_k(u) a^k, so <phi> = sum_k <c_k> a^k; I = u - a phi.
                coefficients = w @ _PHI_SERIES.T
                m_phi = np.sum(coefficients * powers, axis=-1)
                k = np.arange(1, _SERIES_TERMS)
                m_d_phi = np.sum(k * coefficients[:, 1:] * powers[:, :-1], axis=-1)
                m_profile = m_u - ai[:, 0] * m_phi
                m_d_profile = -m_phi - ai[:, 0] * m_d_phi
            else:
                m_profile = _mean(profile, w)
                if kind == 1:
                    m_d_profile = (_mean(ue, w) - m_profile) / -den
                else:
                    m_d_profile = (_mean(ue, w) - np.exp(ai[:, 0]) * m_profile) / den
                m_phi = (m_u - m_profile) / ai[:, 0]
                m_d_phi = -(m_d_profile + m_phi) / ai[:, 0]
            values = (m_profile, m_phi, m_d_profile, m_d_phi)
            for target, value in zip(means, values, strict=True):
                target[index] = value
    return out


def _mean(f: np.ndarray, w: np.ndarray) -> np.ndarray:
    return f @ w[0] if len(w) == 1 else np.einsum("ij,ij->i", f, w)


def quadrature_weights(r: np.ndarray, n: int, derivative: bool = False) -> np.ndarray:
    """w(u; r) = W r / s^2 with s = r + (1 - r) u at every node, or dw/dr.

    Shape (1, Q) when every edge has the same r, else (n, Q).
    """
    r = np.asarray(r, float).reshape(-1)
    if np.all(r == r[0]):
        r = r[:1]
    rr = np.broadcast_to(r, (len(r) if len(r) == 1 else n,))[:, None]
    s = rr + (1 - rr) * QUAD_U
    if derivative:
        return QUAD_W * (1 / s**2 - 2 * rr * (1 - QUAD_U) / s**3)
    return QUAD_W * rr / s**2


def chunks(size: int, chunk: int = CHUNK) -> list[slice]:
    """Slices of at most `chunk` edges, so that the (edges, nodes) temporaries
    stay in cache on large networks."""
    return [slice(start, start + chunk) for start in range(0, size, chunk)]


@dataclass(frozen=True)
class SteadyState:
    """g_inf / g0 per edge, and its derivative with respect to dV (1/V)."""

    ratio: np.ndarray
    d_ratio_d_dv: np.ndarray


class VoltageLaw:
    """g_inf / g0 as a function of dV alone, with dP, drho, rho_b and the
    geometry held fixed, as they are through a relaxation or a Newton solve.

    Everything that does not depend on dV is prepared once, which halves the
    cost of each evaluation on small networks.
    """

    def __init__(
        self,
        channels: Channels,
        dP: np.ndarray | float,
        drho: np.ndarray | float,
        rho_base: np.ndarray | float,
        shape: tuple[int, ...] = (),
    ):
        self.shape = np.broadcast_shapes(
            shape,
            np.shape(dP),
            np.shape(drho),
            np.shape(rho_base),
            channels.length.shape,
            channels.base_radius.shape,
            channels.tip_radius.shape,
        )
        dp, drho, rho = self._flat(dP), self._flat(drho), self._flat(rho_base)
        length = self._flat(channels.length)
        rb, rt = self._flat(channels.base_radius), self._flat(channels.tip_radius)
        self._parts = []
        for part in chunks(dp.size):
            ch = Channels(length[part], rb[part], rt[part], channels.device)
            r = ch.radius_ratio
            a_per_volt = r * ch.peclet_per_volt
            self._parts.append(
                (
                    part,
                    a_per_volt,
                    r * ch.peclet_per_pascal * dp[part],  # a at dV = 0
                    drho[part] / rho[part],
                    ch.inflow_per_volt(rho[part]) * r,
                    quadrature_weights(r, r.size),
                )
            )

    def _flat(self, x: np.ndarray | float) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, float), self.shape).reshape(-1)

    def __call__(self, dV: np.ndarray | float) -> SteadyState:
        dv = self._flat(dV)
        ratio, d_ratio = np.empty(dv.size), np.empty(dv.size)
        for part, a_per_volt, a_rest, salt, cr, weights in self._parts:
            v = dv[part]
            ((m_profile, m_phi, m_d_profile, m_d_phi),) = profile_means(
                a_per_volt * v + a_rest, [weights]
            )
            ratio[part] = 1 - salt * m_profile + cr * v * m_phi
            d_ratio[part] = (
                -salt * m_d_profile + cr * v * m_d_phi
            ) * a_per_volt + cr * m_phi
        return SteadyState(
            ratio=ratio.reshape(self.shape), d_ratio_d_dv=d_ratio.reshape(self.shape)
        )


def steady_ratio(
    channels: Channels,
    dV: np.ndarray | float,
    dP: np.ndarray | float,
    drho: np.ndarray | float,
    rho_base: np.ndarray | float,
) -> SteadyState:
    """g_inf / g0 of every edge for stimuli taken base minus tip (SI units).

    All arguments, and the channel arrays, broadcast together; the result has
    their common shape.
    """
    return VoltageLaw(channels, dP, drho, rho_base, np.shape(dV))(dV)
