#!/usr/bin/env bash
# Builds the kvmstor command into out/kvmstor: a NativeAOT binary (fast start-up) when the toolchain allows,
# otherwise a framework-dependent build behind a small launcher.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$root/out"
mkdir -p "$out"
echo "kvmstor: building (first use or sources changed)..." >&2
aot() { dotnet publish "$root/src/KvmStor.Cli/KvmStor.Cli.csproj" -c Release -r linux-x64 -p:PublishAot=true \
          -o "$out/aot" --nologo -v quiet "$@" >>"$out/build.log" 2>&1; }
: >"$out/build.log"
# The system's zlib first (what the Debian package needs); without zlib1g-dev, NativeAOT's own copy.
if aot || aot -p:UseSystemZlib=false; then
  install -m 0755 "$out/aot/KvmStor.Cli" "$out/kvmstor"
else
  echo "kvmstor: NativeAOT build failed (see out/build.log); using a regular build" >&2
  dotnet publish "$root/src/KvmStor.Cli/KvmStor.Cli.csproj" -c Release -o "$out/jit" --nologo -v quiet
  printf '#!/bin/sh\nexec dotnet "%s/jit/KvmStor.Cli.dll" "$@"\n' "$out" >"$out/kvmstor"
  chmod 0755 "$out/kvmstor"
fi
