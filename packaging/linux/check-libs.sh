#!/usr/bin/env bash
# List the system libraries a frozen calcapp folder loads from outside itself, with the
# Debian package that provides each here, and warn about any this machine lacks.
# Why: the .deb's Depends (packaging/linux/depends.txt) must cover exactly these; run it
# after changing the spec or upgrading PySide6/TensorFlow and compare.
# Usage: packaging/linux/check-libs.sh build/pyi-full/dist/calcapp [--strict]
set -uo pipefail
APPDIR="${1:?usage: check-libs.sh APPDIR [--strict]}"
STRICT="${2:-}"
INTERNAL="$APPDIR/_internal"
[[ -d "$INTERNAL" ]] || { echo "check-libs: $INTERNAL is not a frozen app folder" >&2; exit 2; }

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
# The bootloader puts _internal on LD_LIBRARY_PATH; do the same so bundled libs resolve.
while IFS= read -r -d '' so; do
  LD_LIBRARY_PATH="$INTERNAL" ldd "$so" 2>/dev/null | sed "s|^|$so: |" >> "$tmp"
done < <(find "$APPDIR" -type f \( -name '*.so' -o -name '*.so.*' -o -path "$APPDIR/calcapp" \) -print0)

abs_internal="$(cd "$INTERNAL" && pwd -P)"
echo "system libraries used (outside the bundle):"
grep -- '=> /' "$tmp" | awk '{print $4}' | grep -v "^$abs_internal" | grep -v "^$INTERNAL" \
  | xargs -r -n1 readlink -f | sort -u | while read -r lib; do
    pkg="$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1)"
    [[ -z "$pkg" ]] && pkg="$(dpkg -S "$(basename "$lib")" 2>/dev/null | head -1 | cut -d: -f1)"
    printf '  %-40s %s\n' "$(basename "$lib")" "${pkg:-?}"
  done
missing="$(grep 'not found' "$tmp" | awk '{print $2}' | sort -u)"
if [[ -n "$missing" ]]; then
  echo "not on this machine (must come from the .deb's Depends):"
  for lib in $missing; do
    users="$(grep -F "$lib => not found" "$tmp" | cut -d: -f1 | sed 's|.*/||' | sort -u | head -3 | paste -sd' ')"
    printf '  %-40s needed by %s\n' "$lib" "$users"
  done
  [[ "$STRICT" == --strict ]] && exit 1
fi
exit 0
