#!/usr/bin/env bash
# Install the pinned Node CLIs the end-to-end tests drive (Claude Code, ccusage) into
# .tools/ at the repo root, so tests never depend on whatever is on the machine's PATH.
# Idempotent: a second run with the pins already installed does nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
BIN="$TOOLS/node_modules/.bin"
CLAUDE_VERSION=2.1.332
CCUSAGE_VERSION=20.0.24

if ! command -v npm >/dev/null; then
  echo "npm is required (Node.js >= 20) to install the test tools" >&2
  exit 1
fi

# `claude --version` prints the version only once the native binary is in place, so it is
# the health check as well as the version check.
installed() {
  [ -x "$BIN/claude" ] && [ -x "$BIN/ccusage" ] \
    && [ "$("$BIN/claude" --version 2>/dev/null)" = "$CLAUDE_VERSION (Claude Code)" ] \
    && [ "$("$BIN/ccusage" --version 2>/dev/null)" = "ccusage $CCUSAGE_VERSION" ]
}

if installed; then
  echo "test tools already installed in $TOOLS"
  exit 0
fi

mkdir -p "$TOOLS"
# The claude package ships a placeholder bin/claude.exe; its postinstall copies the native
# binary over it. npm 11 warns about (and newer npm blocks) install scripts not approved in
# the project's allowScripts, so approve exactly this pinned version. --ignore-scripts=false
# beats a machine-wide ignore-scripts=true.
cat > "$TOOLS/package.json" <<JSON
{
  "private": true,
  "description": "Pinned CLIs for ccotel's end-to-end tests (scripts/install-test-tools.sh)",
  "allowScripts": { "@anthropic-ai/claude-code@$CLAUDE_VERSION": true }
}
JSON
npm install --no-save --no-audit --no-fund --ignore-scripts=false --prefix "$TOOLS" \
  "@anthropic-ai/claude-code@$CLAUDE_VERSION" "ccusage@$CCUSAGE_VERSION"

# If the postinstall was skipped anyway (an npm policy we did not foresee), run it ourselves.
if ! "$BIN/claude" --version >/dev/null 2>&1; then
  (cd "$TOOLS/node_modules/@anthropic-ai/claude-code" && node install.cjs)
fi

if ! installed; then
  echo "install-test-tools: $BIN/claude or ccusage does not report the pinned version" >&2
  exit 1
fi
echo "installed: claude $("$BIN/claude" --version), $("$BIN/ccusage" --version)"
