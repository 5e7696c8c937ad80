# Sourced by tools/bench, tools/demo and tools/instr.
#
# random_listen_port BASE HEADROOM: a random port in [BASE, first ephemeral port - HEADROOM).
# Below the kernel's ephemeral range no client socket, from this run or an earlier one, can
# hold the port a server is about to bind; HEADROOM leaves room for callers that count up
# from the port they got (the next server, or a retry after a taken port).
random_listen_port() {
  local ephemeral_low _ span
  read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range
  span=$(( ephemeral_low - $1 - $2 ))
  [ "$span" -gt 0 ] || span=1000
  echo $(( $1 + RANDOM % span ))
}
