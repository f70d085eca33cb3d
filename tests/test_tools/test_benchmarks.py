"""The benchmark scripts run and print their tables (timings themselves are
recorded in docs/benchmarks.md, not asserted)."""
import re

import pytest
from e2e_helpers import run_tool

pytestmark = pytest.mark.slow


def test_distill_speed_prints_three_variants_with_ratios():
    proc = run_tool('python', 'tools/benchmark/distill_speed.py', '--steps',
                    '1', '--rounds', '1', '--batch-size', '4')
    rows = re.findall(r'^\| (student alone|distillation, online teacher|'
                      r'distillation, cached teacher)[^|]*\| ([\d.]+) \| '
                      r'([\d.]+) \| ([\d.]+) \|$', proc.stdout, re.M)
    assert [r[0] for r in rows] == [
        'student alone', 'distillation, online teacher',
        'distillation, cached teacher'
    ]
    assert rows[0][3] == '1.00'
    alone = float(rows[0][1])
    for _, seconds, img_s, ratio in rows:
        assert float(seconds) > 0 and float(img_s) > 0
        # printed precision: seconds to 0.001 (each off by <= 0.0005),
        # ratio to 0.01
        expected = float(seconds) / alone
        slack = 0.005 + expected * (0.0005 / float(seconds) + 0.0005 / alone)
        assert float(ratio) == pytest.approx(expected, abs=slack + 1e-9)


ROW = (r'^\| tiny.py \| (\d+) \| (\d+) \| ([^|]+) \| ([\w-]+) \| '
       r'([\d.]+) \[[^]]+\] \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| '
       r'[^|]+ \| ([\d.]+|n/a) \| ([\d.]+|n/a) \|')


def ratio_printed(printed: str, a: float, b: float) -> bool:
    """``printed`` is a / b to 2 decimals, within what rounding a and b to
    0.1 (img/s) can move it."""
    ratio = a / b
    slack = 0.005 + ratio * (0.05 / a + 0.05 / b)
    return float(printed) == pytest.approx(ratio, abs=slack + 1e-9)


def test_train_speed_compares_runner_bare_loop_and_dataloader(
        tiny_msde, tmp_path):
    from e2e_helpers import write_tiny_config
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    out = tmp_path / 'bench.md'
    proc = run_tool('python', 'tools/benchmark/train_speed.py', str(config),
                    '--variants', 'bare', 'mmsde', 'data', 'bare-compile',
                    '--epochs', '1', '--iters', '4', '--warmup', '1',
                    '--append', str(out))
    rows = re.findall(ROW, proc.stdout, re.M)
    names = [r[2].split(' (')[0] for r in rows]
    assert names == ['bare PyTorch loop', 'mmsde runner', 'dataloader alone',
                     'bare loop, torch.compile']
    bare = float(rows[0][4])
    for row in rows:
        samples, sec, wait, compute, vs_bare, vs_fp32 = row[4:]
        assert float(samples) > 0 and float(sec) > 0
        assert ratio_printed(vs_bare, float(samples), bare)
        assert vs_fp32 == '1.00'  # every row is fp32
    runner = rows[1]  # the step splits into waiting and computing
    assert float(runner[6]) + float(runner[7]) == pytest.approx(
        float(runner[5]), rel=0.05)
    text = out.read_text()
    assert 'tools/benchmark/train_speed.py' in text and '| tiny.py |' in text


def test_train_speed_compares_precisions_threads_and_sizes(tiny_msde,
                                                           tmp_path):
    """Every (size, threads, variant, precision) gets a row, with its ratio
    to float32 of the same variant, size and threads (the tiny config's
    pipeline has no Resize: its size stays the configs' 64 px)."""
    from e2e_helpers import write_tiny_config
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    proc = run_tool('python', 'tools/benchmark/train_speed.py', str(config),
                    '--variants', 'bare', 'mmsde', '--precisions', 'fp32',
                    'bf16-cl', '--threads', '1', '--epochs', '1', '--iters',
                    '4', '--warmup', '1')
    rows = re.findall(ROW, proc.stdout, re.M)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ('64', '1', 'bare PyTorch loop', 'fp32'),
        ('64', '1', 'bare PyTorch loop', 'bf16-cl'),
        ('64', '1', 'mmsde runner', 'fp32'),
        ('64', '1', 'mmsde runner', 'bf16-cl')]
    speed = {(r[2], r[3]): float(r[4]) for r in rows}
    for r in rows:
        assert ratio_printed(r[9], speed[(r[2], r[3])],
                             speed[(r[2], 'fp32')])
        assert ratio_printed(r[8], speed[(r[2], r[3])],
                             speed[('bare PyTorch loop', r[3])])


def test_epoch_time_splits_an_epoch_into_its_parts(tiny_msde, tmp_path):
    from e2e_helpers import write_tiny_config
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    proc = run_tool('python', 'tools/benchmark/epoch_time.py', str(config),
                    '--epochs', '3')
    parts = dict(re.findall(r'^\| ([a-z ]+) \| ([\d.-]+) \| -?\d+% \|$',
                            proc.stdout, re.M))
    assert list(parts) == ['iterations', 'epoch checkpoint', 'validation',
                           'other', 'whole epoch']
    seconds = {k: float(v) for k, v in parts.items()}
    assert seconds['iterations'] > 0 and seconds['validation'] > 0
    assert sum(seconds[k] for k in ('iterations', 'epoch checkpoint',
                                    'validation', 'other')) == \
        pytest.approx(seconds['whole epoch'], abs=0.03)


def test_dataset_scale_builds_every_split_and_prints_costs():
    proc = run_tool('python', 'tools/benchmark/dataset_scale.py', '--sizes',
                    '280', '560')
    rows = [line.split() for line in proc.stdout.splitlines()
            if line.strip() and line.split()[0].isdigit()]
    assert [int(r[0]) for r in rows] == [280, 560]
    for row in rows:
        train, val, test = map(int, row[5].split('/'))
        assert train + val + test == int(row[0])  # nothing dropped
        assert float(row[1]) > 0 and float(row[4]) > 0


def test_face_detection_speed_prints_photos_per_second(tmp_path):
    pytest.importorskip('skimage')
    out = tmp_path / 'bench.md'
    proc = run_tool('python', 'tools/benchmark/face_detection_speed.py',
                    '--sizes', '160x120', '--batch-sizes', '1', '2',
                    '--rounds', '1', '--photos', '2', '--warmup', '0',
                    '--append', str(out))
    rows = re.findall(r'^\| 160x120 \| (\d) \| ([\d.]+) \[[^]]+\] \| '
                      r'([\d.]+) \|', proc.stdout, re.M)
    assert [r[0] for r in rows] == ['1', '2']
    for _, per_s, ms in rows:  # photos/s and ms/photo agree
        assert float(per_s) * float(ms) == pytest.approx(1000, rel=0.05)
    assert 'face_detection_speed.py' in out.read_text()


def test_inference_speed_prints_faces_per_second():
    pytest.importorskip('skimage')
    proc = run_tool('python', 'tools/benchmark/inference_speed.py',
                    '--sizes', '320x240', '--rounds', '1', '--photos', '2',
                    '--warmup', '0', '--batch-size', '2')
    rows = re.findall(r'^\| 320x240 \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| '
                      r'([\d.]+) \|', proc.stdout, re.M)
    assert len(rows) == 2  # printed as measured, then in the table
    photos, faces, detect, classify = map(float, rows[-1])
    assert photos > 0 and faces == photos  # one face per photo
    assert detect > 0 and classify > 0


def test_inference_memory_prints_peak_rss_per_count(tmp_path):
    pytest.importorskip('skimage')
    out = tmp_path / 'report.md'
    proc = run_tool('python', 'tools/benchmark/inference_memory.py',
                    '--counts', '2', '4', '--kinds', 'folder', '--append',
                    str(out))
    rows = re.findall(r'^\| folder \| (\d+) \| (\d+) \| ([\d.]+) \| '
                      r'([\d.]+) \|$', proc.stdout, re.M)
    assert [r[0] for r in rows[-2:]] == ['2', '4']
    for count, rss, seconds, rate in rows[-2:]:
        assert 200 < int(rss) < 8000  # a real process's MiB
        assert abs(int(count) / float(seconds) - float(rate)) < 0.2
    assert 'inference_memory.py' in out.read_text()


def test_masking_speed_prints_images_per_second():
    proc = run_tool('python', 'tools/benchmark/masking_speed.py', '--images',
                    '4', '--rounds', '1', '--cases', 'template', 'grey48')
    rows = re.findall(r'^\| (\d+x\d+)(?: grey)? \| aligned template \| '
                      r'([\d.]+) \| ([\d.]+) \| (\d+) of 4 \|$', proc.stdout,
                      re.M)
    assert [r[0] for r in rows[-2:]] == ['112x112', '48x48']
    for _, rate, seconds, masked in rows[-2:]:
        assert float(rate) == pytest.approx(4 / float(seconds), rel=0.2)
        assert masked == '4'  # the template always gives landmarks
