# The MSD-E authors' paired scheme on masked AffectNet: both images of each
# [non_masked, masked] pair through one ResNet-18 (MS-Celeb-1M weights);
# loss = MSE(normalised layer4 maps) + CE_nm + CE_m; 224 px, Adam 24 epochs.
_base_ = './resnet18_1xb96-adam-24e_affectnet-masked-nonmasked.py'

model = dict(
    type='PairedClassifier',
    paired_loss=dict(type='PairedFeatureLoss', loss_weight=1.0),
    head=dict(loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_dataloader = dict(
    dataset=dict(views='paired',
                 pipeline={{_base_.paired_train_pipeline}}))
