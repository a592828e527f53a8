#!/usr/bin/env bash
# Installs what the tests need (Debian packages, NuGet restore) and runs every test project.
# Run as root: the integration tests use loop devices, mkfs and mount. Ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"

# One line per purpose, so several changes can add packages without touching the same line.
packages=(qemu-utils xfsprogs e2fsprogs btrfs-progs dosfstools parted lvm2 util-linux)
packages+=(qemu-system-x86 busybox-static linux-image-amd64)   # the booted-guest test
packages+=(open-iscsi)                                           # kernel iscsi pools: iscsiadm's node database
packages+=(tgt libiscsi7 libiscsi-bin qemu-block-extra)         # iscsi-direct: a real target, libiscsi, qemu's iscsi driver
packages+=(glusterfs-server glusterfs-client libgfapi0 nfs-common) # gluster: a real glusterd, FUSE mounts, qemu's gluster driver
packages+=(ceph-mon ceph-osd ceph-mgr ceph-common librados2 librbd1) # rbd: a single-node Ceph, librados/librbd
packages+=(inotify-tools)                                        # security tests: the hostile user's inotify watcher
packages+=(strace)                                               # the wrapper's early check: which check read its list
packages+=(dpkg-dev binutils zlib1g-dev lintian debootstrap groff-base tmux zsh) # the .deb: build, lint, clean-root install, man, Tab
packages+=(iproute2)                                             # a dead NFS server: a TUN sink in a private network namespace
packages+=(libvirt-clients python3-libvirt)                      # kvmstor serve: the real virsh 9.0 and /usr/bin/python3's libvirt module as clients
packages+=(openssh-server openssh-client netcat-openbsd)           # kvmstor serve over SSH: sshd on 127.0.0.1 started by the test; virsh runs `nc -U` on the far side
packages+=(libvirt-dbus dbus systemd)                           # kvmstor serve as qemu:///system: the real libvirt-dbus on a private system bus, busctl to call it
packages+=(ansible python3-lxml)                                 # kvmstor serve: Ansible's community.libvirt.virt_pool (Debian's ansible: ≈1 min, 290 MB) and the lxml it imports
packages+=(cockpit-ws cockpit-bridge cockpit-system cockpit-machines chromium-headless-shell) # Cockpit's storage page in headless Chromium (Cockpit/)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: missing packages ${missing[*]}; run as root so they can be installed" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "test.sh: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

dotnet restore KvmStor.slnx --nologo -v quiet || exit 1
dotnet build KvmStor.slnx -c Release --no-restore --nologo -v quiet -clp:ErrorsOnly || exit 1
# The CLI end-to-end tests run the real binary.
scripts/build.sh || exit 1

passed=0 failed=0 skipped=0 status=0
for project in tests/KvmStor.Tests tests/KvmStor.Conformance tests/KvmStor.IntegrationTests; do
  log=$(mktemp)
  dotnet test "$project" -c Release --no-build --nologo 2>&1 | tee "$log"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
  # VSTest's per-project summary: "Passed!  - Failed:     0, Passed:    42, Skipped:     0, Total:    42, ..."
  line=$(grep -E '(Passed|Failed)! +- Failed: ' "$log" | tail -1)
  if [[ -z "$line" ]]; then
    echo "test.sh: no result summary from $project" >&2; status=1
  else
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line"); p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  fi
  rm -f "$log"
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
