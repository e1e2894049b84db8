"""Reports for people about a trained model: its model card."""
