"""The calculator networks' maths, written once against ``ops``: blocks, features, encoder, decoders, weights."""
