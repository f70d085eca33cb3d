"""The requirements files declare every package that mmsde imports.

Every third-party ``import`` of ``mmsde/`` (read with :mod:`ast`, those
inside functions included) is mapped to the distribution that provides it
(``importlib.metadata.packages_distributions``). It must be declared:

* in ``requirements/runtime.txt``, or in ``setup.py``'s ``install_requires``
  (mmcv: its build with compiled ops is ``tools/install.sh``'s), or be one
  of :data:`INSTALL_SCRIPT`; or
* in an extra, ``requirements/optional.txt`` or ``requirements/faces.txt``,
  and then fail with an error that names the extra where it is missing:
  with the extra's packages made unimportable, every module of mmsde either
  imports or raises an ``ImportError`` naming the extra, and an import
  inside a function of a module that does import is preceded, in that
  function, by a guard (:func:`mmsde.utils.extras.require_extra` or, for
  MMDetection, :func:`mmsde.utils.face_tools.require_face_tools`).

Needs the full install (``make install-faces``): the face tools' packages
must be there to be mapped and imported.
"""
import ast
import functools
import importlib
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Set, Tuple

import pytest

from mmsde.utils.face_tools import missing_face_packages

REPO = Path(__file__).resolve().parents[1]
EXTRAS = ('optional', 'faces', 'demo')
#: Installed by ``tools/install.sh`` before the requirements files, in the
#: build (CPU or CUDA) that fits the machine, so no requirements file names
#: them; mmengine, mmpretrain and mmcv need them too.
INSTALL_SCRIPT = frozenset({'torch', 'torchvision'})
#: Guard function -> (extra, top-level modules it checks); ``None``: the
#: modules are the string arguments after the extra (``require_extra``).
GUARDS: Dict[str, Optional[Tuple[str, FrozenSet[str]]]] = {
    'require_extra': None,
    'require_face_tools': ('faces', frozenset({'mmdet'})),
    'exit_unless_face_tools': ('faces', frozenset({'mmdet'})),
}

pytestmark = pytest.mark.skipif(
    bool(missing_face_packages()),
    reason='needs the full install (make install-faces): '
    f'{missing_face_packages()} missing')


class ThirdPartyImport(NamedTuple):
    """A third-party top-level module imported by mmsde, and where."""
    top: str
    file: str
    line: int
    in_function: bool
    #: (extra, top-level module) pairs checked earlier in the same function
    guarded: FrozenSet[Tuple[str, str]]


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r'[-_.]+', '-', name).lower()


def requirement_names(lines: List[str]) -> Set[str]:
    """The distribution names of requirement lines (comments, blank lines
    and pip options left out)."""
    names = set()
    for line in lines:
        line = line.split('#', 1)[0].strip()
        match = re.match(r'[A-Za-z0-9][A-Za-z0-9._-]*', line)
        if match:
            names.add(normalize(match.group()))
    return names


def declared(name: str) -> Set[str]:
    """The distributions of ``requirements/<name>.txt``."""
    path = REPO / 'requirements' / f'{name}.txt'
    return requirement_names(path.read_text().splitlines())


def setup_py_requirements() -> Set[str]:
    """The requirements written out in ``setup.py``'s ``install_requires``
    (besides those read from ``requirements/runtime.txt``)."""
    tree = ast.parse((REPO / 'setup.py').read_text())
    lines = [
        elt.value for node in ast.walk(tree) if isinstance(node, ast.keyword)
        and node.arg == 'install_requires' for lst in ast.walk(node.value)
        if isinstance(lst, ast.List) for elt in lst.elts
        if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
    ]
    assert lines, 'setup.py: no requirement written in install_requires'
    return requirement_names(lines)


def _guarded(function: ast.AST, before: int) -> FrozenSet[Tuple[str, str]]:
    """(extra, module) pairs that guard calls of ``function`` check before
    line ``before``."""
    pairs = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or node.lineno >= before:
            continue
        name = getattr(node.func, 'id', getattr(node.func, 'attr', None))
        if name not in GUARDS:
            continue
        if GUARDS[name] is not None:
            extra, modules = GUARDS[name]
            pairs.update((extra, m) for m in modules)
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        pairs.update((args[0], m) for m in args[1:])
    return frozenset(pairs)


class _Collector(ast.NodeVisitor):
    """Third-party imports of one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.functions: List[ast.AST] = []
        self.found: List[ThirdPartyImport] = []

    def _visit_function(self, node) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def _add(self, node: ast.AST, module: str) -> None:
        top = module.split('.')[0]
        if top in sys.stdlib_module_names or top == 'mmsde':
            return
        function = self.functions[-1] if self.functions else None
        self.found.append(ThirdPartyImport(
            top, self.file, node.lineno, function is not None,
            _guarded(function, node.lineno) if function else frozenset()))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.level:
            self._add(node, node.module)


def third_party_imports() -> List[ThirdPartyImport]:
    """Every third-party import of ``mmsde/``, in file and line order."""
    found = []
    for path in sorted((REPO / 'mmsde').rglob('*.py')):
        collector = _Collector(path.relative_to(REPO).as_posix())
        collector.visit(ast.parse(path.read_text(encoding='utf-8')))
        found += collector.found
    return found


def mmsde_modules() -> List[str]:
    """Every module of ``mmsde/`` by its dotted name."""
    names = []
    for path in sorted((REPO / 'mmsde').rglob('*.py')):
        parts = path.relative_to(REPO).with_suffix('').parts
        names.append('.'.join(parts[:-1] if parts[-1] == '__init__'
                              else parts))
    return names


def module_of(file: str) -> str:
    """``mmsde/a/b.py`` -> ``mmsde.a.b``."""
    parts = Path(file).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


@functools.lru_cache(maxsize=None)
def _packages_distributions() -> Dict[str, Tuple[str, ...]]:
    """Top-level module -> distributions (reads every installed RECORD)."""
    return {top: tuple(normalize(d) for d in dists) for top, dists in
            importlib.metadata.packages_distributions().items()}


def distributions_of(top: str) -> Set[str]:
    """The installed distributions that provide a top-level module."""
    return set(_packages_distributions().get(top, ()))


def extra_of(dists: Set[str]) -> Optional[str]:
    """The extra that declares one of ``dists``, or None."""
    return next((e for e in EXTRAS if dists & declared(e)), None)


def test_every_module_imports():
    failed = []
    for name in mmsde_modules():
        try:
            importlib.import_module(name)
        except Exception as err:  # reported: the test fails
            failed.append(f'{name}: {type(err).__name__}: {err}')
    assert not failed, 'modules that do not import:\n' + '\n'.join(failed)


def test_every_third_party_import_is_declared():
    runtime = declared('runtime') | setup_py_requirements() | INSTALL_SCRIPT
    problems = []
    for imp in third_party_imports():
        dists = distributions_of(imp.top)
        where = f'{imp.file}:{imp.line}: {imp.top}'
        if not dists:
            problems.append(f'{where}: no installed distribution provides '
                            'it')
        elif not dists & runtime and extra_of(dists) is None:
            problems.append(
                f'{where} ({", ".join(sorted(dists))}) is declared nowhere: '
                'add it to requirements/runtime.txt, or to an extra '
                '(requirements/optional.txt, faces.txt) behind require_extra')
    assert not problems, '\n'.join(problems)


def _imports_while_blocked(blocked: List[str]) -> Dict[str, Optional[list]]:
    """Import every mmsde module in a fresh process where the top-level
    modules ``blocked`` can not be imported (``sys.modules[name] = None``,
    which makes ``find_spec`` answer None too): module -> None, or the
    ``[error type, is ImportError, message]`` of its import."""
    script = '\n'.join([
        'import importlib, json, sys',
        f'for name in {blocked!r}:',
        '    sys.modules[name] = None',
        'result = {}',
        f'for name in {mmsde_modules()!r}:',
        '    try:',
        '        importlib.import_module(name)',
        '        result[name] = None',
        '    except Exception as err:',
        '        result[name] = [type(err).__name__,',
        '                        isinstance(err, ImportError), str(err)]',
        'print(json.dumps(result))',
    ])
    proc = subprocess.run([sys.executable, '-c', script], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize('extra', EXTRAS)
def test_a_missing_extra_is_named(extra):
    imports = [i for i in third_party_imports()
               if extra_of(distributions_of(i.top)) == extra and
               not distributions_of(i.top) & declared('runtime')]
    blocked = sorted({i.top for i in imports})
    assert blocked, f'mmsde imports nothing of requirements/{extra}.txt'
    result = _imports_while_blocked(blocked)
    problems = [
        f'{name}: {kind}: {message}'
        for name, error in result.items() if error is not None
        for kind, is_import_error, message in [error]
        if not is_import_error or not re.search(rf'\b{extra}\b', message)
    ]
    for imp in imports:
        if result[module_of(imp.file)] is None and imp.in_function and \
                (extra, imp.top) not in imp.guarded:
            problems.append(
                f'{imp.file}:{imp.line}: imports {imp.top} of the {extra!r} '
                'extra without calling require_extra('
                f'{extra!r}, {imp.top!r}, ...) before it in that function')
    assert not problems, (
        f'without {blocked} (requirements/{extra}.txt):\n' +
        '\n'.join(problems))
