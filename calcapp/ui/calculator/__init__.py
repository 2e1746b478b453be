"""The Calculator tab: display, keypad, ink canvas, history, and its request controller."""
