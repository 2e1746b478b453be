<<<<<<< HEAD
"""The calculator tab: display, keypad, handwriting canvas, history and model picker."""
=======
"""The Calculator tab: display, keypad, ink canvas, history, and its request controller."""
>>>>>>> h17e
