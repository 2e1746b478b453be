#!/usr/bin/env bash
# Per-user install of the portable calcapp folder: no root, nothing outside PREFIX.
#   PREFIX/lib/calcapp/                       the app (this folder's calcapp + _internal)
#   PREFIX/bin/calcapp                        symlink, so `calcapp` works in a terminal
#   PREFIX/share/applications/calcapp.desktop menu entry (Exec points at the real path,
#                                             because ~/.local/bin is not always on the
#                                             PATH a desktop session uses)
#   PREFIX/share/icons/hicolor/*/apps/calcapp.png
# Everything written outside PREFIX/lib/calcapp is listed in its .install-manifest, which
# uninstall.sh reads. Usage: ./install.sh [--prefix DIR]   (default DIR: ~/.local)
set -euo pipefail
PREFIX="${HOME}/.local"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) PREFIX="${2:?--prefix needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -x "$SRC/calcapp" && -d "$SRC/_internal" ]] || { echo "install.sh: run me from the unpacked calcapp folder" >&2; exit 1; }
mkdir -p "$PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
DEST="$PREFIX/lib/calcapp"

if [[ -e "$DEST" ]]; then
  if [[ -f "$DEST/.install-manifest" ]]; then
    echo "Replacing the calcapp already installed in $DEST"
    "$DEST/uninstall.sh" --quiet
  else
    echo "install.sh: $DEST exists and was not made by install.sh; not touching it" >&2
    exit 1
  fi
fi

mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/share/applications"
tmp="$(mktemp -d "$PREFIX/lib/.calcapp-install.XXXXXX")"
cp -a "$SRC/calcapp" "$SRC/_internal" "$tmp/"
install -m 0755 "$SRC/uninstall.sh" "$tmp/uninstall.sh"
mv "$tmp" "$DEST"   # appears complete or not at all

manifest=()
ln -sfn "$DEST/calcapp" "$PREFIX/bin/calcapp"
manifest+=("$PREFIX/bin/calcapp")

desktop="$PREFIX/share/applications/calcapp.desktop"
sed -e "s|^Exec=calcapp|Exec=$DEST/calcapp|" -e "s|^TryExec=calcapp|TryExec=$DEST/calcapp|" \
  "$SRC/share/applications/calcapp.desktop" > "$desktop"
manifest+=("$desktop")

for icon in "$SRC"/share/icons/hicolor/*/apps/calcapp.png; do
  rel="${icon#"$SRC"/share/}"
  install -D -m 0644 "$icon" "$PREFIX/share/$rel"
  manifest+=("$PREFIX/share/$rel")
done
printf '%s\n' "${manifest[@]}" > "$DEST/.install-manifest"

command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" 2>/dev/null || true

"$DEST/calcapp" --version
echo "Installed to $DEST; start it from the menu or with: calcapp"
case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) echo "Note: $PREFIX/bin is not on your PATH; add it, or run $DEST/calcapp" ;;
esac
echo "Uninstall with: $DEST/uninstall.sh"
