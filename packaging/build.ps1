<#
.SYNOPSIS
  Build the Doppel bundle on Windows (the equivalent of packaging/build.sh), optionally the installer.

.DESCRIPTION
  A clean virtual environment under build\, the torch of the chosen variant installed first (so
  nothing else pulls another torch), then the project and PyInstaller, then packaging\doppel.spec.
  Prints the bundle's size and build time. With -Installer, compiles packaging\windows\doppel.iss
  with Inno Setup 6.3+ (ISCC.exe on the PATH or in its default folder).

  Environment: DOPPEL_TORCH = cpu (default) | cuda; TORCH_VERSION (default 2.13.0);
  TORCH_INDEX_URL (default: PyTorch's CPU index for cpu; for cuda give the cuXYZ index that
  pytorch.org lists for this torch version, PyPI's Windows wheel being CPU-only);
  PYTHON (the Python 3.11+ that makes the venv, default: py -3.11).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File packaging\build.ps1 -Installer
#>
param([switch]$NoVenv, [switch]$Installer)
$ErrorActionPreference = "Stop"
Set-Location (Resolve-Path "$PSScriptRoot\..")

function Invoke-Checked {
    # native commands do not stop the script on failure by themselves
    & $args[0] @($args | Select-Object -Skip 1)
    if ($LASTEXITCODE -ne 0) { throw "failed ($LASTEXITCODE): $args" }
}

$Variant = if ($env:DOPPEL_TORCH) { $env:DOPPEL_TORCH } else { "cpu" }
if ($Variant -notin @("cpu", "cuda")) { throw "DOPPEL_TORCH must be cpu or cuda, not '$Variant'" }
$TorchVersion = if ($env:TORCH_VERSION) { $env:TORCH_VERSION } else { "2.13.0" }
if ($null -ne $env:TORCH_INDEX_URL) { $TorchIndex = $env:TORCH_INDEX_URL }
elseif ($Variant -eq "cpu") { $TorchIndex = "https://download.pytorch.org/whl/cpu" }
else { throw "For the cuda variant set TORCH_INDEX_URL to PyTorch's cuXYZ index for torch $TorchVersion" }
$Dist = "build\dist-$Variant"
$Work = "build\pyinstaller-$Variant"

$clock = [Diagnostics.Stopwatch]::StartNew()
if ($NoVenv) {
    $Py = (Get-Command python).Source
} else {
    $Venv = "build\venv-$Variant"
    if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
    if ($env:PYTHON) { Invoke-Checked $env:PYTHON -m venv $Venv } else { Invoke-Checked py -3.11 -m venv $Venv }
    $Py = "$Venv\Scripts\python.exe"
    Invoke-Checked $Py -m pip install --quiet --upgrade pip
    $torchArgs = @("torch==$TorchVersion")
    if ($TorchIndex) { $torchArgs += @("--index-url", $TorchIndex) }
    Invoke-Checked $Py -m pip install --quiet @torchArgs
    Invoke-Checked $Py -m pip install --quiet ".[package]"
}

# the variant is the torch that is installed, whatever the index said
Invoke-Checked $Py -c @"
import sys, torch
cuda = torch.version.cuda
if ('$Variant' == 'cuda') != (cuda is not None):
    sys.exit(f'torch {torch.__version__} (CUDA {cuda}) is not a $Variant build; check TORCH_INDEX_URL')
print(f'building with torch {torch.__version__} (CUDA {cuda})')
"@
$environmentSeconds = [int]$clock.Elapsed.TotalSeconds

Invoke-Checked $Py -m PyInstaller --noconfirm --clean --log-level WARN --distpath $Dist --workpath $Work packaging\doppel.spec
$bundle = "$Dist\Doppel"
$files = Get-ChildItem -Recurse -File $bundle
$sizeMB = [math]::Round(($files | Measure-Object Length -Sum).Sum / 1MB)
$total = [int]$clock.Elapsed.TotalSeconds
Write-Output "bundle: $bundle"
Write-Output "size on disk: $sizeMB MB ($($files.Count) files)"
Write-Output "build time: $total s ($environmentSeconds s environment, $($total - $environmentSeconds) s PyInstaller)"

if ($Installer) {
    $version = & $Py -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])"
    $iscc = Get-Command ISCC.exe -ErrorAction SilentlyContinue
    $iscc = if ($iscc) { $iscc.Source } else { "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
    Invoke-Checked $iscc "/DAppVersion=$version" "/DVariant=$Variant" "/DBundleDir=$((Resolve-Path $bundle).Path)" `
        "/DIconFile=$((Resolve-Path "$Work\doppel\doppel.ico").Path)" packaging\windows\doppel.iss
}
