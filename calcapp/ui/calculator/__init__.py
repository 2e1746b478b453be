"""The calculator tab: display, keypad, handwriting canvas, history, model picker and the controller that keeps request state."""
