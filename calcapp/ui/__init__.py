"""The desktop GUI: main window and app setup; one subfolder per tab."""
