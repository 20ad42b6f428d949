#!/usr/bin/env bash
# Install everything the tests need, run the gates (scripts/check: ruff, mypy, import-linter),
# then run the tests.
#   bash scripts/test.sh [pytest args]
# System packages (Debian/Ubuntu): chromium (browser tests), prometheus + promtool (stack
# queries run for real; Loki: see below), prometheus-alertmanager + amtool (the stack's
# alerts), docker-compose (validates the generated compose file), curl (an outside client
# timing /readyz under a flood of slow connections), gcc + python3-dev (the compiled OTLP
# decoder, otlp/_wire.c, whose tests compare it with upb's, and the writer's column builder,
# store/_columns.c, compared with pyarrow's); the pinned Node CLIs (Claude Code,
# ccusage) go into .tools/; Python packages into .venv/, at the versions of constraints.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v promtool >/dev/null || need+=(prometheus)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v npm >/dev/null || need+=(npm)
command -v curl >/dev/null || need+=(curl)
# A C compiler and Python's headers build the wire decoder (src/ccotel/otlp/_wire.c) and the
# column builder (src/ccotel/store/_columns.c); without them ccotel installs all the same,
# decoding through upb and building tables with pyarrow alone, and their tests skip.
command -v gcc >/dev/null || need+=(gcc)
"${PYTHON:-python3}" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  || need+=(python3-dev)
# A Japanese font, so the browser tests and screenshots draw the Japanese UI (not boxes).
fc-list :lang=ja 2>/dev/null | grep -q . || need+=(fonts-ipafont-gothic)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "missing system packages: ${need[*]}" >&2
    echo "install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

# Loki 2.9.4 (the stack's version) comes from no registry: the LogQL tests unpack it from
# shared/bin/ beside the repository (or $CCOTEL_SHARED/bin) into a temporary folder.
LOKI_GZ="${CCOTEL_SHARED:-$ROOT/../shared}/bin/loki-2.9.4-linux-amd64.gz"
[ -f "$LOKI_GZ" ] || echo "warning: $LOKI_GZ missing: the Loki tests will be skipped" >&2

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e '.[test]'
bash scripts/install-test-tools.sh
bash scripts/check

exec .venv/bin/python -m pytest "$@"
