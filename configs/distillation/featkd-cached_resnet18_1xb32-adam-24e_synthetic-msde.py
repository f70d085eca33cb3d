# Feature distillation with a cached teacher: TeacherCacheHook runs the
# teacher once, before training, on the un-augmented non-masked image of
# every training pair (work_dir/teacher_cache/, rebuilt when the teacher,
# its checkpoint, the images or the pipeline change); the student's step
# then costs about what training it alone costs. The cached layer4 map is
# mirrored for flipped samples; other augmentations are not replayed for the
# teacher. Otherwise as featkd_resnet18_1xb32-adam-24e_synthetic-msde.py.
_base_ = './featkd_resnet18_1xb32-adam-24e_synthetic-msde.py'

custom_hooks = [dict(type='TeacherCacheHook', batch_size=64)]
