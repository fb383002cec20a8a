"""Live demos: one module per demo, placed on a slide by name.

Contract (the only thing the deck engine knows about a demo):

* ``demos/<name>.py`` defines ``render(key_prefix: str = "<name>", **options: str) -> None``. The slide
  directive ``::: demo <name> key=value`` calls ``render(key_prefix=..., key="value")``: option values arrive
  as strings. The module declares the options it takes once, ``OPTIONS = declare(...)`` (type, default,
  range or choices; ``demos/kit/options.py``), and ``render`` reads them with one ``OPTIONS.parse(options)``;
  ``python -m deck check`` names a slide option the demo does not declare.
* ``render`` draws on a **stage** the engine gives it (``deck/stage.py``): declare it as
  ``render(key_prefix: str = "<name>", stage=None, **options: str)`` and start with
  ``stage = stage or default_stage()`` (``from deck.stage import default_stage``; outside the deck -
  ``scripts/demo_harness.py``, tests calling ``render(key_prefix=...)`` - nobody passes one and the
  default stacks the containers in the current container). The engine owns the layout; the demo only
  says what goes where:

  - ``stage.visual``: the main visual, what the room should see (the picture being painted, the
    decision boundary, the board, the captions with their picture, the chart) and its live read-outs
    (iterations, loss, accuracy as one short line). Nothing else.
  - ``stage.controls``: the primary action(s) only, compact: the ``_action`` button and its siblings
    (Step, Reset) in one ``st.container(horizontal=True)``; a step's short "waiting for a slot" caption.
  - ``stage.more``: everything else - data and photo pickers, uploads, seeds, network settings, sliders,
    long explanations and captions. It is a collapsed expander in browse mode and a popover button in
    present mode, so it never takes room on the projector.
  - ``stage.present`` is True in present mode; ``stage.height(present_px, browse_px)`` picks a fixed
    height (a Plotly chart's) for the layout.

  In **present mode** the slide's title, text and diagrams, then ``controls``, ``more`` and the deck's
  Prev/Next stand in a narrow side column; ``stage.visual`` is the wide column beside it, about
  ``deck.stage.PRESENT_VISUAL_WIDTH_PX`` (700) px wide and ``PRESENT_VISUAL_PX`` (640) px tall at
  1280×720. The whole visual must fit in that box at 1280×720 (it then fits 1920×1080 too): keep
  fixed-height things (Plotly charts) to about 640 px in total down any column of the visual, put
  pictures in ``st.columns`` with ``width="stretch"`` (the engine caps a picture at 52 % of the window's
  height), use a one-line ``st.markdown`` read-out instead of a row of ``st.metric``, and ``st.caption``
  instead of ``st.info`` for notes. Text in the visual is drawn smaller than the slide's bullets. In
  browse mode the same containers are stacked under the slide's text (controls, more, visual) and the
  demo may draw roomier (taller charts, metrics).

  Rules that keep this working: write each widget into exactly one of the three containers (``with
  stage.more:`` or ``stage.more.selectbox(...)``); a live ``st.fragment(run_every=...)`` is *called
  inside* ``stage.visual`` (``with stage.visual: live()``) and draws only there - never let a running
  fragment write into ``controls`` or ``more``, and never put a widget that must survive the fragment's
  ticks inside the fragment. Do not nest ``st.columns`` more than one level inside a column of the
  visual. The fit measurement (``deck/fit.py``: ``measure(page)``, shared by the browser tests, the
  rehearsal and ``benchmarks/deck.py``) finds the visual by the class ``st-key-deck_stage_visual_<n>``
  the engine gives it, and checks that it and the ``_action`` button lie inside the window and that the
  page does not scroll.
  ``demos/painting.py`` and ``demos/playground.py`` are the worked examples.

  A demo whose ``render`` takes no ``stage`` still works: the engine draws it under the slide's text in
  the current container, as before the stage existed (and it will not fit a projector).
* Keys of its widgets start with ``<name>_`` so two demos never clash; a demo shown twice in one talk
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
* Live rooms (optional): where the demo already has its picture, one
  ``demos.kit.mirror.publish(key_prefix, image=..., text=..., data=...)`` shows it on the audience's
  phones (a no-op unless this session presents a room; pass a function for a mirror-only picture);
  ``POLLS = {"lr": ("Which learning rate?", [0.003, 0.03, 0.3])}`` next to ``OPTIONS`` lets the room
  vote on the widget ``<key_prefix>_lr`` (``deck/polls.py``). ``painting``, ``playground`` and
  ``bubble_replay`` are the examples.
"""
