"""Built-in content shipped as data files, and the loaders that read them."""
