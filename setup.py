"""Map the folders at the repository root onto the single import root ``pt_tui``.

``core/`` becomes ``pt_tui.core``, ``sandbox/`` ``pt_tui.sandbox`` and so on, both in a built wheel
and in an editable install (setuptools' editable finder honours ``package_dir``). Nothing is importable
as a bare ``core`` or ``app`` from site-packages.
"""

from setuptools import find_packages, setup

ROOTS = {
    "pt_tui": "pt_tui",
    "pt_tui.core": "core",
    "pt_tui.sandbox": "sandbox",
    "pt_tui.app": "app",
    "pt_tui.themes": "themes",
}

packages: list[str] = []
package_dir: dict[str, str] = {}
for package, folder in ROOTS.items():
    packages.append(package)
    package_dir[package] = folder
    for sub in find_packages(folder, exclude=["demo", "demo.*"]):
        packages.append(f"{package}.{sub}")

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={
        "pt_tui": ["py.typed", "demo/**/*", "demo/**/.*"],
        "pt_tui.core": ["**/*.scm"],
        "pt_tui.app": ["**/*.tcss"],
    },
    include_package_data=False,
)
