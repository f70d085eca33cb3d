# Face pretraining on generated people photographed in a new scene each time:
# background, shirt, lighting and head position are drawn per image
# (identity_set.scene_per_image), so only the face (shape, skin, hair, eyes,
# glasses) tells people apart, as in real face-recognition sets. With one
# scene per person (the parent config) the network can name people by their
# background colour alone and learns nothing about faces.
#   python tools/face_pretrain.py \
#       configs/face_pretrain/resnet18_1xb64-adam-4e_synthetic-identities-scenes-64px.py
_base_ = './resnet18_1xb64-adam-4e_synthetic-identities-64px.py'

identity_set = dict(scene_per_image=True)
data_root = 'data/synthetic_identities_scenes'
train_dataloader = dict(dataset=dict(data_root=data_root))
