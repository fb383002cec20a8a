"""Entry point: ``streamlit run streamlit_app.py``. Everything lives in deck/ (engine), slides/
(the talks as Markdown), demos/ (live demos) and models/ (plain PyTorch / numpy).

``streamlit run`` finds the ``st.App`` below and serves the deck with the live room's extra routes
(``deck/routes.py``: the audience page ``/room/<id>`` and its WebSockets) on the same server; each
browser session then runs this file as its script (``__name__ == "__main__"``), which draws the deck.
"""
import streamlit as st

from deck.app import main
from deck.routes import ROUTES

if __name__ == "__main__":  # a session's run
    main()
else:  # imported by the server: the deck's script plus the room's routes
    app = st.App("streamlit_app.py", routes=ROUTES)
