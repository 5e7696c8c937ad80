# Sourced by tools/instr and tools/footprint.
#
# need_valgrind TOOL: installs valgrind with apt-get if it is missing (TOOL names the caller
# in messages).
need_valgrind() {
  if ! command -v valgrind > /dev/null || ! command -v callgrind_annotate > /dev/null; then
    echo "$1: installing valgrind" >&2
    apt-get install -y -q valgrind > /dev/null
  fi
}

# start_under_valgrind TOOL LOG BACKEND SERVER PORT VALGRIND_ARGS...: starts `SERVER PORT`
# under valgrind with BLITZ_IO_BACKEND=BACKEND, output to LOG; sets vg to valgrind's pid and
# returns once the server printed "listening", which under valgrind takes seconds. Exits
# the calling script if it never does.
start_under_valgrind() {
  local tool=$1 log=$2 backend=$3 server=$4 port=$5
  shift 5
  BLITZ_IO_BACKEND=$backend valgrind "$@" "$server" "$port" > "$log" 2>&1 &
  vg=$!
  for _ in $(seq 100); do
    grep -q listening "$log" 2> /dev/null && return 0
    sleep 0.1
  done
  echo "$tool: server did not start" >&2
  cat "$log" >&2
  exit 1
}
