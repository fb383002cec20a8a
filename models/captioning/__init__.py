"""Image captioning, as in the June 2017 TensorFlow & Deep Learning SG talk (plain torch / numpy).

Pipeline (each step runnable from the command line):
  scenes.py      the built-in captioned-scenes data set (rendered images, five grammar captions each)
  formats.py     loaders for real caption files (Flickr8k/30k token files, COCO JSON, Karpathy splits)
  features.py    Inception-v3 image features (2048-d pooled vector + spatial map), cached to disk
  vocab.py       vocabulary (action tokens, stop words first, GloVe 50d rows)
  wordreps.py    the talk's four word representations (GloVe, one-hot, base+embedding, base+binary ECC)
  decoders.py    GRU, dilated causal CNN, GLU CNN, transformer decoders at width 200
  train.py       teacher-forced training, checkpoints per epoch, resumable
  infer.py       greedy / sampled / beam captions, teacher-forced vs free-running steps, BLEU
  ship.py        copy a run's decoders, test features and metrics into models/artefacts/captioning
  shipped.py     load what ship.py copied (the demos read only these files)
"""
