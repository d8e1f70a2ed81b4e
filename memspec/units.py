"""Quantities with units, converted by pint into the floats that models hold.

Conversion is exact where it can be: pint supplies the conversion factor,
which is rounded to 15 significant digits (pint computes `mM -> mol/m^3` as
0.9999999999999999), and the written number is multiplied by it in decimal
arithmetic. So `0.2 mM` is exactly 0.2 mol/m^3 and `10 um` exactly 1e-05 m,
and a value written by `memspec.writer` reads back to the same float.
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

import pint

from memspec.errors import Span, SpecSemanticError

ureg = pint.UnitRegistry()

# What a user calls each dimension, for error messages.
_DIMENSION_WORDS = {
    "m": "a length",
    "Pa": "a pressure",
    "mol/m^3": "a concentration",
    "V": "a voltage",
    "s": "a time",
    "K": "a temperature",
    "Pa*s": "a viscosity",
    "F/m": "a permittivity",
    "m^2/s": "a diffusivity",
    "1/m^2": "a number per area",
    "": "a plain number",
}


class UnitError(ValueError):
    """A unit pint does not know, or one of the wrong dimension."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _pint_text(unit: str) -> str:
    # pint reads '1/nm^2' but not '/nm^2'; '·' is a product, as in 'mPa·s'.
    unit = unit.replace("·", "*")
    return "1" + unit if unit.startswith("/") else unit


@lru_cache(maxsize=256)
def _factor(unit: str, target: str) -> Decimal | None:
    """The factor from `unit` to `target`, or None for offset units (degC)."""
    try:
        one = ureg.Quantity(1.0, _pint_text(unit))
        zero = ureg.Quantity(0.0, _pint_text(unit)).to(target).magnitude
        factor = one.to(target).magnitude
    except pint.DimensionalityError as err:
        word = dimension_word(target)
        hint = f"write {word} in units such as {example_unit(target)}"
        if target == "":
            hint = "remove the unit"
        raise UnitError(f"'{unit}' is not {word}", hint=hint) from err
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        AttributeError,
        TypeError,
        ValueError,
    ) as err:
        raise UnitError(f"unknown unit '{unit}'") from err
    if zero != 0:
        return None
    return Decimal(f"{factor:.15g}")


def convert(number: str, unit: str | None, target: str) -> float:
    """The decimal text `number` in `unit`, expressed in `target` units.

    Raises:
        UnitError: if pint does not know `unit`, it is not of the dimension
            of `target`, or the value does not fit in a double.
    """
    value = _convert(number, unit, target)
    if not math.isfinite(value) or (value == 0 and Decimal(number) != 0):
        written = f"{number} {unit}" if unit else number
        raise UnitError(
            f"'{written}' does not fit in a floating-point number: SI magnitudes "
            "run from about 1e-308 to 1e308"
        )
    return value


def _convert(number: str, unit: str | None, target: str) -> float:
    if not unit:
        if target != "":
            word = dimension_word(target)
            raise UnitError(
                f"'{number}' has no unit, but {word} is expected",
                hint=f"add a unit, as in '{number} {example_unit(target)}'",
            )
        return float(number)
    factor = _factor(unit, target)
    if factor is None:
        return float(ureg.Quantity(float(number), _pint_text(unit)).to(target).m)
    return float(Decimal(number) * factor)


def quantity(
    number: str | float,
    unit: str | None,
    expected: str | tuple[str, ...],
    span: Span | None = None,
    source: str | None = None,
) -> float:
    """`number unit` as a float in the SI unit `expected` (e.g. "m", "V", "").

    `expected` may list several units of different dimensions; the first one
    that `unit` converts to wins (a surface charge may be written per area or
    as a charge per area). A wrong or unknown unit raises a SpecSemanticError
    located at `span`.
    """
    targets = (expected,) if isinstance(expected, str) else expected
    text = number if isinstance(number, str) else repr(float(number))
    first: UnitError | None = None
    for target in targets:
        try:
            return convert(text, unit, target)
        except UnitError as err:
            first = first or err
    assert first is not None
    raise SpecSemanticError(str(first), span, hint=first.hint, source=source)


@lru_cache(maxsize=64)
def dimension_word(target: str) -> str:
    """What a user calls the dimension of `target`: "a length", "a voltage"."""
    if target == "":
        return _DIMENSION_WORDS[""]
    dimension = ureg.Quantity(1.0, target).dimensionality
    for si, word in _DIMENSION_WORDS.items():
        if si and ureg.Quantity(1.0, si).dimensionality == dimension:
            return word
    return f"a quantity in {target}"


def example_unit(target: str) -> str:
    """A familiar unit for the SI unit `target`, for hints and the writer."""
    return {
        "m": "um",
        "Pa": "bar",
        "mol/m^3": "mM",
        "V": "V",
        "s": "ms",
        "K": "K",
        "Pa*s": "mPa*s",
        "F/m": "nF/m",
        "m^2/s": "um^2/ms",
        "1/m^2": "/nm^2",
    }.get(target, target or "1")


def decimal_factor(unit: str, target: str) -> Decimal:
    """The exact decimal factor from `unit` to `target` (multiplicative only)."""
    factor = _factor(unit, target)
    if factor is None:
        raise ValueError(f"'{unit}' is an offset unit")
    return factor
