"""The embedded demo country: a fictional coastal country built by deterministic generators.

``build_demo(DIR)`` writes the inputs of "Mareva", a fictional country (ISO user code
XMR) placed over open ocean in the South Atlantic so it is never mistaken for a real
place, runs it with :func:`mecc.run.run_country` (tables, Sendai tables, map), writes
the unit profiles (:func:`mecc.profiles.write_profiles`) and, when given the pack
builder, a training pack (``mecc demo``: every module in English). The country:

- terrain rising from a coast in the east, with a meandering river to the sea;
- population in a capital at the river mouth, towns along the river and a rural
  background (about 2.4 million people);
- two admin levels (3 provinces, 12 districts) with P-code-style codes and parents;
- a river-flood return-period set (2 to 1000 years) from a height-above-river model,
  with two futures (wetter floods, population growth), and an event set of 40
  simulated flood years from two hydrological "models";
- Cyclone Aurelia: its wind from a fictional track through the Holland model
  (``hazards.cyclone``) and its storm surge;
- an earthquake scenario from the Allen, Wald and Worden (2012) intensity equation
  with a Wells and Coppersmith rupture (``hazards.earthquake``);
- sea-level rise over the coast (people at risk of planned relocation);
- mobility (:mod:`mecc.demo_mobility`): displacement sites, seasonal presence, commuting
  by day and where the displaced may go;
- a census of the districts (official population, household size, sex x age,
  disability, poverty and livelihood shares), early-warning coverage and damage states
  of the river floods, for the Sendai tables.

The layers are generated in :mod:`mecc.demo_inputs` (one function per layer, each
returning its run-file entry). Everything is labelled fictional; the numbers only
illustrate the toolkit.
"""

from __future__ import annotations

from pathlib import Path

from mecc import demo_inputs as layers
from mecc import demo_mobility
from mecc.outputs import OutputFolder, write_json

__all__ = ["DEMO_COUNTRY", "build_demo", "write_demo_inputs"]

DEMO_COUNTRY = {"code": "XMR", "name": "Mareva (fictional demo country)"}


def demo_run_file(land: layers.DemoLand) -> dict:
    """Write every layer of the demo into ``land.folder``; return the run file's mapping.

    The order of the calls is the order of the random draws: keep it, and add new
    layers after the existing ones so the existing layers stay the same.
    """
    population = layers.write_population(land)
    floods, futures = layers.write_river_floods(land)
    surge = layers.write_storm_surge(land)
    sea_level = layers.write_sea_level_rise(land)
    zones = layers.write_zones(land)
    wind = layers.write_cyclone(land)
    earthquake = layers.write_earthquake(land)
    mobility = demo_mobility.write_mobility(land)
    for flood in floods:
        flood["season"] = dict(demo_mobility.FLOOD_SEASON)
    wind["season"] = surge["season"] = {2: 1}  # Aurelia makes landfall on 10 February
    earthquake["season"] = {6: 1}  # a June morning:
    earthquake["impact_time"] = "day"  # it strikes at 11:00, when commuters are at work
    census, warnings = layers.write_census(land)
    return {
        "country": DEMO_COUNTRY["code"],
        "name": DEMO_COUNTRY["name"],
        "population": {**population, **census},
        "zones": zones,
        "hazards": [*floods, wind, surge, earthquake, sea_level],
        "futures": futures,
        "mobility": {**mobility, **warnings},
    }


def write_demo_inputs(folder) -> Path:
    """Generate the demo country's inputs into ``folder``; return the run file's path."""
    import yaml

    land = layers.DemoLand.generate(folder)
    run = demo_run_file(land)
    path = land.folder / "run.yaml"
    header = (
        f"# {layers.FICTIONAL}\n"
        "# The run file of the demo: `mecc validate run.yaml`, `mecc run run.yaml --out DIR`.\n"
        "# cyclone_wind and storm_surge are the same storm: their figures do not add up.\n"
    )
    text = yaml.safe_dump(run, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + text, encoding="utf-8")
    return path


def build_demo(
    out_dir,
    *,
    overwrite: bool = False,
    threads: int | None = None,
    progress=None,
    training=None,
    keep_work=None,
) -> Path:
    """Write the demo inputs, run them and write the documents a country team reads.

    Parameters
    ----------
    out_dir : path
        The demo folder to create: ``inputs/`` (the fictional country and its run file),
        ``run/`` (``mecc run``'s outputs, with the map and the Sendai tables),
        ``profiles/`` (``mecc profile``'s ``profiles.html``: one page per admin unit;
        no PDF, which would need Chromium) and, with ``training``, ``training/``.
    overwrite : bool
        Replace an earlier demo folder (as a whole).
    threads : int, optional
        Blocks processed at once (results do not depend on it).
    progress : callable, optional
        ``progress(stage, done, total)``: ``demo inputs``, the run's stages, then
        :data:`PROFILES_STAGE` and :data:`TRAINING_STAGE`.
    training : callable, optional
        ``training(folder) -> Path`` writes a training pack into the new ``folder`` (the
        CLI passes ``mecc training build``'s tool; mecc does not import the training
        modules, which sit above it). None: no ``training/``.
    keep_work : callable, optional
        ``keep_work(pack)`` refuses (one line) to replace a training pack that holds the
        participants' work (filled-in answer sheets): with ``overwrite`` the demo's
        ``training/`` is asked before any work and again before it is replaced, as
        ``mecc training build --overwrite`` asks (``make demo`` always overwrites).

    Returns
    -------
    pathlib.Path
        The demo folder.
    """
    from mecc.profiles import write_profiles
    from mecc.run import run_country

    report = progress or (lambda stage, done, total: None)
    folder = OutputFolder(out_dir, overwrite=overwrite, command="demo")
    if overwrite:
        _keep_work(folder.target, keep_work)
    with folder as staging:
        report("demo inputs", 0, 1)
        run_file = write_demo_inputs(staging / "inputs")
        report("demo inputs", 1, 1)
        result = run_country(run_file, staging / "run", threads=threads, progress=progress)
        report(PROFILES_STAGE, 0, 1)
        write_profiles(staging / "run", staging / "profiles", pdf=False)
        report(PROFILES_STAGE, 1, 1)
        if training is not None:
            report(TRAINING_STAGE, 0, 1)
            training(staging / "training")
            report(TRAINING_STAGE, 1, 1)
        write_json(
            {
                "note": layers.FICTIONAL,
                "country": DEMO_COUNTRY,
                "run_file": "inputs/run.yaml",
                "outputs": "run/",
                "profiles": "profiles/profiles.html",
                "training": "training/" if training is not None else None,
                "warnings": result.warnings,
            },
            staging / "demo.json",
        )
        if overwrite:  # a sheet filled in while the demo was being built
            _keep_work(folder.target, keep_work)
    return folder.commit()


PROFILES_STAGE = "Writing the unit profiles"
"""The progress stage of ``profiles/`` (shown as it is)."""

TRAINING_STAGE = "Building the training pack"
"""The progress stage of ``training/`` (shown as it is)."""


def _keep_work(target: Path, keep_work) -> None:
    """Ask ``keep_work`` about the demo's ``training/`` folder, when there is one."""
    if keep_work is not None and (target / "training").is_dir():
        keep_work(target / "training")
