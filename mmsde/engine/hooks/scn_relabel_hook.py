"""SCN's relabelling of training samples, applied and recorded by a hook."""
import json
import os.path as osp
from typing import Dict, List, Optional

from mmengine.dataset import BaseDataset, ClassBalancedDataset, RepeatDataset
from mmengine.dist import all_gather_object, is_main_process
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS
from torch.utils.data import DataLoader, Dataset

from mmsde.utils.model import unwrap_model

#: Message-hub key of the labels changed so far (saved in checkpoints and
#: restored by ``--resume`` only, not by ``load_from``).
STATE_KEY = 'scn_relabel/labels'


@HOOKS.register_module()
class SCNRelabelHook(Hook):
    """Relabel training samples as `SCN <https://arxiv.org/abs/2002.10392>`_
    (Sec. 3.3) does, and write every change down.

    The model's :class:`~mmsde.models.fer_methods.scn.SCNHead` proposes the
    changes of each batch (``relabel_rule``); this hook owns everything that
    touches the run:

    * the schedule: before each epoch it sets ``head.relabel`` to whether
      the epoch (1-based, as MMEngine logs it) is ``>= start_epoch``
      (the authors' ``i >= relabel_epoch`` over epochs ``1..E``);
    * after each iteration it collects the head's proposals;
    * after each epoch it gathers the proposals of every process
      (``mmengine.dist.all_gather_object``: under DDP each process sees its
      own share of the samples), applies them to the training dataset of
      every process in the same order (the last change of a sample wins),
      and the main process appends one JSON line per change to
      ``<work_dir>/<log_file>``: ``epoch``, ``iter``, ``sample_idx``,
      ``img_path``, ``pair_id``, ``masked``, ``old``, ``new`` and the two
      probabilities.

    Labels change at the end of the epoch in which they were proposed, and
    the next epoch trains on them: what the authors' code does whenever its
    data loader has workers (each epoch's workers copy the dataset when
    they start).

    The dataset's label store: mmsde datasets are MMEngine
    ``BaseDataset`` s holding the data list pickled into one buffer
    (``serialize_data``) or as ``data_list``; ``gt_label`` is read from
    there by every ``__getitem__`` (the decoded-image cache holds pixels
    only). The hook rewrites that store (:func:`set_dataset_labels`); a
    serialized one becomes a plain ``data_list`` at the first change.
    Workers started before a change hold a copy of the old store: with
    ``persistent_workers=True`` the loader's workers are shut down after a
    change, and the next epoch starts fresh ones from the updated dataset
    (:func:`restart_persistent_workers`); non-persistent workers restart
    every epoch anyway.

    Resuming: the labels changed so far are kept in the message hub
    (``scn_relabel/labels``), which checkpoints save and ``--resume``
    restores, and are re-applied before training. ``load_from`` does not
    restore them (a fine-tuning run starts from the dataset's labels).

    Args:
        start_epoch: First epoch (1-based) that relabels. Defaults to 10
            (the paper and the authors' code).
        log_file: Name of the JSON-lines file in the work dir.
            Defaults to ``'scn_relabels.jsonl'``.
    """

    priority = 'NORMAL'

    def __init__(self, start_epoch: int = 10,
                 log_file: str = 'scn_relabels.jsonl') -> None:
        if int(start_epoch) != start_epoch or start_epoch < 1:
            raise ValueError('SCNRelabelHook: start_epoch must be an integer '
                             f'>= 1, got {start_epoch!r}')
        self.start_epoch = int(start_epoch)
        self.log_file = log_file
        self._pending: List[dict] = []

    @staticmethod
    def _head(runner):
        model = unwrap_model(runner.model)
        head = getattr(model, 'head', None)
        if not hasattr(head, 'pop_relabel_candidates'):
            raise TypeError('SCNRelabelHook needs a model whose head is an '
                            f'SCNHead, got {type(model).__name__} with head '
                            f'{type(head).__name__}')
        return head

    def before_train(self, runner) -> None:
        """Check the set-up; re-apply the labels of a resumed run."""
        self._head(runner)
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError('SCNRelabelHook relabels between epochs and '
                            'needs an EpochBasedTrainLoop, got '
                            f'{type(runner.train_loop).__name__}')
        dataset = label_store(runner.train_dataloader.dataset)
        state = runner.message_hub.get_info(STATE_KEY)
        if state:
            if state['num_samples'] != len(dataset):
                raise ValueError(
                    f'SCNRelabelHook: the resumed checkpoint relabelled a '
                    f'training set of {state["num_samples"]} samples, this '
                    f'one has {len(dataset)}')
            set_dataset_labels(dataset, state['labels'])
            runner.logger.info(f'SCNRelabelHook: {len(state["labels"])} '
                               'relabelled samples restored from the '
                               'checkpoint')

    def before_train_epoch(self, runner) -> None:
        """Switch the head's proposals on from ``start_epoch``."""
        self._head(runner).relabel = runner.epoch + 1 >= self.start_epoch

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """Collect the head's proposals of this iteration."""
        for record in self._head(runner).pop_relabel_candidates():
            self._pending.append(dict(
                epoch=runner.epoch + 1, iter=runner.iter + 1, **record))

    def after_train_epoch(self, runner) -> None:
        """Gather, apply and record this epoch's changes."""
        gathered = all_gather_object(self._pending)
        self._pending = []
        changes = [c for part in gathered for c in part]
        if not changes:
            return
        dataset = label_store(runner.train_dataloader.dataset)
        new_labels = {c['sample_idx']: c['new'] for c in changes}
        set_dataset_labels(dataset, new_labels)
        restart_persistent_workers(runner.train_dataloader)

        state = runner.message_hub.get_info(STATE_KEY) or dict(
            num_samples=len(dataset), labels={})
        state['labels'].update(new_labels)
        runner.message_hub.update_info(STATE_KEY, state, resumed=True)

        if is_main_process():
            path = osp.join(runner.work_dir, self.log_file)
            with open(path, 'a') as f:
                for change in changes:
                    f.write(json.dumps(change) + '\n')
        masked = sum(bool(c.get('masked')) for c in changes)
        runner.logger.info(
            f'SCNRelabelHook: epoch {runner.epoch + 1}: {len(changes)} '
            f'labels changed ({len(new_labels)} samples, {masked} masked '
            f'images), {len(state["labels"])} relabelled so far')


def label_store(dataset: Dataset) -> BaseDataset:
    """The dataset whose indices the packed ``sample_idx`` refer to:
    ``dataset`` itself, or the one inside a ``RepeatDataset`` /
    ``ClassBalancedDataset`` (their samples carry the inner index)."""
    while isinstance(dataset, (RepeatDataset, ClassBalancedDataset)):
        dataset = dataset.dataset
    if not isinstance(dataset, BaseDataset):
        raise TypeError(
            'SCNRelabelHook: the training set must be an MMEngine '
            'BaseDataset (optionally in a RepeatDataset or '
            f'ClassBalancedDataset), got {type(dataset).__name__}: the '
            'sample_idx of a concatenated set is not a unique key')
    return dataset


def set_dataset_labels(dataset: BaseDataset, labels: Dict[int, int]) -> None:
    """Set ``gt_label`` of samples of an MMEngine ``BaseDataset`` in its
    label store, the ``data_list`` that ``get_data_info`` reads.

    MMEngine has no public way to re-serialize a changed data list (its
    ``_serialize_data`` runs inside ``full_init`` only), so a serialized
    store is unpacked into a plain ``data_list`` (``serialize_data=False``,
    the public switch that ``get_data_info`` and ``__len__`` follow) the
    first time labels change. Workers then copy the list's pages as they
    touch them instead of sharing one buffer: some MiB for a FER training
    set.

    Args:
        dataset: A fully initialised ``BaseDataset``.
        labels: ``{sample_idx: new_label}``.

    Raises:
        IndexError: An index outside the dataset, named.
    """
    num = len(dataset)
    bad = [i for i in labels if not 0 <= int(i) < num]
    if bad:
        raise IndexError(f'set_dataset_labels: sample indices {bad[:5]} are '
                         f'outside {type(dataset).__name__} of {num} '
                         'samples')
    if dataset.serialize_data:
        # BaseDataset's own reader: a subclass's get_data_info may add
        # derived keys (FER2013 expands grey pixels) that must not be stored
        infos = [BaseDataset.get_data_info(dataset, i) for i in range(num)]
        for info in infos:
            info.pop('sample_idx')  # added by get_data_info
        dataset.data_list = infos
        dataset.serialize_data = False
        dataset.data_bytes = dataset.data_address = None
    for idx, label in labels.items():
        dataset.data_list[int(idx)]['gt_label'] = int(label)


def restart_persistent_workers(loader: Optional[DataLoader]) -> bool:
    """Shut down a loader's persistent workers so that the next epoch starts
    new ones from the current dataset (the old ones hold a copy made when
    they started). Returns whether workers were shut down.

    PyTorch has no public way to do it: ``persistent_workers=True`` keeps
    the loader's private ``_iterator`` (and its workers) for the loader's
    lifetime, and ``iter(loader)`` only resets it. Dropping that iterator,
    after shutting its workers down at once rather than whenever it is
    garbage-collected, is the least private use that works.
    """
    iterator = getattr(loader, '_iterator', None)
    if not getattr(loader, 'persistent_workers', False) or iterator is None:
        return False
    iterator._shutdown_workers()
    loader._iterator = None
    return True
