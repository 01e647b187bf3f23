"""Self-contained HTML: inline the vendored map assets and refuse any remote reference.

Folium writes ``<script src>`` and ``<link href>`` tags pointing at CDNs; with no network
such a page is blank. :func:`inline_assets` replaces each known CDN link with the vendored
file from ``mecc/assets`` (listed in ``assets.json``), turns every CSS ``url(...)`` into a
``data:`` URI, and drops links mecc maps do not need. :func:`check_offline` then fails
loudly, naming the reference, if anything would still be fetched: an http(s) URL anywhere in
the page (apart from audited inert strings such as the SVG namespace), or a ``src``/``href``
attribute, CSS ``url()`` or ``@import`` that is not a ``data:`` URI or a fragment.

No folium here: this is string processing on the rendered page.
"""

from __future__ import annotations

import base64
import functools
import json
import mimetypes
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

from mecc.errors import MeccError

__all__ = ["ASSETS_DIR", "check_offline", "inline_assets", "remote_references"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"

_URL = re.compile(r"""https?://[^\s"'`<>()\\]*""", re.IGNORECASE)
_TAG = re.compile(
    r"""<script\s+src="(?P<js>[^"]+)"\s*>\s*</script>|<link\s+rel="stylesheet"\s+href="(?P<css>[^"]+)"\s*/?>""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<ref>[^'")]*)(?P=q)\s*\)""", re.IGNORECASE)
_LINK_ATTRIBUTES = {
    "src",
    "href",
    "srcset",
    "poster",
    "data",
    "action",
    "formaction",
    "background",
    "xlink:href",
    "ping",
    "manifest",
    "codebase",
    "cite",
    "longdesc",
}
_MIME = {".woff2": "font/woff2", ".png": "image/png", ".svg": "image/svg+xml"}


@functools.cache
def _registry() -> dict:
    return json.loads((ASSETS_DIR / "assets.json").read_text(encoding="utf-8"))


def _read(relative: str) -> bytes:
    path = ASSETS_DIR / relative
    if not path.is_file():
        raise MeccError(f"map asset missing from the installation: {path}")
    return path.read_bytes()


def _data_uri(relative: str) -> str:
    suffix = posixpath.splitext(relative)[1].lower()
    mime = _MIME.get(suffix) or mimetypes.guess_type(relative)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(_read(relative)).decode('ascii')}"


def _inline_css(relative: str) -> str:
    """A vendored stylesheet with each ``url(...)`` made a data URI (fragments kept)."""
    css = _read(relative).decode("utf-8")
    base = posixpath.dirname(relative)

    def replace(match):
        ref = match.group("ref").strip()
        if not ref or ref.startswith(("#", "data:")):
            return match.group(0)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.IGNORECASE):
            raise MeccError(f"map asset {relative} references {ref}: not allowed offline")
        target = posixpath.normpath(posixpath.join(base, ref.split("?")[0].split("#")[0]))
        return f'url("{_data_uri(target)}")'

    css = _CSS_URL.sub(replace, css)
    if re.search(r"@import", css, re.IGNORECASE) or re.search(r"</style", css, re.IGNORECASE):
        raise MeccError(f"map asset {relative} cannot be inlined (@import or </style>)")
    return css


@functools.cache
def _asset_text(relative: str, kind: str) -> str:
    if kind == "css":
        return _inline_css(relative)
    text = _read(relative).decode("utf-8")
    # a script element ends at the first "</script"; "<\/script" means the same in JS
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def default_icon_script() -> str:
    """Leaflet finds its default marker image through the CSS path; give it data URIs."""
    icon = _data_uri("leaflet-1.9.3/images/marker-icon.png")
    retina = _data_uri("leaflet-1.9.3/images/marker-icon-2x.png")
    shadow = _data_uri("leaflet-1.9.3/images/marker-shadow.png")
    return (
        "L.Icon.Default.imagePath = '';"
        f"L.Icon.Default.mergeOptions({{iconUrl: '{icon}', iconRetinaUrl: '{retina}', "
        f"shadowUrl: '{shadow}'}});"
    )


def needs_icons(html: str) -> bool:
    """Whether the page draws folium icons (awesome markers, Font Awesome, glyphicons)."""
    if "AwesomeMarkers" not in html and "glyphicon" not in html and "fa-" not in html:
        return False  # plain searches first: the pattern took 3.6 s on a 100 MB page
    return bool(re.search(r"L\.AwesomeMarkers|\bglyphicon\b|\bfa-[a-z]", html))


def inline_assets(html: str, *, icons: bool | None = None) -> str:
    """Replace every CDN link of the page with the vendored asset (or drop it).

    Parameters
    ----------
    html : str
        A page rendered by folium.
    icons : bool, optional
        Inline the marker icon assets; default: when the page draws icons.

    Raises
    ------
    mecc.errors.MeccError
        A linked script or stylesheet that is not vendored (named in the message).
    """
    links = _registry()["links"]
    if icons is None:
        icons = needs_icons(html)
    unknown = []

    def replace(match):
        url = match.group("js") or match.group("css")
        entry = links.get(url)
        if entry is None:
            unknown.append(url)
            return match.group(0)
        if "omit" in entry or (entry["group"] == "icons" and not icons):
            return ""
        files = entry.get("files") or [entry["file"]]
        body = "\n".join(_asset_text(f, entry["kind"]) for f in files)
        if entry["kind"] == "js":
            return f"<script>{body}</script>"
        return f"<style>{body}</style>"

    out = _TAG.sub(replace, html)
    if unknown:
        raise MeccError(
            "the map links assets that are not vendored for offline use: " + ", ".join(unknown)
        )
    if "L.marker(" in out or "AwesomeMarkers" in out:
        # after leaflet.js, before the map script
        script = f"<script>{default_icon_script()}</script>"
        out = out.replace("</head>", script + "\n</head>", 1)
    return out


class _References(HTMLParser):
    """Collects link attributes, inline styles and stylesheet text of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name.lower() in _LINK_ATTRIBUTES:
                self.links.append((tag, name, value))
            elif name.lower() == "style":
                self.css.append(value)
        self._in_style = tag.lower() == "style"

    def handle_endtag(self, tag):
        if tag.lower() == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.css.append(data)


def _fetches(value: str) -> bool:
    """Whether an attribute value or CSS reference would load something."""
    value = value.strip()
    if not value or value.startswith("#"):
        return False
    return not re.match(r"^(data|blob|javascript|about|mailto):", value, re.IGNORECASE)


def remote_references(html: str) -> list[str]:
    """Every reference in the page that would be fetched or that names a remote host."""
    inert = set(_registry()["inert_urls"])
    found = [url for url in _URL.findall(html) if url not in inert]
    parser = _References()
    parser.feed(html)
    parser.close()
    found += [f"<{tag} {name}={value}>" for tag, name, value in parser.links if _fetches(value)]
    for css in parser.css:
        found += [
            f"url({m.group('ref')})" for m in _CSS_URL.finditer(css) if _fetches(m.group("ref"))
        ]
        found += [f"@import {m}" for m in re.findall(r"@import\s+([^;]+)", css, re.IGNORECASE)]
    found += re.findall(r"""(?:src|href)\s*=\s*["']?//[^\s"'>]+""", html, re.IGNORECASE)
    return list(dict.fromkeys(found))


def check_offline(html: str) -> None:
    """Raise if anything in the page would be fetched from the network or another file.

    Raises
    ------
    mecc.errors.MeccError
        Naming up to five of the references found.
    """
    found = remote_references(html)
    if found:
        shown = ", ".join(r if len(r) < 120 else r[:117] + "..." for r in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        raise MeccError(f"the map would not work offline: it references {shown}{more}")
