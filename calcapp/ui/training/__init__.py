"""The Training tab: the setup form, live curves and the list of runs."""
