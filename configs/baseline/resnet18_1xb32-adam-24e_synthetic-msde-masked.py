# As resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py, but trained on the
# masked images.
_base_ = './resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py'

train_dataloader = dict(dataset=dict(views='masked'))
