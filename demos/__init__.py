"""Live demos: one module per demo, placed on a slide by name.

Contract (the only thing the deck engine knows about a demo):

* ``demos/<name>.py`` defines ``render(key_prefix: str = "<name>", **options: str) -> None``. The slide
  directive ``::: demo <name> key=value`` calls ``render(key_prefix=..., key="value")``: option values arrive
  as strings. The module declares the options it takes once, ``OPTIONS = declare(...)`` (type, default,
  range or choices; ``demos/kit/options.py``), and ``render`` reads them with one ``OPTIONS.parse(options)``;
  ``python -m deck check`` names a slide option the demo does not declare.
* ``render`` draws with Streamlit into the current container, under the slide's text. Keys of
  its widgets start with ``<name>_`` so two demos never clash; a demo shown twice in one talk
  gets its own ``key_prefix`` option from the engine (``render(key_prefix=...)`` is always
  passed; use it as the start of every widget key).
* Heavy imports (torch, models) happen inside ``render`` or helpers it calls, never at module
  import time of the title slide; models are loaded with ``st.cache_resource``.
* The maths lives in ``models/`` (plain PyTorch / numpy, no Streamlit); a demo only wires
  widgets to it.
* A demo's main action (the button a presenter would press first: "Train", "Classify", …) has a
  widget key ending in ``_action``; ``python -m deck.rehearse`` presses it on every slide.
* Bad input gets ``st.warning``/``st.error`` text on the slide, never a traceback. The engine
  also catches anything a demo raises and shows a short message instead of the demo.
"""
