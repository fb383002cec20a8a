"""The deck engine: slide files -> pages, navigation, URLs, present mode, presenter view.

It knows nothing about neural networks: a slide names a demo, and ``demos/`` draws it.
"""
