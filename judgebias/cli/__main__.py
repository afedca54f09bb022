"""``python -m judgebias.cli``: the same as the ``judgebias`` command."""

from . import main

if __name__ == "__main__":
    main()
