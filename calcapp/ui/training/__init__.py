"""The Training tab: setup form, live curves, runs list, and the panel that drives them."""
