"""Check the sdist and wheel that `python -m build` wrote to the given folder.

Both carry LICENSE (the sdist also CHANGELOG.md); the wheel's metadata has
skfusion.__version__, the BSD-3-Clause licence and torch only as an extra;
neither ships caches such as numba's compiled kernels.
"""

import email
import sys
import tarfile
import zipfile
from pathlib import Path

import skfusion


def _problems(wheel, sdist):
    version = skfusion.__version__
    wheel_names = zipfile.ZipFile(wheel).namelist()
    sdist_names = tarfile.open(sdist).getnames()
    metadata = email.message_from_bytes(
        zipfile.ZipFile(wheel).read(f"skfusion-{version}.dist-info/METADATA")
    )
    torch = [
        r for r in metadata.get_all("Requires-Dist") or [] if r.startswith("torch")
    ]
    checks = {
        "wheel carries LICENSE": f"skfusion-{version}.dist-info/licenses/LICENSE"
        in wheel_names,
        "sdist carries LICENSE": f"skfusion-{version}/LICENSE" in sdist_names,
        "sdist carries CHANGELOG.md": f"skfusion-{version}/CHANGELOG.md" in sdist_names,
        f"wheel's version is {version}": metadata["Version"] == version,
        "wheel's licence is BSD-3-Clause": metadata["License-Expression"]
        == "BSD-3-Clause",
        "torch is only an extra": bool(torch)
        and all('extra == "torch"' in r for r in torch),
        "no caches shipped": not any(
            "__pycache__" in name or name.endswith((".pyc", ".nbi", ".nbc"))
            for name in wheel_names + sdist_names
        ),
    }
    for name, passed in checks.items():
        print(f"{'ok' if passed else 'FAILED'}: {name}")
    return [name for name, passed in checks.items() if not passed]


def main(folder):
    """Print each check; return 1 if any failed."""
    (wheel,) = Path(folder).glob("skfusion-*.whl")
    (sdist,) = Path(folder).glob("skfusion-*.tar.gz")
    print(f"{wheel.name}: {len(zipfile.ZipFile(wheel).namelist())} files")
    print(f"{sdist.name}: {len(tarfile.open(sdist).getnames())} entries")
    return 1 if _problems(wheel, sdist) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
