# As resnet18_1xb96-adam-24e_msde-nonmasked.py, but trained on masked AND non-
# masked images (each image one sample).
_base_ = './resnet18_1xb96-adam-24e_msde-nonmasked.py'

train_dataloader = dict(dataset=dict(views='both'))
