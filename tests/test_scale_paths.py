"""Paths that scale with the number of units: the PMD bootstrap and the map page.

The bootstrap is compared bit for bit with the per-zone implementation it replaced
(copied below as the reference); the map page with the page as one string.
"""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from mecc import risk

PERIODS = (10, 25, 50, 100, 250)


# --------------------------------------------- reference: the per-zone implementation


def _ref_curve(displaced, frequency):
    order = np.lexsort((frequency, -displaced))
    exceedance = np.cumsum(frequency[order])
    return 1.0 / exceedance[::-1], displaced[order][::-1]


def _ref_event_pmd(displaced, frequency, return_periods):
    periods = np.asarray(return_periods, dtype=np.float64)
    shortest = 1.0 / frequency.sum()
    longest = 1.0 / frequency.min()
    flat = displaced.reshape(-1, displaced.shape[-1])
    out = np.full((flat.shape[0], periods.size), np.nan)
    inside = (periods >= shortest * (1 - 1e-12)) & (periods <= longest * (1 + 1e-12))
    if np.all(frequency == frequency[0]):
        n = frequency.size
        rp = 1.0 / (frequency[0] * np.arange(n, 0, -1))
        position = np.interp(periods[inside], rp, np.arange(n, dtype=np.float64))
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, n - 1)
        weight = position - low
        ordered = np.sort(flat, axis=1)
        out[:, inside] = ordered[:, low] * (1 - weight) + ordered[:, high] * weight
    else:
        for k in range(flat.shape[0]):
            rp, values = _ref_curve(flat[k], frequency)
            out[k, inside] = np.interp(periods[inside], rp, values)
    return out.reshape(*displaced.shape[:-1], periods.size), (shortest, longest)


def _ref_bootstrap(
    displaced, frequency, member=None, return_periods=PERIODS, samples=500, seed=0,
    quantiles=(0.05, 0.95),
):  # fmt: skip
    displaced = np.asarray(displaced, dtype=np.float64)
    frequency = np.asarray(frequency, dtype=np.float64)
    rng = np.random.default_rng(seed)
    if member is not None:
        labels = np.asarray(member).astype(str)
        names, groups = np.unique(labels, return_inverse=True)
        members = [np.flatnonzero(groups == k) for k in range(names.size)]
        draws = [
            np.concatenate([members[k] for k in rng.integers(0, names.size, names.size)])
            for _ in range(samples)
        ]
    else:
        draws = [rng.integers(0, frequency.size, frequency.size) for _ in range(samples)]
    flat = displaced.reshape(-1, displaced.shape[-1])
    results = np.empty((samples, flat.shape[0], len(return_periods)))
    for s, index in enumerate(draws):
        results[s], _ = _ref_event_pmd(flat[:, index], frequency[index], return_periods)
    with np.errstate(all="ignore"):
        interval = np.quantile(results, quantiles, axis=0)
    interval[:, np.isnan(results).any(axis=0)] = np.nan
    return interval.reshape(len(quantiles), *displaced.shape[:-1], len(return_periods))


def _same_bits(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    # NaN compares by position; every other value by its 64 bits (0.0 is not -0.0)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    keep = ~np.isnan(a)
    assert np.array_equal(a[keep].view(np.int64), b[keep].view(np.int64))


def _zones(rng, n_zones, n_events):
    """Displacement with ties, zeros, negative zeros, NaN, infinities and tiny values."""
    kind = rng.integers(0, 6, (n_zones, n_events))
    values = np.where(kind == 0, 0.0, np.round(rng.gamma(0.6, 40.0, (n_zones, n_events))))
    values = np.where(kind == 1, rng.integers(0, 3, (n_zones, n_events)).astype(float), values)
    values = np.where(kind == 2, rng.gamma(0.5, 5e3, (n_zones, n_events)), values)
    special = rng.random((n_zones, n_events))
    values[special < 0.03] = np.nan
    values[(special >= 0.03) & (special < 0.04)] = -0.0
    values[(special >= 0.04) & (special < 0.045)] = np.inf
    values[(special >= 0.045) & (special < 0.05)] = 1e-300
    values[: max(1, n_zones // 10)] = 7.0  # whole zones of one value
    return values


def _frequencies(rng, n_events, how):
    if how == "equal":
        return np.full(n_events, 1 / 30)
    if how == "ties":  # repeated frequencies: ties of displacement and frequency
        return rng.choice([0.01, 0.02, 0.05, 0.1], n_events)
    return np.round(rng.uniform(0.005, 0.3, n_events), 4)


# ----------------------------------------------------------------- bootstrap and PMD


@pytest.mark.parametrize("n_events", [1, 2, 3, 5, 8, 40])
@pytest.mark.parametrize("how", ["equal", "ties", "distinct"])
def test_event_pmd_matches_the_per_zone_curves_bit_for_bit(n_events, how):
    rng = np.random.default_rng(n_events * 7 + len(how))
    frequency = _frequencies(rng, n_events, how)
    displaced = _zones(rng, 300, n_events)
    for periods in (PERIODS, (1.0, 3.0, 7.5, 33.0, 1e4), tuple(1 / np.cumsum(frequency)[::-1])):
        got, span = risk.event_pmd(displaced, frequency, periods)
        want, want_span = _ref_event_pmd(displaced, frequency, periods)
        _same_bits(got, want)
        assert span == want_span


@pytest.mark.parametrize("members", [None, 1, 3, 5])
@pytest.mark.parametrize("how", ["equal", "ties", "distinct"])
def test_bootstrap_matches_the_per_zone_bootstrap_bit_for_bit(members, how, monkeypatch):
    rng = np.random.default_rng(11 + (members or 0))
    n_events = 15
    frequency = _frequencies(rng, n_events, how)
    displaced = _zones(rng, 57, n_events).reshape(3, 19, n_events)  # leading axes kept
    member = None if members is None else [f"m{k % members}" for k in range(n_events)]
    want = _ref_bootstrap(displaced, frequency, member, PERIODS, samples=60, seed=4)
    got = risk.bootstrap_event_pmd(displaced, frequency, member, PERIODS, samples=60, seed=4)
    _same_bits(got, want)
    # zones in chunks of 2 (and a last chunk of 1) give the same bits
    monkeypatch.setattr(risk, "_BOOTSTRAP_VALUES", 2 * 60 * len(PERIODS))
    chunked = risk.bootstrap_event_pmd(displaced, frequency, member, PERIODS, samples=60, seed=4)
    _same_bits(chunked, want)


def test_bootstrap_interval_by_hand():
    """One zone, two members of one event each: samples are {a,a}, {a,b}, {b,b}."""
    displaced = np.array([[10.0, 30.0]])
    frequency = np.array([0.1, 0.1])  # two events of 10 years: 5 to 10 years supported
    result = risk.bootstrap_event_pmd(displaced, frequency, ["a", "b"], (10,), samples=400)
    # at 10 years (the rarest point) each sample's PMD is its largest event: 10 or 30
    draws = np.random.default_rng(0).integers(0, 2, (400, 2))
    largest = np.where(draws.max(axis=1) == 1, 30.0, 10.0)
    assert result[:, 0, 0].tolist() == np.quantile(largest, (0.05, 0.95)).tolist()


def test_bootstrap_draws_no_curve_per_zone(monkeypatch):
    """The samples' curves are sorted for all zones at once: no Python call per zone."""

    def per_zone(*args, **kwargs):
        raise AssertionError("exceedance_curve called once per zone")

    monkeypatch.setattr(risk, "exceedance_curve", per_zone)
    rng = np.random.default_rng(3)
    frequency = _frequencies(rng, 12, "distinct")
    displaced = _zones(rng, 50, 12)
    member = [f"m{k % 4}" for k in range(12)]
    got = risk.bootstrap_event_pmd(displaced, frequency, member, samples=20)
    _same_bits(got, _ref_bootstrap(displaced, frequency, member, samples=20))


def test_bootstrap_memory_is_bounded_by_chunks(monkeypatch):
    """Zones x samples sample PMDs are never held at once (32 MB here)."""
    monkeypatch.setattr(risk, "_BOOTSTRAP_VALUES", 100_000, raising=False)
    rng = np.random.default_rng(5)
    frequency = _frequencies(rng, 10, "distinct")
    displaced = rng.gamma(0.6, 40.0, (4000, 10))
    tracemalloc.start()
    try:
        risk.bootstrap_event_pmd(displaced, frequency, samples=200)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12e6, f"peak {peak / 1e6:.1f} MB"


# ---------------------------------------------------------------------- the map page

UNIT_NAMES = ["Zébulon–Ünïque {{ 1 }} <b>fa-bar</b>", "Mëllow https://cdn.example.org/x.js"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A tiny real run of two units whose names hold a web address, icons' words, a
    Jinja opening, HTML and characters outside Latin-1."""
    import geopandas as gpd

    from mecc.run import run_country
    from tests._run_inputs import basic_case, write_run, write_zones

    base = tmp_path_factory.mktemp("scale_map")
    inputs = base / "inputs"
    data = basic_case(inputs)
    geometries = list(gpd.read_file(inputs / "zones.geojson").geometry)
    write_zones(inputs / "zones.geojson", ["A", "B"], geometries, names=UNIT_NAMES)
    run_country(write_run(inputs, data), base / "run")
    return base / "run"


def test_payload_chunks_are_js_json_of_the_whole(monkeypatch):
    from mecc import map_elements as el

    value = {
        "zones": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"i": k, "name": f"{{{{ n{k} }}}} {{% x"},
             "geometry": {"type": "Point", "coordinates": (1.5 * k, -2.25)}}
            for k in range(5)
        ]},
        "popups": [["<b>a</b> & b \u2028 \u2029 – é {#", "{", "{{", ""], []],
        "empty": {}, "keys": {1: "int key", "2": [True, None, 1e-7]}, "{": "{%",
    }  # fmt: skip
    # escapes written by hand: \u007b before {, % and #; <, >, & and the line separators
    assert "\\u007b{ n0 }} \\u007b% x" in el.js_json(value)
    for size in (1, 7, 1 << 20):  # every piece its own chunk, a few pieces, one chunk
        monkeypatch.setattr(el.Payload, "CHUNK", size)
        payload = el.Payload(value)
        assert b"".join(payload.chunks) == el.js_json(value).encode("utf-8")
        assert str(payload) == payload.token and payload.token not in payload.text()
    assert json.loads(el.Payload(value).text())["popups"][0][0].startswith("<b>a</b>")


def test_map_data_never_joins_the_page_text(tiny_run, tmp_path, monkeypatch):
    """The text folium renders, mecc finishes and checks holds no zone data; the file does."""
    from mecc import maps

    seen = []
    finish = maps._finish

    def spy(page, title, lang):
        seen.append(page)
        return finish(page, title, lang)

    monkeypatch.setattr(maps, "_finish", spy)
    page = maps.build_map(tiny_run, tmp_path / "map.html").read_text(encoding="utf-8")
    name = "Zébulon–Ünïque"  # in properties, tooltips and popups: JSON data only
    assert name in page and "Mëllow https://cdn.example.org/x.js" in page
    assert len(seen) == 1 and name not in seen[0] and "Mëllow" not in seen[0]
    assert len(seen[0]) < len(page)


def test_map_file_is_the_page_rendered_as_one_string(tiny_run, tmp_path, monkeypatch):
    """Same bytes as the page with its data rendered inline by folium (the former path)."""
    from mecc import map_elements as el
    from mecc.maps import build_map

    pieces = build_map(tiny_run, tmp_path / "pieces.html").read_bytes()
    monkeypatch.setattr(el.Payload, "__str__", lambda self: self.text())
    whole = build_map(tiny_run, tmp_path / "whole.html").read_bytes()
    assert pieces == whole
    assert b'{"mecc_payload"' not in pieces
    # names as JSON data: < and the Jinja opening escaped, the en dash as UTF-8
    assert "Zébulon–Ünïque \\u007b{ 1 }} \\u003cb\\u003e".encode() in pieces


@pytest.fixture(scope="module")
def folium_page() -> str:
    import folium

    return folium.Map(location=[0, 0], tiles=None).get_root().render()


def _page_with_data(page: str, data: str) -> str:
    script = f"<script>var mecc_zones_0001 = {data};\nmeccX(mecc_zones_0001, {data});</script>"
    return page.replace("</body>", script + "</body>", 1)


@pytest.mark.parametrize(
    ("words", "icons", "markers"),
    [
        (["plain"], False, False),
        (["a fa-bar icon"], True, True),  # the inlined icon script names AwesomeMarkers
        (["L.marker(0)"], False, True),
        (["AwesomeMarkers"], False, True),
        (["x glyphicon"], True, True),
    ],
)
def test_assets_and_check_see_the_data_written_in_place(words, icons, markers, folium_page):
    """inline_assets decides on icons and markers, and check_offline finds references,
    as on the page with its data in place."""
    from mecc.map_elements import Payload, js_json
    from mecc.offline import inline_assets, remote_references

    value = {"tips": words + ["https://cdn.example.org/a.js", "url(https://e.org/b.png)"]}
    payload = Payload(value)
    whole = inline_assets(_page_with_data(folium_page, js_json(value)))
    text = [c.decode("utf-8") for c in payload.chunks]
    skeleton = inline_assets(_page_with_data(folium_page, payload.token), data=iter(text))
    assert skeleton.replace(payload.token, js_json(value)) == whole
    assert ("Glyphicons Halflings" in whole) == icons  # icon fonts inlined, or dropped
    assert ("L.Icon.Default.mergeOptions" in whole) == markers  # default marker image
    assert remote_references(skeleton) == remote_references(whole) == []
    remote = '<script src="https://cdn.example.org/p.js"></script>'
    assert remote_references(skeleton + remote) == remote_references(whole + remote) != []


def test_data_only_where_the_offline_check_skips_data():
    """The check does not read the data: a placeholder anywhere else is an error."""
    from mecc.errors import MeccError
    from mecc.map_elements import Payload
    from mecc.maps import _pieces

    payload = Payload(["https://cdn.example.org/a.js"])
    token = {payload.token: payload}
    pieces = _pieces(f"<script>var mecc_zones_0001 = {payload.token};</script>", token)
    assert pieces == ["<script>var mecc_zones_0001 = ", b'["https://cdn.example.org/a.js"]', ";</script>"]  # fmt: skip
    for page in (f"<script>L.tileLayer({payload.token})</script>", f"<p>{payload.token}</p>"):
        with pytest.raises(MeccError, match="offline check"):
            _pieces(page, token)
