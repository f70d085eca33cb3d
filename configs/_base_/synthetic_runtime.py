# The runtime of the synthetic CPU configs: MMPretrain's and mmsde's
# (default_runtime.py), with the model's weights in channels-last memory,
# which bfloat16 autocast (the schedule's BF16OptimWrapper) needs to pay off
# on CPUs. A default hook, so configs that set custom_hooks keep it.
_base_ = './default_runtime.py'

# An epoch is a few seconds here: the best checkpoint is still picked after
# every epoch, but a resumable one is kept every 4 epochs (saving one took
# 6% of an epoch; tools/benchmark/epoch_time.py).
default_hooks = dict(
    channels_last=dict(type='ChannelsLastHook'),
    checkpoint=dict(interval=4))
