"""Make ahkab 0.18 importable and runnable on current Python, numpy and scipy.

ahkab is unmaintained, and its last release predates several removals. Each
one below was found by importing ahkab and running an operating point
(`.op`) on a current stack (Python 3.11, numpy 2.4, scipy 1.17). The fixes
are applied around ahkab, never by editing or copying its code, and they
touch other libraries only while ahkab is being imported:

- **scipy window functions.** `ahkab.fourier` imports `bartlett`, `hann`,
  `hamming`, `blackman`, `blackmanharris`, `gaussian` and `kaiser` from
  `scipy.signal`; they now live only in `scipy.signal.windows`. They are
  aliased on `scipy.signal` during the import and removed again after it.
- **`imp`.** `ahkab.netlist_parser` loads the module of a user-defined
  element (`Y... module=...`) with `imp.find_module` and `imp.load_module`.
  `imp` is deprecated and gone from Python 3.12, and its `find_module` never
  handled dotted names such as `memspec.netlist.ahkab_element`. A small
  stand-in built on importlib is put in `sys.modules["imp"]` during the import
  only, so ahkab's modules bind it and the rest of the process is unaffected.
- **array-to-float conversion.** numpy 2.4 refuses `float()` of an array with
  one element but one or more dimensions, which ahkab does on every element's
  operating-point report (`float(ports_v[0][0])`, a (1,) slice of its
  solution). Inside ahkab's modules the global name `float` is rebound to a
  function that unwraps such arrays first. `ahkab.netlist_parser` keeps the
  builtin, because it uses `float` as a type token (`rtype == float`).
- **`numpy.linalg.linalg`.** numpy 2 made that module private, but
  `ahkab.dc_analysis` and `ahkab.dc_guess` catch a singular matrix as
  `np.linalg.linalg.LinAlgError`; without it the `except` clause itself fails.
  In those two modules only, `np` is rebound to a view of numpy that adds the
  old alias.

Not shimmed, because memspec never runs them: `.ac` (uses `np.complex`) and
the Gear transient integrator (imports `scipy.misc.factorial`).
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

import numpy as np
import scipy.signal
import scipy.signal.windows

_WINDOWS = (
    "bartlett",
    "hann",
    "hamming",
    "blackman",
    "blackmanharris",
    "gaussian",
    "kaiser",
)

# ahkab modules that call float() on solution slices at run time. The parser
# is left out on purpose: it compares against the builtin `float` type.
_FLOAT_MODULES = (
    "ahkab.ahkab",
    "ahkab.devices",
    "ahkab.diode",
    "ahkab.ekv",
    "ahkab.mosq",
    "ahkab.switch",
    "ahkab.time_functions",
    "ahkab.utilities",
)

# ahkab modules that catch `np.linalg.linalg.LinAlgError`.
_LINALG_MODULES = ("ahkab.dc_analysis", "ahkab.dc_guess")

_lock = threading.Lock()
_ahkab: types.ModuleType | None = None


def load_ahkab() -> types.ModuleType:
    """Import ahkab with the shims in place, once per process, and return it."""
    global _ahkab
    with _lock:
        if _ahkab is None:
            _ahkab = _import_patched()
        return _ahkab


def _import_patched() -> types.ModuleType:
    added = [name for name in _WINDOWS if not hasattr(scipy.signal, name)]
    saved_imp = sys.modules.get("imp")
    for name in added:
        setattr(scipy.signal, name, getattr(scipy.signal.windows, name))
    sys.modules["imp"] = _imp_shim()
    try:
        ahkab = importlib.import_module("ahkab")
    finally:
        for name in added:
            delattr(scipy.signal, name)
        if saved_imp is None:
            sys.modules.pop("imp", None)
        else:
            sys.modules["imp"] = saved_imp

    for name in _FLOAT_MODULES:
        module = importlib.import_module(name)
        module.float = _scalar_float  # shadows the builtin in that module only
    if not hasattr(np.linalg, "linalg"):
        for name in _LINALG_MODULES:
            importlib.import_module(name).np = _numpy_with_linalg_alias()
    return ahkab


def _scalar_float(value: Any = 0.0) -> float:
    """`float()` that also accepts a one-element array of any shape."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    return builtins.float(value)


def _numpy_with_linalg_alias() -> types.ModuleType:
    """numpy as ahkab expects it: `np.linalg.linalg.LinAlgError` resolves."""

    class NumpyView(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            return getattr(np, name)

    class LinalgView(types.ModuleType):
        linalg = types.SimpleNamespace(LinAlgError=np.linalg.LinAlgError)

        def __getattr__(self, name: str) -> Any:
            return getattr(np.linalg, name)

    view = NumpyView("numpy")
    view.linalg = LinalgView("numpy.linalg")  # type: ignore[attr-defined]
    return view


def _imp_shim() -> types.ModuleType:
    """The two functions of `imp` that ahkab calls, on top of importlib."""
    shim = types.ModuleType("imp", "importlib stand-in for ahkab (memspec)")

    def find_module(name: str, path: Any = None) -> tuple[None, str, None]:
        if importlib.util.find_spec(name) is None:
            raise ImportError(f"No module named {name!r}")
        return None, name, None

    def load_module(name: str, *_: Any) -> types.ModuleType:
        return importlib.import_module(name)

    shim.find_module = find_module  # type: ignore[attr-defined]
    shim.load_module = load_module  # type: ignore[attr-defined]
    return shim
