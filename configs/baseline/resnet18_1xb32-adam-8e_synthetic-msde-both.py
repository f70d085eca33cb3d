# As resnet18_1xb32-adam-8e_synthetic-msde-nonmasked.py, but trained on masked
# AND non-masked images (each image one sample).
_base_ = './resnet18_1xb32-adam-8e_synthetic-msde-nonmasked.py'

train_dataloader = dict(dataset=dict(views='both'))
