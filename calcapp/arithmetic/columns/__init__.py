"""The ``columns`` architecture: digit-cell networks driven by written arithmetic's procedure."""
