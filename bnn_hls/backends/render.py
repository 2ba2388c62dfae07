"""Jinja2 environment over the templates shipped inside the package (``bnn_hls.templates``)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    root = Path(str(files("bnn_hls.templates")))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,  # a missing context field is an error, not ""
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context) -> str:
    """Render ``templates/<template>`` with a small, explicit context."""
    return environment().get_template(template).render(**context)
