# MMPretrain's runtime (hooks, logging, env) plus the mmsde plugin.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmsde'], allow_failed_imports=False)
default_scope = 'mmpretrain'
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    # the best epoch is picked on the validation subjects by MaskedFERMetric
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='overall/accuracy',
        rule='greater'))
