"""The domain core every layer shares: pure values and functions, no database and no Streamlit.

Nothing here imports another package of the project (tests/test_layers.py checks it).
"""
