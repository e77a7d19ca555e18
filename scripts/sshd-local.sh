#!/usr/bin/env bash
# A private OpenSSH server on 127.0.0.1, for Crew's ssh tests.
#   sshd-local.sh start DIR   starts sshd; prints the path of an ssh config with the host alias
#                             crew-test (use: ssh -F DIR/ssh_config crew-test)
#   sshd-local.sh stop DIR    stops that sshd by its pid file, and every session it started
# Everything lives in DIR: sshd_config, its host key, a client key pair, authorized_keys,
# known_hosts, the pid file and the log; /etc/ssh is neither read nor changed. It logs in as
# the current user with that key only (no passwords, no PAM). Needs Debian's openssh-server
# and openssh-client; as root it also needs /run/sshd, which it creates.
set -euo pipefail
cmd=${1:?usage: sshd-local.sh start|stop DIR}
D=${2:?usage: sshd-local.sh start|stop DIR}

alive() { kill -0 "$1" 2>/dev/null; }

# The sessions sshd forked, and theirs: a worker whose session is ended exits on its own, but
# the stop must not leave one behind if it does not.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

if [ "$cmd" = stop ]; then
  [ -f "$D/sshd.pid" ] || exit 0
  pid=$(cat "$D/sshd.pid")
  alive "$pid" || exit 0
  # Only an sshd started with this folder's config is ours to stop.
  grep -qF "$D/sshd_config" "/proc/$pid/cmdline" 2>/dev/null || {
    echo "sshd-local.sh: pid $pid in $D/sshd.pid is not this folder's sshd; left alone" >&2
    exit 1
  }
  kids=$(descendants "$pid")
  kill "$pid" $kids 2>/dev/null || true
  for p in "$pid" $kids; do
    for _ in $(seq 50); do alive "$p" || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  exit 0
fi

[ "$cmd" = start ] || { echo "sshd-local.sh: unknown command $cmd" >&2; exit 2; }
# sshd re-executes itself, so it must be started by its absolute path.
SSHD=$(PATH="$PATH:/usr/sbin:/sbin" command -v sshd || true)
[ -n "$SSHD" ] || { echo "sshd-local.sh: sshd is not installed (apt-get install openssh-server)" >&2; exit 3; }
for p in ssh ssh-keygen; do
  command -v $p >/dev/null || { echo "sshd-local.sh: $p is not installed (apt-get install openssh-client)" >&2; exit 3; }
done
# Debian's sshd, run as root, refuses to start without its privilege separation directory.
[ "$(id -u)" -ne 0 ] || mkdir -p -m 755 /run/sshd
mkdir -p "$D"
chmod 700 "$D"
[ -f "$D/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C crew-test-host -f "$D/host_key"
[ -f "$D/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C crew-test-client -f "$D/client_key"
cp "$D/client_key.pub" "$D/authorized_keys"
chmod 600 "$D/authorized_keys"
user=$(id -un)

for attempt in $(seq 20); do
  port=$((20000 + RANDOM % 20000))
  cat > "$D/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $D/host_key
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
AllowUsers $user
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitUserEnvironment no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
CONF
  rm -f "$D/sshd.pid"
  # -D keeps it in the foreground, so a port already taken ends it here, where it is seen;
  # setsid and the redirections let the caller's pipes close while it runs.
  setsid "$SSHD" -D -e -f "$D/sshd_config" < /dev/null > "$D/sshd.log" 2>&1 &
  spid=$!
  # sshd writes its pid file once it listens.
  for _ in $(seq 100); do
    [ -s "$D/sshd.pid" ] && break
    alive "$spid" || break
    sleep 0.05
  done
  if [ -s "$D/sshd.pid" ] && alive "$spid"; then break; fi
  wait "$spid" 2>/dev/null || true
  grep -q 'Address already in use' "$D/sshd.log" || {
    echo "sshd-local.sh: sshd did not start; see $D/sshd.log:" >&2
    tail -5 "$D/sshd.log" >&2
    exit 1
  }
  [ "$attempt" -lt 20 ] || { echo "sshd-local.sh: no free port found" >&2; exit 1; }
done

echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$D/host_key.pub")" > "$D/known_hosts"
cat > "$D/ssh_config" <<CONF
Host crew-test crew-test-2
  HostName 127.0.0.1
  Port $port
  User $user
  IdentityFile $D/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $D/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
CONF
# Ready when a login runs a command.
if [ "$(ssh -F "$D/ssh_config" crew-test echo ok 2>> "$D/ssh-check.log")" != ok ]; then
  echo "sshd-local.sh: sshd runs but a key login failed; see $D/sshd.log and $D/ssh-check.log:" >&2
  tail -5 "$D/sshd.log" "$D/ssh-check.log" >&2
  "$0" stop "$D"
  exit 1
fi
echo "$D/ssh_config"
