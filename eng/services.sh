#!/usr/bin/env bash
# Shared set-up for run.sh, test.sh and bench: installs what is missing and starts a project-local
# PostgreSQL cluster and Azurite. Source it, then call: inlet_prepare <profile> (profile: dev | test).
# Ports and folders come from INLET_* variables (see README); nothing here touches a system-wide service.

INLET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INLET_TOOLS="$INLET_ROOT/eng/tools"
AZURITE_ACCOUNT=devstoreaccount1
# Azurite's published, well-known development key: not a secret.
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
# The landing account, where upload tokens' containers live apart from workspace data (docs/adr/0030). Its key is fixed
# and published here for development only (base64 of SHA-512 of "inlet-landing-account-development-key-not-a-secret"):
# not a secret, never for a real account.
LANDING_ACCOUNT=inletlanding
LANDING_KEY='GtZLWT8PQZ6M2uJAfTzSesgynesMl5iRiD29XSf2Fq2SWp6fIiVPU1YgjkbjJc/q4sBX0kAwNjri48pdRnvY5g=='
# One Azurite serves both accounts. Naming any account turns Azurite's default one off, so devstoreaccount1 is named too.
export AZURITE_ACCOUNTS="$AZURITE_ACCOUNT:$AZURITE_KEY;$LANDING_ACCOUNT:$LANDING_KEY"
INLET_PIDS=()

log() { printf '[inlet] %s\n' "$*" >&2; }
die() { printf '[inlet] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() { # port, what, variable
  port_free "$1" || die "port $1 (for $2) is already in use on 127.0.0.1. Stop what uses it, or choose another port: $3=<port> $0"
}

wait_for_port() { # port, what, seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$2 did not start listening on port $1 within $3 s"
}

install_prerequisites() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is required (dotnet not found on PATH)"
  command -v npm >/dev/null || die "Node.js and npm are required (npm not found on PATH)"
  local missing=()
  local libs; libs="$(ldconfig -p 2>/dev/null)"
  [[ $libs == *libsecret-1.so.0* ]] || missing+=(libsecret-1-0)
  PG_BIN="${INLET_PG_BIN:-/usr/lib/postgresql/15/bin}"
  [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
  # The web pages' browser tests drive Debian's Chromium (Playwright never downloads a browser).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The malware scanner (docs/adr/0023-malware-scanning.md): clamd with sigtool to build its local signatures.
  [ -x /usr/sbin/clamd ] && command -v sigtool >/dev/null || missing+=(clamav-daemon clamav)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null \
      || die "could not install ${missing[*]} (run as root or with sudo)"
    # A freshly installed postgresql-15 starts Debian's own cluster on 5432; Inlet runs its own.
  fi
  if [ ! -x "$INLET_TOOLS/node_modules/.bin/azurite-blob" ] || [ ! -f "$INLET_TOOLS/node_modules/@azure-tools/azcopy-linux/package.json" ] \
     || [ "$INLET_TOOLS/package-lock.json" -nt "$INLET_TOOLS/node_modules/.package-lock.json" ]; then
    log "installing Azurite, AzCopy and standardwebhooks (npm, into eng/tools/node_modules)"
    (cd "$INLET_TOOLS" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) || die "npm ci failed in eng/tools"
  fi
  AZCOPY="$INLET_TOOLS/node_modules/@azure-tools/azcopy-linux/dist/bin/azcopy_linux_amd64"
  # The npm package ships the binary without its run bit.
  [ -x "$AZCOPY" ] || chmod +x "$AZCOPY"
  export INLET_AZCOPY="$AZCOPY"
}

# PostgreSQL refuses to run as root, so as root the cluster belongs to the 'postgres' user; its data
# must be on a path that user can reach, else it goes to /var/lib/inlet/<hash of this checkout>.
pg_data_dir() { # profile
  local dir="$INLET_ROOT/.local/$1/pg"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$INLET_ROOT/.local/$1"
    if ! runuser -u postgres -- test -x "$INLET_ROOT/.local/$1" 2>/dev/null; then
      dir="/var/lib/inlet/$(printf '%s' "$INLET_ROOT" | md5sum | cut -c1-12)/$1/pg"
    fi
  fi
  printf '%s' "$dir"
}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() { # profile port
  local profile=$1 port=$2 data
  data="$(pg_data_dir "$profile")"
  require_free_port "$port" PostgreSQL INLET_PG_PORT
  if [ ! -s "$data/PG_VERSION" ]; then
    log "creating PostgreSQL cluster in $data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$(dirname "$data")"
    local pw; pw="$(mktemp)"; printf 'inlet' >"$pw"; chmod 644 "$pw"
    as_pg "$PG_BIN/initdb" -D "$data" -U inlet --pwfile="$pw" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null \
      || { rm -f "$pw"; die "initdb failed for $data"; }
    rm -f "$pw"
  fi
  rm -f "$data/postmaster.pid.stale"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data/../postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c max_connections=300 -c fsync=${INLET_PG_FSYNC:-on}" start >/dev/null \
    || die "PostgreSQL did not start; see $data/../postgres.log"
  PG_DATA="$data"
  PGPASSWORD=inlet "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U inlet -d postgres -tAc "select 1 from pg_database where datname='inlet'" | grep -q 1 \
    || PGPASSWORD=inlet "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U inlet -d postgres -qc "create database inlet" >/dev/null
  log "PostgreSQL on 127.0.0.1:$port (data: $data)"
}

stop_postgres() {
  [ -n "${PG_DATA:-}" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
  PG_DATA=
}

start_azurite() { # profile port
  local profile=$1 port=$2 dir="$INLET_ROOT/.local/$1/azurite"
  require_free_port "$port" Azurite INLET_BLOB_PORT
  mkdir -p "$dir"
  "$INLET_TOOLS/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir" \
    --skipApiVersionCheck --silent --disableTelemetry >"$dir/../azurite.log" 2>&1 &
  AZURITE_PID=$!
  INLET_PIDS+=("$AZURITE_PID")
  echo "$AZURITE_PID" >"$INLET_ROOT/.local/$profile/azurite.pid"
  wait_for_port "$port" Azurite 30
  log "Azurite blob service on 127.0.0.1:$port, accounts $AZURITE_ACCOUNT and $LANDING_ACCOUNT (data: $dir)"
}

stop_azurite() { [ -n "${AZURITE_PID:-}" ] && kill "$AZURITE_PID" 2>/dev/null && wait "$AZURITE_PID" 2>/dev/null; AZURITE_PID=; }

# clamd's own signature database, built locally: these machines cannot download ClamAV's. It holds the EICAR
# test file's signature and Inlet's own test marker; production points DatabaseDirectory at freshclam's
# updated databases instead (docs/operations.md, "Malware scanning"). The EICAR string is put together here
# from pieces so that no file of this repository is itself a test virus.
build_clamd_database() { # dir
  local dir=$1 tmp; mkdir -p "$dir"; tmp="$(mktemp -d)"
  printf '%s%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$' 'EICAR-STANDARD-ANTIVIRUS' '-TEST-FILE!$H+H*' >"$tmp/eicar"
  printf '%s' 'INLET-SCAN-TEST-MARKER-0b7e4f2a' >"$tmp/marker"
  # Body signatures (.ndb: name:target:offset:hex): found anywhere in a file, also inside a larger one.
  { printf 'Inlet.Test.EICAR:0:*:%s\n' "$(sigtool --hex-dump <"$tmp/eicar" | tr -d '\n')"
    printf 'Inlet.Test.Marker:0:*:%s\n' "$(sigtool --hex-dump <"$tmp/marker" | tr -d '\n')"; } >"$dir/inlet-test.ndb"
  # And a hash signature (.hdb, by sigtool --md5) of the EICAR file itself, named as ClamAV's own is.
  sigtool --md5 "$tmp/eicar" | sed 's/:[^:]*$/:Eicar-Test-Signature/' >"$dir/inlet-test.hdb"
  rm -rf "$tmp"
}

start_clamd() { # profile
  local dir="$INLET_ROOT/.local/$1/clamd"
  mkdir -p "$dir"
  build_clamd_database "$dir/db"
  CLAMD_SOCKET="$dir/clamd.sock"
  rm -f "$CLAMD_SOCKET"
  # A unix socket under .local: no port to clash with another checkout's clamd. Limits raised so a
  # file of several GB is scanned whole; AlertExceedsMax flags (never passes) anything beyond them.
  # MaxThreads: two test nodes x 2 large-file slots + 2, so large scans never hold every worker (ADR 23);
  # INLET_CLAMD_MAX_THREADS overrides it, to measure clamd parallelism with ./bench.sh (docs/performance.md, ADR 37).
  cat >"$dir/clamd.conf" <<CONF
Foreground yes
LocalSocket $CLAMD_SOCKET
LocalSocketMode 666
DatabaseDirectory $dir/db
LogFile $dir/clamd.log
LogTime yes
PidFile $dir/clamd.pid
TemporaryDirectory $dir
StreamMaxLength 4000M
MaxScanSize 4000M
MaxFileSize 4000M
AlertExceedsMax yes
MaxThreads ${INLET_CLAMD_MAX_THREADS:-6}
ReadTimeout 120
CommandReadTimeout 30
SelfCheck 0
CONF
  [ "$(id -u)" = 0 ] && printf 'User root\n' >>"$dir/clamd.conf"
  /usr/sbin/clamd --config-file="$dir/clamd.conf" >"$dir/clamd.out" 2>&1 &
  CLAMD_PID=$!
  INLET_PIDS+=("$CLAMD_PID")
  echo "$CLAMD_PID" >"$dir/clamd.pid.inlet"
  local i
  for ((i = 0; i < 300; i++)); do [ -S "$CLAMD_SOCKET" ] && break; kill -0 "$CLAMD_PID" 2>/dev/null || break; sleep 0.1; done
  [ -S "$CLAMD_SOCKET" ] || die "clamd did not start; see $dir/clamd.out and $dir/clamd.log"
  log "clamd on unix:$CLAMD_SOCKET (signatures: $dir/db)"
}

inlet_stop_all() {
  set +e # a process that is already gone must not stop the clean-up half-way
  local pid
  for pid in "${INLET_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${INLET_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  INLET_PIDS=()
  # Azurite restarted by eng/service-control.sh (fault tests) is not our child: its pid is in the file.
  [ -n "${INLET_PROFILE:-}" ] && [ -f "$INLET_ROOT/.local/$INLET_PROFILE/azurite.pid" ] && kill "$(cat "$INLET_ROOT/.local/$INLET_PROFILE/azurite.pid")" 2>/dev/null
  # Likewise clamd restarted by a scanning outage test.
  [ -n "${INLET_PROFILE:-}" ] && [ -f "$INLET_ROOT/.local/$INLET_PROFILE/clamd/clamd.pid.inlet" ] && kill "$(cat "$INLET_ROOT/.local/$INLET_PROFILE/clamd/clamd.pid.inlet")" 2>/dev/null
  stop_postgres
}

inlet_prepare() { # profile pg_port blob_port
  install_prerequisites
  trap inlet_stop_all EXIT
  trap 'exit 130' INT TERM
  start_postgres "$1" "$2"
  start_azurite "$1" "$3"
  start_clamd "$1"
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$2;Database=inlet;Username=inlet;Password=inlet"
  export ConnectionStrings__Storage="DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$3/$AZURITE_ACCOUNT;"
  export ConnectionStrings__Landing="DefaultEndpointsProtocol=http;AccountName=$LANDING_ACCOUNT;AccountKey=$LANDING_KEY;BlobEndpoint=http://127.0.0.1:$3/$LANDING_ACCOUNT;"
  export Scanning__Endpoint="unix:$CLAMD_SOCKET"
  export INLET_PG_BIN="$PG_BIN"
  # For eng/service-control.sh, which fault tests use to stop and start these very services.
  export INLET_PROFILE="$1" INLET_PG_DATA="$PG_DATA" INLET_PG_PORT_USED="$2" INLET_BLOB_PORT_USED="$3"
}
