"""Reading a user's YAML file, with one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from bnn_hls.errors import BnnHlsError


def load_yaml(path: str | Path, what: str):
    """The parsed content of ``path``; ``what`` names the kind of file in the errors."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text())
    except (FileNotFoundError, IsADirectoryError):
        raise BnnHlsError(f"{path}: no such {what}") from None
    except yaml.YAMLError as exc:
        raise BnnHlsError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
