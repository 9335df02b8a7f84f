#!/usr/bin/env bash
# One-off scaffolding of a package's build/test configuration (kept for new packages).
# Usage: scripts/scaffold.sh DIR NPM_NAME "description" [workspace-dep ...]
set -euo pipefail
dir=packages/$1; name=$2; desc=$3; shift 3
mkdir -p "$dir/src" "$dir/test"
deps=""
for d in "$@"; do
  deps="$deps    \"$d\": \"workspace:^\",\n"
done
[ -f "$dir/package.json" ] || printf '%b' "{
  \"name\": \"$name\",
  \"version\": \"0.1.0\",
  \"description\": \"$desc\",
  \"license\": \"Apache-2.0\",
  \"type\": \"module\",
  \"main\": \"./dist/index.cjs\",
  \"module\": \"./dist/index.js\",
  \"types\": \"./dist/index.d.ts\",
  \"exports\": {
    \".\": {
      \"@hurd-cluster/source\": \"./src/index.ts\",
      \"import\": { \"types\": \"./dist/index.d.ts\", \"default\": \"./dist/index.js\" },
      \"require\": { \"types\": \"./dist/index.d.cts\", \"default\": \"./dist/index.cjs\" }
    },
    \"./package.json\": \"./package.json\"
  },
  \"files\": [\"dist\", \"README.md\"],
  \"engines\": { \"node\": \">=20\" },
  \"scripts\": {
    \"build\": \"tsup\",
    \"typecheck\": \"tsc -p tsconfig.json\",
    \"test\": \"vitest run\"
  },
  \"dependencies\": {
$deps  }
}
" > "$dir/package.json"
cat > "$dir/tsconfig.json" <<TS
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "customConditions": ["@hurd-cluster/source"] },
  "include": ["src", "test", "bench", "*.config.ts"]
}
TS
cat > "$dir/tsconfig.build.json" <<TS
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "customConditions": [], "noEmit": false },
  "include": ["src"]
}
TS
cat > "$dir/tsup.config.ts" <<TS
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
});
TS
sibs=""
for d in "$@"; do sibs="$sibs${sibs:+, }'$d'"; done
printf "import { packageTestConfig } from '../../vitest.shared.js';\n\nexport default packageTestConfig([%s]);\n" "$sibs" > "$dir/vitest.config.ts"
