"""Experiments as data: a grid of methods x folds x seeds, read from a spec.

A grid spec is an MMEngine config file with one ``grid`` dict::

    grid = dict(
        name='masked-rafdb',
        methods=dict(
            nonmasked=dict(config='mmsde::masked_public/resnet18_..._'
                           'rafdb-masked-nonmasked.py'),
            featkd=dict(config='configs/distillation/featkd_....py',
                        cfg_options={'model.teacher_ckpt':
                                     '{work_dir:nonmasked}/best.pth'},
                        after=['nonmasked'])),
        folds=[0, 1, 2, 3, 4], num_folds=10, seeds=[0],  # None: native
        precision='config',               # 'fp32', 'bf16' (--amp)
        references=['nonmasked'],         # fold-paired comparisons
        cfg_options=None,                 # every method's, before its own
        data_root=None,                   # replaces every dataloader's
        budget_hours=None,                # --dry-run checks an estimate
        work_dir='work_dirs/grids/masked-rafdb',
        record_dir='docs/grids/masked-rafdb',
        out=None,                         # the report's prefix
        legacy_dir=None)                  # records from before grids

A run is one ``(method, fold, seed)``; its options may name ``{fold}``,
``{seed}`` and ``{work_dir:<method>}`` (the fold's work dir of a method
listed in ``after``, which runs first). :func:`fingerprint` says exactly
what a run is (the resolved config's hash included), so a record made for
something else is stale, never reused. A method with ``report=False``
runs (SupCon's stage 1) but is not a row of the report. Method names may
hold spaces, commas and ``=`` (``'paired-mse, alpha=0'``); their folders
are :func:`slug` s of them.

``legacy_dir`` holds fold records written before grids recorded what ran
(``tools/findings.py``'s ``<slug>/fold<k>.json``, seeded runs in
``<slug>_seed-<s>/``): a run without a grid record of its own takes its
legacy record, if any, as ``legacy`` (reported, marked, rerun only on
request); an unseeded one stands in only where the grid has one seed.
"""
import hashlib
import json
import os.path as osp
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from mmsde.utils.bundled import resolve_config

from .kfold import fold_dir_name, fold_options

#: 'config': as the config trains (the synthetic configs: bfloat16 where
#: the CPU has it); 'fp32' switches a BF16OptimWrapper off; 'bf16' trains
#: with --amp (bfloat16 autocast on CPUs, AMP on GPUs)
PRECISIONS = ('config', 'fp32', 'bf16')
PLACEHOLDER = re.compile(r'\{work_dir:([^}]+)\}')
SPEC_KEYS = ('name', 'methods', 'folds', 'num_folds', 'seeds', 'precision',
             'references', 'cfg_options', 'data_root', 'budget_hours',
             'work_dir', 'record_dir', 'out', 'legacy_dir')
METHOD_KEYS = ('config', 'cfg_options', 'after', 'report')
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@dataclass(frozen=True)
class GridMethod:
    """One row of the grid: a config, its options, the rows it needs."""
    name: str
    config: str
    cfg_options: dict = field(default_factory=dict)
    after: Tuple[str, ...] = ()
    report: bool = True  # a row of the report


def slug(name: str) -> str:
    """A folder name for a method name (``'paired-mse, alpha=0'`` ->
    ``'paired-mse_alpha0'``)."""
    return name.replace(', ', '_').replace('=', '').replace(' ', '-')


@dataclass(frozen=True)
class RunEntry:
    """One run of the grid."""
    method: str
    fold: Optional[int]  # None: the dataset's native split
    seed: int

    @property
    def key(self) -> str:
        """``<method>/seed<s>/fold<k>`` (``.../native``): the run's
        name."""
        return f'{self.method}/seed{self.seed}/{fold_dir_name(self.fold)}'

    @property
    def path(self) -> str:
        """The key with the method's :func:`slug`: its record's path."""
        return f'{slug(self.method)}/seed{self.seed}/' \
            f'{fold_dir_name(self.fold)}'


@dataclass
class GridSpec:
    """A grid read from its spec file (:func:`load_spec`)."""
    name: str
    methods: Dict[str, GridMethod]
    folds: List[Optional[int]]
    num_folds: int
    seeds: List[int]
    precision: str
    references: List[str]
    data_root: Optional[str]
    budget_hours: Optional[float]
    work_dir: str
    record_dir: str
    path: str = ''
    cfg_options: dict = field(default_factory=dict)
    out: Optional[str] = None
    legacy_dir: Optional[str] = None

    def entries(self, methods: Optional[Sequence[str]] = None,
                folds: Optional[Sequence[int]] = None) -> List[RunEntry]:
        """The runs, the methods a run needs first; ``methods`` / ``folds``
        select some (with the methods they need)."""
        chosen = self._with_needs(methods or list(self.methods))
        folds = list(folds) if folds else self.folds
        unknown = sorted(set(folds) - set(self.folds))
        if unknown:
            raise ValueError(f'{self.path}: folds {unknown} are not in the '
                             f'grid (folds={self.folds})')
        return [RunEntry(m, k, s) for m in self.order() if m in chosen
                for k in folds for s in self.seeds]

    def order(self) -> List[str]:
        """Methods in run order: each after the methods it needs."""
        done: List[str] = []
        while len(done) < len(self.methods):
            ready = [m for m, spec in self.methods.items() if m not in done
                     and all(a in done for a in spec.after)]
            if not ready:
                loop = [m for m in self.methods if m not in done]
                raise ValueError(f'{self.path}: grid.methods {loop} need '
                                 'each other (after=... forms a loop)')
            done += ready
        return done

    def depth(self, method: str) -> int:
        """0 for a method that needs none, else 1 + its needs' depth."""
        after = self.methods[method].after
        return 1 + max(map(self.depth, after)) if after else 0

    def _with_needs(self, methods: Sequence[str]) -> set:
        unknown = [m for m in methods if m not in self.methods]
        if unknown:
            raise ValueError(f'{self.path}: methods {unknown} are not in '
                             f'grid.methods {list(self.methods)}')
        chosen = set()
        stack = list(methods)
        while stack:
            name = stack.pop()
            if name not in chosen:
                chosen.add(name)
                stack += self.methods[name].after
        return chosen

    def run_dir(self, entry: RunEntry) -> str:
        """The run's work dir (relative to the working directory)."""
        return osp.join(self.work_dir, slug(entry.method),
                        f'seed{entry.seed}')

    def record_path(self, entry: RunEntry) -> str:
        return osp.join(self.record_dir, f'{entry.path}.json')

    def legacy_path(self, entry: RunEntry) -> Optional[str]:
        """The legacy record standing in for ``entry`` (see the module's
        doc), or None."""
        if not self.legacy_dir or entry.fold is None:
            return None
        name = f'fold{entry.fold}.json'
        seeded = osp.join(self.legacy_dir,
                          f'{slug(entry.method)}_seed-{entry.seed}', name)
        unseeded = osp.join(self.legacy_dir, slug(entry.method), name)
        if osp.isfile(seeded):
            return seeded
        if len(self.seeds) == 1 and osp.isfile(unseeded):
            return unseeded
        return None


def _fail(path: str, message: str):
    raise ValueError(f'{path}: {message}')


def load_spec(path: str) -> GridSpec:
    """Read and check a grid spec; every error names the file and key."""
    grid = Config.fromfile(path).get('grid')
    if not isinstance(grid, dict):
        _fail(path, 'no `grid = dict(...)` in the spec')
    unknown = sorted(set(grid) - set(SPEC_KEYS))
    if unknown:
        _fail(path, f'grid has unknown keys {unknown}; known: {SPEC_KEYS}')
    for key in ('name', 'methods', 'folds', 'work_dir', 'record_dir'):
        if key not in grid:
            _fail(path, f'grid.{key} is required')
    methods = {}
    for name, method in dict(grid['methods']).items():
        if not isinstance(method, dict) or 'config' not in method:
            _fail(path, f'grid.methods.{name} needs config=...')
        extra = sorted(set(method) - set(METHOD_KEYS))
        if extra:
            _fail(path, f'grid.methods.{name} has unknown keys {extra}')
        after = tuple(method.get('after', ()))
        missing = [a for a in after if a not in grid['methods']]
        if missing:
            _fail(path, f'grid.methods.{name}.after names {missing}, which '
                  'are not methods of the grid')
        methods[name] = GridMethod(name, method['config'],
                                   dict(method.get('cfg_options') or {}),
                                   after, bool(method.get('report', True)))
    num_folds = int(grid.get('num_folds', 10))
    folds = [None] if grid['folds'] is None else \
        [int(k) for k in grid['folds']]
    bad = [k for k in folds if k is not None and not 0 <= k < num_folds]
    if bad:
        _fail(path, f'grid.folds {bad} are outside 0..{num_folds - 1}')
    precision = grid.get('precision', 'config')
    if precision not in PRECISIONS:
        _fail(path, f'grid.precision must be one of {PRECISIONS}, got '
              f'{precision!r}')
    references = list(grid.get('references', ()))
    missing = [r for r in references if r not in methods]
    if missing:
        _fail(path, f'grid.references {missing} are not grid.methods')
    for key in ('work_dir', 'record_dir', 'out', 'legacy_dir'):
        if grid.get(key) and osp.isabs(grid[key]):
            _fail(path, f'grid.{key} must be relative (records hold '
                  f'relative paths only), got {grid[key]}')
    spec = GridSpec(grid['name'], methods, folds, num_folds,
                    [int(s) for s in grid.get('seeds', [0])], precision,
                    references, grid.get('data_root'),
                    grid.get('budget_hours'), grid['work_dir'],
                    grid['record_dir'], path,
                    dict(grid.get('cfg_options') or {}), grid.get('out'),
                    grid.get('legacy_dir'))
    spec.order()  # refuses a loop of needs now
    return spec


def resolve_options(spec: GridSpec, entry: RunEntry) -> dict:
    """The run's ``cfg_options``: the method's, placeholders filled, plus
    its seed and the grid's data root."""
    method = spec.methods[entry.method]
    options = dict(spec.cfg_options)
    for key, value in method.cfg_options.items():
        if isinstance(value, str):
            fold = 'native' if entry.fold is None else str(entry.fold)
            value = value.replace('{fold}', fold).replace(
                '{seed}', str(entry.seed))
            for need in PLACEHOLDER.findall(value):
                if need not in method.after:
                    _fail(spec.path, f'grid.methods.{entry.method}: '
                          f'{{work_dir:{need}}} needs after=[{need!r}]')
                need_dir = osp.join(spec.run_dir(RunEntry(
                    need, entry.fold, entry.seed)),
                    fold_dir_name(entry.fold))
                value = value.replace(f'{{work_dir:{need}}}', need_dir)
        options[key] = value
    options['randomness.seed'] = entry.seed
    if spec.precision == 'fp32' and 'enabled' in base_config(
            method.config).get('optim_wrapper', {}):
        options['optim_wrapper.enabled'] = False
    if spec.data_root:
        options.update({f'{loader}.dataset.data_root': spec.data_root
                        for loader in DATALOADERS})
    return options


@lru_cache(maxsize=None)
def base_config(config: str) -> Config:
    """A method's config as its file says (read once)."""
    return Config.fromfile(str(resolve_config(config)))


def resolved_config(spec: GridSpec, entry: RunEntry) -> Config:
    """The config the run trains: options and fold applied."""
    cfg = base_config(spec.methods[entry.method].config).copy()
    cfg.merge_from_dict(resolve_options(spec, entry))
    if entry.fold is not None:
        cfg.merge_from_dict(fold_options(cfg, entry.fold, spec.num_folds))
    return cfg


# an absolute path into a configs folder (a checkout's, or the installed
# package's mmsde/.mim/configs) as a config's {{ fileDirname }} resolves it
_CONFIGS_PATH = re.compile(r"""(['"])/[^'"]*?/configs/""")


def fingerprint(spec: GridSpec, entry: RunEntry) -> dict:
    """What a run is: a record with another fingerprint is stale. The
    config's hash is over its resolved text (every base and option), with
    absolute paths into a configs folder made relative: the same run has
    the same hash in any checkout or install."""
    text = _CONFIGS_PATH.sub(r'\1configs/',
                             resolved_config(spec, entry).pretty_text)
    return dict(method=entry.method,
                config=spec.methods[entry.method].config,
                config_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
                cfg_options=json.loads(json.dumps(
                    resolve_options(spec, entry), default=str)),
                fold=entry.fold, num_folds=spec.num_folds, seed=entry.seed,
                precision=spec.precision)
