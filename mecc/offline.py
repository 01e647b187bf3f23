"""Self-contained HTML: inline the vendored map assets and refuse any remote reference.

Folium writes ``<script src>`` and ``<link href>`` tags pointing at CDNs; with no network
such a page is blank. :func:`inline_assets` replaces each known CDN link with the vendored
file from ``mecc/assets`` (listed in ``assets.json``), turns every CSS ``url(...)`` into a
``data:`` URI, and drops links mecc maps do not need. :func:`check_offline` then fails
loudly, naming the reference, if anything would still be fetched: a ``src``/``href``
attribute, CSS ``url()`` or ``@import`` that is not a ``data:`` URI or a fragment, an http(s)
URL in a stylesheet or in script code, or a script string that is an address (a tile layer
template) or a CSS ``url()`` (audited inert strings such as the SVG namespace apart).
Text content and plain-text data strings (a unit name containing a web address) are shown,
never fetched, and are not references.

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

__all__ = ["ASSETS_DIR", "check_offline", "inline_assets", "mecc_data_at", "remote_references"]

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


def inline_assets(html: str, *, icons: bool | None = None, data=()) -> str:
    """Replace every CDN link of the page with the vendored asset (or drop it).

    Parameters
    ----------
    html : str
        A page rendered by folium.
    icons : bool, optional
        Inline the marker icon assets; default: when the page draws icons.
    data : iterable of str, optional
        Text the page holds outside ``html`` (mecc's JSON data, written in place of
        placeholders, in pieces that split no word): looked at as part of the page when
        deciding on icons and on the default marker image.

    Raises
    ------
    mecc.errors.MeccError
        A linked script or stylesheet that is not vendored (named in the message).
    """
    links = _registry()["links"]
    data_icons = data_markers = False
    for text in data:
        data_icons = data_icons or needs_icons(text)
        data_markers = data_markers or "L.marker(" in text or "AwesomeMarkers" in text
    if icons is None:
        icons = data_icons or needs_icons(html)
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
    if data_markers or "L.marker(" in out or "AwesomeMarkers" in out:
        # after leaflet.js, before the map script
        script = f"<script>{default_icon_script()}</script>"
        out = out.replace("</head>", script + "\n</head>", 1)
    return out


class _References(HTMLParser):
    """Collects link attributes, inline styles, stylesheet text and script text of a page.

    Text content is not collected: a browser shows it and fetches nothing.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self.scripts: list[str] = []
        self._raw: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name.lower() in _LINK_ATTRIBUTES:
                self.links.append((tag, name, value))
            elif name.lower() == "style":
                self.css.append(value)
        self._raw = tag.lower() if tag.lower() in ("style", "script") else None

    def handle_endtag(self, tag):
        if tag.lower() in ("style", "script"):
            self._raw = None

    def handle_data(self, data):
        if self._raw == "style":
            self.css.append(data)
        elif self._raw == "script":
            self.scripts.append(data)


def _fetches(value: str) -> bool:
    """Whether an attribute value or CSS reference would load something."""
    value = value.strip()
    if not value or value.startswith("#"):
        return False
    return not re.match(r"^(data|blob|javascript|about|mailto):", value, re.IGNORECASE)


_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_JS_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {""}


def _unescape_js(body: str) -> str:
    def one(match):
        code = match.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code.strip("ux{}"), 16))
        return _JS_SIMPLE.get(code, code)

    return _JS_ESCAPE.sub(one, body)


_JS_TOKEN = re.compile(r"""["'`/]""")
_JS_STRING = {
    q: re.compile(q + r"(?:[^" + q + r"\\]|\\.)*(?:" + q + "|$)", re.DOTALL) for q in "\"'`"
}
_JS_REGEX = re.compile(r"/(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])*/?")


def _split_script(js: str) -> tuple[str, list[str]]:
    """Split script text into its code and comments (one string) and its string literals.

    A small scanner: quotes, template literals, ``//`` and ``/* */`` comments and regular
    expression literals (a ``/`` where an operand is expected).
    """
    code, literals = [], []
    i = start = 0
    while (match := _JS_TOKEN.search(js, i)) is not None:
        i = match.start()
        c = js[i]
        if c != "/":
            found = _JS_STRING[c].match(js, i)
            end = found.end() if found else len(js)
            code.append(js[start:i])
            literals.append(_unescape_js(js[i + 1 : end - 1] if end - i > 1 else ""))
            i = start = end
        elif js.startswith("//", i):
            end = js.find("\n", i)
            i = len(js) if end < 0 else end
        elif js.startswith("/*", i):
            end = js.find("*/", i + 2)
            i = len(js) if end < 0 else end + 2
        else:
            before = js[max(0, i - 12) : i].rstrip()
            operand = not before or before[-1] in _REGEX_BEFORE or before.endswith("return")
            i = _JS_REGEX.match(js, i).end() if operand else i + 1
    code.append(js[start:])
    return "".join(code), literals


_CSS_DECLARATION = re.compile(r"^\s*(url\(|[a-z-]+\s*:[^;]*url\()", re.IGNORECASE)
_MECC_DATA = re.compile(r"(?:\bvar mecc_\w+\s*=\s*|\bmecc[A-Z]\w*\((?:\s*\w+\s*,)?\s*)(?=[{\[])")
_JSON = json.JSONDecoder()


def _without_mecc_data(js: str) -> str:
    """Script text with mecc's JSON data (zones, popups, tooltips, legends) left out.

    Those strings are names and figures the page shows as text; none is fetched.
    """
    parts, start = [], 0
    for match in _MECC_DATA.finditer(js):
        if match.end() < start:
            continue
        try:
            _, end = _JSON.raw_decode(js, match.end())
        except ValueError:
            continue
        parts.append(js[start : match.end()])
        start = end
    parts.append(js[start:])
    return "".join(parts)


def mecc_data_at(text: str, index: int) -> bool:
    """Whether a JSON value starting at ``index`` of script text is mecc's data, which
    :func:`check_offline` skips (it follows ``var mecc_<name> =`` or ``mecc<Name>(``)."""
    window = _MECC_DATA.finditer(text, max(0, index - 200), index + 1)
    return any(match.end() == index for match in window)


def _literal_references(text: str) -> list[str]:
    """References in a script string: an address it starts with (a tile layer template, a
    fetched file) or a CSS ``url()`` of a style it sets; an address inside plain text (a
    name shown in a tooltip) is data, not a reference."""
    stripped = text.strip()
    if re.match(r"^(https?:)?//[^\s/]", stripped, re.IGNORECASE):
        return [stripped]
    if not _CSS_DECLARATION.match(text):
        return []
    return [f"url({m.group('ref')})" for m in _CSS_URL.finditer(text) if _fetches(m.group("ref"))]


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    parser.close()
    found = [f"<{tag} {name}={value}>" for tag, name, value in parser.links if _fetches(value)]
    for css in parser.css:
        found += _URL.findall(css)
        found += [
            f"url({m.group('ref')})" for m in _CSS_URL.finditer(css) if _fetches(m.group("ref"))
        ]
        found += [f"@import {m}" for m in re.findall(r"@import\s+([^;]+)", css, re.IGNORECASE)]
    for script in parser.scripts:
        code, literals = _split_script(_without_mecc_data(script))
        found += _URL.findall(code)
        for literal in literals:
            found += _literal_references(literal)
    return found


def remote_references(html: str) -> list[str]:
    """Every reference in the page that a browser would fetch, or that names a remote host.

    Looked at: ``src``/``href`` and other link attributes, stylesheets (``url()``,
    ``@import``, any address in them), script code and comments, and script strings that
    are addresses (tile layer templates) or CSS declarations (their ``url()``).  Not
    looked at: text content, plain-text script strings and mecc's JSON data (names, popups,
    tooltips), such as a unit name that contains a web address, which the page only shows.
    """
    inert = set(_registry()["inert_urls"])
    found = [ref for ref in _references(html) if ref not in inert]
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
