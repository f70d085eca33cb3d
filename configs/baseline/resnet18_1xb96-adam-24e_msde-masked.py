# As resnet18_1xb96-adam-24e_msde-nonmasked.py, but trained on the masked
# images.
_base_ = './resnet18_1xb96-adam-24e_msde-nonmasked.py'

train_dataloader = dict(dataset=dict(views='masked'))
