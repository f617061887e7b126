"""Turn documents into an index folder: read, split, tokenize, embed, store.

Heavy libraries (torch, sentence-transformers, underthesea) load only when used.
"""
