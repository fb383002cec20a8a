"""Jobs every demo shares, one home each: slide options, palette, fair share, the upload decoder widget,
the captioning and Inception loaders."""
