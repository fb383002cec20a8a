"""Session II (CNNs on images): convolution, MNIST CNN, ImageNet classifier, transfer learning,
Deep Dream and style transfer. Plain numpy / PyTorch: no Streamlit below this folder."""
