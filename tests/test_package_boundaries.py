"""The parts of ``mmsde/`` import one another in one direction only.

Every ``import`` of every module is read with :mod:`ast`, those inside
functions included, so a lazy import can not hide a cycle. A module may
import its own part and the parts of lower layers; an import of a higher
layer, of another part of the same layer, or of the package root fails the
test with the file, the line and the edge.

The layers, as the code has them:

=====  =================  =================================================
layer  part               what it is, and why it sits there
=====  =================  =================================================
0      ``version``,       the version string; mmsde's scope in MMEngine's
       ``registry``       registries: no mmsde import at all
1      ``utils``          files, checkpoints, the cache, landmarks and face
                          crops, the class names, the optional extras, CLI
                          options: imports no other part
2      ``synthetic``      drawing synthetic faces, masks and scenes (no
                          files)
3      ``datasets``       reading and writing data sets, transforms, the
                          crop manifest; the writers draw with ``synthetic``
4      ``models``,        networks, losses and weight converters (these map
       ``evaluation``,    FER2013's class order, from ``datasets``);
       ``engine``         metrics; hooks and optimizer wrappers: siblings,
                          none imports another
5      ``apis``           what the tools call: runs, k-fold, cropping,
                          inference, export, face pretraining
6      ``visualization``  pictures of trained runs: it loads classifiers and
                          their test data through ``apis.model``, and
                          nothing in ``apis`` draws
=====  =================  =================================================

The package root, ``mmsde/__init__.py``, imports the parts to register
them and is imported by none.
"""
import ast
from pathlib import Path
from typing import (Dict, FrozenSet, Iterator, List, NamedTuple, Optional,
                    Tuple)

REPO = Path(__file__).resolve().parents[1]

#: Part of mmsde (the name after ``mmsde.``) -> its layer (see above).
LAYERS: Dict[str, int] = {
    'version': 0,
    'registry': 0,
    'utils': 1,
    'synthetic': 2,
    'datasets': 3,
    'models': 4,
    'evaluation': 4,
    'engine': 4,
    'apis': 5,
    'visualization': 6,
}

#: (file, function) that may import any part, and why.
EXCEPTIONS: Dict[Tuple[str, str], str] = {
    ('mmsde/utils/setup_env.py', 'register_all_modules'):
    'imports every part to register its modules, as '
    'mmpretrain.utils.register_all_modules does',
}


class Import(NamedTuple):
    """One imported mmsde module, where it is imported."""
    file: str  # relative to the repository
    line: int
    source: str  # the importing module
    target: str  # the imported module
    function: Optional[str]  # the enclosing function, None at module level


def module_name(path: Path, root: Path) -> str:
    """``mmsde/a/b.py`` -> ``mmsde.a.b``; ``mmsde/a/__init__.py`` ->
    ``mmsde.a``."""
    parts = path.relative_to(root).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


class _ImportCollector(ast.NodeVisitor):
    """Absolute names of the modules a file imports, and where."""

    def __init__(self, module: str, is_package: bool, file: str,
                 package: str, parts: FrozenSet[str]) -> None:
        self.module, self.file, self.package = module, file, package
        self.parts = parts
        self.base = module if is_package else module.rpartition('.')[0]
        self.functions: List[str] = []
        self.found: List[Import] = []

    def _add(self, node: ast.AST, target: str) -> None:
        if target == self.package or target.startswith(self.package + '.'):
            self.found.append(
                Import(self.file, node.lineno, self.module, target,
                       self.functions[-1] if self.functions else None))

    def _visit_function(self, node) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.base.split('.')
            parts = parts[:len(parts) - node.level + 1]
            module = '.'.join(parts + ([node.module] if node.module else []))
        else:
            module = node.module
        if module == self.package:  # from mmsde import apis, __version__
            for alias in node.names:
                self._add(node, f'{module}.{alias.name}'
                          if alias.name in self.parts else module)
        else:
            self._add(node, module)


def package_imports(root: Path, package: str = 'mmsde') -> Iterator[Import]:
    """Every import of a ``package`` module by a module of ``package``.

    Args:
        root: The folder holding the package's folder.
        package: The package's name.

    Yields:
        Import: One per imported module, in file and line order.
    """
    parts = frozenset(p.stem for p in (root / package).iterdir()
                      if p.suffix == '.py' or (p / '__init__.py').is_file())
    for path in sorted((root / package).rglob('*.py')):
        file = path.relative_to(root).as_posix()
        collector = _ImportCollector(module_name(path, root),
                                     path.name == '__init__.py', file,
                                     package, parts)
        collector.visit(ast.parse(path.read_text(encoding='utf-8'), file))
        yield from collector.found


def part(module: str) -> Optional[str]:
    """``mmsde.datasets.base`` -> ``datasets``; the root -> None."""
    names = module.split('.')
    return names[1] if len(names) > 1 else None


def violations(imports: Iterator[Import],
               layers: Dict[str, int] = LAYERS,
               exceptions: Dict[Tuple[str, str], str] = EXCEPTIONS
               ) -> List[str]:
    """The imports that go up, sideways or to the package root, one line
    each: ``file:line: source (layer n) imports target (part, layer m)``.
    """
    found = []
    for imp in imports:
        src, dst = part(imp.source), part(imp.target)
        if src is None or src == dst or (imp.file, imp.function) in \
                exceptions:
            continue
        where = f' in {imp.function}()' if imp.function else ''
        edge = (f'{imp.file}:{imp.line}: {src} (layer {layers.get(src)}) '
                f'imports {imp.target}{where}')
        if dst is None:
            found.append(f'{edge}, the package root, which imports every '
                         'part')
        elif dst not in layers or src not in layers:
            unknown = src if src not in layers else dst
            found.append(f'{edge}: part {unknown!r} has no layer; add it '
                         'to LAYERS in tests/test_package_boundaries.py')
        elif layers[dst] >= layers[src]:
            found.append(f'{edge} ({dst}, layer {layers[dst]}): a lower or '
                         'equal layer must not import it')
    return found


def test_every_part_of_mmsde_has_a_layer():
    parts = {p.stem for p in (REPO / 'mmsde').iterdir()
             if (p / '__init__.py').is_file() or
             (p.suffix == '.py' and p.name != '__init__.py')}
    assert sorted(parts - set(LAYERS)) == [], \
        'add the new parts of mmsde/ to LAYERS with their layer'
    assert sorted(set(LAYERS) - parts) == [], 'LAYERS names removed parts'


def test_imports_go_down_the_layers_only():
    found = violations(package_imports(REPO))
    assert not found, 'imports against the layers of mmsde:\n' + \
        '\n'.join(found)


def test_exceptions_are_still_needed():
    imports = list(package_imports(REPO))
    for (file, function), why in EXCEPTIONS.items():
        upward = violations(
            (i for i in imports if (i.file, i.function) == (file, function)),
            exceptions={})
        assert upward, f'{file}: {function}() no longer imports upward; ' \
            f'remove its exception ({why})'


def test_checker_finds_lazy_relative_and_root_imports(tmp_path):
    pkg = tmp_path / 'pkg'
    (pkg / 'utils').mkdir(parents=True)
    (pkg / 'apis').mkdir()
    for folder in (pkg, pkg / 'utils', pkg / 'apis'):
        (folder / '__init__.py').write_text('')
    (pkg / 'utils' / 'io.py').write_text(
        'import os\n'
        'from . import helpers\n'
        'def load():\n'
        '    from ..apis.run import go\n'
        '    return go\n')
    (pkg / 'utils' / 'root.py').write_text('from pkg import __version__\n')
    (pkg / 'apis' / 'run.py').write_text('from ..utils import io\n')
    found = violations(package_imports(tmp_path, 'pkg'),
                       layers=dict(utils=1, apis=2), exceptions={})
    assert found == [
        'pkg/utils/io.py:4: utils (layer 1) imports pkg.apis.run in load() '
        '(apis, layer 2): a lower or equal layer must not import it',
        'pkg/utils/root.py:1: utils (layer 1) imports pkg, the package '
        'root, which imports every part',
    ]
