"""Reading the project's YAML data files (templates, probes) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from judgebias.errors import InputError

__all__ = ["read_yaml"]


def read_yaml(path: str | Path, what: str) -> Any:
    """Parse a YAML file; any problem is an :class:`InputError` naming the file (and line)."""
    p = Path(path)
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(p), f"{what} file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(p), f"cannot read {what} file: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            str(p),
            f"not valid YAML ({getattr(exc, 'problem', None) or exc})",
            line=None if mark is None else mark.line + 1,
        ) from None
