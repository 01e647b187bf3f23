"""Re-create the vendored map assets from the npm registry (run by ``make vendor-assets``).

Folium 0.20 links Leaflet, jQuery, Leaflet.awesome-markers, Font Awesome and Bootstrap 3
glyphicons from CDNs; a map for a workshop with no network must carry them inside the page.
This script fetches each package once with ``npm pack`` (the tarball only, no install
scripts), copies the files ``mecc/offline.py`` inlines with their licences, and trims what
the maps never use (unused font formats and families). Nothing is fetched at run time.

Usage: ``python mecc/assets/vendor.py [--from DIR]`` where DIR holds tarballs already
fetched with ``npm pack`` (otherwise they are fetched into a temporary folder).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PACKAGES = {
    "leaflet@1.9.3": "leaflet-1.9.3.tgz",
    "jquery@3.7.1": "jquery-3.7.1.tgz",
    "drmonty-leaflet-awesome-markers@2.0.2": "drmonty-leaflet-awesome-markers-2.0.2.tgz",
    "@fortawesome/fontawesome-free@6.2.0": "fortawesome-fontawesome-free-6.2.0.tgz",
    "bootstrap@3.4.1": "bootstrap-3.4.1.tgz",
}

# (package, path in the tarball, path under mecc/assets)
COPIES = [
    ("leaflet@1.9.3", "dist/leaflet.js", "leaflet-1.9.3/leaflet.js"),
    ("leaflet@1.9.3", "dist/leaflet.css", "leaflet-1.9.3/leaflet.css"),
    ("leaflet@1.9.3", "LICENSE", "leaflet-1.9.3/LICENSE"),
    *(
        ("leaflet@1.9.3", f"dist/images/{name}", f"leaflet-1.9.3/images/{name}")
        for name in (
            "layers.png",
            "layers-2x.png",
            "marker-icon.png",
            "marker-icon-2x.png",
            "marker-shadow.png",
        )
    ),
    ("jquery@3.7.1", "dist/jquery.min.js", "jquery-3.7.1/jquery.min.js"),
    ("jquery@3.7.1", "LICENSE.txt", "jquery-3.7.1/LICENSE.txt"),
    (
        "drmonty-leaflet-awesome-markers@2.0.2",
        "js/leaflet.awesome-markers.js",
        "awesome-markers-2.0.2/leaflet.awesome-markers.js",
    ),
    (
        "drmonty-leaflet-awesome-markers@2.0.2",
        "css/leaflet.awesome-markers.css",
        "awesome-markers-2.0.2/leaflet.awesome-markers.css",
    ),
    *(
        (
            "drmonty-leaflet-awesome-markers@2.0.2",
            f"css/images/{name}",
            f"awesome-markers-2.0.2/images/{name}",
        )
        for name in (
            "markers-soft.png",
            "markers-soft@2x.png",
            "markers-shadow.png",
            "markers-shadow@2x.png",
        )
    ),
    (
        "@fortawesome/fontawesome-free@6.2.0",
        "css/fontawesome.min.css",
        "fontawesome-free-6.2.0/css/fontawesome.min.css",
    ),
    (
        "@fortawesome/fontawesome-free@6.2.0",
        "webfonts/fa-solid-900.woff2",
        "fontawesome-free-6.2.0/webfonts/fa-solid-900.woff2",
    ),
    ("@fortawesome/fontawesome-free@6.2.0", "LICENSE.txt", "fontawesome-free-6.2.0/LICENSE.txt"),
    (
        "bootstrap@3.4.1",
        "dist/fonts/glyphicons-halflings-regular.woff2",
        "glyphicons-3.4.1/fonts/glyphicons-halflings-regular.woff2",
    ),
    ("bootstrap@3.4.1", "LICENSE", "glyphicons-3.4.1/LICENSE"),
]

AWESOME_MARKERS_LICENSE = """The MIT License (MIT)

Copyright (C) 2013 L. Voogdt

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
"""
# The npm package ships no licence file; its package.json declares MIT and its source files
# name the author ("Author: L. Voogdt, License: MIT"): this is the upstream MIT text.


def _fetch(dest: Path) -> None:
    for spec in PACKAGES:
        subprocess.run(["npm", "pack", "--silent", spec], cwd=dest, check=True)


def _extract(tarballs: Path, work: Path) -> dict[str, Path]:
    roots = {}
    for spec, name in PACKAGES.items():
        target = work / name.removesuffix(".tgz")
        with tarfile.open(tarballs / name) as archive:
            archive.extractall(target, filter="data")
        roots[spec] = target / "package"
    return roots


def _solid_css(fontawesome: Path) -> str:
    """Font Awesome's solid face, woff2 only (the maps use no other family or format)."""
    css = (fontawesome / "css/solid.min.css").read_text()
    css, count = re.subn(r',url\(\.\./webfonts/fa-solid-900\.ttf\) format\("truetype"\)', "", css)
    if count != 1:
        raise SystemExit("solid.min.css changed: check the trimming")
    return css


def _glyphicons_css(bootstrap3: Path) -> str:
    """The .glyphicon rules of Bootstrap 3 (what bootstrap-glyphicons.css 3.0.0 held), woff2 font."""
    css = (bootstrap3 / "dist/css/bootstrap.min.css").read_text()
    banner = css[: css.index("*/") + 2]
    rules = re.findall(r"\.glyphicon[-a-z0-9:,. ]*\{[^}]*\}", css)
    face = (
        '@font-face{font-family:"Glyphicons Halflings";'
        'src:url(fonts/glyphicons-halflings-regular.woff2) format("woff2")}'
    )
    return banner + "\n" + face + "\n".join(rules) + "\n"


def _rotate_css() -> str:
    """folium's leaflet.awesome.rotate.min.css: .fa-rotate-N for N = 0..359."""
    return "".join(f".fa-rotate-{n}{{transform:rotate({n}deg)}}" for n in range(360)) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tarballs = args.source or tmp
        if args.source is None:
            _fetch(tmp)
        roots = _extract(tarballs, tmp / "x")
        for spec, inner, target in COPIES:
            out = HERE / target
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(roots[spec] / inner, out)
        fa = roots["@fortawesome/fontawesome-free@6.2.0"]
        (HERE / "fontawesome-free-6.2.0/css/solid.min.css").write_text(_solid_css(fa))
        glyph = HERE / "glyphicons-3.4.1/bootstrap-glyphicons.css"
        glyph.write_text(_glyphicons_css(roots["bootstrap@3.4.1"]))
        (HERE / "awesome-markers-2.0.2/LICENSE").write_text(AWESOME_MARKERS_LICENSE)
        rotate = HERE / "folium-0.20.0/leaflet.awesome.rotate.min.css"
        rotate.parent.mkdir(parents=True, exist_ok=True)
        rotate.write_text(_rotate_css())
    print(f"vendored map assets into {HERE}")


if __name__ == "__main__":
    main()
