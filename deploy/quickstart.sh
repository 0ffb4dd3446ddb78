#!/usr/bin/env bash
# The quick start (`npm start`): builds esxbackup, starts the local PostgreSQL and Redis (persistent, under
# ./.esxbackup), and runs a simulated ESXi host to back up, in the foreground until Ctrl-C.
# Environment: ESXBACKUP_STATE_DIR moves the state directory; ESXBACKUP_SIMULATOR_PORT the simulator's SSH port.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state_dir=${ESXBACKUP_STATE_DIR:-$root/.esxbackup}

bash deploy/install-packages.sh quickstart
echo "== building"
npx --no-install tsc -b
echo "== services"
bash deploy/services.sh start --state-dir "$state_dir"
echo "== simulated ESXi host (Ctrl-C stops it; 'npm run services -- stop' stops the databases)"
exec node packages/cli/bin/esxbackup.js simulator --state-dir "$state_dir/simulator" --port "${ESXBACKUP_SIMULATOR_PORT:-2222}"
