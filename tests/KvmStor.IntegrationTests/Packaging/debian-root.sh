#!/usr/bin/env bash
# Clean Debian 12 roots for the package test. debootstrap runs once; its result is kept as a tarball in a cache
# directory the test suite owns (KVMSTOR_TEST_CACHE, default /var/cache/kvmstor-tests), and every test run starts
# from a fresh copy of it.
#   debian-root.sh cache            make the cached root if it is missing (takes a few minutes, once)
#   debian-root.sh new DIR          extract a fresh root into DIR/root (DIR must not exist yet)
#   debian-root.sh run DIR CMD...   run CMD as root inside DIR/root, in a private mount namespace with /proc, /dev and
#                                   the suite's apt archive cache mounted: the mounts end with CMD, whatever happens
#   debian-root.sh remove DIR       remove DIR, refusing while anything is mounted below it
# Run as root. Needs debootstrap, tar, unshare (util-linux) and network access to deb.debian.org for apt.
set -euo pipefail
work=
cache=${KVMSTOR_TEST_CACHE:-/var/cache/kvmstor-tests}
tarball=$cache/bookworm-root.tar
archives=$cache/apt-archives
mirror=http://deb.debian.org/debian
log() { echo "debian-root: $*" >&2; }
usage() { echo "usage: $0 cache | new DIR | run DIR CMD... | remove DIR" >&2; exit 2; }

[[ $(id -u) -eq 0 ]] || { log "must run as root"; exit 1; }

make_cache() {
  mkdir -p "$cache" "$archives"
  # One maker at a time; a second caller waits and then finds the tarball.
  exec 9>"$cache/.lock"
  flock 9
  [[ -s $tarball ]] && return 0
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (scripts/test.sh installs it)"; exit 1; }
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf --one-file-system "$work"' EXIT
  log "debootstrap bookworm into $work (once; a few minutes)"
  # man-db renders the manual, bash-completion loads completions by command name, as on an installed host.
  debootstrap --variant=minbase --include=man-db,bash-completion bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # No maintainer script may start a daemon inside the test root (there is no init in it).
  printf '#!/bin/sh\nexit 101\n' >"$work/root/usr/sbin/policy-rc.d"
  chmod 0755 "$work/root/usr/sbin/policy-rc.d"
  # The archive cache is bound from the host and owned by root: let apt download as root instead of _apt.
  echo 'APT::Sandbox::User "root";' >"$work/root/etc/apt/apt.conf.d/99sandbox-root"
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*_Packages 2>/dev/null || true
  tar --numeric-owner -C "$work/root" -cpf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf --one-file-system "$work"
  trap - EXIT
  log "cached $tarball ($(du -h "$tarball" | cut -f1))"
}

mounted_below() { awk -v d="$1/" 'index($5 "/", d) == 1 { print $5 }' /proc/self/mountinfo; }

case ${1:-} in
  cache)
    make_cache ;;
  new)
    [[ -n ${2:-} ]] || usage
    [[ ! -e $2 ]] || { log "$2 exists"; exit 1; }
    make_cache
    mkdir -p "$2/root"
    tar --numeric-owner -C "$2/root" -xpf "$tarball"
    cp -L /etc/resolv.conf "$2/root/etc/resolv.conf" ;;
  run)
    [[ -n ${2:-} && $# -ge 3 ]] || usage
    dir=$(readlink -f "$2"); shift 2
    [[ -d $dir/root/usr ]] || { log "no root in $dir"; exit 1; }
    mkdir -p "$archives"
    # A private mount namespace: the mounts are only visible to CMD and vanish with it.
    exec unshare --mount --propagation private -- /bin/sh -c '
      set -e
      root=$1; archives=$2; shift 2
      mount -t proc proc "$root/proc"
      mount --bind /dev "$root/dev"
      mount --bind "$archives" "$root/var/cache/apt/archives"
      exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb \
        DEBIAN_FRONTEND=noninteractive "$@"' sh "$dir/root" "$archives" "$@" ;;
  remove)
    [[ -n ${2:-} ]] || usage
    [[ -e $2 ]] || exit 0
    dir=$(readlink -f "$2")
    left=$(mounted_below "$dir")
    [[ -z $left ]] || { log "still mounted below $dir: $left"; exit 1; }
    rm -rf --one-file-system "$dir" ;;
  *) usage ;;
esac
