#!/usr/bin/env bash
# Copies the files the console embeds from web/node_modules (installed by
# `npm ci` from package-lock.json) into console/static/vendor. `make assets`
# runs it; the copies are committed so `go build` needs no Node.
set -euo pipefail
cd "$(dirname "$0")"
out=../console/static/vendor
rm -rf "$out" && mkdir -p "$out/fonts"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
cp node_modules/htmx.org/LICENSE "$out/htmx.LICENSE"
cp node_modules/chart.js/dist/chart.umd.min.js "$out/chart.umd.min.js"
cp node_modules/chart.js/LICENSE.md "$out/chart.js.LICENSE.md"
# BIZ UDPGothic (a Universal Design face made for legibility) in the two
# weights the console uses. Each weight is split by unicode-range into
# subsets, so a browser fetches only the glyphs a page shows. Only WOFF2 is
# kept: every browser the console supports reads it.
f=node_modules/@fontsource/biz-udpgothic
cp "$f/LICENSE" "$out/fonts/LICENSE"
for w in 400 700; do
  cp "$f"/files/biz-udpgothic-*-"$w"-normal.woff2 "$out/fonts/"
  sed -E 's#url\(\./files/([^)]*\.woff2)\) format\(.woff2.\), url\(\./files/[^)]*\.woff\) format\(.woff.\)#url(./\1) format("woff2")#g' "$f/$w.css" > "$out/fonts/$w.css"
done
grep -q '\.woff)' "$out"/fonts/*.css && { echo "vendor.sh: WOFF references left in the font CSS" >&2; exit 1; }
echo "vendor.sh: copied into $out"
