#!/usr/bin/env bash
# Typhoon Haiyan (2013) validation, end to end: every figure of the README section
# "How good are the numbers?" comes from here (choices and sources: README.md here).
#
#   validation/haiyan/reproduce.sh [DATA_DIR] [OUT_DIR]
#
# DATA_DIR: ../shared/data/philippines_haiyan (default, relative to the project root);
# OUT_DIR:  validation-output/haiyan (default). Nothing is copied from DATA_DIR: the work
# folder links to it. MECC names the command to use (default: mecc on the PATH).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="$(cd "${1:-$HERE/../../../shared/data/philippines_haiyan}" && pwd)"
OUT="${2:-validation-output/haiyan}"
MECC="${MECC:-mecc}"
WORK="$OUT/work"
mkdir -p "$WORK"
ln -sfn "$DATA" "$WORK/data"
cp "$HERE/run.yaml" "$WORK/run.yaml"

# 1. the 2015 census spread over the municipality polygons on a 0.02 degree grid
$MECC population from-census "$WORK/data/municipalities_adm3.geojson" \
    "$WORK/data/population_2015.csv" --out "$WORK/population.tif" --overwrite \
    --code-field ADM3_PCODE --name-field ADM3_EN --table-code pcode --table-value total_pop \
    --resolution 0.02

# 2. the JMA best track (10-minute winds) through the cyclone generator, on the same grid
$MECC hazard cyclone "$WORK/data/haiyan_best_track.csv" --like "$WORK/population.tif" \
    --track-averaging 10-min --out "$WORK/wind.tif" --overwrite

# 3. the engine, with the curve and its low/high variants of run.yaml
$MECC run "$WORK/run.yaml" --out "$OUT/run" --overwrite

# 4. modelled destroyed houses (displaced people / 4.4) against observed totally damaged
#    houses per municipality, and the national figures for context
$MECC evaluate "$OUT/run" --observed "$WORK/data/haiyan_damaged_houses.csv" \
    --out "$OUT/evaluation" --overwrite \
    --code-column pcode --value-column totally_damaged_houses \
    --measure destroyed_houses --household-size 4.4 --threshold 1000 \
    --national-observed 550928 \
    --observed-source "Philippine government reports (NDRRMC, DSWD), compiled by the Netherlands Red Cross 510 team" \
    --context "IDMC: displacements, incl. pre-emptive evacuations (about 4.1 million)=4100000" \
    --title "Typhoon Haiyan 2013: modelled destroyed vs observed totally damaged houses"
