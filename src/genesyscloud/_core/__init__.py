"""Hand-written runtime shared by every generated operation and model.

Nothing here knows any single operation: generated code hands in descriptors.
"""
