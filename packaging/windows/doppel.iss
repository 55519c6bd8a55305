; Inno Setup 6.3+ script: Doppel's Windows installer, from the bundle packaging\build.ps1 made.
; Compile (build.ps1 -Installer does this):
;   ISCC.exe /DAppVersion=0.1.0 /DBundleDir=<full path of build\dist-cpu\Doppel>
;            /DIconFile=<full path of build\pyinstaller-cpu\doppel\doppel.ico> packaging\windows\doppel.iss
; (relative paths are taken from this script's folder)
; It installs per user without administrator rights by default (locked-down workstations);
; IT can install for all users with Setup.exe /ALLUSERS. Signing: see packaging\README.md.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z (build.ps1 reads it from pyproject.toml)
#endif
#ifndef BundleDir
  #define BundleDir "..\..\build\dist-cpu\Doppel"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\pyinstaller-cpu\doppel\doppel.ico"
#endif
#ifndef Variant
  #define Variant "cpu"
#endif

[Setup]
; AppId identifies the app across upgrades: never change it
AppId={{6F0C2B0E-4D1A-4E59-9C1B-3A8D7E2F5B41}
AppName=Doppel
AppVersion={#AppVersion}
AppVerName=Doppel {#AppVersion}
AppPublisher=Doppel
DefaultDirName={autopf}\Doppel
DefaultGroupName=Doppel
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build
OutputBaseFilename=Doppel-{#AppVersion}-{#Variant}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\Doppel.exe
Compression=lzma2/max
SolidCompression=yes
; one Setup.exe holds up to 4.2 GB compressed (the CUDA variant included); past that, DiskSpanning=yes
WizardStyle=modern
; the release owner enables signing by defining a sign tool named "signtool" (README)
#ifdef SignTool
SignTool=signtool
SignedUninstaller=yes
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Doppel"; Filename: "{app}\Doppel.exe"
Name: "{autodesktop}\Doppel"; Filename: "{app}\Doppel.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Doppel.exe"; Description: "{cm:LaunchProgram,Doppel}"; Flags: nowait postinstall skipifsilent

; The privacy-budget ledger and settings live in the user's data folder, outside {app}: an
; uninstall leaves them, so reinstalling never forgets the ε already spent on a table.
