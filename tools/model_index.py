"""Write the OpenMMLab model index from the configs and the findings'
fold records: ``configs/<folder>/metafile.yml``, ``model-index.yml`` and
the results tables of the config folders' READMEs (see
``tools/metafiles.py``).

    python tools/model_index.py          # rewrite what differs
    python tools/model_index.py --check  # exit 1 naming each stale file
"""
import argparse
import sys
import warnings

from findings import REPO_ROOT
from metafiles import differences, generate, write


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='write nothing; exit 1 naming each file that '
                        'is not what the configs and records generate')
    return parser.parse_args()


def main() -> int:
    """Generate, then write or check.

    Returns:
        The exit status: 1 when ``--check`` finds a stale file.
    """
    args = parse_args()
    # mmengine's config loading warns about pkg_resources once per config
    warnings.filterwarnings('ignore', 'pkg_resources is deprecated')
    files = generate(REPO_ROOT)
    if args.check:
        problems = differences(files, REPO_ROOT)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f'[model-index] {len(problems)} of {len(files)} files stale'
              + ('; run python tools/model_index.py' if problems else ''))
        return 1 if problems else 0
    for path in write(files, REPO_ROOT):
        print(f'[model-index] wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
