<#
.SYNOPSIS
  Build calcapp's Windows installer: PyInstaller folder, self-test, then Inno Setup.
.DESCRIPTION
  Produces dist\calcapp-<version>-windows-x64-setup.exe (or calcapp-lite-...) and a portable
  dist\calcapp-<version>-windows-x64.zip. Needs Python with the project's dependencies
  installed (pip install -e .), and Inno Setup 6.3+ (ISCC.exe on PATH or in its default
  folder; `choco install innosetup` installs it).
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1 -Flavour lite
#>
param(
  [ValidateSet('full', 'lite')] [string] $Flavour = 'full',
  [string] $Python = 'python',
  [switch] $NoSelfTest
)
$ErrorActionPreference = 'Stop'
$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
Set-Location $Root

$Version = (Select-String -Path 'calcapp\__init__.py' -Pattern '__version__\s*=\s*"([^"]+)"').Matches[0].Groups[1].Value
if (-not $Version) { throw 'could not read calcapp.__version__' }
$Package = if ($Flavour -eq 'lite') { 'calcapp-lite' } else { 'calcapp' }
Write-Host "==> calcapp $Version ($Flavour)"

& $Python -m PyInstaller --version *> $null
if ($LASTEXITCODE -ne 0) {
  & $Python -m pip install --quiet 'pyinstaller>=6.10'
  if ($LASTEXITCODE -ne 0) { throw 'could not install PyInstaller' }
}

$Work = "build\pyi-$Flavour"
if (Test-Path $Work) { Remove-Item -Recurse -Force $Work }
$env:CALCAPP_FLAVOUR = $Flavour
& $Python -m PyInstaller --noconfirm --clean --log-level WARN `
  --distpath "$Work\dist" --workpath "$Work\work" packaging\calcapp.spec
if ($LASTEXITCODE -ne 0) { throw 'PyInstaller failed' }
$AppDir = Join-Path $Root "$Work\dist\calcapp"

& "$AppDir\calcapp.exe" --version
if ($LASTEXITCODE -ne 0) { throw 'the frozen calcapp.exe does not start' }
if (-not $NoSelfTest) {
  $env:CALCAPP_HOME = Join-Path ([IO.Path]::GetTempPath()) ("calcapp-selftest-" + [guid]::NewGuid())
  $env:QT_QPA_PLATFORM = 'offscreen'
  & "$AppDir\calcapp.exe" --self-test
  if ($LASTEXITCODE -ne 0) { throw 'calcapp --self-test failed in the frozen app' }
  Remove-Item Env:QT_QPA_PLATFORM, Env:CALCAPP_HOME
}

New-Item -ItemType Directory -Force dist | Out-Null
$Zip = "dist\$Package-$Version-windows-x64.zip"
if (Test-Path $Zip) { Remove-Item $Zip }
Compress-Archive -Path $AppDir -DestinationPath $Zip

$Iscc = (Get-Command ISCC.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) {
  $Iscc = @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
            "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe") | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $Iscc) { throw 'ISCC.exe (Inno Setup 6) not found; choco install innosetup' }
& $Iscc /Q "/DAppVersion=$Version" "/DFlavour=$Flavour" "/DSourceDir=$AppDir" packaging\windows\calcapp.iss
if ($LASTEXITCODE -ne 0) { throw 'Inno Setup failed' }

Get-ChildItem dist\$Package-$Version-windows-* | ForEach-Object {
  '{0,-55} {1,8:N1} MB' -f $_.Name, ($_.Length / 1MB)
}
