"""Reports for people: model cards, and HTML/plot reports of images, videos and batch runs."""
