"""Session I of the 2016 workshop: a neuron, layers, gradient descent, painting, Playground, MNIST dense.

Plain numpy / PyTorch only; the Streamlit demos in ``demos/`` wire widgets to these functions.
"""
