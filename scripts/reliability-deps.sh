#!/usr/bin/env bash
# System packages the reliability and cluster tiers use: tshark (capturing loopback to search
# it for the secret), iproute2 (network namespaces), openssl (a self-signed certificate for
# TLS), and slurm-wlm with munge (a real one-node Slurm cluster, scripts/slurm-cluster.sh).
# Debian or Ubuntu, as root. Tests that need a missing tool skip and say which.
set -euo pipefail
need=()
command -v tshark >/dev/null || need+=(tshark)
command -v ip >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)
command -v sbatch >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -eq 0 ]; then
  echo "reliability deps: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "reliability deps: missing ${need[*]}; run this script as root to install them" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "reliability deps: installed ${need[*]}"
