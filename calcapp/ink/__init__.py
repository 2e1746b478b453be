"""Ink and pictures of writing: strokes, InkML, image normalisation, segmentation, synthetic ink. No networks."""
