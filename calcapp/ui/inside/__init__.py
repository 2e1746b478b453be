"""The Inside tab: activations, attention, confidence and error maps of a calculator network."""
