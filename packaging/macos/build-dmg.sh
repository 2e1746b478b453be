#!/usr/bin/env bash
# Build calcapp.app and dist/calcapp-<version>-macos-<arch>.dmg on macOS.
#   packaging/macos/build-dmg.sh [--flavour full|lite]
# Signing and notarisation run only when their credentials are in the environment:
#   MACOS_SIGN_IDENTITY   "Developer ID Application: Name (TEAMID)" in the login keychain;
#                         PyInstaller then signs every binary with the hardened runtime and
#                         packaging/macos/entitlements.plist, and this script signs the dmg.
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD (app-specific password)
#     or NOTARY_KEYCHAIN_PROFILE (made with `xcrun notarytool store-credentials`):
#                         the dmg is sent to Apple's notary service, then stapled.
# Without them the app is ad-hoc signed (PyInstaller's default) and Gatekeeper will ask the
# user to confirm the first start (right-click > Open).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
FLAVOUR=full
while [[ $# -gt 0 ]]; do
  case "$1" in
    --flavour|--flavor) FLAVOUR="${2:?}"; shift 2 ;;
    *) echo "build-dmg.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$FLAVOUR" == full || "$FLAVOUR" == lite ]] || { echo "build-dmg.sh: --flavour full|lite" >&2; exit 2; }
[[ "$(uname -s)" == Darwin ]] || { echo "build-dmg.sh: run me on macOS" >&2; exit 1; }
cd "$ROOT"
VERSION="$("$PYTHON" -c 'import re; print(re.search(r"__version__\s*=\s*\"([^\"]+)\"", open("calcapp/__init__.py").read()).group(1))')"
ARCH="$(uname -m)"
PACKAGE=calcapp; [[ "$FLAVOUR" == lite ]] && PACKAGE=calcapp-lite

"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || "$PYTHON" -m pip install --quiet 'pyinstaller>=6.10'

WORK="build/pyi-$FLAVOUR"
rm -rf "$WORK"
echo "==> freezing ($FLAVOUR)"
CALCAPP_FLAVOUR="$FLAVOUR" "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$WORK/dist" --workpath "$WORK/work" packaging/calcapp.spec
APP="$WORK/dist/calcapp.app"
[[ -d "$APP" ]] || { echo "build-dmg.sh: PyInstaller made no $APP" >&2; exit 1; }

echo "==> self-test of the frozen app"
"$APP/Contents/MacOS/calcapp" --version
CALCAPP_HOME="$(mktemp -d)" QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/calcapp" --self-test

if [[ -n "${MACOS_SIGN_IDENTITY:-}" ]]; then
  echo "==> verifying the signature"
  codesign --verify --deep --strict --verbose=2 "$APP"
fi

echo "==> building the dmg"
mkdir -p dist
DMG="dist/$PACKAGE-$VERSION-macos-$ARCH.dmg"
STAGE="$(mktemp -d)"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"   # drag-to-install target
rm -f "$DMG"
hdiutil create -volname "calcapp $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
rm -rf "$STAGE"

if [[ -n "${MACOS_SIGN_IDENTITY:-}" ]]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$DMG"
  if [[ -n "${NOTARY_KEYCHAIN_PROFILE:-}" ]]; then
    AUTH=(--keychain-profile "$NOTARY_KEYCHAIN_PROFILE")
  elif [[ -n "${APPLE_ID:-}" && -n "${APPLE_TEAM_ID:-}" && -n "${APPLE_APP_PASSWORD:-}" ]]; then
    AUTH=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
  else
    AUTH=()
  fi
  if [[ ${#AUTH[@]} -gt 0 ]]; then
    echo "==> notarising (waits for Apple)"
    xcrun notarytool submit "$DMG" "${AUTH[@]}" --wait
    xcrun stapler staple "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG" || true
  else
    echo "==> signed but not notarised (no notary credentials given)"
  fi
else
  echo "==> not signed (MACOS_SIGN_IDENTITY not set): Gatekeeper will ask before the first start"
fi
ls -lh "$DMG"
