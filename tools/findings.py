"""The paper's findings on the bundled synthetic benchmark: every method over
subject-disjoint folds at one stated budget, then the table with fold-paired
comparisons. Resumable: finished folds are skipped, so run it again after an
interruption (or with more folds) and it continues.

    python tools/findings.py                       # folds 0-4, all methods
    python tools/findings.py --folds 0 1 2 3 4 5 6 7 8 9
    python tools/findings.py --methods nonmasked both --ablations
    python tools/findings.py --summarize-only
    python tools/findings.py --methods both --ablations --seeds 1 2
    python tools/findings.py --recipes              # + the recipe candidates
    python tools/findings.py --methods 'nonmasked, 112 px'
    python tools/findings.py --doubled              # twice the steps
    python tools/findings.py --masked-view overlay --summarize-only

``--masked-view`` picks the benchmark (the default, ``second_photo``: each
masked image a second photograph of its pair's face and expression, as
MSD-E pairs them; ``overlay``: the mask drawn on the non-masked image, the
benchmark of the committed records and tables). Each has its own data
folder, work dir, records and tables (:data:`BENCHMARKS`): ``overlay`` keeps
the paths the committed results were made with, ``second_photo`` writes
under ``docs/findings/second_photo/``.

Methods run fold by fold (all methods on a fold, then the next fold), so the
table after an interruption compares methods on the same folds. Budget:
every method takes the same number of optimiser steps on the same number of
training images (see docs/en/results.md, "The recipe"); two-stage SupCon
adds its linear stage; the state-of-the-art FER methods train as `both`.
With ``--doubled`` the table runs at twice its optimiser steps (the paper's
24 epochs for the two-view methods, 48 for the single-image ones; rows named
``<method>, <epochs> epochs``), compared with its own baselines.

Results: WORK_DIR/<method>/fold<k>/test_metrics.json; tables: OUT.md (with
each run's parameters, training images/s and minutes), OUT.csv and
OUT_paired.md, and OUT_doubled.* for the doubled table; with ``--readme
docs/en/results.md`` the results page's tables and their key fold-paired
differences are rewritten between their marker comments (a second_photo
table's markers start with ``second-photo-``), and with ``--summary
README.md`` the README's verdicts on the paper's three findings for both
benchmarks (:mod:`mmsde.apis.paper_findings`). The model index takes its
results from the same records: ``python tools/model_index.py`` after new
runs.

With ``--seeds``, the selected methods run once per seed (``randomness.seed``)
as ``<method>, seed S`` beside the unseeded table, and OUT_seeds.md compares
them at equal seeds: each run against `both` and `both, twin batches` of the
same seed, paired by fold and seed, next to each run against itself with
another seed (the run-to-run noise that "level with `both`" is measured
against).
"""
import argparse
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config

from mmsde.apis import pretrain_faces
from mmsde.apis.kfold import (RESULT_FILE, format_difference,
                              load_fold_results, paired_comparison,
                              read_fold_records, run_fold, write_report)
from mmsde.apis.paper_findings import summary_table
from mmsde.apis.runner import input_size_options
from mmsde.datasets import ensure_synthetic_msde
from mmsde.datasets.msde_writer import SYNTHETIC_ROOTS
from mmsde.synthetic import MASKED_VIEWS
from mmsde.utils.cpu_features import native_bf16_isas

BASELINE = 'configs/baseline/resnet18_1xb32-adam-{}_synthetic-msde-{}.py'
PAIRED = 'configs/contrastive/{}_resnet18_1xb16-adam-12e_synthetic-msde.py'
LINEAR = ('configs/contrastive/'
          'supcon-linear_resnet18_1xb32-adam-12e_synthetic-msde.py')
DISTILL = 'configs/distillation/{}_resnet18_1xb32-adam-24e_synthetic-msde.py'
SOTA = 'configs/fer_methods/{}_resnet18_1xb32-adam-12e_synthetic-msde{}.py'
FACE_PRETRAIN = ('configs/face_pretrain/'
                 'resnet18_1xb64-adam-4e_synthetic-identities-64px.py')
# recipe candidates: face pretraining on people seen in a new scene each
# photo (only the face tells them apart)
SCENES_PRETRAIN = ('configs/face_pretrain/resnet18_1xb64-adam-4e_'
                   'synthetic-identities-scenes-64px.py')
PRETRAINED = 'model.backbone.init_cfg.checkpoint'
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


class Benchmark(NamedTuple):
    """Where one benchmark's findings live: its data folder (set on every
    run, with its masked view), work dir, tables (``OUT``), records, the
    prefix of its document markers, and the precision of its table at twice
    the steps that the findings summary (``--summary``) judges."""
    data_root: str
    work_dir: str
    out: str
    record_dir: str
    marker_prefix: str
    summary_precision: str


# by masked view; overlay keeps the paths its committed results were made
# with
BENCHMARKS = {
    'overlay': Benchmark(SYNTHETIC_ROOTS['overlay'], 'work_dirs/findings',
                         'docs/findings/table', 'docs/findings/folds', '',
                         'fp32'),
    'second_photo': Benchmark(SYNTHETIC_ROOTS['second_photo'],
                              'work_dirs/findings_second-photo',
                              'docs/findings/second_photo/table',
                              'docs/findings/second_photo/folds',
                              'second-photo-', 'bf16'),
}
METRICS = ('non_masked/accuracy', 'masked/accuracy', 'overall/accuracy')
REFERENCES = ('nonmasked', 'both')
# the table at twice its steps (``--doubled``): its baselines at that budget
DOUBLED_REFERENCES = ('nonmasked, 48 epochs', 'both, 24 epochs')
# float32, and bfloat16 autocast with channels-last (``--amp`` on the CPU)
PRECISIONS = ('fp32', 'bf16')
PRECISION_NAMES = {'fp32': 'float32', 'bf16': 'bfloat16'}
# the synthetic configs train in bfloat16 where the CPU has it: float32 rows
# switch it off
FP32_OPTION = 'optim_wrapper.enabled'
# the seeded runs' references: `both`, and `both` with the batches of paired
# training (the paired code path against single-image training at one batch
# composition)
SEED_REFERENCES = ('both', 'both, twin batches')
# the results page's fold-paired differences: (run, reference) in reading
# order
README_PAIRS = (
    ('both', 'nonmasked'), ('masked', 'nonmasked'),
    ('featkd', 'nonmasked'), ('logitkd', 'nonmasked'),
    ('featlogitkd', 'nonmasked'), ('featkd-cached', 'nonmasked'),
    ('paired-mse', 'nonmasked'), ('supcon-joint', 'nonmasked'),
    ('featkd', 'both'), ('logitkd', 'both'), ('featlogitkd', 'both'),
    ('featkd-cached', 'both'), ('paired-mse', 'both'),
    ('supcon-joint', 'both'), ('scn', 'both'), ('dan', 'both'),
    ('scan-cci', 'both'),
    # sanity ablations (listed when they have results)
    ('paired-mse, alpha=0', 'both'), ('supcon-joint, lambda=0', 'both'),
    ('supcon-joint, lambda=0, shared draws', 'both'),
    ('both, twin batches', 'both'),
    ('featlogitkd, weights=0', 'both'),
    # recipe candidates against the table's recipe
    ('nonmasked, scene pretraining', 'nonmasked'),
    ('nonmasked, 112 px', 'nonmasked'),
    ('both, 112 px', 'nonmasked, 112 px'),
    ('supcon-joint, 112 px', 'nonmasked, 112 px'),
    ('supcon-joint, 112 px', 'both, 112 px'),
    ('both, scene pretraining', 'both'),
    ('supcon-joint, T=0.5', 'supcon-joint'))


def epochs(num: int) -> Dict[str, int]:
    """Options that train a config for ``num`` epochs (its cosine decay
    spanning them)."""
    return {'train_cfg.max_epochs': num, 'param_scheduler.T_max': num}


class Method(NamedTuple):
    name: str
    config: str
    options: Optional[Dict[str, str]] = None
    in_table: bool = True
    amp: bool = False  # bfloat16 + channels-last on the CPU (--amp)


class Table(NamedTuple):
    """A results table: its methods, output prefix, the runs every row is
    compared with, the README markers of its rows and of its key
    fold-paired differences, and those differences' (run, reference)."""
    methods: List[Method]
    out: str
    references: Sequence[str]
    markers: Tuple[str, str]
    pairs: Sequence[Tuple[str, str]]


def teacher_option(work_dir: str,
                   teacher: str = 'nonmasked') -> Dict[str, str]:
    """The distillers' teacher: the best checkpoint of the ``teacher`` run
    (a folder of ``work_dir``) on the same fold."""
    return {'model.teacher_ckpt':
            f'{work_dir}/{teacher}/fold{{fold}}/best_*.pth'}


def max_epochs(method: Method) -> int:
    """The epochs ``method`` trains for (its options, else its config)."""
    options = method.options or {}
    if 'train_cfg.max_epochs' in options:
        return options['train_cfg.max_epochs']
    cfg = Config.fromfile(osp.join(REPO_ROOT, method.config))
    return cfg.train_cfg.max_epochs


def at_budget(method: Method, factor: int) -> Method:
    """``method`` trained for ``factor`` times its config's epochs, named
    ``<method>, <epochs> epochs`` (itself for ``factor`` 1)."""
    if factor == 1:
        return method
    num = factor * max_epochs(method)
    return method._replace(name=f'{method.name}, {num} epochs',
                           options=dict(method.options or {}, **epochs(num)))


def in_precision(method: Method, precision: str) -> Method:
    """``method`` in ``precision``: itself, its bfloat16 default switched
    off, in float32; ``<method>, bf16`` trained with ``--amp`` (bfloat16
    autocast and channels-last on the CPU, refused where bfloat16 would be
    emulated) in bfloat16."""
    if precision == 'fp32':
        return method._replace(options=dict(method.options or {},
                                            **{FP32_OPTION: False}))
    return method._replace(name=f'{method.name}, {precision}', amp=True)


def methods(work_dir: str, factor: int = 1,
            precision: str = 'fp32') -> List[Method]:
    """The methods in run order (teachers and stage 1 before their users);
    ``{fold}`` in an option becomes the fold index. ``factor`` 2 is the
    table at twice its optimiser steps: the paper's 24 epochs for the
    two-view methods, 48 for the single-image ones; distillers learn from
    the non-masked baseline and the linear stage from stage 1 of the same
    budget and precision."""

    def variant(method: Method) -> Method:
        return in_precision(at_budget(method, factor), precision)

    nonmasked = variant(
        Method('nonmasked', BASELINE.format('24e', 'nonmasked')))
    stage1 = variant(Method('supcon-pretrain',
                            PAIRED.format('supcon-pretrain'),
                            in_table=False))
    teacher = teacher_option(work_dir, dir_name(nonmasked))
    encoder = {'model.backbone.init_cfg.checkpoint':
               f'{work_dir}/{dir_name(stage1)}/fold{{fold}}/'
               f'epoch_{max_epochs(stage1)}.pth'}
    return [nonmasked] + [variant(m) for m in (
        Method('masked', BASELINE.format('24e', 'masked')),
        Method('both', BASELINE.format('12e', 'both')),
        Method('paired-mse', PAIRED.format('paired-mse')),
        Method('supcon-joint', PAIRED.format('supcon-joint')),
    )] + [stage1] + [variant(m) for m in (
        Method('supcon-linear', LINEAR, encoder),
        Method('featkd', DISTILL.format('featkd'), teacher),
        Method('logitkd', DISTILL.format('logitkd'), teacher),
        Method('featlogitkd', DISTILL.format('featlogitkd'), teacher),
        Method('featkd-cached', DISTILL.format('featkd-cached'), teacher),
        # state-of-the-art FER methods, trained as `both` (both kinds of
        # images, 12 epochs): single-image methods at the two-view budget
        Method('scn', SOTA.format('scn', '-both')),
        Method('dan', SOTA.format('dan', '-both')),
        Method('scan-cci', SOTA.format('scan-cci', '')),
        # SCN's relabelling off: importance weights and rank loss only
        Method('scn-norelabel', SOTA.format('scn', '-both'),
               {'custom_hooks': []}),
    )]


def table_pairs(rows: List[Method], references: Sequence[str]
                ) -> List[Tuple[str, str]]:
    """A derived table's key differences: every row against the table's
    non-masked baseline (``references[0]``), the paradigms against its
    `both` (``references[1]``), and every row against the row it derives
    from (``<row>, <change>`` against ``<row>``: the same method at the
    main table's budget, or in float32)."""
    reference, both = references
    names = [m.name for m in rows if m.in_table]
    single_view = [r for r in names
                   if r.startswith(('nonmasked,', 'masked,', 'both,'))]
    return [(r, reference) for r in names if r != reference] + \
        [(r, both) for r in names if r not in single_view] + \
        [(r, r.rsplit(', ', 1)[0]) for r in names]


def named(names: Sequence[str], precision: str) -> Tuple[str, ...]:
    """Row names in ``precision`` (:func:`in_precision`)."""
    return tuple(in_precision(Method(n, ''), precision).name for n in names)


def tables(work_dir: str, out: str, sanity: List[Method],
           candidates: List[Method], marker_prefix: str = ''
           ) -> Dict[str, Tuple[Table, Table]]:
    """Per precision, the table and the table at twice the steps. The
    float32 table also holds the sanity ablations and recipe candidates;
    a bfloat16 table is OUT_bf16 (rows ``<method>, bf16``), its README
    markers ``table-bf16`` and so on, its rows compared with their float32
    rows too. ``marker_prefix`` starts every marker (one benchmark's blocks
    apart from another's)."""
    result = {}
    for precision in PRECISIONS:
        suffix = '' if precision == 'fp32' else f'-{precision}'
        single = methods(work_dir, 1, precision)
        doubled = methods(work_dir, 2, precision)
        refs = named(REFERENCES, precision)
        doubled_refs = named(DOUBLED_REFERENCES, precision)
        pre = marker_prefix
        if precision == 'fp32':
            main = Table(single + sanity + candidates, out, refs,
                         (f'{pre}table', f'{pre}paired'), README_PAIRS)
        else:
            main = Table(single, f'{out}_{precision}', refs,
                         (f'{pre}table{suffix}', f'{pre}paired{suffix}'),
                         table_pairs(single, refs))
        result[precision] = (main, Table(
            doubled, f'{out}_doubled' + suffix.replace('-', '_'),
            doubled_refs,
            (f'{pre}doubled{suffix}', f'{pre}doubled-paired{suffix}'),
            table_pairs(doubled, doubled_refs)))
    return result


def ablations(work_dir: str) -> List[Method]:
    """Each paradigm with its extra term off: ``both`` training through
    another code path, which must match ``both`` within fold noise."""
    teacher = teacher_option(work_dir)
    return [in_precision(m, 'fp32') for m in (
        Method('paired-mse, alpha=0', PAIRED.format('paired-mse'),
               {'model.paired_loss.loss_weight': 0.0}),
        Method('supcon-joint, lambda=0', PAIRED.format('supcon-joint'),
               {'model.contrast_loss.loss_weight': 0.0}),
        # as the authors pair: one augmentation draw for both images
        Method('supcon-joint, lambda=0, shared draws',
               PAIRED.format('supcon-joint'),
               {'model.contrast_loss.loss_weight': 0.0,
                'train_dataloader.dataset.pipeline.1.share_draws': True}),
        # `both` with the batch composition of paired training (a face's
        # two images side by side, 16 faces a step): tells the paired code
        # path from the composition of its batches
        Method('both, twin batches', BASELINE.format('12e', 'both'),
               {'train_dataloader.sampler.type': 'TwinSampler'}),
        Method('featlogitkd, weights=0', DISTILL.format('featlogitkd'), dict(
            teacher, **{'model.feature_loss.loss_weight': 0.0,
                        'model.logit_loss.loss_weight': 0.0})),
    )]


def input_size(config: str, size: int) -> Dict[str, tuple]:
    """Options that resize ``config``'s inputs to ``size`` px."""
    return input_size_options(Config.fromfile(osp.join(REPO_ROOT, config)),
                              size)


def recipe_candidates() -> List[Method]:
    """Baselines with another recipe, each against the table's recipe on
    the same folds (``--recipes``)."""
    scenes = {PRETRAINED: 'face-pretrain://' + SCENES_PRETRAIN}
    nonmasked, both = (BASELINE.format('24e', 'nonmasked'),
                       BASELINE.format('12e', 'both'))
    supcon = PAIRED.format('supcon-joint')
    return [in_precision(m, 'fp32') for m in (
        # the benchmark's files are 112 px: no downscaling
        Method('nonmasked, 112 px', nonmasked, input_size(nonmasked, 112)),
        Method('both, 112 px', both, input_size(both, 112)),
        Method('supcon-joint, 112 px', supcon, input_size(supcon, 112)),
        Method('nonmasked, scene pretraining',
               BASELINE.format('24e', 'nonmasked'), scenes),
        Method('both, scene pretraining', BASELINE.format('12e', 'both'),
               scenes),
        # a softer SupCon: T = 0.5 with the loss weight scaled alike, so
        # its gradient on the similarities stays that of T = 0.1, weight 0.1
        Method('supcon-joint, T=0.5', supcon, {
            'model.contrast_loss.temperature': 0.5,
            'model.contrast_loss.base_temperature': 0.5,
            'model.contrast_loss.loss_weight': 0.5}),
    )]


def face_pretrain_configs(selected: Sequence[Method]) -> List[str]:
    """The face-pretraining configs the selected methods start from: the
    table's, and any other a method names as ``face-pretrain://CONFIG``."""
    configs = [FACE_PRETRAIN]
    for method in selected:
        url = (method.options or {}).get(PRETRAINED, '')
        if url.startswith('face-pretrain://'):
            config = url[len('face-pretrain://'):]
            if config not in configs:
                configs.append(config)
    return configs


def seeded(method: Method, seed: int) -> Method:
    """``method`` with a fixed seed, named ``<method>, seed S``; not a row of
    the main table (see :func:`write_seed_summary`)."""
    options = dict(method.options or {}, **{'randomness.seed': seed})
    return Method(f'{method.name}, seed {seed}', method.config, options,
                  in_table=False)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--masked-view', choices=MASKED_VIEWS,
                        default='second_photo',
                        help='the benchmark: its data folder and masked '
                        'view for every run, and the default work dir, '
                        'OUT and record dir (overlay: the committed '
                        'results\' paths; default: %(default)s)')
    parser.add_argument('--work-dir',
                        help='default: by masked view, ' + ', '.join(
                            f'{v}: {b.work_dir}'
                            for v, b in BENCHMARKS.items()))
    parser.add_argument('--folds', type=int, nargs='+',
                        default=[0, 1, 2, 3, 4])
    parser.add_argument('--num-folds', type=int, default=10)
    parser.add_argument('--methods', nargs='+',
                        help='run only these methods (default: all); the '
                        'table still lists every method with results')
    parser.add_argument('--ablations', action='store_true',
                        help='also run the sanity ablations')
    parser.add_argument('--recipes', action='store_true',
                        help='also run the recipe candidates')
    parser.add_argument('--doubled', action='store_true',
                        help='run the table at twice its optimiser steps '
                        '(the paper\'s 24 epochs for the two-view methods, '
                        '48 for the single-image ones) instead')
    parser.add_argument('--precision', choices=PRECISIONS,
                        default='bf16' if native_bf16_isas() else 'fp32',
                        help='bf16 (the default on a CPU with native '
                        'bfloat16): the rows "<method>, bf16", trained with '
                        '--amp (bfloat16 autocast and channels-last), tables '
                        'OUT_bf16*; fp32: the float32 rows and tables')
    parser.add_argument('--summarize-only', action='store_true')
    parser.add_argument('--out',
                        help='writes OUT.md, OUT.csv and OUT_paired.md '
                        '(default: by masked view, ' + ', '.join(
                            f'{v}: {b.out}' for v, b in BENCHMARKS.items())
                        + ')')
    parser.add_argument('--readme',
                        help='rewrite this file\'s tables and paired '
                        'differences between their <!-- findings:... --> '
                        'markers and closing <!-- /findings:... --> '
                        'comments (the site\'s docs/en/results.md; a '
                        'second_photo table\'s markers start with '
                        'second-photo-)')
    parser.add_argument('--summary', nargs='+', default=[],
                        help='rewrite these files\' <!-- findings:summary '
                        '--> block: the paper\'s three findings judged on '
                        'each benchmark\'s table at twice the steps, from '
                        'the committed records')
    parser.add_argument('--record-dir',
                        help='each finished fold\'s result is copied here '
                        '(commit it: work_dirs/ is not kept) and restored '
                        'from here before a fold runs (default: by masked '
                        'view, ' + ', '.join(f'{v}: {b.record_dir}'
                                             for v, b in BENCHMARKS.items())
                        + ')')
    parser.add_argument('--seeds', type=int, nargs='+',
                        help='run the selected methods once per seed '
                        '(OUT_seeds.md compares them at equal seeds)')
    args = parser.parse_args()
    benchmark = BENCHMARKS[args.masked_view]
    for key in ('work_dir', 'out', 'record_dir'):
        if getattr(args, key) is None:
            setattr(args, key, getattr(benchmark, key))
    return args


def data_options(masked_view: str) -> Dict[str, str]:
    """Options that train and test a run on the benchmark of
    ``masked_view``: its folder, checked to hold that masked view."""
    root = BENCHMARKS[masked_view].data_root
    return {f'{split}_dataloader.dataset.{key}': value
            for split in ('train', 'val', 'test')
            for key, value in (('data_root', root),
                               ('synthetic_view', masked_view))}


def dir_name(method: Method) -> str:
    """A folder name for a method (ablation names hold commas, spaces and
    ``=``)."""
    return method.name.replace(', ', '_').replace('=', '').replace(' ', '-')


def keep_record(work_dir: str, record_dir: str, method: Method,
                fold: int) -> None:
    """Restore a fold's committed result into the work dir (so it is not
    run again), or commit a finished one: ``RECORD_DIR/<method>/fold<k>``.
    """
    name = dir_name(method)
    result = osp.join(work_dir, name, f'fold{fold}', RESULT_FILE)
    record = osp.join(record_dir, name, f'fold{fold}.json')
    src, dst = (record, result) if osp.isfile(record) and not osp.isfile(
        result) else (result, record)
    if osp.isfile(src) and not osp.isfile(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)


def paired_rows(runs: Dict[str, list],
                pairs: Sequence[Tuple[str, str]] = README_PAIRS) -> str:
    """Markdown table of the fold-paired differences of ``pairs`` whose
    runs both have results (non-masked and masked accuracy)."""
    views = METRICS[:2]
    lines = ['| run | reference | folds | Δ non-masked | Δ masked |',
             '| --- | --- | --- | --- | --- |']
    for run, ref in pairs:
        if run in runs and ref in runs:
            diff = paired_comparison(runs[run], runs[ref], views)
            cells = [str(diff[views[0]]['n'])] + [
                format_difference(diff[m]) for m in views]
            lines.append(f'| `{run}` | `{ref}` | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def splice(text: str, marker: str, block: str, path: str) -> str:
    """``text`` with the lines between ``<!-- findings:MARKER -->`` and
    ``<!-- /findings:MARKER -->`` replaced by ``block``.

    Raises:
        ValueError: ``path`` lacks the pair of markers (once each, in order).
    """
    start = f'<!-- findings:{marker} -->\n'
    end = f'<!-- /findings:{marker} -->'
    if text.count(start) != 1 or text.count(end) != 1 or \
            text.index(start) > text.index(end):
        raise ValueError(f'{path}: needs one {start.strip()} line followed '
                         f'by one {end} line')
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f'{head}{start}\n{block.strip()}\n\n{end}{tail}'


def write_readme(path: str, blocks: Dict[str, str]) -> None:
    """Rewrite the marked blocks of ``path`` (all checked before writing,
    so a missing marker leaves the file as it was)."""
    with open(path) as f:
        text = f.read()
    for marker, block in blocks.items():
        text = splice(text, marker, block, path)
    with open(path, 'w') as f:
        f.write(text)
    print(f'[findings] rewrote {", ".join(blocks)} in {path}')


def fold_results(work_dir: str, method: Method) -> List[dict]:
    """A method's per-fold records; empty before its first fold finishes."""
    try:
        return load_fold_results(f'{work_dir}/{dir_name(method)}')
    except FileNotFoundError:
        return []


def write_summary(tables: Sequence[Table], work_dir: str,
                  readme: Optional[str] = None) -> None:
    """Each table's rows and paired comparisons for the methods with
    results; with ``readme``, that file's marked blocks too."""
    every_run, blocks = {}, {}
    for table in tables:
        results = [(m, fold_results(work_dir, m)) for m in table.methods]
        runs = {m.name: records for m, records in results
                if m.in_table and records}
        if not runs:
            continue
        every_run.update(runs)
        os.makedirs(osp.dirname(table.out) or '.', exist_ok=True)
        write_report(runs, METRICS, table.out,
                     [r for r in table.references if r in runs])
        # runs that are not rows (SupCon's stage 1) take time too
        hours = sum(r.get('seconds', 0.) for _, records in results
                    for r in records) / 3600
        with open(f'{table.out}.md', 'a') as f:
            f.write(f'\nTraining and testing took {hours:.2f} h in total '
                    '(every run, those that are not rows included).\n')
        with open(f'{table.out}.md') as f:
            blocks[table.markers[0]] = f.read()
        print(blocks[table.markers[0]])
    if not every_run:
        print('[findings] no results yet')
        return
    for table in tables:
        if table.markers[0] in blocks:
            blocks[table.markers[1]] = paired_rows(every_run, table.pairs)
    if readme:
        write_readme(readme, blocks)


def findings_summary() -> str:
    """The paper's findings judged on each benchmark's committed table at
    twice the steps (:mod:`mmsde.apis.paper_findings`), with the
    benchmark, precision and folds in the column heads."""
    columns = {}
    for view, bench in BENCHMARKS.items():
        doubled = methods(bench.work_dir, 2, bench.summary_precision)
        runs = {m.name.split(',')[0]: [record for _, record in
                                       read_fold_records(osp.join(
                                           bench.record_dir, dir_name(m)))]
                for m in doubled if m.in_table}
        runs = {name: records for name, records in runs.items() if records}
        folds = sorted({len(r) for r in runs.values()}) or [0]
        span = '-'.join(map(str, sorted({folds[0], folds[-1]})))
        head = (f'`{view}` ({PRECISION_NAMES[bench.summary_precision]}, '
                f'{span} folds a row)')
        columns[head] = runs
    return summary_table(columns)


def write_seed_summary(selected: List[Method], seeds: Sequence[int],
                       work_dir: str, out: str) -> None:
    """``OUT_seeds.md``: the seeded runs' table, each method against
    ``SEED_REFERENCES`` at equal seeds (pooled over seeds, paired by fold and
    seed) and against itself with another seed (its run-to-run noise)."""
    per_seed, pooled, pairs = {}, {}, []
    for method in selected:
        for seed in seeds:
            records = fold_results(work_dir, seeded(method, seed))
            if not records:
                continue
            per_seed[f'{method.name}, seed {seed}'] = records
            pooled.setdefault(f'{method.name}, seeded', []).extend(
                dict(r, fold=(r['fold'], seed)) for r in records)
    if not per_seed:
        print('[findings] no seeded results yet')
        return
    for method in selected:
        # a reference is compared with the references before it only
        own = SEED_REFERENCES.index(method.name) if \
            method.name in SEED_REFERENCES else len(SEED_REFERENCES)
        pairs += [(f'{method.name}, seeded', f'{ref}, seeded')
                  for ref in SEED_REFERENCES[:own]]
        ran = [s for s in seeds if f'{method.name}, seed {s}' in per_seed]
        pairs += [(f'{method.name}, seed {b}', f'{method.name}, seed {a}')
                  for i, a in enumerate(ran) for b in ran[i + 1:]]
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    write_report(per_seed, METRICS, f'{out}_seeds')
    with open(f'{out}_seeds.md', 'a') as f:
        f.write('\nAt equal seeds (`, seeded`: pooled over the seeds, paired '
                'by fold and seed; `folds` counts the pairs) and between '
                'seeds (run-to-run noise):\n\n')
        f.write(paired_rows(dict(per_seed, **pooled), pairs))
    with open(f'{out}_seeds.md') as f:
        print(f.read())


def main() -> None:
    args = parse_args()
    sanity, candidates = ablations(args.work_dir), recipe_candidates()
    by_precision = tables(args.work_dir, args.out, sanity, candidates,
                          BENCHMARKS[args.masked_view].marker_prefix)
    main_table, doubled_table = by_precision[args.precision]
    selected = list(doubled_table.methods if args.doubled else [
        m for m in main_table.methods if m not in sanity + candidates])
    if args.precision == 'fp32':
        selected += [m for flag, group in ((args.ablations, sanity),
                                           (args.recipes, candidates))
                     if flag for m in group]
    elif args.ablations or args.recipes or args.seeds:
        raise SystemExit('--ablations, --recipes and --seeds are float32 '
                         'tables: run them without --precision')
    every_table = [t for pair in by_precision.values() for t in pair]
    known = [m for t in every_table for m in t.methods]
    if args.methods:
        unknown = set(args.methods) - {m.name for m in known}
        if unknown:
            raise SystemExit(f'unknown methods {sorted(unknown)}; known: '
                             f'{[m.name for m in known]}')
        selected = [m for m in known if m.name in args.methods]
    unseeded = selected
    if args.seeds:
        selected = [seeded(m, s) for s in args.seeds for m in unseeded]
        known = known + selected
    # restore every committed fold (finished folds are then not run again,
    # and the table lists every method with results, run now or not)
    for fold in range(args.num_folds):
        for method in known:
            keep_record(args.work_dir, args.record_dir, method, fold)
    if not args.summarize_only:
        root = BENCHMARKS[args.masked_view].data_root
        try:
            print(ensure_synthetic_msde(root, args.masked_view)
                  or f'[findings] benchmark: {root} ({args.masked_view})')
        except ValueError as err:
            raise SystemExit(f'error: {err}')
        for config in face_pretrain_configs(selected):
            print(f'[findings] face pretraining: {pretrain_faces(config)}')
        for fold in args.folds:
            for method in selected:
                start = time.perf_counter()
                metrics = run_fold(method.config,
                                   f'{args.work_dir}/{dir_name(method)}',
                                   fold, args.num_folds,
                                   dict(method.options or {},
                                        **data_options(args.masked_view)),
                                   amp=method.amp)
                keep_record(args.work_dir, args.record_dir, method, fold)
                print(f'[findings] fold {fold} {method.name}: '
                      f'non-masked {metrics["non_masked/accuracy"]:.2f}, '
                      f'masked {metrics["masked/accuracy"]:.2f} '
                      f'({time.perf_counter() - start:.0f} s)')
            write_summary(every_table, args.work_dir)
    write_summary(every_table, args.work_dir, args.readme)
    if args.summary:
        summary = findings_summary()
        for path in args.summary:
            write_readme(path, {'summary': summary})
    if args.seeds:
        write_seed_summary(unseeded, args.seeds, args.work_dir, args.out)


if __name__ == '__main__':
    main()
