"""The measures: counts in, rates/scores/rankings/trends/funnels out. Pure: imports neither streamlit nor
sqlalchemy, and of the project only `domain/` (settings, vocabulary, deadlines, periods, units)."""
