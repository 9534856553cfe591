"""bench/ scripts, for the tests whose job is to check one (the attribution and segmentation
benches, the load bench). The only place the tests reach into bench/."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from . import ROOT

BENCH = ROOT / "bench"


def bench_script(name: str) -> ModuleType:
    """bench/<name>.py imported as the module ``bench_<name>`` (loaded once)."""
    key = f"bench_{name}"
    if key in sys.modules:
        return sys.modules[key]
    if str(BENCH) not in sys.path:  # a script's own imports of its sibling bench modules
        sys.path.append(str(BENCH))
    spec = importlib.util.spec_from_file_location(key, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[key]
        raise
    return module
