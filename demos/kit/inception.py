"""The one Inception-v3 per server process, shared by the transfer, Deep Dream and style demos."""
from __future__ import annotations

import streamlit as st


@st.cache_resource(show_spinner="Loading Inception-v3 (87 MB, once per server)…")
def inception():
    from models.device import set_threads
    from models.vision.inception import load_inception

    set_threads("shared_model")
    return load_inception()
