"""The wheel carries every package module (the PYNQ driver files too), the Jinja2 templates, the
configs and board files."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_and_every_module(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("bnn_hls-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"bnn_hls/templates/{p.relative_to(ROOT / 'templates')}"
                 for p in (ROOT / "templates").rglob("*.j2")}
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "bnn_hls").rglob("*.py")}
    configs = {p.relative_to(ROOT).as_posix()
               for folder in ("model/configs", "boards")
               for p in (ROOT / "bnn_hls" / folder).glob("*.yaml")}
    assert templates and "bnn_hls/templates/rtl/mvu.sv.j2" in templates
    assert "bnn_hls/templates/vivado/build.tcl.j2" in templates
    assert templates <= names, sorted(templates - names)
    assert modules <= names, sorted(modules - names)
    assert configs <= names, sorted(configs - names)
