#!/usr/bin/env bash
# Builds the Debian package out/kvmstor_<version>_amd64.deb with dpkg-deb, and prints its path.
#   scripts/package.sh [--no-build] [OUTPUT-DIRECTORY]
# --no-build packages out/kvmstor as scripts/build.sh last made it (the tests do, while other tests run that binary).
# The version is the one in VERSION. Contents: the NativeAOT binary (scripts/build.sh) as /usr/bin/kvmstor, the bash
# completion, the manual page (written by that binary from its own command table, with README.md's differences),
# the systemd units of contrib/, the /etc/kvmstor layout, and the documentation. Needs dpkg-dev (dpkg-shlibdeps)
# besides the .NET SDK. KVMSTOR_DEB_MAINTAINER overrides the Maintainer field.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
build=yes
if [[ ${1:-} == --no-build ]]; then build=no; shift; fi
outdir=$(readlink -f "${1:-$root/out}")
log() { echo "package.sh: $*" >&2; }

version=$(tr -d '[:space:]' <"$root/VERSION")
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { log "VERSION must hold x.y.z, not '$version'"; exit 1; }
# The maintainer: whoever made the commit being packaged, unless told otherwise.
maintainer=${KVMSTOR_DEB_MAINTAINER:-$(git -C "$root" log -1 --format='%an <%ae>' 2>/dev/null || true)}
[[ -n $maintainer ]] || { log "no git history to take the maintainer from: set KVMSTOR_DEB_MAINTAINER='Name <address>'"; exit 1; }
arch=amd64
[[ $(dpkg --print-architecture) == "$arch" ]] || { log "builds on $arch only (NativeAOT for linux-x64)"; exit 1; }
command -v dpkg-shlibdeps >/dev/null || { log "dpkg-shlibdeps is missing: install dpkg-dev"; exit 1; }
command -v objcopy >/dev/null || { log "objcopy is missing: install binutils"; exit 1; }

# Reproducible: every date and timestamp is the last commit's (or now, outside a git checkout).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

[[ $build == yes ]] && "$root/scripts/build.sh"
binary=$root/out/kvmstor
# build.sh falls back to a framework-dependent launcher script when NativeAOT fails: that cannot be packaged.
[[ $(head -c 4 "$binary" | od -An -c | tr -d ' ') == '177ELF' ]] || { log "out/kvmstor is not the NativeAOT binary (see out/build.log)"; exit 1; }
# Debian policy: link the system's zlib, not a private copy (build.sh falls back to one without zlib1g-dev).
readelf -d "$binary" | grep -q 'NEEDED.*libz\.so' || { log "out/kvmstor embeds its own zlib: install zlib1g-dev and rebuild"; exit 1; }
built=$("$binary" --version)
[[ $built == "$version" ]] || { log "out/kvmstor says version $built, VERSION says $version"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kvmstor-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkg=$work/kvmstor
doc=$pkg/usr/share/doc/kvmstor

install -D -m 0755 "$binary" "$pkg/usr/bin/kvmstor"
# The linker's .comment (compiler versions) is of no use at run time (lintian: binary-has-unneeded-section).
objcopy --remove-section=.comment "$pkg/usr/bin/kvmstor"
install -D -m 0644 "$root/contrib/kvmstor.bash-completion" "$pkg/usr/share/bash-completion/completions/kvmstor"
mkdir -p "$pkg/usr/share/man/man1"
"$binary" man "$root/README.md" | gzip -9n >"$pkg/usr/share/man/man1/kvmstor.1.gz"

# Every unit in contrib/ and contrib/systemd/; the ones with an [Install] section are enabled by postinst, except
# those marked "# package: not enabled" (the `kvmstor serve` socket and service: opt-in).
units=()
for unit in "$root"/contrib/*.service "$root"/contrib/*.socket "$root"/contrib/systemd/*.service "$root"/contrib/systemd/*.socket; do
  [[ -e $unit ]] || continue
  install -D -m 0644 "$unit" "$pkg/lib/systemd/system/$(basename "$unit")"
  grep -q '^# package: not enabled' "$unit" && continue
  grep -q '^\[Install\]' "$unit" && units+=("$(basename "$unit")")
done

# The layout README describes. Definitions are written there at run time, so they are not conffiles: dpkg keeps
# them on remove (these directories stay while not empty) and postrm deletes them on purge.
install -d -m 0755 "$pkg/etc/kvmstor" "$pkg/etc/kvmstor/storage" "$pkg/etc/kvmstor/storage/autostart" "$pkg/etc/kvmstor/qemu"
install -d -m 0700 "$pkg/etc/kvmstor/secrets"

first_year=$(git -C "$root" log --max-parents=0 --format=%ad --date=format:%Y 2>/dev/null | sort | sed -n 1p)
last_year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
years=${first_year:-$last_year}
[[ $years == "$last_year" ]] || years="$years-$last_year"
install -d -m 0755 "$doc"
sed "s/@YEARS@/$years/" "$root/contrib/debian/copyright" >"$doc/copyright"
gzip -9nc "$root/README.md" >"$doc/README.md.gz"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "unknown")
{
  printf 'kvmstor (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Built from the kvmstor sources at commit %s.\n\n' "$commit"
  printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc"/*

install -d -m 0755 "$pkg/DEBIAN"
for script in postinst postrm; do
  sed "s/@UNITS@/${units[*]}/" "$root/contrib/debian/$script" >"$pkg/DEBIAN/$script"
  chmod 0755 "$pkg/DEBIAN/$script"
done

# Depends from the libraries the binary links (dpkg-shlibdeps wants a debian/control to read).
mkdir -p "$work/shlibs/debian"
printf 'Source: kvmstor\n\nPackage: kvmstor\nArchitecture: %s\n' "$arch" >"$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$pkg/usr/bin/kvmstor" | sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || { log "dpkg-shlibdeps found no dependencies"; exit 1; }

(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums"
installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)

# Recommends: what the common pool types run (fs, logical, disk, netfs/NFS, image formats other than qcow2 and raw),
# so that apt-get install pulls them; Suggests: the other pool types' tools and libraries, loaded or run on first use.
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: kvmstor
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Recommends: qemu-utils, parted, lvm2, e2fsprogs, xfsprogs, nfs-common
Suggests: open-iscsi, libiscsi7, librados2, librbd1, glusterfs-client, glusterfs-cli, dosfstools, btrfs-progs, zfsutils-linux, dmsetup, udev, cifs-utils
Section: admin
Priority: optional
Description: storage manager for KVM hosts, with virsh's storage commands
 kvmstor manages the storage pools and volumes of a KVM host without a
 libvirt daemon: directories, file systems, NFS and GlusterFS shares, iSCSI
 targets (kernel initiator or libiscsi), Ceph RBD, SCSI adapters, multipath,
 LVM volume groups, whole disks, ZFS and more. It reads and writes libvirt's
 storage XML and takes virsh's pool, volume, secret and guest-disk commands
 verbatim, with the same output, messages and exit status. qcow2 images are
 created, cloned, resized and wiped natively.
 .
 The package holds the kvmstor command (a NativeAOT binary), its manual
 page, bash completion, and a systemd unit that starts autostart pools at
 boot.
CONTROL

find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$outdir"
deb=$outdir/kvmstor_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
log "built $deb"
echo "$deb"
