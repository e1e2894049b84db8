"""Videos, streams and cameras, on top of the photo pipeline: read and write video, track faces, smooth
their probabilities over time, and write the timeline, summary, HTML report and live view."""
