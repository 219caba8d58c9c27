"""The ``confirma`` command line, split into small modules (private; see ``confirma_async.cli``).

``app`` holds the click group and ``main``; each command family has its own module. Only this
package imports click and rich, and the library never imports this package.
"""
