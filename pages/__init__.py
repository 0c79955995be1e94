"""The app's pages; each file is one page run by st.navigation in app.py."""
