"""Streamlit components that ship in this repository (no build step)."""
