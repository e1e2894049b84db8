"""Datasets: FER2013 (Kaggle folders or CSV) and user folders, caching, reports and class balancing."""

from emolens.data.dataset import FaceDataset, Skipped
from emolens.data.fer_csv import read_csv, write_csv
from emolens.data.folders import read_folder
from emolens.data.loading import load_dataset

__all__ = ["FaceDataset", "Skipped", "load_dataset", "read_csv", "read_folder", "write_csv"]
