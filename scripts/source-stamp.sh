#!/usr/bin/env bash
# Writes the list of kvmstor's build inputs to $1, for ./kvmstor's up-to-date check (the binary makes it:
# src/KvmStor.Cli/Wrapper/SourceTreeFreshness.cs). Run it before the build reads any source: the file's mtime marks the
# listing, so an input whose ctime is later changed after the build read it.
#
# Lines: "# suffixes …" (which files are inputs), then "t ." (the top directory: its files only), "d DIR" (a source
# directory: its files and subdirectories), "f FILE". bin, obj and hidden entries are never inputs. Links are
# followed (-L), as the check follows them.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
stamp="$1"
suffixes=(.cs .c .csproj .props .targets .json .resx .config)

cd "$root"
names=()
for s in "${suffixes[@]}"; do names+=(-o -name "*$s"); done
{
  echo "# suffixes ${suffixes[*]}"
  echo "t ."
  find -L . -mindepth 1 -maxdepth 1 -type f ! -name '.*' \( "${names[@]:1}" \) -printf 'f %P\n'
  echo "f scripts/build.sh"
  echo "f scripts/source-stamp.sh"
  find -L src \( -name bin -o -name obj -o -name '.*' \) -prune -o -type d -printf 'd %p\n' \
    -o -type f \( "${names[@]:1}" \) -printf 'f %p\n'
} >"$stamp"
# The kernel stamps files with a clock that moves in ticks (1–10 ms): wait one out, so that whatever the build reads
# from now on has either an older ctime than the list or a strictly later one.
sleep 0.02
