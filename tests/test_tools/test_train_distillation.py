"""End to end: a teacher trained by tools/train.py guides a student through
the distillation configs (online and cached teacher), and the student's
checkpoint is tested with the plain baseline config (an ImageClassifier)."""
import pytest
from e2e_helpers import (REPO, run_tool, scalars, weights, write_tiny_config,
                         write_tiny_paired_config)

pytestmark = pytest.mark.slow

DISTILLATION = REPO / 'configs' / 'distillation'
SYNTHETIC = '_resnet18_1xb32-adam-24e_synthetic-msde.py'


@pytest.fixture(scope='module')
def teacher(tiny_msde, module_tmp_path):
    """A 1-epoch teacher on the tiny benchmark: (config, best checkpoint)."""
    tmp = module_tmp_path
    config = write_tiny_config(tmp / 'tiny.py', tiny_msde, max_epochs=1)
    run_tool('python', 'tools/train.py', config, '--work-dir', tmp / 'run')
    (best, ) = (tmp / 'run').glob('best_*.pth')
    return config, best


@pytest.mark.parametrize('method,loss_keys', [
    ('featkd', {'loss_cls', 'loss_kd_feature'}),
    ('featlogitkd', {'loss_cls', 'loss_kd_feature', 'loss_kd_logit'}),
])
def test_student_trains_and_tests_as_image_classifier(method, loss_keys,
                                                      teacher, tiny_msde,
                                                      tmp_path):
    teacher_config, teacher_ckpt = teacher
    config = write_tiny_paired_config(tmp_path, tiny_msde,
                                      DISTILLATION / f'{method}{SYNTHETIC}')
    work_dir = tmp_path / 'run'
    run_tool('python', 'tools/train.py', config, '--work-dir', work_dir,
             '--cfg-options', f'model.teacher_ckpt={teacher_ckpt}')
    train = [r for r in scalars(work_dir) if 'loss' in r]
    assert train and all(set(r) & (loss_keys | {'loss'}) ==
                         loss_keys | {'loss'} for r in train)
    ckpt = work_dir / 'epoch_1.pth'
    assert not any(k.startswith('teacher') for k in weights(ckpt))
    proc = run_tool('python', 'tools/test.py', teacher_config, ckpt,
                    '--work-dir', tmp_path / 'test')
    assert 'masked/accuracy' in proc.stdout + proc.stderr


def test_cached_teacher(teacher, tiny_msde, tmp_path):
    _, teacher_ckpt = teacher
    config = write_tiny_paired_config(
        tmp_path, tiny_msde, DISTILLATION / f'featkd-cached{SYNTHETIC}')
    work_dir = tmp_path / 'run'
    proc = run_tool('python', 'tools/train.py', config, '--work-dir',
                    work_dir, '--cfg-options',
                    f'model.teacher_ckpt={teacher_ckpt}')
    log = proc.stdout + proc.stderr
    assert 'TeacherCacheHook: running the teacher on' in log
    assert len(list((work_dir / 'teacher_cache').glob('teacher_*.pth'))) == 1
    assert any('loss_kd_feature' in r for r in scalars(work_dir))


def test_missing_teacher_checkpoint_stops_before_training(tiny_msde,
                                                          tmp_path):
    config = write_tiny_paired_config(tmp_path, tiny_msde,
                                      DISTILLATION / f'featkd{SYNTHETIC}')
    missing = tmp_path / 'no_teacher' / 'best_*.pth'
    with pytest.raises(AssertionError, match='no file matches'):
        run_tool('python', 'tools/train.py', config, '--work-dir',
                 tmp_path / 'run', '--cfg-options',
                 f'model.teacher_ckpt={missing}')
    assert not (tmp_path / 'run' / 'epoch_1.pth').exists()
