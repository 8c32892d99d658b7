"""Vision analyzers: cheap motion on every frame gates the face detector; privacy and overlays for viewers."""
