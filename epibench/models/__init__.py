"""Models: tensors in, tensors out, no file I/O."""
