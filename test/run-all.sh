#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, checks types/lint/format, then runs the test suite in Node (vitest: WebAssembly
# and Dawn WebGPU on SwiftShader), Deno (wgpu WebGPU) and headless Chromium, and ends with one line: `N passed, N failed`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
logs="$root/test-artifacts"
mkdir -p "$logs"
start=$SECONDS
status=0
passed_total=0
failed_total=0
summary=()

# A runner that hangs (a stuck GPU queue, a deadlocked worker) is stopped after this long and counts as failed.
runner_limit=${EMERGENCE_RUNNER_TIMEOUT:-900}

step() { printf '\n==== %s\n' "$*"; }

# Adds a runner's counts to the totals; a runner that printed no counts counts as one failure.
record() {
  local runtime=$1 rc=$2 passed=$3 failed=$4 seconds=$5
  if [[ -z "$passed" || -z "$failed" ]]; then
    passed=0
    failed=1
    summary+=("$(printf '%-9s no results (exit %s), counted as 1 failure, %ss' "$runtime" "$rc" "$seconds")")
  else
    summary+=("$(printf '%-9s %4d passed, %d failed, %ss' "$runtime" "$passed" "$failed" "$seconds")")
  fi
  if [[ "$rc" != 0 && "$failed" == 0 ]]; then failed=1; fi
  if [[ "$rc" != 0 || "$failed" != 0 ]]; then status=1; fi
  passed_total=$((passed_total + passed))
  failed_total=$((failed_total + failed))
}

# ---- set-up ------------------------------------------------------------------------------------------------------
missing_packages=()
for package in chromium mesa-vulkan-drivers dataset-fashion-mnist; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing_packages+=("$package")
done
if ((${#missing_packages[@]} > 0)); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    step "apt-get install ${missing_packages[*]}"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_packages[@]}" || {
      echo "run-all: apt-get install ${missing_packages[*]} failed" >&2
      exit 1
    }
  else
    echo "run-all: missing ${missing_packages[*]} (Debian packages; install them as root); WebGPU and browser tests will fail" >&2
  fi
fi
if [[ ! -d node_modules ]]; then
  # `npm install`, not `npm ci`: npm 11 writes lock files without other platforms' optional packages, then ci refuses them.
  step "npm install"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund || exit 1
fi

step "npm run build"
npm run build || {
  echo "run-all: the build failed" >&2
  exit 1
}

step "npm run check"
if ! npm run check; then
  echo "run-all: npm run check failed (types, lint or formatting)" >&2
  summary+=("check     FAILED (types, lint or formatting)")
  status=1
fi

# ---- Node: vitest -------------------------------------------------------------------------------------------------
step "node: vitest (WebAssembly, and WebGPU through Dawn on SwiftShader)"
t=$SECONDS
rm -f "$logs/vitest.json"
EMERGENCE_REQUIRE_WEBGPU=1 VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
  timeout --kill-after=30 "$runner_limit" npx vitest run --reporter=default --reporter=json --outputFile.json="$logs/vitest.json"
rc=$?
counts=$(node -e 'const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests)' "$logs/vitest.json" 2>/dev/null)
record node "$rc" "${counts% *}" "${counts#* }" $((SECONDS - t))

# ---- Deno -----------------------------------------------------------------------------------------------------------
step "deno: deno test (WebAssembly on workers, and WebGPU through wgpu)"
t=$SECONDS
EMERGENCE_REQUIRE_WEBGPU=1 NO_COLOR=1 timeout --kill-after=30 "$runner_limit" node build/deno-test.mjs 2>&1 | tee "$logs/deno.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$logs/deno.log" | tail -1)
passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$line")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$line")
record deno "$rc" "$passed" "$failed" $((SECONDS - t))

# ---- Chromium -----------------------------------------------------------------------------------------------------
step "chromium: headless page (WebAssembly threads, and WebGPU on SwiftShader)"
t=$SECONDS
timeout --kill-after=30 "$runner_limit" node test/browser/run.mjs 2>&1 | tee "$logs/browser.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$logs/browser.log" | tail -1)
passed=$(sed -E 's/^browser: ([0-9]+) passed.*/\1/' <<<"$line")
failed=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
record chromium "$rc" "$passed" "$failed" $((SECONDS - t))

# ---- summary ------------------------------------------------------------------------------------------------------
step "summary ($((SECONDS - start)) s; logs in test-artifacts/)"
printf '%s\n' "${summary[@]}"
echo "$passed_total passed, $failed_total failed"
exit $status
