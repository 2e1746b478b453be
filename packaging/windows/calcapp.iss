; Inno Setup script for calcapp (Inno Setup 6.3 or later: uses x64compatible).
; Per-user install: no UAC prompt, files go to %LOCALAPPDATA%\Programs\calcapp, a Start-menu
; entry, an optional desktop icon, and an uninstaller in "Apps & features".
; Built by packaging\windows\build.ps1, which passes the defines below:
;   ISCC /DAppVersion=0.1.0 /DFlavour=full /DSourceDir=<frozen folder> calcapp.iss
; Relative paths are relative to this file's folder.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef Flavour
  #define Flavour "full"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\pyi-" + Flavour + "\dist\calcapp"
#endif
#if Flavour == "lite"
  #define PackageName "calcapp-lite"
#else
  #define PackageName "calcapp"
#endif

[Setup]
; One AppId for both flavours: installing one replaces the other (same folder, same entry).
AppId={{5C7B2E4A-3F1D-4B8E-9C62-7A0D1E5F8B31}
AppName=calcapp
AppVersion={#AppVersion}
AppVerName=calcapp {#AppVersion} ({#Flavour})
AppPublisher=calcapp developers
DefaultDirName={autopf}\calcapp
DefaultGroupName=calcapp
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename={#PackageName}-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\calcapp.ico
UninstallDisplayIcon={app}\calcapp-gui.exe
UninstallDisplayName=calcapp
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running calcapp holds its DLLs; ask to close it rather than fail mid-copy.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller folder: calcapp.exe (console, for the command line),
; calcapp-gui.exe (windowed, for the shortcuts) and _internal\.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\calcapp"; Filename: "{app}\calcapp-gui.exe"; WorkingDir: "{app}"; Comment: "Calculator whose arithmetic is done by neural networks"
Name: "{autodesktop}\calcapp"; Filename: "{app}\calcapp-gui.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\calcapp-gui.exe"; Description: "{cm:LaunchProgram,calcapp}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Caches a run may leave next to the app. The user's data (%APPDATA%\calcapp: history,
; trained models) is deliberately kept.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
