#!/usr/bin/env bash
# Copy the AsyncAPI React component's standalone bundle from node_modules into static/
# (served at /vendor/asyncapi-react/, used by the /asyncapi page; no CDN).
# Refresh: bump @asyncapi/react-component in package.json, `npm install`, then run this.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/@asyncapi/react-component
dest=static/vendor/asyncapi-react
[ -d "$src" ] || { echo "run 'npm install' first ($src is missing)" >&2; exit 1; }
mkdir -p "$dest"
cp "$src/browser/standalone/index.js" "$src/browser/standalone/index.js.LICENSE.txt" "$dest/"
cp "$src/styles/default.min.css" "$dest/"
cp "$src/LICENSE" "$dest/LICENSE"
version=$(node -p "require('./$src/package.json').version")
echo "@asyncapi/react-component $version (browser/standalone/index.js, styles/default.min.css)" > "$dest/VERSION"
echo "vendored @asyncapi/react-component $version into $dest"
