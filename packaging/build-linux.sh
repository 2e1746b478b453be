#!/usr/bin/env bash
# Build calcapp's Linux installers from a clean clone:
#   dist/calcapp_<version>_amd64.deb              (installs to /opt/calcapp, /usr/bin/calcapp)
#   dist/calcapp-<version>-linux-x86_64.tar.gz    (portable; install.sh for ~/.local)
# and, with --flavour lite or all, the same two without TensorFlow:
#   dist/calcapp-lite_<version>_amd64.deb, dist/calcapp-lite-<version>-linux-x86_64.tar.gz
#
# Usage: packaging/build-linux.sh [--flavour full|lite|all] [--no-self-test] [--reuse]
#   --reuse         package the existing frozen folder instead of re-running PyInstaller
#   PYTHON=...      the interpreter calcapp is installed in, whose packages get frozen
#                   (default: the checkout's .venv/bin/python if there is one, else python3)
#   DEB_COMPRESSION=zstd|xz|gzip   .deb compressor (default zstd: fast; xz: ~25% smaller, slow)
#
# Why each step is here: PyInstaller freezes the app (packaging/calcapp.spec); the frozen
# app must pass `calcapp --self-test` before anything is packaged; dpkg-deb builds the .deb
# as root:root without needing fakeroot; the tarball carries the same folder plus
# install.sh/uninstall.sh so a user without root gets the same menu entry and icons.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/packaging"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
FLAVOURS=(full)
SELF_TEST=1
REUSE=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --flavour|--flavor)
      case "${2:-}" in
        full|lite) FLAVOURS=("$2") ;;
        all) FLAVOURS=(full lite) ;;
        *) echo "build-linux.sh: --flavour must be full, lite or all" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --no-self-test) SELF_TEST=0; shift ;;
    --reuse) REUSE=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-linux.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

log() { printf '\n==> %s\n' "$*"; }
die() { echo "build-linux.sh: $*" >&2; exit 1; }

[[ "$(uname -s)" == Linux ]] || die "this script builds Linux packages; see packaging/windows and packaging/macos"
[[ "$(uname -m)" == x86_64 ]] || die "only x86_64 (amd64) is packaged"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed (apt-get install dpkg)"
command -v objdump >/dev/null || die "objdump is needed (apt-get install binutils)"
command -v "$PYTHON" >/dev/null || die "no $PYTHON; set PYTHON=/path/to/python3"
# Freeze from the interpreter the project is installed in: it must import calcapp's
# dependencies itself (a python3 without them would freeze an app that cannot start).
"$PYTHON" -c 'import numpy, PIL, PySide6, pyqtgraph, h5py' 2>/dev/null \
  || die "$PYTHON lacks calcapp's dependencies; install the project into it (pip install -e .) or set PYTHON=/path/to/the/venv/bin/python"

cd "$ROOT"
VERSION="$("$PYTHON" -c 'import re,sys; print(re.search(r"__version__\s*=\s*\"([^\"]+)\"", open("calcapp/__init__.py").read()).group(1))')"
[[ -n "$VERSION" ]] || die "could not read calcapp.__version__"

# PyInstaller is a build-time tool only. Use the interpreter's copy if it has one; else put it
# in build/pyinstaller (pip --target) and run it with that same interpreter, so the frozen app
# gets the interpreter's own packages. (A venv that shares "system" packages, made from a venv's
# python would see the base interpreter's packages instead, and freeze an app without h5py.)
# Only a freeze needs it: --reuse of an existing frozen folder does not.
find_pyinstaller() {
  PYI=("$PYTHON" -m PyInstaller)
  "${PYI[@]}" --version >/dev/null 2>&1 && return
  PYI=(env "PYTHONPATH=$ROOT/build/pyinstaller${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m PyInstaller)
  "${PYI[@]}" --version >/dev/null 2>&1 && return  # put there by an earlier build
  log "PyInstaller not found for $PYTHON: installing it into build/pyinstaller"
  "$PYTHON" -m pip install --quiet --upgrade --target build/pyinstaller 'pyinstaller>=6.10' \
    || die "could not install PyInstaller; install it yourself: $PYTHON -m pip install 'pyinstaller>=6.10'"
  "${PYI[@]}" --version >/dev/null || die "PyInstaller does not run from build/pyinstaller"
}
PYI=()

# Icons are committed; regenerate only if someone deleted them.
[[ -f resources/icons/hicolor/256x256/apps/calcapp.png ]] || "$PYTHON" packaging/make_icons.py

mkdir -p dist
human() { numfmt --to=iec --suffix=B "$1"; }

for FLAVOUR in "${FLAVOURS[@]}"; do
  if [[ "$FLAVOUR" == full ]]; then PACKAGE=calcapp; else PACKAGE=calcapp-lite; fi
  WORK="build/pyi-$FLAVOUR"
  APPDIR="$WORK/dist/calcapp"

  if [[ $REUSE == 1 && -x "$APPDIR/calcapp" ]]; then
    log "[$FLAVOUR] reusing $APPDIR"
  else
    [[ ${#PYI[@]} -gt 0 ]] || find_pyinstaller
    log "[$FLAVOUR] freezing with PyInstaller (minutes)"
    rm -rf "$WORK"
    CALCAPP_FLAVOUR="$FLAVOUR" "${PYI[@]}" --noconfirm --clean --log-level WARN \
      --distpath "$WORK/dist" --workpath "$WORK/work" packaging/calcapp.spec
  fi
  [[ -x "$APPDIR/calcapp" ]] || die "[$FLAVOUR] PyInstaller produced no $APPDIR/calcapp"
  # TensorFlow and the interpreter (libpython, lib-dynload) ship with full symbol tables;
  # dropping them saves ~300 MB (full) / ~25 MB (lite) and changes nothing at run time.
  # Only those: strip corrupts the auditwheel-patched files other wheels bring (numpy.libs...).
  if command -v strip >/dev/null; then
    find "$APPDIR/_internal" -maxdepth 1 -type f -name 'libpython3*.so*' -exec strip --strip-unneeded {} +
    for dir in "$APPDIR"/_internal/tensorflow "$APPDIR"/_internal/python3.*; do
      if [[ -d "$dir" ]]; then find "$dir" -type f -name '*.so*' -exec strip --strip-unneeded {} +; fi
    done
  fi

  log "[$FLAVOUR] checking the frozen app"
  "$APPDIR/calcapp" --version
  bash "$PKG/linux/check-libs.sh" "$APPDIR"
  if [[ $SELF_TEST == 1 ]]; then
    SELF_HOME="$(mktemp -d)"
    CALCAPP_HOME="$SELF_HOME" QT_QPA_PLATFORM=offscreen "$APPDIR/calcapp" --self-test \
      || die "[$FLAVOUR] the frozen app failed calcapp --self-test"
    rm -rf "$SELF_HOME"
  fi

  # ---------------------------------------------------------------- .deb
  log "[$FLAVOUR] building the .deb"
  STAGE="build/deb-$FLAVOUR"
  rm -rf "$STAGE"
  mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/doc/$PACKAGE"
  cp -a "$APPDIR" "$STAGE/opt/calcapp"
  ln -s /opt/calcapp/calcapp "$STAGE/usr/bin/calcapp"
  install -m 0644 resources/calcapp.desktop "$STAGE/usr/share/applications/calcapp.desktop"
  for dir in resources/icons/hicolor/*/apps; do
    size="$(basename "$(dirname "$dir")")"
    install -D -m 0644 "$dir/calcapp.png" "$STAGE/usr/share/icons/hicolor/$size/apps/calcapp.png"
  done
  install -m 0644 "$PKG/linux/copyright" "$STAGE/usr/share/doc/$PACKAGE/copyright"
  # dpkg wants sane modes whatever the umask of the build user was
  find "$STAGE" -type d -exec chmod 0755 {} +
  find "$STAGE/opt/calcapp" -type f ! -perm /111 -exec chmod 0644 {} +
  find "$STAGE/opt/calcapp" -type f -perm /111 -exec chmod 0755 {} +

  INSTALLED_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
  if [[ "$FLAVOUR" == full ]]; then
    RELATIONS="Conflicts: calcapp-lite
Replaces: calcapp-lite"
    SUMMARY="calculator whose arithmetic is done by neural networks"
    FLAVOUR_TEXT=" This is the full build: it includes TensorFlow, so models can be trained."
  else
    RELATIONS="Conflicts: calcapp
Replaces: calcapp
Provides: calcapp"
    SUMMARY="calculator whose arithmetic is done by neural networks (no training)"
    FLAVOUR_TEXT=" This is the lite build without TensorFlow: it answers and reads handwriting
 with the bundled models, but cannot train new ones. Install calcapp for that."
  fi
  # The newest glibc symbol any bundled binary needs is the oldest libc6 it runs on
  # (it is that of the build machine: build on the oldest distribution you support).
  GLIBC_MIN="$(find "$APPDIR" -type f \( -name '*.so*' -o -name calcapp \) -print0 \
    | xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sort -Vu | tail -1 | cut -d_ -f2 \
    || true)"  # no versioned symbol at all: pipefail must not end the build; 2.17 below
  DEPENDS="$(grep -v '^#' "$PKG/linux/depends.txt" | sed '/^\s*$/d' \
    | sed "s/^libc6\$/libc6 (>= ${GLIBC_MIN:-2.17})/" | paste -sd, | sed 's/,/, /g')"
  RECOMMENDS="$(grep -v '^#' "$PKG/linux/recommends.txt" | sed '/^\s*$/d' | paste -sd, | sed 's/,/, /g')"
  export PACKAGE VERSION INSTALLED_KB DEPENDS RECOMMENDS RELATIONS SUMMARY FLAVOUR_TEXT
  "$PYTHON" - "$PKG/linux/control.in" > "$STAGE/DEBIAN/control" <<'PY'
import os, sys
text = open(sys.argv[1]).read()
for key in ("PACKAGE", "VERSION", "INSTALLED_KB", "DEPENDS", "RECOMMENDS", "RELATIONS",
            "SUMMARY", "FLAVOUR_TEXT"):
    text = text.replace("@" + key + "@", os.environ[key])
sys.stdout.write(text)
PY
  install -m 0755 "$PKG/linux/postinst" "$STAGE/DEBIAN/postinst"
  install -m 0755 "$PKG/linux/postrm" "$STAGE/DEBIAN/postrm"

  DEB="dist/${PACKAGE}_${VERSION}_amd64.deb"
  # zstd builds in seconds; xz is ~25% smaller but takes ~10x longer on 1 GB of TensorFlow.
  # Every dpkg that can meet our libc6 (>= 2.36) Depends reads zstd (Debian 12, Ubuntu 22.10+).
  dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-zstd}" --build "$STAGE" "$DEB" >/dev/null
  dpkg-deb --info "$DEB" | sed -n '/Package:/,$p' | head -4

  # ---------------------------------------------------------------- tarball
  log "[$FLAVOUR] building the portable tarball"
  NAME="${PACKAGE}-${VERSION}-linux-x86_64"
  TSTAGE="build/tar-$FLAVOUR/$NAME"
  rm -rf "build/tar-$FLAVOUR"
  mkdir -p "$TSTAGE/share/applications"
  cp -a "$APPDIR/." "$TSTAGE/"
  install -m 0644 resources/calcapp.desktop "$TSTAGE/share/applications/calcapp.desktop"
  mkdir -p "$TSTAGE/share/icons"
  cp -a resources/icons/hicolor "$TSTAGE/share/icons/hicolor"
  install -m 0755 "$PKG/linux/install.sh" "$TSTAGE/install.sh"
  install -m 0755 "$PKG/linux/uninstall.sh" "$TSTAGE/uninstall.sh"
  sed "s/@VERSION@/$VERSION/; s/@PACKAGE@/$PACKAGE/" "$PKG/linux/README-tarball.txt" > "$TSTAGE/README.txt"
  TAR="dist/$NAME.tar.gz"
  tar -C "build/tar-$FLAVOUR" --owner=0 --group=0 --numeric-owner --sort=name -czf "$TAR" "$NAME"

  log "[$FLAVOUR] sizes"
  UNPACKED="$(du -sb "$APPDIR" | cut -f1)"
  printf '  %-48s %10s\n' "unpacked folder ($APPDIR)" "$(human "$UNPACKED")"
  printf '  %-48s %10s\n' "$DEB" "$(human "$(stat -c %s "$DEB")")"
  printf '  %-48s %10s\n' "$TAR" "$(human "$(stat -c %s "$TAR")")"
  printf '{"flavour": "%s", "version": "%s", "unpacked_bytes": %s, "deb_bytes": %s, "tar_bytes": %s}\n' \
    "$FLAVOUR" "$VERSION" "$UNPACKED" "$(stat -c %s "$DEB")" "$(stat -c %s "$TAR")" \
    > "dist/sizes-$FLAVOUR.json"
done

log "done: $(ls dist/*.deb dist/*.tar.gz | tr '\n' ' ')"
