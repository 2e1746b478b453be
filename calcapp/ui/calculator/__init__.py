"""The calculator tab: display, keypad, handwriting canvas, history and model picker."""
