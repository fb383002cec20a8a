"""Run one demo on its own page, outside the deck: handy while building a demo.

    streamlit run scripts/demo_harness.py  ->  open http://localhost:8501/?demo=painting&preset=deep

Every query parameter except ``demo`` is passed to ``render`` as an option string.
"""
import importlib
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
st.set_page_config(layout="wide")
params = dict(st.query_params)
name = params.pop("demo", "")
if not name:
    st.info("Add ?demo=NAME to the URL.")
else:
    importlib.import_module(f"demos.{name}").render(key_prefix=name, **params)
