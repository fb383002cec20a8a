"""Plain PyTorch / numpy models, training loops, data loading and game engines.

Nothing below this package imports Streamlit. Every training script runs from the command line,
e.g. ``python -m models.<name>.train --help``.
"""
