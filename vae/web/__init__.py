"""What crosses between the browser and the core: links, uploads, the decoder spec for JS."""
