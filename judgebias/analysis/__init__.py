"""``judgebias analyze``'s parts: columns, preparing the pairs, the result, the files.

The public names are re-exported by :mod:`judgebias.analyze`."""
