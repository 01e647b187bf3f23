"""Documents for officials from a finished run: ``mecc profile``, ``mecc needs``."""

from __future__ import annotations

import click

_RUN_DIR = click.argument("run_dir", type=click.Path(file_okay=False))
_RETURN_PERIOD = click.option(
    "--return-period",
    type=float,
    default=100,
    show_default=True,
    help="T of the 1-in-T-year figure used for event sets and return-period maps: 10, 25, "
    "50, 100 or 250 (the periods a run's tables hold).",
)
_NEEDS_PROFILE = click.option(
    "--needs-profile",
    default="sphere",
    show_default=True,
    help="Minimum-needs profile: sphere, bnpb_indonesia or a YAML file.",
)
_HOUSEHOLD = click.option(
    "--household-size",
    type=float,
    default=None,
    help="People per household for items given per household, in every unit (default: each "
    "unit's own household size where the run has one, else the run's mean, else the "
    "profile's).",
)


def _out(what: str):
    return click.option(
        "--out",
        "out_dir",
        required=True,
        type=click.Path(file_okay=False),
        help=f"Folder to create for {what}; outside the run folder and its inputs.",
    )


@click.command("profile")
@_RUN_DIR
@_out("profiles.html (and profiles.pdf)")
@click.option("--zone", "zones", multiple=True, help="Zone code to profile (repeat; default all).")
@click.option("--level", "levels", type=int, multiple=True, help="Admin level to profile (repeat).")
@click.option(
    "--lang", default="en", show_default=True, help="Language of the profiles: en, fr or es."
)
@click.option(
    "--pdf/--no-pdf", default=True, show_default=True, help="Also print A4 PDF (Chromium)."
)
@click.option("--hazard", "hazard_id", default=None, help="Hazard the minimum needs are for.")
@_RETURN_PERIOD
@_NEEDS_PROFILE
@_HOUSEHOLD
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.pass_context
def profile_command(ctx, run_dir, out_dir, zones, levels, pdf, overwrite, **options):
    """Write an A4 district risk profile per admin unit of a finished run.

    Each page has a plain-language sentence per hazard, the key figures with their
    ranges, a small map, the run's Sendai figures, minimum needs and sources. The run
    folder is never modified.
    """
    from mecc.profiles import write_profiles
    from mecc.run_folder import check_out_dir

    check_out_dir(out_dir, run_dir)
    out = write_profiles(
        run_dir,
        out_dir,
        pdf=pdf,
        overwrite=overwrite,
        zones=list(zones) or None,
        levels=list(levels) or None,
        lang=options.pop("lang"),
        needs_profile=options.pop("needs_profile"),
        **options,
    )
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


@click.command("needs")
@_RUN_DIR
@_out("needs.csv (and shelter_gap.csv)")
@_NEEDS_PROFILE
@_HOUSEHOLD
@_RETURN_PERIOD
@click.option("--hazard", "hazard_id", default=None, help="Only this hazard of the run.")
@click.option(
    "--capacity",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV of shelter capacity per zone (zone_code, capacity in people): writes shelter_gap.csv.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.pass_context
def needs_command(ctx, run_dir, out_dir, needs_profile, **options):
    """Minimum needs (food, water, shelter, toilets, kits) of the displaced, per zone.

    Needs = displaced people x the profile's quantities per person; with --capacity,
    the shelter gap = displaced people beyond each zone's shelter capacity.
    """
    from mecc.needs import write_needs
    from mecc.run_folder import check_out_dir

    check_out_dir(out_dir, run_dir)
    out = write_needs(run_dir, out_dir, profile=needs_profile, **options)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


COMMANDS = [profile_command, needs_command]
