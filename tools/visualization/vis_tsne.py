"""t-SNE of a trained model's features on a test split: non-masked and
masked images coloured by expression, all images coloured by view, with
cluster-quality figures (silhouette, kNN accuracy) per view.

Examples:
    python tools/visualization/vis_tsne.py CONFIG CKPT
    python tools/visualization/vis_tsne.py CONFIG CKPT --stage backbone \\
        --out-dir work_dirs/tsne --cfg-options test_dataloader.dataset.fold=3
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from mmsde.apis.model import build_split_loader, load_classifier
from mmsde.utils.classes import FER_CLASSES
from mmsde.utils import add_trust_argument
from mmsde.visualization import (draw_tsne, embed_tsne, extract_features,
                                 save_embedding, view_quality)
from mmsde.visualization.embedding import STAGES


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--stage', choices=STAGES, default='pre_logits',
                        help='features to embed (default: %(default)s)')
    parser.add_argument('--split', default='test',
                        help='dataloader of the config (default: test)')
    parser.add_argument('--out-dir', default='work_dirs/vis',
                        help='folder of the PNG and NPZ files')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--perplexity', type=float)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_trust_argument(parser)
    return parser.parse_args()


def format_quality(name: str, quality: dict) -> str:
    lines = [f'{name}: {"view":12s} {"silhouette":>10s} {"5-NN acc %":>10s}']
    for view, q in quality.items():
        lines.append(f'{" " * len(name)}  {view:12s} '
                     f'{q["silhouette"]:10.3f} {q["knn_accuracy"]:10.1f}')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    model, cfg = load_classifier(args.config, args.checkpoint, args.device,
                                 args.cfg_options)
    loader = build_split_loader(cfg, args.split)
    classes = loader.dataset.metainfo.get('classes', FER_CLASSES)
    feats = extract_features(model, loader, args.stage)
    embedding = embed_tsne(feats.features, args.seed, args.perplexity)
    name = osp.splitext(osp.basename(args.config))[0]
    stem = osp.join(args.out_dir, f'{name}_{args.split}_{args.stage}_tsne')
    png = draw_tsne(embedding, feats, classes, stem + '.png',
                    title=f'{name}: {args.stage} features, {args.split} set')
    save_embedding(stem + '.npz', embedding, feats, classes)
    print(format_quality('t-SNE embedding', view_quality(embedding, feats)))
    print(format_quality('features       ',
                         view_quality(feats.features, feats)))
    print(f'wrote {png} and {stem}.npz')


if __name__ == '__main__':
    main()
