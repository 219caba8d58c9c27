"""Regression tests of the adversarial review (issue 12), one module per finding."""
