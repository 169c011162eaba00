"""Pure metric code: counts in, rates/scores/rankings out. Imports neither streamlit nor sqlalchemy."""
