#!/usr/bin/env bash
# Remove a per-user calcapp installed by install.sh: the files in its .install-manifest
# (launcher link, menu entry, icons), then the app folder itself. Your history and trained
# models in ~/.local/share/calcapp are kept. Usage: uninstall.sh [--prefix DIR] [--quiet]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QUIET=0
if [[ -f "$HERE/.install-manifest" ]]; then DEST="$HERE"; else DEST="${HOME}/.local/lib/calcapp"; fi
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) DEST="${2:?--prefix needs a folder}/lib/calcapp"; shift 2 ;;
    --quiet) QUIET=1; shift ;;
    *) echo "uninstall.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
MANIFEST="$DEST/.install-manifest"
[[ -f "$MANIFEST" ]] || { echo "uninstall.sh: no calcapp installed by install.sh in $DEST" >&2; exit 1; }

while IFS= read -r path; do
  [[ -n "$path" ]] || continue
  rm -f -- "$path"
  # drop icon size folders we emptied, never anything above share/icons
  dir="$(dirname "$path")"
  while [[ "$dir" == */share/icons/hicolor/* ]] && rmdir "$dir" 2>/dev/null; do dir="$(dirname "$dir")"; done
done < "$MANIFEST"
PREFIX="$(dirname "$(dirname "$DEST")")"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" 2>/dev/null || true
rm -rf -- "$DEST"
[[ $QUIET == 1 ]] || echo "calcapp removed from $DEST (your data in ~/.local/share/calcapp is kept)"
