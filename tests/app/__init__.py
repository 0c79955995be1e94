"""AppTest tests of the Streamlit app and its pages."""
