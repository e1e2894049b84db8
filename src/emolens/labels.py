"""Class names and split names shared by every part of emolens.

FER2013's Kaggle folders name the classes alphabetically; the original CSV numbers them in another
order. Both orders live here so that no other module re-types them.
"""

from __future__ import annotations

#: The 7 FER2013 classes in the order of the Kaggle folder names; emolens models use this order.
FER_CLASSES: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")

#: The 8 FER+ classes (FER2013's and contempt), alphabetical like :data:`FER_CLASSES`.
FERPLUS_CLASSES: tuple[str, ...] = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")

#: The class of each numeric code in the original FER2013 CSV's ``emotion`` column.
FER_CSV_ORDER: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

#: emolens split names, in protocol order: train on ``train``, choose on ``val``, report ``test``.
SPLITS: tuple[str, ...] = ("train", "val", "test")

#: FER2013's ``Usage`` values (CSV column and Kaggle file-name prefix) mapped to emolens splits.
FER_USAGE_TO_SPLIT: dict[str, str] = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
SPLIT_TO_FER_USAGE: dict[str, str] = {v: k for k, v in FER_USAGE_TO_SPLIT.items()}

#: Folder names users commonly give to the FER classes (other datasets, other languages of labelling).
CLASS_ALIASES: dict[str, str] = {
    "anger": "angry",
    "angry": "angry",
    "contempt": "contempt",
    "contemptuous": "contempt",
    "disgust": "disgust",
    "disgusted": "disgust",
    "fear": "fear",
    "fearful": "fear",
    "afraid": "fear",
    "happy": "happy",
    "happiness": "happy",
    "joy": "happy",
    "neutral": "neutral",
    "calm": "neutral",
    "sad": "sad",
    "sadness": "sad",
    "surprise": "surprise",
    "surprised": "surprise",
}

#: Folder names accepted for each split when a user folder is already split.
SPLIT_ALIASES: dict[str, str] = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "publictest": "val",
    "test": "test",
    "testing": "test",
    "privatetest": "test",
}


def canonical_class(name: str) -> str:
    """Return the FER class a folder name stands for, or the cleaned name itself when it is not one."""
    key = name.strip().lower()
    return CLASS_ALIASES.get(key, key)
