#!/usr/bin/env bash
# Generate the client artefacts from the AsyncAPI document into OUT (default: clients).
# `task schema` runs it on clients/; tests/protocol/test_clients.py runs it on a temp dir and
# compares, so the committed outputs can never drift from the document.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/clients}"
mkdir -p "$out/typescript" "$out/python"
[ -d "$root/node_modules" ] || { echo "node_modules is missing: run 'npm install'" >&2; exit 1; }

uv run --project "$root" python "$root/tools/export_asyncapi.py" "$out"
node "$root/tools/gen-typescript.mjs" "$out/parrotchat.schema.json" "$out/typescript/parrotchat.d.ts"
# Run from $out so the header names the input the same way wherever OUT is.
(cd "$out" && uv run --project "$root" datamodel-codegen \
  --input parrotchat.schema.json --input-file-type jsonschema \
  --output python/parrotchat_models.py \
  --output-model-type pydantic_v2.BaseModel --target-python-version 3.11 \
  --use-annotated --use-standard-collections --use-union-operator \
  --use-schema-description --use-field-description --enum-field-as-literal all \
  --disable-timestamp --formatters builtin 2> >(grep -v -e FutureWarning -e warn_deprecated >&2))
# Format the same way wherever OUT is (no project config is looked up).
uv run --project "$root" ruff format --quiet --isolated --line-length 100 --target-version py311 --config "format.skip-magic-trailing-comma = true" \
  "$out/python/parrotchat_models.py"
echo "wrote $out/python/parrotchat_models.py"
