# MTCNN (Zhang et al., IEEE SPL 2016, https://arxiv.org/abs/1604.02878) with
# facenet-pytorch 2.6.0's pretrained P/R/O-Net (MIT), mmsde's offline default
# face detector. Inference only. The checkpoint is made by
#   python tools/model_converters/mtcnn_from_facenet_pytorch.py
# (tools/install.sh runs it) and lives in
#   ${MMSDE_CACHE:-~/.cache/mmsde}/weights/mtcnn_facenet-pytorch-2.6.0.pth
# Use it from Python:
#   from mmdet.apis import init_detector, inference_detector
#   from mmsde.models.detectors import mtcnn_checkpoint_path
#   model = init_detector(CONFIG, str(mtcnn_checkpoint_path()), device='cpu')
#   result = inference_detector(model, 'photo.jpg')  # .pred_instances:
#   bboxes, scores, labels (0 = face), keypoints (5 landmarks) in photo px
_base_ = ['mmdet::_base_/default_runtime.py']
default_scope = 'mmdet'
custom_imports = dict(
    imports=['mmsde.models.detectors'], allow_failed_imports=False)

model = dict(
    type='MTCNNFaceDetector',
    # in pixels of the network input (after ShrinkToFit below); the P-Net
    # pyramid grows with 1/min_face_size**2: 40 is about 1.5-2x faster on
    # 640x480 photos (tools/benchmark/face_detection_speed.py) but misses
    # faces under 40 px
    min_face_size=20,
    thresholds=(0.6, 0.7, 0.7),
    factor=0.709,
    nms_thresholds=(0.5, 0.7, 0.7, 0.7),
    max_faces=100,
    # none; mmdet.apis.init_detector looks up model.backbone
    backbone=dict(),
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[0, 0, 0],
        std=[1, 1, 1],
        bgr_to_rgb=True,
        pad_size_divisor=1))

test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    # shrinks photos larger than 640 px (keep ratio; smaller ones pass
    # unchanged) so the P-Net pyramid stays small; boxes and landmarks come
    # back in the photo's own pixels
    dict(type='ShrinkToFit', scale=(640, 640)),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

# A COCO-style face set for tools/test.py-like evaluation (one class, 'face').
data_root = 'data/faces/'
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CocoDataset',
        data_root=data_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/'),
        metainfo=dict(classes=('face', ), palette=[(0, 255, 0)]),
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/test.json',
    metric='bbox',
    format_only=False)
test_cfg = dict(type='TestLoop')
val_dataloader = test_dataloader
val_evaluator = test_evaluator
val_cfg = dict(type='ValLoop')
