"""State-of-the-art FER methods as MMPretrain components, benchmarked on
mmsde's protocol (configs/fer_methods/): SCN, DAN and SCAN-CCI."""
from .dan import (AffinityLoss, DANHead, MultiHeadCrossAttentionNeck,
                  PartitionLoss)
from .scan_cci import SCANCCIHead
from .scn import SCNHead, SCNRankLoss

__all__ = [
    'AffinityLoss', 'DANHead', 'MultiHeadCrossAttentionNeck', 'PartitionLoss',
    'SCANCCIHead', 'SCNHead', 'SCNRankLoss'
]
