#!/usr/bin/env bash
# Copy Swagger UI (swagger-ui-dist) from node_modules into static/ (served at
# /vendor/swagger-ui/, used by /docs; no CDN, so the page works offline).
# Refresh: bump swagger-ui-dist in package.json, `npm install`, then run this.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/swagger-ui-dist
dest=static/vendor/swagger-ui
[ -d "$src" ] || { echo "run 'npm install' first ($src is missing)" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest"
# Copied unchanged (byte for byte what npm has). The source maps stay out: browsers fetch them
# only with their developer tools open.
cp "$src/swagger-ui-bundle.js" "$src/swagger-ui-bundle.js.LICENSE.txt" "$dest/"
cp "$src/swagger-ui.css" "$src/favicon-32x32.png" "$dest/"
cp "$src/LICENSE" "$src/NOTICE" "$dest/"
version=$(node -p "require('./$src/package.json').version")
echo "swagger-ui-dist $version (swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png)" > "$dest/VERSION"
echo "vendored swagger-ui-dist $version into $dest"
