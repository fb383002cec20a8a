"""Entry point: ``streamlit run streamlit_app.py``. Everything lives in deck/ (engine), slides/
(the talks as Markdown), demos/ (live demos) and models/ (plain PyTorch / numpy)."""
from deck.app import main

main()
