# As scn_resnet18_1xb96-adam-24e_msde.py, but trained on masked AND
# non-masked images (each image one sample, relabelled on its own), as
# ../baseline/resnet18_1xb96-adam-24e_msde-both.py (same 24-epoch schedule).
_base_ = './scn_resnet18_1xb96-adam-24e_msde.py'

train_dataloader = dict(dataset=dict(views='both'))
