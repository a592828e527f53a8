#!/usr/bin/env bash
# The project's throw-away single-node Ceph for the rbd tests and the bench: one mon, one memstore OSD and one mgr
# (the mgr makes rados_cluster_stat report real sizes), cephx, everything on 127.0.0.1 with Ceph's default ports and
# all state under DIR.
#   ceph-fixture.sh up DIR    start; prints KEY=value lines (CEPH_CONF, CEPH_KEY, CEPH_MON_HOST, CEPH_POOL, *_PID)
#   ceph-fixture.sh down DIR  stop the daemons it started (by the pids in DIR) and remove DIR
# Run as root. Daemons are stopped by pid only, never by name.
set -euo pipefail
action=${1:-}; base=${2:-}
[[ ( $action == up || $action == down ) && -n $base ]] || { echo "usage: $0 up|down DIR" >&2; exit 2; }
dir=$base/ceph
conf=$dir/ceph.conf
log() { echo "ceph-fixture: $*" >&2; }

alive() { [[ -n ${1:-} && -d /proc/$1 ]] && [[ $(awk '{print $3}' /proc/$1/stat 2>/dev/null) != Z ]]; }
# The pid in a daemon's pid file, if that process is still the daemon started with this configuration.
daemon_pid() {
  local f=$dir/run/ceph-$1.pid pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $conf" && echo "$pid"
}
stop_all() {
  local name pid
  for name in mgr.x osd.0 mon.a; do
    pid=$(daemon_pid "$name") || continue
    kill -CONT "$pid" 2>/dev/null || true   # a test may have stopped it
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
}

if [[ $action == down ]]; then
  [[ -d $dir ]] && stop_all
  rm -rf "$dir"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || { log "must run as root"; exit 1; }
for port in 6789 3300; do
  if [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; then log "TCP port $port is in use (another Ceph?)"; exit 1; fi
done
fail() { log "$1"; tail -n 5 "$dir"/log/*.log >&2 2>/dev/null || true; stop_all; exit 1; }
rm -rf "$dir"; mkdir -p "$dir"/{run,log,mon,osd/ceph-0,mgr/ceph-x}
fsid=$(cat /proc/sys/kernel/random/uuid)
monaddr="[v2:127.0.0.1:3300,v1:127.0.0.1:6789]"
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = $monaddr
public network = 127.0.0.0/8
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/admin.keyring
admin socket = 
run dir = $dir/run
pid file = $dir/run/\$cluster-\$name.pid
log file = $dir/log/\$cluster-\$name.log
crash dir = $dir/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 1
mon data avail crit = 0
[mon]
admin socket = $dir/run/\$cluster-\$name.asok
mon data = $dir/mon/\$cluster-\$id
mon cluster log file = $dir/log/\$cluster.\$channel.log
[osd]
admin socket = $dir/run/\$cluster-\$name.asok
osd data = $dir/osd/\$cluster-\$id
keyring = $dir/osd/\$cluster-\$id/keyring
osd objectstore = memstore
memstore device bytes = ${CEPH_FIXTURE_OSD_BYTES:-2147483648}
[mgr]
admin socket = $dir/run/\$cluster-\$name.asok
mgr data = $dir/mgr/\$cluster-\$id
keyring = $dir/mgr/\$cluster-\$id/keyring
CONF
c=(-c "$conf")
ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/admin.keyring" >/dev/null
monmaptool --create --addv a "$monaddr" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring" >>"$dir/log/mkfs.out" 2>&1 || fail "mon mkfs failed"
ceph-mon "${c[@]}" -i a >>"$dir/log/daemons.out" 2>&1 || fail "ceph-mon did not start"
for _ in $(seq 1 150); do timeout 10 ceph "${c[@]}" mon stat >/dev/null 2>&1 && break; sleep 0.2; done
timeout 10 ceph "${c[@]}" mon stat >/dev/null 2>&1 || fail "mon does not answer"
timeout 20 ceph "${c[@]}" auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
  -o "$dir/mgr/ceph-x/keyring" >/dev/null 2>&1 || fail "mgr key"
ceph-mgr "${c[@]}" -i x >>"$dir/log/daemons.out" 2>&1 || fail "ceph-mgr did not start"
osd_uuid=$(cat /proc/sys/kernel/random/uuid); osd_key=$(ceph-authtool --gen-print-key)
printf '{"cephx_secret": "%s"}\n' "$osd_key" >"$dir/osd-secret.json"
[[ $(timeout 20 ceph "${c[@]}" osd new "$osd_uuid" -i "$dir/osd-secret.json") == 0 ]] || fail "osd new failed"
ceph-authtool --create-keyring "$dir/osd/ceph-0/keyring" --name osd.0 --add-key "$osd_key" >/dev/null
ceph-osd "${c[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/mkfs.out" 2>&1 || fail "osd mkfs failed"
ceph-osd "${c[@]}" -i 0 >>"$dir/log/daemons.out" 2>&1 || fail "ceph-osd did not start"
for _ in $(seq 1 150); do timeout 10 ceph "${c[@]}" osd stat 2>/dev/null | grep -q ' 1 up' && break; sleep 0.2; done
timeout 10 ceph "${c[@]}" osd stat 2>/dev/null | grep -q ' 1 up' || fail "osd.0 not up"
timeout 60 ceph "${c[@]}" osd pool create rbd 8 8 >/dev/null 2>&1 || fail "pool create failed"
timeout 60 ceph "${c[@]}" osd pool application enable rbd rbd >/dev/null 2>&1 || fail "application enable failed"
timeout 120 rbd "${c[@]}" pool init rbd >/dev/null 2>&1 || fail "rbd pool init failed"
for _ in $(seq 1 300); do timeout 10 ceph "${c[@]}" mgr stat 2>/dev/null | grep -q '"available": true' && break; sleep 0.2; done
echo "CEPH_CONF=$conf"
echo "CEPH_MON_HOST=127.0.0.1:6789"
echo "CEPH_POOL=rbd"
echo "CEPH_KEY=$(sed -n 's/^[[:space:]]*key = //p' "$dir/admin.keyring" | head -n 1)"
echo "CEPH_MON_PID=$(daemon_pid mon.a)"
echo "CEPH_OSD_PID=$(daemon_pid osd.0)"
echo "CEPH_MGR_PID=$(daemon_pid mgr.x || true)"
