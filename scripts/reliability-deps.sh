#!/usr/bin/env bash
# System packages the reliability and cluster tiers use: tshark (capturing loopback to search
# it for the secret), tcpdump (capturing a link between two network namespaces, to see that
# it is encrypted), iproute2 (network namespaces), openssl (a self-signed certificate for
# TLS), slurm-wlm with munge (a real one-node Slurm cluster, scripts/slurm-cluster.sh), and
# openssh-server with openssh-client (a private sshd on 127.0.0.1, scripts/sshd-local.sh), and
# tmux (a real terminal whose screen the REPL tests read, test/integration/terminal.mjs).
# Debian or Ubuntu, as root. Tests that need a missing tool skip and say which.
set -euo pipefail
need=()
command -v tshark >/dev/null || need+=(tshark)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ip >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)
command -v sbatch >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
# sshd lives in /usr/sbin, which a user's PATH may lack.
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null || need+=(openssh-server)
{ command -v ssh && command -v ssh-keygen; } >/dev/null || need+=(openssh-client)
command -v tmux >/dev/null || need+=(tmux)
if [ ${#need[@]} -eq 0 ]; then
  echo "reliability deps: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "reliability deps: missing ${need[*]}; run this script as root to install them" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# The tests start private daemons; the packages' own (a system sshd on port 22, munged) are
# not wanted. Debian's invoke-rc.d asks policy-rc.d first, and 101 means "do not start".
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "reliability deps: installed ${need[*]}"
