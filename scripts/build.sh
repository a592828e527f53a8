#!/usr/bin/env bash
# Builds the kvmstor command into out/kvmstor: a NativeAOT binary (fast start-up) when the toolchain allows,
# otherwise a framework-dependent build behind a small launcher. Records the build's inputs in out/kvmstor.sources
# for ./kvmstor's up-to-date check.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$root/out"
mkdir -p "$out"
# Two ./kvmstor calls that both find the sources changed must not publish into out/ at once. The build servers
# dotnet leaves running must not inherit the lock (9>&- below), or the next build would wait for them.
exec 9>"$out/.build.lock"
flock 9
echo "kvmstor: building (first use or sources changed)..." >&2
# bin/ and obj/ are made before the listing, so that their appearance does not count as a change of the project folder.
for project in "$root"/src/*/*.csproj; do mkdir -p "${project%/*}/bin" "${project%/*}/obj"; done
"$root/scripts/source-stamp.sh" "$out/kvmstor.sources.new"
aot() { dotnet publish "$root/src/KvmStor.Cli/KvmStor.Cli.csproj" -c Release -r linux-x64 -p:PublishAot=true \
          -o "$out/aot" --nologo -v quiet "$@" >>"$out/build.log" 2>&1 9>&-; }
: >"$out/build.log"
# The system's zlib first (what the Debian package needs); without zlib1g-dev, NativeAOT's own copy.
if aot || aot -p:UseSystemZlib=false; then
  install -m 0755 "$out/aot/KvmStor.Cli" "$out/kvmstor"
else
  echo "kvmstor: NativeAOT build failed (see out/build.log); using a regular build" >&2
  dotnet publish "$root/src/KvmStor.Cli/KvmStor.Cli.csproj" -c Release -o "$out/jit" --nologo -v quiet 9>&-
  printf '#!/bin/sh\nexec dotnet "%s/jit/KvmStor.Cli.dll" "$@"\n' "$out" >"$out/kvmstor"
  chmod 0755 "$out/kvmstor"
fi
# Only a finished build has a list: a failed one leaves the next ./kvmstor to build again.
mv "$out/kvmstor.sources.new" "$out/kvmstor.sources"
