"""Installers: static checks (fast, default run) and a real Linux build (``-m packaging``).

The build tests run ``packaging/build-linux.sh`` once per session and inspect what it made:
the .deb's control fields and file list, the desktop entry inside it, the portable tarball,
a per-user install/uninstall from that tarball into a temp prefix, and the frozen app's
``--self-test``. They take minutes, so they are marked ``packaging`` (excluded by default):

    pytest -m packaging tests/test_packaging.py            # lite flavour (faster)
    CALCAPP_PACKAGING_FLAVOUR=full pytest -m packaging tests/test_packaging.py
    CALCAPP_PACKAGING_REUSE=1 ...      # package the already-frozen folder, skip PyInstaller
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "packaging"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# The libraries Qt's xcb platform plugin loads (checked with ldd on libqxcb.so).
XCB_PACKAGES = {
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
    "libxcb-render-util0", "libxcb-randr0", "libxcb-shape0", "libxcb-xkb1",
    "libxkbcommon-x11-0", "libegl1", "libgl1", "libfontconfig1", "libdbus-1-3",
}


def _version() -> str:
    text = (ROOT / "calcapp" / "__init__.py").read_text()
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


def _desktop(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(text)
    return dict(parser["Desktop Entry"])


# ------------------------------------------------------------------ fast, default run


def test_make_icons_writes_every_size(tmp_path):
    sys.path.insert(0, str(PKG))
    try:
        import make_icons
    finally:
        sys.path.remove(str(PKG))
    from PIL import Image

    written = make_icons.write_all(tmp_path)
    assert len(written) == len(SIZES) + 3
    for n in SIZES:
        img = Image.open(tmp_path / "hicolor" / f"{n}x{n}" / "apps" / "calcapp.png")
        assert img.size == (n, n) and img.mode == "RGBA"
        assert img.getpixel((0, 0))[3] == 0  # transparent corner: rounded tile
        assert img.getpixel((n // 2, n // 2))[3] == 255
    assert Image.open(tmp_path / "calcapp.png").size == (1024, 1024)
    assert (16, 16) in Image.open(tmp_path / "calcapp.ico").info["sizes"]
    assert Image.open(tmp_path / "calcapp.icns").size == (1024, 1024)


def test_committed_icons_match_the_hicolor_layout():
    for n in SIZES:
        assert (ROOT / "resources/icons/hicolor" / f"{n}x{n}" / "apps/calcapp.png").is_file()
    assert (ROOT / "resources/icons/calcapp.ico").is_file()
    assert (ROOT / "resources/icons/calcapp.icns").is_file()


def test_desktop_entry_launches_calcapp_and_matches_the_window_class():
    entry = _desktop((ROOT / "resources/calcapp.desktop").read_text())
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "calcapp"
    assert entry["Icon"] == "calcapp"
    assert entry["StartupWMClass"] == "calcapp"
    assert entry["Terminal"] == "false"
    assert "Utility;" in entry["Categories"]
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(ROOT / "resources/calcapp.desktop")], check=True)


def test_deb_depends_cover_the_qt_xcb_libraries():
    lines = (PKG / "linux/depends.txt").read_text().splitlines()
    packages = {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}
    assert XCB_PACKAGES <= packages


@pytest.mark.parametrize(
    "script",
    ["build-linux.sh", "linux/install.sh", "linux/uninstall.sh", "linux/check-libs.sh",
     "linux/postinst", "linux/postrm", "macos/build-dmg.sh"],
)
def test_shell_scripts_parse(script):
    shell = "sh" if script.startswith("linux/post") else "bash"
    subprocess.run([shell, "-n", str(PKG / script)], check=True)


# ------------------------------------------------------------------ the real build


@pytest.fixture(scope="module")
def built():
    """Run build-linux.sh once; return (flavour, package name, .deb, tarball)."""
    if sys.platform != "linux" or not shutil.which("dpkg-deb"):
        pytest.skip("needs Linux with dpkg-deb")
    flavour = os.environ.get("CALCAPP_PACKAGING_FLAVOUR", "lite")
    cmd = ["bash", str(PKG / "build-linux.sh"), "--flavour", flavour]
    if os.environ.get("CALCAPP_PACKAGING_REUSE"):
        cmd.append("--reuse")
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=3600)
    package = "calcapp" if flavour == "full" else "calcapp-lite"
    version = _version()
    deb = ROOT / "dist" / f"{package}_{version}_amd64.deb"
    tar = ROOT / "dist" / f"{package}-{version}-linux-x86_64.tar.gz"
    return flavour, package, deb, tar


def _deb_field(deb: Path, field: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.packaging
def test_deb_control_fields(built):
    flavour, package, deb, _ = built
    assert deb.is_file()
    assert _deb_field(deb, "Package") == package
    assert _deb_field(deb, "Version") == _version()
    assert _deb_field(deb, "Architecture") == "amd64"
    depends = {d.strip().split()[0] for d in _deb_field(deb, "Depends").split(",")}
    assert XCB_PACKAGES <= depends
    other = "calcapp-lite" if flavour == "full" else "calcapp"
    assert other in _deb_field(deb, "Conflicts")


@pytest.mark.packaging
def test_deb_file_layout(built, tmp_path):
    flavour, _, deb, _ = built
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^-rwxr-xr-x root/root .* \./opt/calcapp/calcapp$", listing, re.M)
    assert "./usr/bin/calcapp -> /opt/calcapp/calcapp" in listing
    assert "./usr/share/applications/calcapp.desktop" in listing
    for n in SIZES:
        assert f"./usr/share/icons/hicolor/{n}x{n}/apps/calcapp.png" in listing
    assert "/tests/" not in listing and "pytest" not in listing
    has_tf = "./opt/calcapp/_internal/tensorflow/" in listing
    assert has_tf == (flavour == "full")

    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    entry = _desktop((tmp_path / "usr/share/applications/calcapp.desktop").read_text())
    assert entry["StartupWMClass"] == "calcapp" and entry["Exec"] == "calcapp"
    out = subprocess.run(
        [str(tmp_path / "opt/calcapp/calcapp"), "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and _version() in out.stdout


@pytest.mark.packaging
def test_tarball_runs_and_installs_per_user(built, tmp_path):
    _, package, _, tar = built
    name = tar.name[: -len(".tar.gz")]
    with tarfile.open(tar) as tf:
        members = tf.getnames()
        assert f"{name}/install.sh" in members and f"{name}/uninstall.sh" in members
        assert f"{name}/calcapp" in members and f"{name}/README.txt" in members
        tf.extractall(tmp_path / "unpacked", filter="tar")
    folder = tmp_path / "unpacked" / name
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALCAPP_HOME": str(tmp_path / "home")}

    # A wheel's own libraries (hash in the name) must all be bundled: the spec once dropped
    # Pillow's libharfbuzz-<hash> with Qt's harfbuzz, so PIL.ImageFont could not load.
    libs = subprocess.run(["bash", str(PKG / "linux/check-libs.sh"), str(folder)],
                          capture_output=True, text=True, check=True).stdout
    missing = libs.partition("not on this machine")[2]
    assert not re.search(r"-[0-9a-f]{8}\.so", missing), missing

    selftest = subprocess.run(
        [str(folder / "calcapp"), "--self-test"], capture_output=True, text=True, env=env
    )
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    assert "self-test passed" in selftest.stdout

    prefix = tmp_path / "prefix"
    subprocess.run([str(folder / "install.sh"), "--prefix", str(prefix)], check=True, env=env)
    app = prefix / "lib/calcapp/calcapp"
    assert (prefix / "bin/calcapp").resolve() == app.resolve()
    entry = _desktop((prefix / "share/applications/calcapp.desktop").read_text())
    assert entry["Exec"] == str(app)
    for n in SIZES:
        assert (prefix / f"share/icons/hicolor/{n}x{n}/apps/calcapp.png").is_file()
    out = subprocess.run([str(prefix / "bin/calcapp"), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and _version() in out.stdout

    # user data next to the install must survive the uninstall
    data = prefix / "share/calcapp"
    data.mkdir(parents=True)
    (data / "history.json").write_text("[]")
    subprocess.run([str(prefix / "lib/calcapp/uninstall.sh")], check=True, env=env)
    assert not (prefix / "lib/calcapp").exists()
    assert not (prefix / "bin/calcapp").exists() and not (prefix / "bin/calcapp").is_symlink()
    assert not (prefix / "share/applications/calcapp.desktop").exists()
    assert not list((prefix / "share/icons").rglob("calcapp.png"))
    assert (data / "history.json").is_file()


@pytest.mark.packaging
@pytest.mark.skipif(
    not os.environ.get("CALCAPP_PACKAGING_DPKG"),
    reason="installs into the system; set CALCAPP_PACKAGING_DPKG=1 (as root) to run",
)
def test_deb_installs_self_tests_and_removes_cleanly(built, tmp_path):
    _, package, deb, _ = built
    subprocess.run(["dpkg", "-i", str(deb)], check=False)
    subprocess.run(["apt-get", "install", "-f", "-y"], check=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALCAPP_HOME": str(tmp_path)}
    out = subprocess.run(["/usr/bin/calcapp", "--self-test"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    subprocess.run(["dpkg", "-r", package], check=True)
    assert not Path("/opt/calcapp").exists()
    assert not Path("/usr/bin/calcapp").exists()
